"""The form of config files people write by hand, and its translation to and from the long form.

A hand-written config says ``when = {topic = ["order"], channel = "email"}``,
``to = {group = "sales"}``, ``regions = {include = ["RU-MOW"]}``,
``offline = {requeue_after = "60s"}`` and ``"1h30m"``. The serialized long form
(``{kind = "topic", topics = [...]}``, ``regions_include``, seconds) still loads.
This module holds the parts of that translation that are plain data: the table forms
of groups and of the offline policy, targets in both forms (:func:`read_target`,
:func:`write_target`: a menu reads and writes them too, without cattrs),
:func:`shorten_config`, which turns the long form :mod:`chatroute.serialize` writes
into the short one, and :func:`short_config`, which also leaves out the defaults. The
short forms of conditions are read by the hooks in :mod:`chatroute.serialize`;
durations are :mod:`chatroute._durations`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import attrs

from ._durations import format_duration
from .config import RoutingConfig
from .errors import ConfigError, InvalidValue, did_you_mean
from .model import Channel, Group, Operator, Status, Target, TargetKind
from .rules import Always, Rule, Trigger

__all__ = [
    "DURATION_FIELDS",
    "LISTS",
    "LONG_OF",
    "ONE_OR_MANY",
    "expand_config",
    "expand_group",
    "from_value_json",
    "read_target",
    "short_config",
    "shorten_config",
    "shorten_predicate",
    "shorten_target",
    "write_target",
]

#: The config's own duration fields (besides SLA thresholds and escalation rings).
DURATION_FIELDS = (
    "aging",
    "requeue_grace",
    "reply_timeout",
    "intake_window",
    "default_handle_time",
    "accept_timeout",
    "resume_wait",
    "decline_memory",
    "offer_memory",
)

#: Condition kinds whose one list may be written as a lone string: ``channel = "email"``.
ONE_OR_MANY = frozenset({"topic", "channel", "has_any_tag", "has_all_tags", "page", "region", "language"})


# ------------------------------------------------------------------------ reading


def _strings(value: Any, path: str, found: list[tuple[str, str]]) -> Any:
    ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(item, str) for item in value))
    if not ok:
        found.append((path, f"give a list of strings (got {value!r})"))
    return value


def _sides(data: Mapping[str, Any], key: str, *, one: bool, found: list[tuple[str, str]]) -> dict[str, Any]:
    """``regions = {include = [...]}`` as ``regions_include``; problems named ``regions...``."""
    table = data[key]
    if not isinstance(table, Mapping):
        found.append((key, "expected a table such as {include = [...]} or {exclude = [...]}"))
        return {}
    if f"{key}_include" in data or f"{key}_exclude" in data:
        found.append((key, f"give {key} or {key}_include / {key}_exclude, not both"))
    out: dict[str, Any] = {}
    for side, value in table.items():
        if side not in ("include", "exclude"):
            found.append((f"{key}.{side}", "unknown key" + did_you_mean(str(side), ["include", "exclude"])))
            continue
        out[f"{key}_{side}"] = _strings(value, f"{key}.{side}", found)
    if one and len(out) == 2:
        found.append((key, "give include or exclude, not both"))
    return out


def expand_group(data: Any) -> tuple[Any, list[tuple[str, str]]]:
    """A group's ``regions`` and ``pages`` tables in the long form, and the problems found in them."""
    if not isinstance(data, Mapping) or not ("regions" in data or "pages" in data):
        return data, []
    found: list[tuple[str, str]] = []
    out = {key: value for key, value in data.items() if key not in ("regions", "pages")}
    if "regions" in data:
        out |= _sides(data, "regions", one=True, found=found)
    if "pages" in data:
        out |= _sides(data, "pages", one=False, found=found)
    return out, found


def expand_config(data: Any) -> tuple[Any, list[tuple[str, str]]]:
    """A config's ``offline`` entry in the long form (``offline_policy``, ``requeue_grace``),
    and the problems found in it."""
    if not isinstance(data, Mapping) or "offline" not in data:
        return data, []
    value = data["offline"]
    found: list[tuple[str, str]] = []
    if "offline_policy" in data or "requeue_grace" in data:
        found.append(("offline", "give offline or offline_policy / requeue_grace, not both"))
    out = {key: item for key, item in data.items() if key != "offline"}
    if value in ("keep", "requeue"):
        out["offline_policy"] = value
    elif isinstance(value, Mapping) and "requeue_after" in value:
        out["offline_policy"] = "requeue"
        out["requeue_grace"] = value["requeue_after"]
    if isinstance(value, Mapping):
        for key in value:
            if key != "requeue_after":
                found.append((f"offline.{key}", "unknown key" + did_you_mean(str(key), ["requeue_after"])))
        if not value:
            found.append(("offline", "give {requeue_after = '60s'}, 'requeue' or 'keep'"))
    elif value not in ("keep", "requeue"):
        found.append(("offline", f"give 'keep', 'requeue' or {{requeue_after = '60s'}} (got {value!r})"))
    return out, found


def from_value_json(table: Mapping[str, Any]) -> dict[str, Any]:
    """An ``attr`` condition whose value is written as JSON text (TOML has no null).

    Raises:
        ValueError: the text is not JSON, or ``value`` is given too.
    """
    if "value" in table:
        raise ValueError("give value or value_json, not both")
    text = table["value_json"]
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except (json.JSONDecodeError, RecursionError):
        value = None
        text = None
    if not isinstance(text, str):
        raise ValueError(
            f"give the value as JSON text, such as 'null' or '[\"a\", null]' (got {table['value_json']!r})"
        )
    return {key: item for key, item in table.items() if key != "value_json"} | {"value": value}


_TARGET_KEYS = ("kind", "id", "otherwise", "tags", "wait")


def read_target(data: Any) -> Target:
    """A target from plain data: ``"everyone"``, ``"preferred"``, ``{group = id}``,
    ``{operator = id}``, ``{preferred = {otherwise = target}}``, or the long
    ``{kind = ..., id = ..., otherwise = ...}`` form.

    Raises:
        ConfigError: every problem, with its path below the target (``preferred.otherwise``).
    """
    if isinstance(data, Mapping) and "kind" in data:
        return _long_target(data)
    if data == "everyone":
        return Target.everyone()
    if data == "preferred":
        return Target.preferred_operator()
    if isinstance(data, str):
        close = did_you_mean(data, ("everyone", "preferred"))
        raise ConfigError([("", "give 'everyone', 'preferred', {group = ...} or {operator = ...}" + close)])
    if isinstance(data, Mapping) and "tags" in data and len(data) <= 2:
        return _narrowed_target(data)
    if not isinstance(data, Mapping) or len(data) != 1:
        raise ConfigError([("", "give one of {group = ...}, {operator = ...}, 'everyone' or 'preferred'")])
    ((key, value),) = data.items()
    if key in ("group", "operator"):
        if not isinstance(value, str) or not value:
            raise ConfigError([(key, f"must be a non-empty string (got {value!r})")])
        return Target(kind=TargetKind(key), id=value)
    if key == "preferred":
        if not isinstance(value, Mapping) or set(value) - {"otherwise", "wait"}:
            raise ConfigError(
                [(key, "give {otherwise = {group = ...}, wait = '30s'} or write just 'preferred'")]
            )
        otherwise = _below("preferred.otherwise", value["otherwise"]) if "otherwise" in value else None
        try:
            return Target.preferred_operator(otherwise=otherwise, wait=value.get("wait"))
        except (TypeError, ValueError) as exc:
            raise ConfigError([("preferred.wait", str(exc))]) from None
    close = did_you_mean(str(key), ("group", "operator", "preferred"))
    raise ConfigError([(str(key), "unknown key" + close)])


def _narrowed_target(data: Mapping[str, Any]) -> Target:
    """``{group = "sales", tags = ["vip"]}``, or ``{tags = [...]}`` alone for everyone so tagged."""
    tags = data["tags"]
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t for t in tags):
        raise ConfigError([("tags", f"must be a non-empty list of tags (got {data['tags']!r})")])
    group = data.get("group")
    if len(data) == 2 and (not isinstance(group, str) or not group):
        other = next(str(key) for key in data if key != "tags")
        raise ConfigError([(other, "only a group (or everyone: tags alone) can be narrowed by tags")])
    return Target.group(group, tags=tags) if group is not None else Target.everyone(tags=tags)


def _below(path: str, data: Any) -> Target:
    """The target at ``path`` inside another, its problems named with that path."""
    try:
        return read_target(data)
    except ConfigError as exc:
        raise ConfigError([(f"{path}.{p}" if p else path, m) for p, m in exc.problems]) from None


def _long_target(data: Mapping[str, Any]) -> Target:
    """A target written ``{kind = "group", id = "sales"}``."""
    extra = [str(key) for key in data if key not in _TARGET_KEYS]
    if extra:
        raise ConfigError([(key, "unknown key" + did_you_mean(key, _TARGET_KEYS)) for key in sorted(extra)])
    found: list[tuple[str, str]] = []
    kind, target_id, otherwise = None, data.get("id"), None
    try:
        kind = TargetKind(data["kind"])
    except ValueError:
        found.append(("kind", f"{data['kind']!r} is not a valid TargetKind"))
    if target_id is not None and not isinstance(target_id, str):
        found.append(("id", f"expected str, got {target_id!r}"))
    if data.get("otherwise") is not None:
        try:
            otherwise = _below("otherwise", data["otherwise"])
        except ConfigError as exc:
            found += exc.problems
    if found:
        raise ConfigError(found)
    try:
        return Target(
            kind=kind, id=target_id, otherwise=otherwise, tags=data.get("tags") or (), wait=data.get("wait")
        )
    except InvalidValue as exc:
        raise ConfigError([(exc.field, f"{exc.problem} (got {exc.value!r})")]) from None


# ------------------------------------------------------------------------ writing


def write_target(target: Target) -> Any:
    """A target in the short form: ``{group = id}``, ``{operator = id}``, ``"everyone"``,
    ``"preferred"`` or ``{preferred = {otherwise = ...}}``; a narrowed target adds its
    ``tags`` (``{group = id, tags = [...]}``, or ``{tags = [...]}`` for everyone)."""
    if target.tags:
        tags = sorted(target.tags)
        return {"group": target.id, "tags": tags} if target.kind is TargetKind.GROUP else {"tags": tags}
    if target.kind in (TargetKind.GROUP, TargetKind.OPERATOR):
        return {target.kind.value: target.id}
    if target.kind is TargetKind.EVERYONE:
        return "everyone"
    if target.otherwise is None and target.wait is None:
        return "preferred"
    body: dict[str, Any] = {}
    if target.wait is not None:
        body["wait"] = format_duration(target.wait)
    if target.otherwise is not None:
        body["otherwise"] = write_target(target.otherwise)
    return {"preferred": body}


def shorten_target(data: Any) -> Any:
    """A target's long form (``{kind, id, otherwise}``) in the short form."""
    return write_target(read_target(data))


def shorten_predicate(data: Any, fields: Mapping[str, int]) -> Any:
    """A predicate's long form in the short form.

    Args:
        data: the tagged dict :func:`chatroute.serialize.to_dict` writes.
        fields: how many fields each predicate kind has (a one-field kind is written
            ``{kind = value}``, others ``{kind = {field = value, ...}}``).
    """
    kind = data["kind"]
    body = {key: value for key, value in data.items() if key != "kind"}
    if kind in ("all_of", "any_of"):
        items = [shorten_predicate(item, fields) for item in body["items"]]
        keys = [next(iter(item)) for item in items if isinstance(item, dict) and len(item) == 1]
        if kind == "all_of" and len(items) > 1 and len(keys) == len(items) == len(set(keys)):
            return {key: item[key] for key, item in zip(keys, items, strict=True)}
        return {kind.removesuffix("_of"): items}
    if kind == "not":
        return {"not": shorten_predicate(body["item"], fields)}
    if not body and fields.get(kind) == 0:
        return kind
    if fields.get(kind) == 1:
        value = next(iter(body.values()))
        lone = kind in ONE_OR_MANY and isinstance(value, list) and len(value) == 1
        return {kind: value[0] if lone else value}
    return {kind: body}


def _shorten_strategy(data: dict[str, Any]) -> Any:
    """A strategy without options as its kind (``"even"``); ``Sticky``'s ``then`` likewise."""
    body = {key: value for key, value in data.items() if key != "kind"}
    if all(value is None for value in body.values()):
        return data["kind"]
    out = {key: _shorten_strategy(v) if isinstance(v, dict) and "kind" in v else v for key, v in data.items()}
    if isinstance(out.get("wait"), int | float):  # Sticky's wait, as a duration
        out["wait"] = format_duration(timedelta(seconds=out["wait"]))
    return out


def _shorten_group(data: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in data.items() if not key.startswith(("regions_", "pages_"))}
    spill = data.get("overflow")
    if spill is not None:
        out["overflow"] = {
            key: value for key, value in spill.items() if value is not None and value is not False
        }
        out["overflow"]["to"] = shorten_target(spill["to"])
        if spill["wait"] is not None:
            out["overflow"]["wait"] = format_duration(timedelta(seconds=spill["wait"]))
    for key in ("regions", "pages"):
        sides = {side: data[f"{key}_{side}"] for side in ("include", "exclude") if data[f"{key}_{side}"]}
        if sides:
            out[key] = sides
    return out


def _shorten_rule(data: dict[str, Any], fields: Mapping[str, int]) -> dict[str, Any]:
    out = dict(data)
    out["when"] = shorten_predicate(data["when"], fields)
    out["to"] = shorten_target(data["to"])
    if "escalate" in data:
        out["escalate"] = [
            {"after": format_duration(timedelta(seconds=ring["after"])), "to": shorten_target(ring["to"])}
            for ring in data["escalate"]
        ]
    if "on" in data and out.get("name") == data["on"]:
        del out["name"]
    return out


def _shorten_relax(data: dict[str, Any]) -> dict[str, Any]:
    """A relaxation with its steps' times as durations (``"30s"``), without a language's ``skill``."""
    steps = [
        {"after": format_duration(timedelta(seconds=step["after"]))}
        | ({"level": step["level"]} if step["level"] is not None else {})
        for step in data["steps"]
    ]
    return ({"skill": data["skill"]} if data["skill"] is not None else {}) | {"steps": steps}


def shorten_config(data: dict[str, Any], fields: Mapping[str, int]) -> dict[str, Any]:
    """A config's long form (as :mod:`chatroute.serialize` writes it) in the short form.

    Reading the result back gives the same config: every change here has its inverse in
    the loader.
    """
    out = dict(data)
    for channel in out["channels"]:
        channel["sla"] = {key: format_duration(timedelta(seconds=s)) for key, s in channel["sla"].items()}
        channel["wrap_up"] = format_duration(timedelta(seconds=channel["wrap_up"]))
    for operator in out["operators"]:
        if operator["wrap_up"] is not None:
            operator["wrap_up"] = format_duration(timedelta(seconds=operator["wrap_up"]))
    out["groups"] = [_shorten_group(group) for group in data["groups"]]
    out["rules"] = [_shorten_rule(rule, fields) for rule in data["rules"]]
    out["triggers"] = [_shorten_rule(trigger, fields) for trigger in data["triggers"]]
    out["fallback"] = shorten_target(data["fallback"])
    out["relax"] = [_shorten_relax(relax) for relax in data["relax"]]
    out["strategy"] = _shorten_strategy(data["strategy"])
    for group in out["groups"]:
        if group["strategy"] is not None:
            group["strategy"] = _shorten_strategy(group["strategy"])
    for key in DURATION_FIELDS:
        if out[key] is not None:
            out[key] = format_duration(timedelta(seconds=out[key]))
    if data["offline_policy"] == "requeue":
        out["offline"] = {"requeue_after": out.pop("requeue_grace")}
        del out["offline_policy"]
    elif data["requeue_grace"] == 0:
        del out["offline_policy"], out["requeue_grace"]
    return _in_order(out, data)


def _in_order(out: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``out`` with its keys in the order of ``data`` (``offline`` where ``offline_policy`` was)."""
    ordered: dict[str, Any] = {}
    for key in data:
        if key in out:
            ordered[key] = out[key]
        elif key == "offline_policy" and "offline" in out:
            ordered["offline"] = out["offline"]
    return ordered


#: Each list of a config: its item class, the key naming an item, and stand-ins for required keys.
LISTS: dict[str, tuple[type, str, dict[str, Any]]] = {
    "channels": (Channel, "name", {}),
    "statuses": (Status, "key", {}),
    "operators": (Operator, "id", {}),
    "groups": (Group, "id", {}),
    "rules": (Rule, "name", {"when": "always", "to": "everyone"}),
    "triggers": (Trigger, "on", {"to": "everyone"}),
}

#: The short keys and the long keys they stand for.
LONG_OF = {
    "regions": ("regions", "regions_include", "regions_exclude"),
    "pages": ("pages", "pages_include", "pages_exclude"),
    "offline": ("offline", "offline_policy", "requeue_grace"),
}

LongForm = Callable[[RoutingConfig], dict[str, Any]]


def short_config(config: RoutingConfig, long: LongForm, fields: Mapping[str, int]) -> dict[str, Any]:
    """The config in the short form, without the keys whose value is the default.

    Args:
        config: the config.
        long: writes a config in the long form (the generated cattrs function).
        fields: see :func:`shorten_predicate`.
    """
    data = shorten_config(long(config), fields)
    top, items = _defaults(long, tuple(sorted(fields.items())))
    for key, (cls, _, _) in LISTS.items():
        data[key] = [_without_defaults(item, items[key], cls) for item in data[key]]
    return _without_defaults(data, top, RoutingConfig)


@functools.cache
def _defaults(
    long: LongForm, fields: tuple[tuple[str, int], ...]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The short form of a default config, and of a default item of each list."""
    everyone = Target.everyone()
    one_of_each = RoutingConfig(
        channels=[Channel(name="-")],
        statuses=[Status(key="-")],
        operators=[Operator(id="-")],
        groups=[Group(id="-")],
        rules=[Rule(name="-", when=Always(), to=everyone)],
        triggers=[Trigger(on="-", to=everyone)],
    )
    kinds = dict(fields)
    items = shorten_config(long(one_of_each), kinds)
    item = {key: items[key][0] for key in LISTS}
    top = shorten_config(long(RoutingConfig()), kinds)
    for key, (cls, _, _) in LISTS.items():
        top[key] = [_without_defaults(each, item[key], cls) for each in top[key]]
    return top, item


def _without_defaults(data: dict[str, Any], default: dict[str, Any], cls: type) -> dict[str, Any]:
    required = {f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING}
    return {k: v for k, v in data.items() if k in required or k not in default or repr(default[k]) != repr(v)}
