"""The simulator with wrap-up and holds: hand-checkable runs, scenario files, and the compare switches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from chatroute import Channel, ConfigError, Operator, RoutingConfig
from chatroute.simulate import Distribution, Duration, Hold, LoggedDialog, Replay, Scenario, Traffic, simulate
from chatroute.simulate.describe import describe_scenario

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fixed(seconds: float) -> Duration:
    return Duration(mean=seconds, distribution=Distribution.FIXED)


def replayed(config: RoutingConfig, dialogs: list[tuple[float, float]], **traffic: object) -> Scenario:
    """A scenario replaying ``(arrival, handle time)`` dialogs on the site channel."""
    logged = [
        LoggedDialog(created_at=START + timedelta(seconds=arrival), handle_time=handle)
        for arrival, handle in dialogs
    ]
    replay = Replay(path="log", dialogs=logged)
    return Scenario(
        config=config, traffic=Traffic(replay=replay, **traffic), start=START, hours=0.1, drain=30
    )  # type: ignore[arg-type]


def one_operator(**options: object) -> RoutingConfig:
    channels = [Channel(name="site", wrap_up=options.pop("wrap_up", 0))]
    return RoutingConfig(
        channels=channels, operators=[Operator(id="ann", status="online", limit=1)], **options
    )  # type: ignore[arg-type]


def test_the_next_dialog_waits_out_the_wrap_up() -> None:
    """d1 takes 0-100 s and a 20 s wrap-up: d2 (at 10 s) waits 110 s; without wrap-up, 90 s."""
    scenario = replayed(one_operator(wrap_up=20), [(0, 100), (10, 50)])
    report = simulate(scenario, ["config", "no-wrap-up"])
    waits = [[o.wait for o in run.outcomes] for run in report.runs]
    assert waits == [[0.0, 110.0], [0.0, 90.0]]
    assert report.runs[1].name == "no-wrap-up"


def test_operators_who_are_ready_sooner_end_the_wrap_up_early() -> None:
    """The traffic's wrap_up of 5 s has ready is called at 105 s; the 20 s timer is only the cap."""
    scenario = replayed(one_operator(wrap_up=20), [(0, 100), (10, 50)], wrap_up=fixed(5))
    assert [o.wait for o in simulate(scenario).runs[0].outcomes] == [0.0, 95.0]
    longer = replayed(one_operator(wrap_up=20), [(0, 100), (10, 50)], wrap_up=fixed(60))
    assert [o.wait for o in simulate(longer).runs[0].outcomes] == [0.0, 110.0]


def test_a_held_chat_keeps_its_slot_unless_holds_free_it() -> None:
    """d1 is held 10-40 s: counted, d2 waits until d1 ends at 130 s; not counted, d2 starts at 10 s."""
    hold = Hold(share=1.0, after=fixed(10), length=fixed(30))
    scenario = replayed(one_operator(), [(0, 100), (5, 5)], hold=hold)
    report = simulate(scenario, ["config", "hold-frees-slot"])
    counted, freed = ([o.wait for o in run.outcomes] for run in report.runs)
    assert counted == [0.0, 125.0]
    assert freed == [0.0, 5.0]
    assert all(o.answered for run in report.runs for o in run.outcomes)


def test_a_resumed_chat_without_room_finishes_after_it_is_placed_again() -> None:
    """Holds that free slots never lose a chat: every dialog of a busy day is answered or abandoned."""
    base = Scenario.queue(arrivals_per_hour=40, handle_time=300, operators=2, hours=3, seed=2)
    config = attrs.evolve(base.config, hold_counts=False, resume_wait=timedelta(seconds=30))
    hold = Hold(share=0.5, after=Duration(mean=60), length=Duration(mean=120))
    scenario = attrs.evolve(base, config=config, traffic=attrs.evolve(base.traffic, hold=hold))
    overall = simulate(scenario).runs[0].overall
    assert overall.offered > 50
    assert overall.answered + overall.abandoned + overall.unanswered == overall.offered
    assert overall.unanswered == 0


def test_scenario_files_switch_wrap_up_and_holds_on() -> None:
    """A scenario's traffic reads wrap_up and hold; describe() lists them; compare takes the switch names."""
    scenario = Scenario.from_toml(
        """
        hours = 1
        compare = ["config", "no-wrap-up", "hold-frees-slot"]
        [config]
        channels = [{name = "site", wrap_up = "1m"}]
        operators = [{id = "ann", status = "online"}]
        [traffic]
        wrap_up = { mean = 30, distribution = "fixed" }
        hold = { share = 0.25, after = 60, length = 120 }
        [[traffic.arrivals]]
        channel = "site"
        rate = 10
        """
    )
    assert scenario.traffic.wrap_up == fixed(30)
    assert scenario.traffic.hold == Hold(share=0.25, after=Duration(mean=60), length=Duration(mean=120))
    text = "\n".join(describe_scenario(scenario))
    assert "wrap-up: operators are ready after fixed, mean 30 s" in text
    assert "holds: 25% of chats held after" in text
    assert [run.name for run in simulate(scenario, replications=1).runs] == [
        "config",
        "no-wrap-up",
        "hold-frees-slot",
    ]


def test_a_bad_hold_is_named_by_its_path() -> None:
    """A hold without share, or with a share past 1, is a ConfigError on traffic.hold."""
    for hold in ("{ after = 60 }", "{ share = 2 }"):
        with pytest.raises(ConfigError) as info:
            Scenario.from_toml(
                f"""
                [config]
                operators = [{{id = "ann"}}]
                [traffic]
                hold = {hold}
                [[traffic.arrivals]]
                rate = 10
                """
            )
        assert any(path.startswith("traffic.hold") for path, _ in info.value.problems)
