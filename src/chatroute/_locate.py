"""Where a problem's path is in a TOML or JSON file: ``rules[0].to.group`` -> line 14.

Python's ``tomllib`` keeps no positions, so the text is read once line by line: table
headers (``[config]``, ``[[rules]]``, counted per array) and ``key = value`` lines give
each path the line it starts on. A JSON text is walked once with the standard library's
own decoder (``raw_decode`` reads each key and plain value where it starts), noting
the line of each key and each array item. A path not found exactly (a key inside an
inline table or a multi-line array) takes the line of its nearest ancestor that is.
"""

from __future__ import annotations

import bisect
import json
import re

__all__ = ["json_lines", "line_of", "toml_lines"]

_BARE = r"[A-Za-z0-9_-]+"
_KEY = rf"(?:{_BARE}|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"\s*(\[\[?)\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"\s*({_DOTTED})\s*=")
_PART = re.compile(_KEY)
_STEP = re.compile(r"\.?[^.\[]+|\[\d+\]")


def _keys(dotted: str) -> list[str]:
    return [part.strip("\"'") for part in _PART.findall(dotted)]


def toml_lines(text: str) -> dict[str, int]:
    """The 1-based line where each table and key of a TOML text starts, by path."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}  # arrays of tables: how many items so far
    table = ""
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            in_string = line.count('"""') % 2 == 0 and line.count("'''") % 2 == 0
            continue
        header = _HEADER.match(line)
        if header:
            *parents, last = _keys(header.group(2))
            table = ".".join(filter(None, [_resolve(parents, counts), last]))
            if header.group(1) == "[[":
                counts[table] = counts.get(table, -1) + 1
                table = f"{table}[{counts[table]}]"
            lines.setdefault(table, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            path = ".".join(filter(None, [table, *_keys(assign.group(1))]))
            lines.setdefault(path, number)
            rest = line[assign.end() :]
            in_string = rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1
    return lines


_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def json_lines(text: str) -> dict[str, int]:
    """The 1-based line where each key and array item of a JSON text starts, by path.

    Raises:
        ValueError: the text is not JSON (read it with :func:`json.loads` first).
    """
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines: dict[str, int] = {}

    def at(index: int) -> int:
        return bisect.bisect_right(starts, index)

    def space(index: int) -> int:
        return _SPACE.match(text, index).end()  # type: ignore[union-attr]

    def value(index: int, path: str) -> int:
        """Note the lines under ``path``; the index just past the value."""
        index = space(index)
        opening = text[index : index + 1]
        if opening not in ("{", "["):
            return _DECODER.raw_decode(text, index)[1]
        closing, item = "}" if opening == "{" else "]", 0
        index = space(index + 1)
        if text[index : index + 1] == closing:
            return index + 1
        while True:
            index = space(index)
            if opening == "{":
                key, after = _DECODER.raw_decode(text, index)
                step = f"{path}.{key}" if path else key
                lines.setdefault(step, at(index))
                index = space(after) + 1  # past the colon
            else:
                step = f"{path}[{item}]"
                lines.setdefault(step, at(index))
                item += 1
            index = space(value(index, step))
            if text[index] == closing:
                return index + 1
            index += 1  # past the comma

    value(0, "")
    return lines


def _resolve(keys: list[str], counts: dict[str, int]) -> str:
    """A header's dotted keys as a path, each array of tables at its latest item."""
    path = ""
    for key in keys:
        path = f"{path}.{key}" if path else key
        if path in counts:
            path = f"{path}[{counts[path]}]"
    return path


def line_of(path: str, lines: dict[str, int]) -> int | None:
    """The line of ``path``, or of its nearest ancestor found in ``lines``; None if none is."""
    steps = _STEP.findall(path)
    while steps:
        candidate = "".join(steps)
        if candidate in lines:
            return lines[candidate]
        steps.pop()
    return None
