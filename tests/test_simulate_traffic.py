"""How the simulator draws its traffic: dialogs built without rechecking, arrivals drawn lazily.

Each arrival stream's first dialog goes through ``Dialog`` itself; the others are built
by ``trusted_dialog`` from the fields ``Dialog`` made of the stream's values, and must
be the very dialogs ``Dialog`` would build. A run takes its arrivals one at a time and
keeps only the figures of a dialog it is done with; its operator records integrate
time exactly as before their clamping was spelled out.
"""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from chatroute import Channel, Dialog, Group, Operator, RoutingConfig
from chatroute.simulate import Arrivals, Duration, Scenario, Traffic, generate
from chatroute.simulate._records import OperatorRecord
from chatroute.simulate.engine import Engine
from chatroute.simulate.run import status_changes
from chatroute.simulate.traffic import draw_arrivals
from chatroute.simulate.variants import variant

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXT = st.text(min_size=1, max_size=6)


def desk(stream: Arrivals, **changes: Any) -> Scenario:
    """Two operators on two channels, one group, and the given arrival stream for half an hour."""
    config = RoutingConfig(
        channels=[Channel(name="site"), Channel(name="telegram", priority=2)],
        operators=[Operator(id="ann", status="online", limit=2), Operator(id="bob", status="online")],
        groups=[Group(id="sales", operator_ids=["ann", "bob"])],
    )
    traffic = Traffic(arrivals=[stream], handle_time=Duration(mean=120), **changes)
    return Scenario(config=config, traffic=traffic, start=START, hours=0.5, drain=30, seed=5)


def streams() -> st.SearchStrategy[Arrivals]:
    """Arrival streams busy enough to bring many dialogs, with any valid dialog fields."""
    return st.builds(
        Arrivals,
        rate=st.sampled_from([60.0, 200.0]),
        channel=st.sampled_from(["site", "telegram"]),
        topic=st.none() | TEXT,
        tags=st.frozensets(TEXT, max_size=3) | st.lists(TEXT, max_size=3),
        page_url=st.none() | st.just("https://shop.example/cars"),
        region=st.none() | st.sampled_from(["RU", "DE-BE"]),
        language=st.none() | st.sampled_from(["ru", "en"]),
        priority=st.integers(-1_000_000, 1_000_000),
        required_skills=st.dictionaries(TEXT, st.integers(1, 10), max_size=2),
        chosen_group_id=st.none() | st.just("sales"),
        clients=st.none() | st.integers(1, 5),
    )


def assert_same(made: Dialog, expected: Dialog) -> None:
    """Equal, field by field of the same types, and the time in the same (UTC) zone."""
    assert made == expected
    for field in attrs.fields(Dialog):
        assert type(getattr(made, field.name)) is type(getattr(expected, field.name)), field.name
    assert made.created_at is not None
    assert expected.created_at is not None
    assert made.created_at.tzinfo is expected.created_at.tzinfo is UTC


@given(streams(), st.integers(0, 2**32))
def test_each_drawn_dialog_is_the_one_dialog_would_build_from_the_stream(stream: Arrivals, seed: int) -> None:
    """Every dialog of a stream, the trusted ones after the first included, equals Dialog(**its fields)."""
    scenario = desk(stream)
    arrivals = generate(scenario, seed)
    for arrival in arrivals:
        expected = Dialog(
            id=arrival.dialog.id,
            client_id=arrival.dialog.client_id,
            channel=stream.channel,
            created_at=scenario.start + timedelta(seconds=arrival.at),
            topic=stream.topic,
            tags=stream.tags,
            page_url=stream.page_url,
            region=stream.region,
            language=stream.language,
            priority=stream.priority,
            required_skills=stream.required_skills,
            chosen_group_id=stream.chosen_group_id,
        )
        assert_same(arrival.dialog, expected)


def test_drawing_arrivals_one_at_a_time_gives_the_generated_ones() -> None:
    """draw_arrivals yields generate's arrivals, in order, field for field."""
    scenario = desk(Arrivals(rate=300, clients=20, tags=["vip"]))
    assert tuple(draw_arrivals(scenario, 7)) == generate(scenario, 7)


def test_a_run_lets_go_of_the_arrivals_and_dialogs_it_is_done_with() -> None:
    """Once a dialog is closed, nothing of the run holds its arrival (nor so its dialog) any more."""
    scenario = desk(Arrivals(rate=120))
    arrivals = list(generate(scenario, 3))
    held = [weakref.ref(arrival) for arrival in arrivals]
    chosen = variant(scenario.config, "config")
    horizon = scenario.hours * 3600 + scenario.drain.total_seconds()
    engine = Engine(scenario, chosen, iter(arrivals), status_changes(scenario, horizon), seed=3)
    del arrivals
    engine.run()
    gc.collect()
    assert len(held) > 20
    assert [ref() for ref in held] == [None] * len(held)
    assert engine.result().simulated == len(held)


FLOATS = st.floats(allow_nan=False, min_value=-1e6, max_value=1e6) | st.sampled_from([0.0, -0.0])


@given(FLOATS, FLOATS, FLOATS, FLOATS, st.integers(0, 5), st.booleans())
def test_an_operators_time_is_clamped_to_the_measured_span_as_min_and_max_would(
    last: float, now: float, low: float, high: float, load: int, logged: bool
) -> None:
    """OperatorRecord.touch adds exactly the floats that min(max(t, low), high) gives."""
    op = OperatorRecord("ann", 2, logged, manual=False)
    op.last, op.load, op.area, op.logged_time = last, load, 1.5, 2.5
    op.touch(now, low, high)
    begin, end = min(max(last, low), high), min(max(now, low), high)
    added = end > begin and logged
    assert (op.area, op.logged_time, op.last) == (
        1.5 + load * (end - begin) if added else 1.5,
        2.5 + (end - begin) if added else 2.5,
        now,
    )
