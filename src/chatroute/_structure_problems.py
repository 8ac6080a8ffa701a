"""What went wrong when data did not describe a value: cattrs' errors as ``(path, message)`` problems.

:func:`problems_of` walks the error :func:`chatroute.serialize.from_dict` caught (cattrs
wraps every failure, noting the attribute or index it was at) and names each problem
by its path in the words of the file's short form (``groups[0].regions.include``).
"""

from __future__ import annotations

import re

import attrs
import cattrs

from .errors import ConfigError, InvalidValue, did_you_mean

__all__ = ["problems", "problems_of", "short_path"]


_LONG_KEYS = re.compile(r"\b(regions|pages)_(include|exclude)\b")


def short_path(path: str) -> str:
    """A path in the words of the short form: ``groups[0].regions.include``, not ``regions_include``."""
    return _LONG_KEYS.sub(r"\1.\2", path)


# what Python says when cattrs treats a list, number or string as a mapping
_NOT_A_TABLE = (
    "has no attribute 'keys'",
    "has no attribute 'items'",
    "has no attribute 'get'",
    "is not iterable",
    "is not subscriptable",
    "indices must be integers",
)


def problems(exc: BaseException, path: str = "") -> list[tuple[str, str]]:
    """The ``(path, message)`` problems of an error, paths as cattrs names the fields (under ``path``)."""
    if isinstance(exc, cattrs.ClassValidationError | cattrs.IterableValidationError):
        found: list[tuple[str, str]] = []
        for inner in exc.exceptions:
            notes = getattr(inner, "__notes__", [])
            step = _note_path(notes[0]) if notes else ""
            found += problems(inner, path + step)
        return found or [(path, str(exc))]
    if isinstance(exc, RecursionError):
        return [(path, _TOO_DEEP)]
    if isinstance(exc, ConfigError):
        return [(path + ("." + p if p and path else p), m) for p, m in exc.problems]
    if isinstance(exc, InvalidValue):
        return [(f"{path}.{exc.field}", f"{exc.problem} (got {exc.value!r})")]
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        known = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        return [
            (f"{path}.{key}", "unknown key" + did_you_mean(key, known)) for key in sorted(exc.extra_fields)
        ]
    if isinstance(exc, KeyError):
        return [(path, f"missing key {exc.args[0]!r}")]
    if isinstance(exc, AttributeError | TypeError) and any(hint in str(exc) for hint in _NOT_A_TABLE):
        return [(path, "expected a table (a mapping of keys to values)")]
    return [(path, str(exc))]


def problems_of(exc: BaseException) -> list[tuple[str, str]]:
    """The ``(path, message)`` problems of an error raised while structuring, paths in the short form."""
    found = []
    for path, message in problems(exc):
        if message == _TOO_DEEP:  # named where the nesting starts, not 300 levels down
            path = "".join(_STEPS.findall(path)[:4])
        found.append((short_path(path.removeprefix(".")), message))
    return list(dict.fromkeys(found))


_TOO_DEEP = "nested too deeply"
_STEPS = re.compile(r"\.?[^.\[]+|\[\d+\]")


def _note_path(note: str) -> str:
    # cattrs notes read "Structuring class X @ attribute y" or "... @ index 3"
    if "@ attribute " in note:
        return "." + note.rsplit("@ attribute ", 1)[1].strip()
    if "@ index " in note:
        return f"[{note.rsplit('@ index ', 1)[1].strip()}]"
    return ""
