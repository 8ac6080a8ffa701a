"""Loading a config from plain data, with every problem of the file in one pass.

:func:`load_config` structures the data; when that fails, the items that do not load
are replaced by stand-ins keeping their id, so the cross-references of the rest are
checked too and reported with the problems of shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import serialize
from ._config_form import LISTS, LONG_OF
from .config import RoutingConfig
from .errors import ConfigError

__all__ = ["load_config"]


def load_config(data: Any) -> RoutingConfig:
    """A config from plain data (short or long form), not yet validated.

    Raises:
        ConfigError: listing every problem of shape and of cross-reference.
    """
    try:
        return serialize.from_dict(RoutingConfig, data)
    except ConfigError as exc:
        raise ConfigError(_every_problem(exc.problems, data)) from None


def _every_problem(found: Sequence[tuple[str, str]], data: Any) -> list[tuple[str, str]]:
    """The problems of a file's shape, then those of its cross-references.

    Items that do not load are replaced by stand-ins that keep their id (and the keys
    that did load), so a broken operator still counts as known to the groups that list
    it and the rest of the file is still checked.
    """
    salvaged = _salvage(data, found)
    if salvaged is None:
        return list(found)
    return list(dict.fromkeys([*found, *salvaged.problems()]))


def _salvage(data: Any, found: Sequence[tuple[str, str]]) -> RoutingConfig | None:
    if not isinstance(data, Mapping):
        return None
    bad = {_head(path) for path, _ in found}
    drop = bad | {alias for head in bad for alias in LONG_OF.get(head, ())}
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key in LISTS and isinstance(value, list):
            kept[key] = [_stand_in(key, i, item, found) for i, item in enumerate(value)]
        elif key not in drop:
            kept[key] = value
    try:
        return serialize.from_dict(RoutingConfig, kept)
    except ConfigError:
        return None


def _stand_in(key: str, index: int, item: Any, found: Sequence[tuple[str, str]]) -> Any:
    """The item, without the keys that have problems, or a bare stand-in keeping its name."""
    cls, name_key, required = LISTS[key]
    prefix = f"{key}[{index}]"
    bad = {_head(path[len(prefix) :].lstrip(".")) for path, _ in found if _is_under(path, prefix)}
    if not bad:
        return item
    name = item.get(name_key) if isinstance(item, Mapping) else None
    name = name if isinstance(name, str) and name else f"<{prefix}>"
    bare = {name_key: name} | required
    if isinstance(item, Mapping):
        drop = bad | {alias for head in bad for alias in LONG_OF.get(head, ())}
        candidate = required | {k: v for k, v in item.items() if k not in drop} | {name_key: name}
        try:
            serialize.from_dict(cls, candidate)
        except ConfigError:
            return bare
        return candidate
    return bare


def _head(path: str) -> str:
    """The first key of a path: ``groups`` for ``groups[1].id``."""
    for i, char in enumerate(path):
        if char in ".[":
            return path[:i]
    return path


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))
