"""JSON Schemas of the two file kinds, routing configs and scenarios, for editors.

``chatroute schema config`` prints :func:`config_schema`, ``chatroute schema scenario``
prints :func:`scenario_schema`. Both accept the short form people write and the long
form :mod:`chatroute.serialize` writes. They are draft-07 schemas, which Taplo (Even
Better TOML) and JSON editors read. The loaders stay the authority: a schema checks
shapes, names and types; cross-references (an unknown group) are ``chatroute check``'s.

The condition and strategy kinds are read from :mod:`chatroute.serialize`'s registry
when a schema is made, so a kind a host registered (``serialize.register``) is in it,
in the short form and the long one; its value is not checked beyond its shape.
"""

from __future__ import annotations

from typing import Any

import attrs

from .rules import Predicate
from .serialize import registered
from .strategies import Strategy

__all__ = ["config_schema", "scenario_schema"]

_DRAFT = "http://json-schema.org/draft-07/schema#"


def _no_required(cls: type) -> bool:
    """Whether every field of the class has a default (the kind may be written alone: ``"always"``)."""
    return all(field.default is not attrs.NOTHING for field in attrs.fields(cls))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _table(properties: dict[str, Any], *, required: tuple[str, ...] = (), doc: str = "") -> dict[str, Any]:
    """An object with exactly these keys."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    if doc:
        schema["description"] = doc
    return schema


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


_STRING = {"type": "string"}
_TEXT = {"type": "string", "minLength": 1}
_INT = {"type": "integer"}
_NUMBER = {"type": "number"}
_BOOL = {"type": "boolean"}
_STRINGS = _list(_STRING)
_ONE_OR_MANY = {"anyOf": [_STRING, _STRINGS]}
_SKILLS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 10}}


def _definitions() -> dict[str, Any]:
    when = {
        "topic": _ONE_OR_MANY,
        "channel": _ONE_OR_MANY,
        "has_tag": _STRING,
        "has_any_tag": _ONE_OR_MANY,
        "has_all_tags": _ONE_OR_MANY,
        "page": _ONE_OR_MANY,
        "region": _ONE_OR_MANY,
        "language": _ONE_OR_MANY,
        "time_between": _table({"start": _STRING, "end": _STRING, "tz": _STRING}, required=("start", "end")),
        "weekday": _table(
            {"days": {"anyOf": [_INT, _STRING, _list({"type": ["integer", "string"]})]}, "tz": _STRING}
        ),
        "open_now": _table({"schedule": _ref("schedule")}, required=("schedule",)),
        "attr": {
            "type": "object",
            "properties": {
                "name": _TEXT,
                "op": {"enum": ["==", "!=", "<", "<=", ">", ">=", "in"]},
                "value": {},
                "value_json": {"type": "string", "description": "the value as JSON text (TOML has no null)"},
            },
            "required": ["name", "op"],
            "additionalProperties": False,
        },
        "always": {"type": "object", "maxProperties": 0},
        "any": _list(_ref("condition")),
        "all": _list(_ref("condition")),
        "not": _ref("condition"),
    }
    predicates = registered(Predicate)
    own = {k: cls for k, cls in predicates.items() if k not in when and k not in ("all_of", "any_of")}
    for kind, cls in own.items():  # a host's kinds: {kind = value}, or {kind = {field = ...}}
        when[kind] = {} if len(attrs.fields(cls)) == 1 else {"type": "object"}
    bare = ["always", *(kind for kind, cls in own.items() if _no_required(cls))]
    condition = {
        "description": "keys combine with and: {topic = ['order'], channel = 'email'}; "
        "{any = [...]}, {not = ...}; 'always'",
        "anyOf": [
            {"enum": bare},
            {
                "type": "object",
                "properties": when,
                "additionalProperties": False,
                "minProperties": 1,
            },
            {
                "type": "object",
                "properties": {"kind": {"enum": list(predicates)}},
                "required": ["kind"],
            },
        ],
    }
    target = {
        "description": "{group = 'sales'}, {operator = 'ann'}, 'everyone' or 'preferred'",
        "anyOf": [
            {"enum": ["everyone", "preferred"]},
            _table({"group": _TEXT}, required=("group",)),
            _table({"group": _TEXT, "tags": _ONE_OR_MANY}, required=("tags",)),
            _table({"operator": _TEXT}, required=("operator",)),
            _table(
                {"preferred": _table({"otherwise": _ref("target"), "wait": _ref("duration")})},
                required=("preferred",),
            ),
            _table(
                {
                    "kind": {"enum": ["group", "operator", "everyone", "preferred_operator"]},
                    "id": {"type": ["string", "null"]},
                    "otherwise": {"anyOf": [_ref("target"), {"type": "null"}]},
                    "tags": _STRINGS,
                    "wait": {"anyOf": [_ref("duration"), {"type": "null"}]},
                },
                required=("kind",),
            ),
        ],
    }
    strategies = list(registered(Strategy))
    strategy = {
        "description": "'even', 'manual_pool' ... or {kind = 'skill_based', skill = 'tech'}",
        "anyOf": [
            {"enum": strategies},
            {
                "type": "object",
                "properties": {"kind": {"enum": strategies}, "wait": _ref("duration")},
                "required": ["kind"],
            },
        ],
    }
    duration = {
        "description": "seconds, or a duration such as '30s', '5m' or '1h30m'",
        "anyOf": [_NUMBER, {"type": "string", "pattern": r"^-?(\d+h)?(\d+m)?(\d+(\.\d{1,6})?s)?$"}],
    }
    sides = {"include": _ONE_OR_MANY, "exclude": _ONE_OR_MANY}
    limit = {"type": ["integer", "null"], "minimum": 0}
    return {
        "condition": condition,
        "target": target,
        "strategy": strategy,
        "duration": duration,
        "schedule": {"type": "object", "description": "business hours: tz, windows, closures, special"},
        "channel": _table(
            {
                "name": _TEXT,
                "priority": {"type": "integer", "minimum": 1},
                "sla": _table({"warn": _ref("duration"), "critical": _ref("duration")}),
                "carries_ip": _BOOL,
                "capacity_weight": {"type": "integer", "minimum": 1},
                "wrap_up": _ref("duration"),
            },
            required=("name",),
        ),
        "status": _table(
            {"key": _TEXT, "label": _STRING, "emoji": _STRING, "routable": _BOOL, "order": _INT},
            required=("key",),
        ),
        "operator": _table(
            {
                "id": _TEXT,
                "name": _STRING,
                "status": _STRING,
                "limit": limit,
                "channel_limits": {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
                "skills": _SKILLS,
                "languages": _STRINGS,
                "tags": _STRINGS,
                "wrap_up": {"anyOf": [_ref("duration"), {"type": "null"}]},
            },
            required=("id",),
        ),
        "group": _table(
            {
                "id": _TEXT,
                "name": _STRING,
                "title": _STRING,
                "operator_ids": _STRINGS,
                "channels": {"anyOf": [_STRINGS, {"type": "null"}]},
                "regions": {
                    "oneOf": [
                        _table({"include": _ONE_OR_MANY}, required=("include",)),
                        _table({"exclude": _ONE_OR_MANY}, required=("exclude",)),
                    ],
                    "description": "{include = [...]} or {exclude = [...]}: ISO 3166 codes",
                },
                "pages": _table(sides, doc="URL globs: {include = [...], exclude = [...]}"),
                "regions_include": _ONE_OR_MANY,
                "regions_exclude": _ONE_OR_MANY,
                "pages_include": _ONE_OR_MANY,
                "pages_exclude": _ONE_OR_MANY,
                "schedule": {"anyOf": [_ref("schedule"), {"type": "null"}]},
                "enabled": _BOOL,
                "strategy": {"anyOf": [_ref("strategy"), {"type": "null"}]},
                "limit": limit,
                "overflow": {
                    "anyOf": [
                        _table(
                            {
                                "to": _ref("target"),
                                "queue": limit,
                                "wait": {"anyOf": [_ref("duration"), {"type": "null"}]},
                                "nobody": _BOOL,
                            },
                            required=("to",),
                            doc="where waiting dialogs go instead: {to = {group = 'support'},"
                            " queue = 10, wait = '2m', nobody = true}",
                        ),
                        {"type": "null"},
                    ]
                },
                "queue_cap": limit,
            },
            required=("id",),
        ),
        "rule": _table(
            {
                "name": _TEXT,
                "when": _ref("condition"),
                "to": _ref("target"),
                "escalate": _list(
                    _table({"after": _ref("duration"), "to": _ref("target")}, required=("after", "to"))
                ),
            },
            required=("name", "when", "to"),
        ),
        "trigger": _table(
            {"on": _TEXT, "name": _TEXT, "when": _ref("condition"), "to": _ref("target")},
            required=("on", "to"),
        ),
        "relax": _table(
            {
                "skill": _TEXT,
                "steps": _list(
                    _table(
                        {
                            "after": _ref("duration"),
                            "level": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
                        },
                        required=("after",),
                    )
                ),
            },
            required=("steps",),
            doc="a requirement that relaxes while a dialog waits; without a skill, the language",
        ),
        "config": _config(),
    }


def _config() -> dict[str, Any]:
    optional_duration = {"anyOf": [_ref("duration"), {"type": "null"}]}
    optional_count = {"type": ["integer", "null"], "minimum": 1}
    return _table(
        {
            "channels": _list(_ref("channel")),
            "statuses": _list(_ref("status")),
            "operators": _list(_ref("operator")),
            "groups": _list(_ref("group")),
            "rules": _list(_ref("rule")),
            "triggers": _list(_ref("trigger")),
            "fallback": _ref("target"),
            "messenger_group": {"type": ["string", "null"]},
            "groups_shown": {"type": "integer", "minimum": 1},
            "strategy": _ref("strategy"),
            "default_limit": {"type": "integer", "minimum": 0},
            "offline": {
                "description": "'keep', 'requeue' or {requeue_after = '60s'}",
                "anyOf": [
                    {"enum": ["keep", "requeue"]},
                    _table({"requeue_after": _ref("duration")}, required=("requeue_after",)),
                ],
            },
            "offline_policy": {"enum": ["keep", "requeue"]},
            "requeue_grace": _ref("duration"),
            "aging": optional_duration,
            "reply_timeout": optional_duration,
            "intake_cap": optional_count,
            "intake_window": _ref("duration"),
            "max_extra_statuses": {"type": "integer", "minimum": 0},
            "default_handle_time": _ref("duration"),
            "accept_timeout": optional_duration,
            "offer_memory": optional_duration,
            "missed_offers_limit": optional_count,
            "missed_offers_status": _STRING,
            "explain": _BOOL,
            "hold_counts": _BOOL,
            "resume_wait": _ref("duration"),
            "match_language": _BOOL,
            "relax": _list(_ref("relax")),
            "decline_memory": optional_duration,
            "all_declined": {"enum": ["wait", "notify", "retry"]},
        },
        doc="a chatroute routing set-up",
    )


def config_schema() -> dict[str, Any]:
    """The JSON Schema of a routing config file (``chatroute check desk.toml``)."""
    return {
        "$schema": _DRAFT,
        "title": "chatroute routing config",
        **_ref("config"),
        "definitions": _definitions(),
    }


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (``chatroute simulate scenario.toml``)."""
    handle = {
        "description": "seconds (an exponential mean), or {distribution, mean, sigma}",
        "anyOf": [
            _NUMBER,
            _table(
                {"distribution": {"enum": ["exponential", "lognormal"]}, "mean": _NUMBER, "sigma": _NUMBER},
                required=("mean",),
            ),
        ],
    }
    arrivals = _table(
        {
            "rate": {"type": "number", "exclusiveMinimum": 0, "description": "dialogs per hour"},
            "channel": _TEXT,
            "topic": _TEXT,
            "profile": {"description": "a named profile ('office', 'flat' ...) or hourly weights"},
            "page_url": _TEXT,
            "region": _TEXT,
            "language": _TEXT,
            "tags": _ONE_OR_MANY,
            "priority": _INT,
            "required_skills": _SKILLS,
            "chosen_group_id": _TEXT,
            "clients": _INT,
            "transfer": _table({"to": _TEXT, "share": _NUMBER, "after": handle}, required=("to",)),
        },
        required=("rate",),
    )
    shift = _table(
        {
            "operators": _list(_TEXT),
            "days": {"anyOf": [_INT, _STRING, _list({"type": ["integer", "string"]})]},
            "start": _STRING,
            "end": _STRING,
            "breaks": _list(
                _table({"at": _STRING, "minutes": _NUMBER, "status": _TEXT}, required=("at", "minutes"))
            ),
        },
        required=("operators", "start", "end"),
    )
    traffic = _table(
        {
            "arrivals": _list(arrivals),
            "replay": _table({"path": _TEXT}, required=("path",)),
            "handle_time": handle,
            "handle_times": {"type": "object", "additionalProperties": handle},
            "patience": handle,
            "pickup": handle,
            "wrap_up": handle,
            "hold": _table({"share": _NUMBER, "after": handle, "length": handle}, required=("share",)),
        }
    )
    definitions = _definitions()
    definitions["scenario"] = _table(
        {
            "name": _TEXT,
            "description": _STRING,
            "start": {"description": "a local date and time, such as 2026-03-02T09:00:00"},
            "timezone": _TEXT,
            "hours": {"type": "number", "exclusiveMinimum": 0},
            "warmup": {"type": "number", "minimum": 0, "description": "minutes"},
            "drain": {"type": "number", "minimum": 0, "description": "minutes"},
            "seed": _INT,
            "compare": _ONE_OR_MANY,
            "config": _ref("config"),
            "traffic": traffic,
            "shifts": _list(shift),
        },
        required=("config", "traffic"),
        doc="a chatroute simulation scenario",
    )
    return {"$schema": _DRAFT, "title": "chatroute scenario", **_ref("scenario"), "definitions": definitions}
