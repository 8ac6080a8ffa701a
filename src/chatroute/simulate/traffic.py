"""Turning a scenario into concrete traffic: arrivals, their durations, and shift changes.

Everything random is drawn here, once per :func:`chatroute.simulate.simulate` call,
from generators seeded by name (``"<seed>/arrivals/0"``, ``"<seed>/handle"``...), so
every compared strategy sees the same dialogs, handle times and patience.
"""

from __future__ import annotations

import math
import random
import zoneinfo
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import attrs

from .._frozen import aware
from .._model_dialogs import trusted_dialog
from ..errors import ConfigError
from ..model import Dialog
from ..schedule import Schedule
from ._log import LoggedDialog, read_log
from ._parts import Arrivals, Shift
from .scenario import MAX_DIALOGS, Scenario

__all__ = [
    "Arrival",
    "StatusChange",
    "draw_arrivals",
    "expected_arrivals",
    "generate",
    "read_log",
    "status_changes",
]


@attrs.frozen(kw_only=True)
class Arrival:
    """One dialog of the simulated traffic, with everything random about it drawn.

    Attributes:
        at: seconds after the scenario's start.
        dialog: the dialog the router is asked to route.
        handle: seconds the (first) operator spends on it.
        patience: seconds the client waits unanswered before leaving (``inf``: forever).
        transfer_to: the group the dialog gets transferred to, if it does.
        transfer_after: seconds into the first handling when the transfer happens.
        second_handle: seconds the operator it is transferred to spends on it.
        redial: 0 for a first contact; n for a client's n-th return after giving up.
    """

    at: float
    dialog: Dialog
    handle: float
    patience: float = math.inf
    transfer_to: str | None = None
    transfer_after: float = 0.0
    second_handle: float = 0.0
    redial: int = 0


@attrs.frozen(kw_only=True)
class StatusChange:
    """A shift or break moment: ``operator_id`` goes to ``status`` at ``at`` seconds."""

    at: float
    operator_id: str
    status: str


def generate(scenario: Scenario, seed: int) -> tuple[Arrival, ...]:
    """Every dialog that arrives during the span, in arrival order.

    Args:
        scenario: the traffic to draw from.
        seed: names the random streams.

    Returns:
        Arrivals sorted by time (ties by stream); dialog ids are ``d1``, ``d2``...

    Raises:
        ConfigError: more than :data:`MAX_DIALOGS` dialogs arrive (memory stays bounded).
    """
    return tuple(draw_arrivals(scenario, seed))


def draw_arrivals(scenario: Scenario, seed: int) -> Iterator[Arrival]:
    """:func:`generate`'s arrivals one at a time, each drawn when it is asked for.

    The arrival times are drawn (and :data:`MAX_DIALOGS` checked) at once; the rest of
    each arrival, its dialog, handle time and patience, as the iterator reaches it, in
    the same order and from the same streams, so the arrivals are :func:`generate`'s
    exactly. A simulated run takes them so: an arrival it has consumed and a dialog it
    has finished are then garbage, instead of staying alive (and being traversed by
    every full collection of the garbage collector) until the run ends.

    Raises:
        ConfigError: more than :data:`MAX_DIALOGS` dialogs arrive.
    """
    return _drawn(_arrival_times(scenario, seed), scenario, seed)


def _arrival_times(scenario: Scenario, seed: int) -> list[tuple[float, int, int]]:
    """``(seconds, stream, index in the replayed log)`` of every arrival, sorted by time, then stream.

    Plain tuples of numbers: the garbage collector stops tracking them.
    """
    start, span = scenario.start, scenario.hours * 3600.0
    found: list[tuple[float, int, int]] = []
    for i, stream in enumerate(scenario.traffic.arrivals):
        rng = random.Random(f"{seed}/arrivals/{i}")
        room = MAX_DIALOGS + 1 - len(found)  # one more than allowed shows there are too many
        times = islice(_poisson(stream, rng, start, span, scenario.timezone), room)
        found.extend((t, i, 0) for t in times)
        if len(found) > MAX_DIALOGS:
            message = f"more than {MAX_DIALOGS:,} dialogs arrive: lower the rates or simulate fewer hours"
            raise ConfigError([("traffic.arrivals", message)])
    replay = scenario.traffic.replay
    if replay is not None:
        for j, logged in enumerate(replay.dialogs):
            at = (logged.created_at - start).total_seconds()
            if 0 <= at < span:
                found.append((at, len(scenario.traffic.arrivals), j))
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def _drawn(found: list[tuple[float, int, int]], scenario: Scenario, seed: int) -> Iterator[Arrival]:
    rngs = {name: random.Random(f"{seed}/{name}") for name in ("handle", "patience", "transfer", "clients")}
    streams = scenario.traffic.arrivals
    logged = scenario.traffic.replay.dialogs if scenario.traffic.replay is not None else ()
    shared: dict[int, dict[str, Any]] = {}
    for n, (at, i, j) in enumerate(found, 1):
        if i < len(streams):
            yield _arrival(n, at, streams[i], scenario, rngs, shared.setdefault(i, {}))
        else:
            yield _replayed(n, at, logged[j], scenario, rngs)


def _poisson(stream: Arrivals, rng: random.Random, start: datetime, span: float, tz: str) -> Iterator[float]:
    """Arrival times of a Poisson process whose rate follows the hourly profile."""
    for begin, end, hour in _hours(start, span, tz):
        rate = stream.rate * stream.profile[hour] / 3600.0
        if rate <= 0:
            continue
        t = begin + rng.expovariate(rate)
        while t < end:
            yield t
            t += rng.expovariate(rate)


def expected_arrivals(scenario: Scenario, begin: float, end: float) -> list[tuple[Arrivals, float]]:
    """How many dialogs each stream is expected to bring between ``begin`` and ``end`` seconds.

    The rate times the profile's weight, integrated over the local hours the window
    covers (the forecast a planner staffs for, not one random day).
    """
    found = []
    for stream in scenario.traffic.arrivals:
        total = 0.0
        for low, high, hour in _hours(scenario.start, scenario.hours * 3600.0, scenario.timezone):
            overlap = min(high, end) - max(low, begin)
            if overlap > 0:
                total += stream.rate * stream.profile[hour] * overlap / 3600.0
        found.append((stream, total))
    return found


def _hours(start: datetime, span: float, tz: str) -> Iterator[tuple[float, float, int]]:
    """``(begin, end, local hour)`` pieces of the span, in seconds after ``start``."""
    zone = zoneinfo.ZoneInfo(tz)
    end = start + timedelta(seconds=span)
    current = start.astimezone(zone)
    while current < end:
        floor = current.replace(minute=0, second=0, microsecond=0)
        following = (floor + timedelta(hours=1)).astimezone(UTC)
        if following <= current:  # a repeated hour when the clocks go back
            following = current + timedelta(hours=1)
        piece_end = min(following, end)
        yield (current - start).total_seconds(), (piece_end - start).total_seconds(), current.hour
        current = piece_end.astimezone(zone)


def _arrival(
    n: int,
    at: float,
    source: Arrivals,
    scenario: Scenario,
    rngs: Mapping[str, random.Random],
    shared: dict[str, Any],
) -> Arrival:
    """The ``n``-th arrival, at ``at`` seconds, from the stream ``source``.

    ``shared`` holds the dialog fields the stream gives all its dialogs, as ``Dialog``
    made them of the stream's values when it built (and validated) the stream's first
    dialog; it is empty until then. Later dialogs of the stream differ only in their id,
    client and creation time, each valid by construction (the time is checked like
    ``Dialog`` checks it), so :func:`trusted_dialog` builds them without redoing the
    checks: a dialog costs less than half as much.
    """
    traffic = scenario.traffic
    created = scenario.start + timedelta(seconds=at)
    handle = traffic.handle_for(source.topic).draw(rngs["handle"])
    patience = traffic.patience.draw(rngs["patience"]) if traffic.patience is not None else math.inf
    client = f"c{rngs['clients'].randrange(source.clients)}" if source.clients else None
    if shared:
        dialog = trusted_dialog(
            id=f"d{n}", client_id=client, created_at=aware(created, "created_at"), **shared
        )
    else:
        dialog = Dialog(
            client_id=client,
            required_skills=source.required_skills,
            chosen_group_id=source.chosen_group_id,
            **_fields(n, source, created),
        )
        shared.update(
            attrs.asdict(dialog, recurse=False, filter=lambda field, _: field.name not in _OWN_FIELDS)
        )
    transfer = source.transfer
    if transfer is None or rngs["transfer"].random() >= transfer.share:
        return Arrival(at=at, dialog=dialog, handle=handle, patience=patience)
    after = transfer.after.draw(rngs["transfer"])
    second = traffic.handle_for(source.topic).draw(rngs["handle"])
    return Arrival(
        at=at,
        dialog=dialog,
        handle=handle,
        patience=patience,
        transfer_to=transfer.to,
        transfer_after=after,
        second_handle=second,
    )


#: The fields in which the dialogs of one arrival stream differ.
_OWN_FIELDS = ("id", "client_id", "created_at")


def _fields(n: int, source: Arrivals | LoggedDialog, created: datetime) -> dict[str, Any]:
    """The ``n``-th dialog's fields that an arrival stream and a replayed log both give."""
    return {
        "id": f"d{n}",
        "channel": source.channel,
        "created_at": created,
        "topic": source.topic,
        "tags": source.tags,
        "page_url": source.page_url,
        "region": source.region,
        "language": source.language,
        "priority": source.priority,
    }


def _replayed(
    n: int, at: float, source: LoggedDialog, scenario: Scenario, rngs: Mapping[str, random.Random]
) -> Arrival:
    """The ``n``-th arrival, from a replayed log, whose fields ``Dialog`` itself checks."""
    traffic = scenario.traffic
    handle = traffic.handle_for(source.topic).draw(rngs["handle"])
    patience = traffic.patience.draw(rngs["patience"]) if traffic.patience is not None else math.inf
    dialog = Dialog(client_id=source.client_id, **_fields(n, source, scenario.start + timedelta(seconds=at)))
    handle = source.handle_time if source.handle_time is not None else handle
    patience = source.patience if source.patience is not None else patience
    return Arrival(at=at, dialog=dialog, handle=handle, patience=patience)


# ------------------------------------------------------------------------ shifts


def status_changes(scenario: Scenario, horizon: float) -> tuple[StatusChange, ...]:
    """Status changes of every operator named by a shift, from the start to ``horizon`` seconds.

    Each such operator gets their status at the start (offline outside every shift),
    then one change per shift start, shift end, break start and break end that changes
    it. Overlapping shifts count as one; a break shows its status while on shift.
    """
    moments: dict[str, list[tuple[float, int, int, str]]] = {}
    for shift in scenario.shifts:
        for begin, end, breaks in _occurrences(shift, scenario, horizon):
            for op_id in shift.operators:
                items = moments.setdefault(op_id, [])
                items += [(begin, 1, 0, ""), (end, -1, 0, "")]
                for pause_begin, pause_end, status in breaks:
                    items += [(pause_begin, 0, 1, status), (pause_end, 0, -1, status)]
    found: list[StatusChange] = []
    for op_id in sorted(moments):
        found += [c for c in _sweep(op_id, sorted(moments[op_id], key=lambda m: m[0])) if c.at <= horizon]
    found.sort(key=lambda change: (change.at, change.operator_id))
    return tuple(found)


def _sweep(op_id: str, items: list[tuple[float, int, int, str]]) -> list[StatusChange]:
    """Fold shift and break edges into the status changes they cause."""
    on_shift, pauses = 0, []
    current: str | None = None
    changes = []
    i = 0
    while i < len(items):
        at = items[i][0]
        while i < len(items) and items[i][0] == at:
            _, shift_delta, pause_delta, status = items[i]
            on_shift += shift_delta
            if pause_delta > 0:
                pauses.append(status)
            elif pause_delta < 0:
                pauses.remove(status)
            i += 1
        status = "offline" if on_shift <= 0 else (pauses[-1] if pauses else "online")
        if status != current:
            changes.append(StatusChange(at=max(at, 0.0), operator_id=op_id, status=status))
            current = status
    if not changes or changes[0].at > 0:
        changes.insert(0, StatusChange(at=0.0, operator_id=op_id, status="offline"))
    # several changes before the start collapse into the status at the start
    while len(changes) > 1 and changes[1].at == 0.0:
        changes.pop(0)
    return changes


def _occurrences(
    shift: Shift, scenario: Scenario, horizon: float
) -> Iterator[tuple[float, float, list[tuple[float, float, str]]]]:
    """``(begin, end, breaks)`` of each occurrence of the shift, in seconds after the start."""
    schedule = Schedule(tz=scenario.timezone, windows=(shift.window,))
    zone = schedule.zone
    start = scenario.start
    last = start + timedelta(seconds=horizon)
    cursor = start - timedelta(days=1)
    while cursor < last:
        opens = schedule.next_open(cursor)
        if opens is None or opens >= last:
            return
        closes = schedule.next_close(opens) or last
        breaks = []
        for pause in shift.breaks:
            local = opens.astimezone(zone)
            begins = datetime.combine(local.date(), pause.at, tzinfo=zone)
            if begins < opens:
                begins = datetime.combine(local.date() + timedelta(days=1), pause.at, tzinfo=zone)
            if begins < closes:
                ends = min(begins + pause.length, closes)
                breaks.append(
                    ((begins - start).total_seconds(), (ends - start).total_seconds(), pause.status)
                )
        yield (opens - start).total_seconds(), (closes - start).total_seconds(), breaks
        cursor = closes
