"""The desk's calls as journal data: arguments to JSON and back, results to JSON and back.

A call's arguments are written to the journal as JSON and read back before the replica
runs the call, so a live call and its replay run on exactly the same values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from .._adopting import pairs_of
from ..config import RoutingConfig
from ..decision import Decision
from ..errors import InvalidValue
from ..events import Event
from ..model import Client, Dialog, Rating, Target
from ..router import Router
from ..serialize import from_dict, to_dict

__all__ = [
    "CALLS",
    "CallSpec",
    "decode_args",
    "decode_config",
    "decode_result",
    "encode_args",
    "encode_config",
    "encode_result",
    "events_of",
    "run_call",
]

#: Arguments whose values are chatroute values (the rest are plain JSON: ids, numbers, data).
_TYPED: dict[str, type] = {
    "dialog": Dialog,
    "client": Client,
    "rating": Rating,
    "to": Target,
}


def _encode_pairs(value: Any) -> list[dict[str, Any]]:
    """``(dialog, operator_id)`` pairs (of ``adopt_many``) as a list of tables."""
    pairs = pairs_of(value)
    for i, (dialog, _) in enumerate(pairs):
        if not isinstance(dialog, Dialog):
            raise InvalidValue(f"pairs[{i}]", dialog, "must start with a Dialog")
    return [{"dialog": to_dict(dialog), "operator_id": operator_id} for dialog, operator_id in pairs]


def _decode_pairs(data: Any) -> list[tuple[Dialog, Any]]:
    return [(from_dict(Dialog, item["dialog"]), item["operator_id"]) for item in data]


#: Arguments with their own journal form: how each is written, and read back.
_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "pairs": (_encode_pairs, _decode_pairs),
}


@attrs.frozen(kw_only=True)
class CallSpec:
    """One of the Router's state-changing calls, as the journal knows it.

    Attributes:
        name: the Router method.
        args: its arguments besides ``now``, in order.
        optional: those that may be left out (None).
        result: how its result is read back: ``decision``, ``maybe_decision``,
            ``events`` or ``none``.
        timed: whether it takes ``now``.
    """

    name: str
    args: tuple[str, ...]
    optional: frozenset[str] = frozenset()
    result: str = "events"
    timed: bool = True


CALLS: dict[str, CallSpec] = {
    spec.name: spec
    for spec in (
        CallSpec(name="route", args=("dialog", "client"), optional=frozenset({"client"}), result="decision"),
        CallSpec(
            name="adopt", args=("dialog", "operator_id", "over_limit"), optional=frozenset({"over_limit"})
        ),
        CallSpec(name="adopt_many", args=("pairs", "over_limit"), optional=frozenset({"over_limit"})),
        CallSpec(name="release", args=("dialog_id", "rating"), optional=frozenset({"rating"})),
        CallSpec(name="accept", args=("dialog_id", "operator_id")),
        CallSpec(name="decline", args=("dialog_id", "operator_id")),
        CallSpec(name="claim", args=("dialog_id", "operator_id")),
        CallSpec(
            name="transfer", args=("dialog_id", "to", "by"), optional=frozenset({"by"}), result="decision"
        ),
        CallSpec(
            name="handle",
            args=("dialog_id", "event", "data"),
            optional=frozenset({"data"}),
            result="maybe_decision",
        ),
        CallSpec(
            name="set_status", args=("operator_id", "status", "comment"), optional=frozenset({"comment"})
        ),
        CallSpec(name="set_limit", args=("operator_id", "limit")),
        CallSpec(name="replied", args=("dialog_id",)),
        CallSpec(name="hold", args=("dialog_id",)),
        CallSpec(name="resume", args=("dialog_id",)),
        CallSpec(name="ready", args=("operator_id",)),
        CallSpec(name="tick", args=()),
        CallSpec(
            name="forget",
            args=("dialog_id", "keep_client"),
            optional=frozenset({"keep_client"}),
            result="none",
            timed=False,
        ),
        CallSpec(name="forget_client", args=("client_id",), result="none", timed=False),
    )
}


def encode_args(spec: CallSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The call's arguments as JSON-able data, checked to survive a trip through JSON text.

    Raises:
        InvalidValue: an argument of the wrong type, or one JSON cannot hold.
    """
    encoded: dict[str, Any] = {}
    for name in spec.args:
        value = values.get(name)
        if value is None and name in spec.optional:
            continue
        kind = _TYPED.get(name)
        if kind is not None and not isinstance(value, kind):
            raise InvalidValue(name, value, f"must be a {kind.__name__}")
        write = _CODECS[name][0] if name in _CODECS else to_dict
        try:
            encoded[name] = json.loads(json.dumps(write(value)))
        except (TypeError, ValueError) as exc:
            raise InvalidValue(name, value, f"cannot be written to the journal as JSON: {exc}") from exc
    return encoded


def decode_args(spec: CallSpec, encoded: Mapping[str, Any]) -> dict[str, Any]:
    """The call's keyword arguments, rebuilt from :func:`encode_args` output."""
    values: dict[str, Any] = {}
    for name in spec.args:
        if name not in encoded:
            continue
        kind = _TYPED.get(name)
        if name in _CODECS:
            values[name] = _CODECS[name][1](encoded[name])
        else:
            values[name] = from_dict(kind, encoded[name]) if kind is not None else encoded[name]
    return values


def run_call(router: Router, spec: CallSpec, args: Mapping[str, Any], now: datetime) -> Any:
    """Make the call on ``router`` with decoded arguments; return what the router returns."""
    method: Callable[..., Any] = getattr(router, spec.name)
    if spec.timed:
        return method(**args, now=now)
    return method(**args)


def events_of(result: Any) -> tuple[Event, ...]:
    """The events a call's result carries."""
    if isinstance(result, Decision):
        return result.events
    if isinstance(result, tuple):
        return result
    return ()


def encode_result(result: Any) -> Any:
    """A call's result as JSON-able data."""
    if result is None:
        return None
    if isinstance(result, tuple):
        return [to_dict(event) for event in result]
    return to_dict(result)


def decode_result(spec: CallSpec, data: Any) -> Any:
    """A call's result, rebuilt from :func:`encode_result` output."""
    if spec.result == "none" or data is None:
        return None
    if spec.result in ("decision", "maybe_decision"):
        return from_dict(Decision, data)
    return tuple(from_dict(Event, event) for event in data)


def encode_config(config: RoutingConfig) -> dict[str, Any]:
    """A config as JSON-able data, checked first.

    Raises:
        InvalidValue: not a RoutingConfig, or one JSON cannot hold (an unregistered class).
    """
    if not isinstance(config, RoutingConfig):
        raise InvalidValue("config", config, "must be a RoutingConfig")
    encoded: dict[str, Any] = json.loads(json.dumps(config.to_dict()))
    return encoded


def decode_config(data: Mapping[str, Any]) -> RoutingConfig:
    """A config rebuilt from :func:`encode_config` output."""
    return RoutingConfig.from_dict(dict(data))
