"""Reading scenarios from TOML or JSON tables, with every problem named by its path.

The layout is described in :mod:`chatroute.simulate.scenario`; the checks of a whole
scenario (its config, the names its traffic and shifts use) are in
:mod:`chatroute.simulate._scenario_checks`.
"""

from __future__ import annotations

import math
import os
import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any

from ..config import RoutingConfig
from ..errors import ChatrouteError, ConfigError, InvalidValue, did_you_mean
from ..schedule import Window
from ._log import LoggedDialog, Replay
from ._parts import (
    MAX_FACTOR,
    MAX_HOURS,
    MAX_MINUTES,
    Arrivals,
    Break,
    Distribution,
    Duration,
    Hold,
    Redial,
    Shift,
    Traffic,
    Transfer,
)
from .variants import strategy_problem

__all__ = ["ZONE_ERRORS", "brief", "join_path", "references", "scenario_fields"]

_TOP_KEYS = (
    "name",
    "description",
    "start",
    "timezone",
    "hours",
    "warmup",
    "drain",
    "seed",
    "compare",
    "config",
    "traffic",
    "shifts",
)
_TRAFFIC_KEYS = (
    "arrivals",
    "replay",
    "handle_time",
    "handle_times",
    "patience",
    "pickup",
    "concurrency",
    "redial",
    "wrap_up",
    "hold",
)
_ARRIVAL_KEYS = (
    "rate",
    "channel",
    "topic",
    "profile",
    "page_url",
    "region",
    "language",
    "tags",
    "priority",
    "required_skills",
    "chosen_group_id",
    "clients",
    "transfer",
)
_DEFAULT_START = time(9, 0)
_DEFAULT_DAY = datetime(2026, 3, 2)  # a Monday
ZONE_ERRORS = (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError)  # OSError: a name too long for a file


class _Reader:
    """Reads typed values out of plain tables, collecting ``(path, message)`` problems."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def table(self, value: Any, path: str, known: tuple[str, ...]) -> Mapping[str, Any] | None:
        """The value as a table, after reporting keys not in ``known``."""
        if not isinstance(value, Mapping):
            self.fail(path, "expected a table (a mapping of keys to values)")
            return None
        for key in value:
            if key not in known:
                self.fail(join_path(path, key), "unknown key" + did_you_mean(str(key), known))
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        default: float,
        *,
        zero: bool = False,
        high: float = math.inf,
    ) -> float:
        """A positive (or, with ``zero``, non-negative) finite number, at most ``high``."""
        value = data.get(key, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or value < 0 or (value == 0 and not zero) or value > high:
            kind = "a non-negative number" if zero else "a positive number"
            top = f", at most {high:,g}" if high < math.inf else ""
            self.fail(join_path(path, key), f"must be {kind}{top}")
            return default
        return float(value)

    def integer(self, data: Mapping[str, Any], key: str, path: str, default: int | None) -> int | None:
        value = data.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(join_path(path, key), "must be an integer")
            return default
        return value

    def string(self, data: Mapping[str, Any], key: str, path: str, default: str | None) -> str | None:
        value = data.get(key, default)
        if value is not None and (not isinstance(value, str) or not value):
            self.fail(join_path(path, key), "must be a non-empty string")
            return default
        return value

    def strings(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(join_path(path, key), "must be a list of strings")
            return ()
        return tuple(value)

    def items(self, data: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail(join_path(path, key), "expected a list of tables")
            return []
        return value

    def duration(self, value: Any, path: str) -> Duration | None:
        """Seconds (an exponential mean) or a table ``{distribution, mean, sigma}``."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = {"mean": value}
        table = self.table(value, path, ("distribution", "mean", "sigma"))
        if table is None:
            return None
        if "mean" not in table:
            self.fail(path, "missing key 'mean' (seconds)")
            return None
        mean = table.get("mean")
        sigma = table.get("sigma", 0.5)
        name = table.get("distribution", "exponential")
        kinds = [d.value for d in Distribution]
        if name not in kinds:
            self.fail(
                join_path(path, "distribution"),
                f"must be one of {', '.join(kinds)}" + did_you_mean(str(name), kinds),
            )
            return None
        built: Duration | None = self.build(
            path, Duration, mean=mean, sigma=sigma, distribution=Distribution(name)
        )
        return built

    def build(self, path: str, make: Any, **kwargs: Any) -> Any:
        """``make(**kwargs)``, turning an :class:`InvalidValue` into a problem at ``path``."""
        try:
            return make(**kwargs)
        except InvalidValue as exc:
            self.fail(join_path(path, exc.field), f"{exc.problem} (got {brief(exc.value)})")
        except ChatrouteError as exc:
            self.fail(path, str(exc))
        except (TypeError, ValueError, OverflowError) as exc:  # a value of the wrong kind deep inside
            self.fail(path, f"invalid value: {exc}")
        return None


def brief(value: Any) -> str:
    """The value's repr, cut short: a problem line stays one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def join_path(path: str, key: object) -> str:
    """``key`` under ``path`` (a top-level key alone)."""
    return f"{path}.{key}" if path else str(key)


def scenario_fields(data: Mapping[str, Any], *, base_dir: str | None = None) -> dict[str, Any]:
    """The keyword arguments of :class:`Scenario` read from plain tables (see :meth:`Scenario.from_dict`).

    Raises:
        ConfigError: listing every problem found, with its path.
    """
    reader = _Reader()
    top = reader.table(data, "", _TOP_KEYS)
    if top is None:
        raise ConfigError(reader.problems)
    config = _config(top, reader)
    zone = reader.string(top, "timezone", "", "UTC") or "UTC"
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except ZONE_ERRORS:
        reader.fail("timezone", f"unknown IANA time zone {brief(zone)}")
        zone, tz = "UTC", zoneinfo.ZoneInfo("UTC")
    start = _start(top.get("start"), tz, reader)
    traffic, arrivals = _traffic(top.get("traffic"), reader, zone, base_dir)
    shifts = [_shift(item, f"shifts[{i}]", reader) for i, item in enumerate(reader.items(top, "shifts", ""))]
    fields = {
        "name": reader.string(top, "name", "", "scenario"),
        "description": reader.string(top, "description", "", None) or "",
        "hours": reader.number(top, "hours", "", 8.0, high=MAX_HOURS),
        "warmup": reader.number(top, "warmup", "", 0.0, zero=True, high=MAX_MINUTES),
        "drain": reader.number(top, "drain", "", 120.0, zero=True, high=MAX_MINUTES),
        "seed": reader.integer(top, "seed", "", 1),
    }
    compare = reader.strings(top, "compare", "") or ("config",)
    if reader.problems or config is None or traffic is None or None in shifts:
        found = reader.problems or [("", "invalid scenario")]
        if config is not None:  # what did parse can still be checked against the config
            found += references(config, arrivals, (), shifts, compare)
        raise ConfigError(found)
    return {
        "config": config,
        "traffic": traffic,
        "shifts": shifts,
        "start": start,
        "timezone": zone,
        "compare": compare,
        **fields,
    }


def _config(top: Mapping[str, Any], reader: _Reader) -> RoutingConfig | None:
    if "config" not in top:
        reader.fail("config", "missing: give the routing set-up in a [config] table")
        return None
    try:
        return RoutingConfig.from_dict(top["config"])
    except ConfigError as exc:
        for path, message in exc.problems:
            reader.fail(join_path("config", path), message)
    return None


def _start(value: Any, tz: zoneinfo.ZoneInfo, reader: _Reader) -> datetime:
    if value is None:
        return datetime.combine(_DEFAULT_DAY.date(), _DEFAULT_START, tzinfo=tz)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            reader.fail("start", "give a date and time such as 2026-03-02T09:00:00+03:00")
            return datetime.combine(_DEFAULT_DAY.date(), _DEFAULT_START, tzinfo=tz)
    if not isinstance(value, datetime):
        reader.fail("start", "give a date and time such as 2026-03-02T09:00:00+03:00")
        return datetime.combine(_DEFAULT_DAY.date(), _DEFAULT_START, tzinfo=tz)
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _traffic(
    value: Any, reader: _Reader, zone: str, base_dir: str | None
) -> tuple[Traffic | None, list[Arrivals | None]]:
    """The traffic, or None if it has problems; and the arrival streams that did parse."""
    if value is None:
        reader.fail("traffic", "missing: give [[traffic.arrivals]] or a [traffic.replay] log")
        return None, []
    table = reader.table(value, "traffic", _TRAFFIC_KEYS)
    if table is None:
        return None, []
    arrivals = [
        _arrivals(v, f"traffic.arrivals[{i}]", reader)
        for i, v in enumerate(reader.items(table, "arrivals", "traffic"))
    ]
    replay = _replay(table.get("replay"), reader, zone, base_dir)
    if not arrivals and replay is None and "replay" not in table:
        reader.fail("traffic", "give [[traffic.arrivals]] or a [traffic.replay] log")
    durations: dict[str, Duration | None] = {}
    for key, default in (("handle_time", 300.0), ("pickup", 30.0)):
        durations[key] = reader.duration(table.get(key, default), f"traffic.{key}")
    patience = reader.duration(table["patience"], "traffic.patience") if "patience" in table else None
    concurrency = reader.number(table, "concurrency", "traffic", 1.0, high=MAX_FACTOR)
    redial = _redial(table["redial"], reader) if "redial" in table else None
    wrap_up = reader.duration(table["wrap_up"], "traffic.wrap_up") if "wrap_up" in table else None
    hold = _hold(table["hold"], reader) if "hold" in table else None
    by_topic: dict[str, Duration] = {}
    topics = table.get("handle_times", {})
    if not isinstance(topics, Mapping):
        reader.fail("traffic.handle_times", "expected a table of topic = handle time")
    else:
        for topic, spec in topics.items():
            found = reader.duration(spec, f"traffic.handle_times.{topic}")
            if found is not None:
                by_topic[topic] = found
    if reader.problems:
        return None, arrivals
    built: Traffic | None = reader.build(
        "traffic",
        Traffic,
        arrivals=arrivals,
        replay=replay,
        handle_time=durations["handle_time"],
        handle_times=by_topic,
        patience=patience,
        pickup=durations["pickup"],
        concurrency=concurrency,
        redial=redial,
        wrap_up=wrap_up,
        hold=hold,
    )
    return built, arrivals


def _hold(value: Any, reader: _Reader) -> Hold | None:
    path = "traffic.hold"
    table = reader.table(value, path, ("share", "after", "length"))
    if table is None:
        return None
    if "share" not in table:
        reader.fail(path, "missing key 'share' (the probability that a chat is put on hold)")
        return None
    after = reader.duration(table.get("after", 120.0), join_path(path, "after"))
    length = reader.duration(table.get("length", 300.0), join_path(path, "length"))
    built: Hold | None = reader.build(path, Hold, share=table["share"], after=after, length=length)
    return built


def _redial(value: Any, reader: _Reader) -> Redial | None:
    path = "traffic.redial"
    table = reader.table(value, path, ("share", "after"))
    if table is None:
        return None
    if "share" not in table:
        reader.fail(path, "missing key 'share' (the probability that a client who gave up writes again)")
        return None
    after = reader.duration(table.get("after", 600.0), join_path(path, "after"))
    built: Redial | None = reader.build(path, Redial, share=table["share"], after=after)
    return built


def _arrivals(value: Any, path: str, reader: _Reader) -> Arrivals | None:
    table = reader.table(value, path, _ARRIVAL_KEYS)
    if table is None:
        return None
    if "rate" not in table:
        reader.fail(path, "missing key 'rate' (dialogs per hour)")
        return None
    before = len(reader.problems)
    fields: dict[str, Any] = {
        "rate": reader.number(table, "rate", path, 1.0),
        "tags": reader.strings(table, "tags", path),
        "priority": reader.integer(table, "priority", path, 0),
        "clients": reader.integer(table, "clients", path, None),
    }
    for key in ("channel", "topic", "page_url", "region", "language", "chosen_group_id"):
        fields[key] = reader.string(table, key, path, "site" if key == "channel" else None)
    for key in ("profile", "required_skills"):
        if key in table:
            fields[key] = table[key]
    if "transfer" in table:
        fields["transfer"] = _transfer(table["transfer"], join_path(path, "transfer"), reader)
    if len(reader.problems) > before:
        return None
    built: Arrivals | None = reader.build(path, Arrivals, **fields)
    return built


def _transfer(value: Any, path: str, reader: _Reader) -> Transfer | None:
    table = reader.table(value, path, ("to", "share", "after"))
    if table is None:
        return None
    to = reader.string(table, "to", path, None)
    if to is None:
        reader.fail(join_path(path, "to"), "name the group the dialogs are transferred to")
        return None
    share = table.get("share", 0.1)
    after = reader.duration(table.get("after", 90.0), join_path(path, "after"))
    built: Transfer | None = reader.build(path, Transfer, to=to, share=share, after=after)
    return built


def _replay(value: Any, reader: _Reader, zone: str, base_dir: str | None) -> Replay | None:
    if value is None:
        return None
    table = reader.table(value, "traffic.replay", ("path",))
    if table is None:
        return None
    name = reader.string(table, "path", "traffic.replay", None)
    if name is None:
        reader.fail("traffic.replay.path", "name the CSV or JSON log to replay")
        return None
    full = os.path.join(base_dir, name) if base_dir and not os.path.isabs(name) else name
    try:
        return Replay.load(full, tz=zone)
    except ConfigError as exc:
        for where, message in exc.problems:
            reader.fail(join_path("traffic.replay", where) if where else "traffic.replay", message)
    return None


def _shift(value: Any, path: str, reader: _Reader) -> Shift | None:
    table = reader.table(value, path, ("operators", "days", "start", "end", "breaks"))
    if table is None:
        return None
    operators = reader.strings(table, "operators", path)
    if not operators:
        reader.fail(join_path(path, "operators"), "name at least one operator")
    for key in ("start", "end"):
        if key not in table:
            reader.fail(path, f"missing key {key!r} (a local time such as '09:00')")
    breaks = []
    for j, item in enumerate(reader.items(table, "breaks", path)):
        where = f"{path}.breaks[{j}]"
        spec = reader.table(item, where, ("at", "minutes", "status"))
        if spec is None:
            continue
        if "at" not in spec or "minutes" not in spec:
            reader.fail(where, "give 'at' (a local time) and 'minutes'")
            continue
        status = reader.string(spec, "status", where, "away")
        breaks.append(reader.build(where, Break, at=spec["at"], length=spec["minutes"], status=status))
    if "start" not in table or "end" not in table:
        return None
    days = table.get("days", list(range(7)))
    window = reader.build(path, Window, days=days, start=table["start"], end=table["end"])
    if window is None or None in breaks or not operators:
        return None
    built: Shift | None = reader.build(path, Shift, operators=operators, window=window, breaks=breaks)
    return built


def references(
    config: RoutingConfig,
    arrivals: Sequence[Arrivals | None],
    logged: Sequence[LoggedDialog],
    shifts: Sequence[Shift | None],
    compare: Sequence[str],
) -> list[tuple[str, str]]:
    """Names in the traffic, shifts and comparison list that the config does not know."""
    found: list[tuple[str, str]] = []
    channels = {c.name for c in config.channels}
    groups = {g.id for g in config.groups}
    operators = {o.id for o in config.operators}
    statuses = {s.key for s in config.all_statuses()}

    def check(path: str, name: str | None, known: set[str], what: str) -> None:
        if name is not None and name not in known:
            found.append((path, f"unknown {what} {name!r}" + did_you_mean(name, known)))

    for i, stream in enumerate(arrivals):
        if stream is None:
            continue
        path = f"traffic.arrivals[{i}]"
        check(f"{path}.channel", stream.channel, channels, "channel")
        check(f"{path}.chosen_group_id", stream.chosen_group_id, groups, "group")
        if stream.transfer is not None:
            check(f"{path}.transfer.to", stream.transfer.to, groups, "group")
    for i, dialog in enumerate(logged):
        check(f"traffic.replay.dialogs[{i}].channel", dialog.channel, channels, "channel")
    for i, shift in enumerate(shifts):
        if shift is None:
            continue
        for j, op_id in enumerate(shift.operators):
            check(f"shifts[{i}].operators[{j}]", op_id, operators, "operator")
        for j, pause in enumerate(shift.breaks):
            check(f"shifts[{i}].breaks[{j}].status", pause.status, statuses, "status")
    for i, name in enumerate(compare):
        problem = strategy_problem(name)
        if problem is not None:
            found.append((f"compare[{i}]", problem))
    return found
