"""The shared checks of chatroute._frozen: plain JSON data, durations and times in range."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    SLA,
    Channel,
    ChatrouteError,
    Dialog,
    InvalidValue,
    NaiveDatetime,
    OfflinePolicy,
    Operator,
    Router,
    RoutingConfig,
)
from chatroute._frozen import (
    EARLIEST,
    LATEST,
    MAX_DURATION,
    MAX_JSON_DEPTH,
    FrozenMap,
    aware,
    json_value,
    thaw_value,
    to_timedelta,
)
from chatroute.schedule import HORIZON_DAYS, Schedule

from .strategies import call_sequences, configs, edge_datetimes, huge_numbers, json_values, non_json_values

# ------------------------------------------------------------------- json_value


@given(json_values())
def test_plain_json_is_frozen_and_survives_a_json_round_trip(value: Any) -> None:
    """Plain JSON data is accepted, frozen, and reads back equal after json.dumps / json.loads."""
    frozen = json_value(value, "attributes")
    again = json_value(json.loads(json.dumps(thaw_value(frozen))), "attributes")
    assert again == frozen
    assert hash(again) == hash(frozen)


@given(non_json_values())
def test_anything_but_plain_json_is_refused_naming_the_field(value: Any) -> None:
    """A value that would not survive JSON raises InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as info:
        json_value(value, "data")
    assert info.value.field.startswith("data")


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"amount": Decimal("12.50")}, "attributes['amount']"),
        ({"blob": b"\x00"}, "attributes['blob']"),
        ({"when": datetime(2026, 3, 2, tzinfo=UTC)}, "attributes['when']"),
        ({"cart": [1, {"sku": float("nan")}]}, "attributes['cart'][1]['sku']"),
        ({"ids": {1: "a"}}, "attributes['ids']"),
        ({"big": 2**53}, "attributes['big']"),
        ({"inf": float("-inf")}, "attributes['inf']"),
        ({"tags": {"a", "b"}}, "attributes['tags']"),
    ],
    ids=repr,
)
def test_the_error_names_the_path_inside_the_value(value: Any, path: str) -> None:
    """The InvalidValue names the path down to the offending value, e.g. attributes['amount']."""
    with pytest.raises(InvalidValue) as info:
        json_value(value, "attributes")
    assert info.value.field == path
    assert str(info.value).startswith(f"{path}: ")


def test_nesting_is_bounded() -> None:
    """Data nested deeper than MAX_JSON_DEPTH is refused; exactly that deep is accepted."""
    deep: Any = 1
    for _ in range(MAX_JSON_DEPTH):
        deep = [deep]
    assert json_value(deep, "attributes") is not None
    with pytest.raises(InvalidValue) as info:
        json_value([deep], "attributes")
    assert "nests deeper than" in str(info.value)


def test_a_list_holding_itself_is_refused() -> None:
    """A cyclic list raises InvalidValue, not RecursionError."""
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(InvalidValue):
        json_value({"loop": loop}, "attributes")


def test_enum_members_of_int_and_str_become_their_plain_values() -> None:
    """An IntEnum or StrEnum member is kept as the plain int or str JSON reads back."""

    class Level(enum.IntEnum):
        HIGH = 2

    class Kind(enum.StrEnum):
        B2B = "b2b"

    frozen = json_value({"level": Level.HIGH, "kind": Kind.B2B}, "attributes")
    assert type(frozen["level"]) is int
    assert type(frozen["kind"]) is str
    assert frozen == {"level": 2, "kind": "b2b"}


# ------------------------------------------------------------------- durations


@given(huge_numbers())
def test_durations_beyond_ten_years_nan_and_infinities_are_refused(seconds: float) -> None:
    """Seconds beyond MAX_DURATION, NaN and infinities raise InvalidValue naming the field
    (timedelta itself raised OverflowError: "Python int too large to convert to C int")."""
    with pytest.raises(InvalidValue) as info:
        to_timedelta(seconds, "warn")
    assert info.value.field == "warn"


def test_the_largest_duration_is_accepted_and_one_more_second_is_not() -> None:
    """MAX_DURATION itself is a valid duration, as seconds or a timedelta; beyond it is not."""
    limit = MAX_DURATION.total_seconds()
    assert to_timedelta(limit) == MAX_DURATION
    assert to_timedelta(MAX_DURATION) == MAX_DURATION
    for bad in (limit + 1, MAX_DURATION + timedelta(seconds=1), timedelta.max):
        with pytest.raises(InvalidValue):
            to_timedelta(bad)


@pytest.mark.parametrize("warn", [1e20, 10**20, float("inf"), float("nan"), timedelta.max], ids=repr)
def test_sla_refuses_huge_durations(warn: Any) -> None:
    """SLA(warn=1e20) raises InvalidValue naming warn, not OverflowError."""
    with pytest.raises(InvalidValue) as info:
        SLA(warn=warn)
    assert info.value.field == "warn"
    assert "C int" not in str(info.value)


# ------------------------------------------------------------------------ aware


def _in_utc(now: datetime) -> datetime | None:
    """``now`` in UTC, or None when it has no UTC equivalent in the datetime range."""
    try:
        return now.astimezone(UTC)
    except OverflowError:
        return None


def _accepted(now: datetime) -> bool:
    utc = _in_utc(now)
    return utc is not None and EARLIEST <= utc <= LATEST


@given(edge_datetimes())
def test_times_near_the_ends_of_the_range_are_refused_or_safe(now: datetime) -> None:
    """aware() accepts a time only when every duration the config allows fits on either side
    of it, and a schedule can look its horizon ahead; otherwise it raises InvalidValue."""
    if not _accepted(now):
        with pytest.raises(InvalidValue, match=r"^now: must be between"):
            aware(now)
        return
    utc = aware(now)
    assert utc - 2 * MAX_DURATION >= datetime.min.replace(tzinfo=UTC)
    assert utc + 2 * MAX_DURATION <= datetime.max.replace(tzinfo=UTC)
    Schedule.weekdays("09:00", "18:00", tz="Pacific/Kiritimati").next_open(utc)


def test_the_margin_covers_a_schedule_horizon() -> None:
    """A schedule's look-ahead (HORIZON_DAYS and a day either side) fits inside the margin."""
    assert timedelta(days=HORIZON_DAYS + 3) < 2 * MAX_DURATION


def test_the_accepted_range_is_inclusive() -> None:
    """EARLIEST and LATEST themselves are accepted; a microsecond beyond is not."""
    assert aware(EARLIEST) == EARLIEST
    assert aware(LATEST) == LATEST
    for beyond in (EARLIEST - timedelta(microseconds=1), LATEST + timedelta(microseconds=1)):
        with pytest.raises(InvalidValue):
            aware(beyond)


def test_an_offset_time_that_cannot_become_utc_is_refused() -> None:
    """datetime.min in UTC+3 has no UTC equivalent: InvalidValue, not OverflowError."""
    with pytest.raises(InvalidValue) as info:
        aware(datetime.min.replace(tzinfo=timezone(timedelta(hours=3))))
    assert info.value.field == "now"


def test_a_naive_time_is_still_a_naive_datetime_error() -> None:
    """The range check does not hide the clearer naive-datetime error."""
    with pytest.raises(NaiveDatetime):
        aware(datetime.max)


@given(edge_datetimes())
def test_a_router_refuses_times_at_the_ends_before_changing_anything(now: datetime) -> None:
    """route, set_status and tick either work or raise InvalidValue, leaving the router as it was
    (they raised OverflowError part way through, with the router already changed)."""
    config = RoutingConfig(
        channels=[Channel(name="site", sla=SLA(warn=MAX_DURATION, critical=MAX_DURATION))],
        operators=[Operator(id="ann", status="online", limit=1)],
        accept_timeout=MAX_DURATION,
        reply_timeout=MAX_DURATION,
        offline_policy=OfflinePolicy.REQUEUE,
        requeue_grace=MAX_DURATION,
    )
    router = Router(config)
    calls = (
        lambda: router.route(Dialog(id="d1"), now),
        lambda: router.set_status("ann", "offline", now),
        lambda: router.tick(now),
    )
    for call in calls:
        before = router.snapshot()
        if _accepted(now):
            call()
            continue
        with pytest.raises(InvalidValue, match=r"^now: "):
            call()
        assert router.snapshot() == before


def test_frozen_values_compare_equal_to_plain_mappings() -> None:
    """A FrozenMap from json_value equals the dict it came from."""
    assert json_value({"a": [1, 2]}, "x") == FrozenMap({"a": (1, 2)})


def _longest(config: RoutingConfig) -> RoutingConfig:
    """The config with every duration it sets at MAX_DURATION."""
    top = MAX_DURATION
    changes: dict[str, Any] = {
        "channels": [attrs.evolve(c, sla=SLA(warn=top, critical=top)) for c in config.channels],
        "default_handle_time": top,
        "intake_window": top,
    }
    if config.offline_policy is OfflinePolicy.REQUEUE:  # a grace under keep is a config problem
        changes["requeue_grace"] = top
    for name in ("accept_timeout", "reply_timeout", "aging"):
        if getattr(config, name) is not None:
            changes[name] = top
    return attrs.evolve(config, **changes)


@given(st.data())
def test_calls_at_the_first_and_last_accepted_times_never_overflow(data: st.DataObject) -> None:
    """With every duration at its largest, calls starting at EARLIEST or ending at LATEST
    either work or raise a ChatrouteError that leaves the router as it was."""
    config = data.draw(configs(departments=data.draw(st.booleans()), offers=data.draw(st.booleans())))
    if data.draw(st.booleans(), label="longest durations"):
        config = _longest(config)
    kinds = ("route", "release", "set_status", "transfer", "tick")
    calls = data.draw(call_sequences(config, kinds=kinds, max_size=15), label="calls")
    span = timedelta(seconds=sum(c.dt for c in calls))
    now = data.draw(st.sampled_from([EARLIEST, LATEST - span]), label="start")
    router, routed = Router(config), []
    for call in calls:
        now += timedelta(seconds=call.dt)
        before = router.snapshot()
        picked = routed[call.pick % len(routed)] if routed else None
        try:
            if call.kind == "route" and call.dialog is not None:
                router.route(call.dialog, now, client=call.client)
                routed.append(call.dialog.id)
            elif call.kind == "set_status":
                router.set_status(str(call.operator_id), str(call.status), now)
            elif call.kind == "tick":
                router.tick(now)
            elif picked is not None and call.kind == "release":
                router.release(picked, now)
            elif picked is not None and call.kind == "transfer" and call.to is not None:
                router.transfer(picked, call.to, now)
        except ChatrouteError:
            assert router.snapshot() == before, f"{call} failed and changed the router"
