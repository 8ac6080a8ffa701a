"""The simulator: hand-checkable runs, determinism, comparisons on the same traffic, reports.

Small cases replay a log with fixed handle times and patience, so every wait, SLA flag
and occupancy can be worked out by hand and asserted exactly.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from chatroute import (
    SLA,
    Broadcast,
    Channel,
    ConfigError,
    Even,
    Group,
    InvalidValue,
    ManualPool,
    OfflinePolicy,
    Operator,
    RandomWithinLimit,
    Relax,
    RoutingConfig,
    Rule,
    Target,
)
from chatroute.rules import topic
from chatroute.schedule import Window
from chatroute.simulate import (
    Arrivals,
    Break,
    Distribution,
    Duration,
    LoggedDialog,
    Redial,
    Replay,
    Report,
    Scenario,
    Shift,
    Traffic,
    Transfer,
    Variant,
    explain_at,
    generate,
    simulate,
    traffic,
)
from chatroute.simulate.metrics import summarize, with_operators

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def at(seconds: float) -> datetime:
    """START plus some seconds."""
    return START + timedelta(seconds=seconds)


def replayed(
    config: RoutingConfig, dialogs: list[tuple[float, float, float | None]], **changes: object
) -> Scenario:
    """A scenario replaying ``(arrival, handle time, patience)`` dialogs on the site channel."""
    logged = [
        LoggedDialog(created_at=at(arrival), handle_time=handle, patience=patience)
        for arrival, handle, patience in dialogs
    ]
    fields: dict[str, object] = {
        "config": config,
        "traffic": Traffic(replay=Replay(path="log", dialogs=logged)),
        "start": START,
        "hours": 0.1,
        "drain": 30,
    }
    fields.update(changes)
    return Scenario(**fields)  # type: ignore[arg-type]


def one_operator(**changes: object) -> RoutingConfig:
    """One online operator with limit 1 on the site channel (SLA 30 s / 60 s)."""
    fields: dict[str, object] = {"operators": [Operator(id="ann", status="online", limit=1)]}
    fields.update(changes)
    return RoutingConfig(**fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------- by hand


def test_waits_abandonment_and_sla_flags_are_worked_out_exactly() -> None:
    """One operator: d1 served at once, d2 waits 90 s (warn and critical), d3 gives up after 30 s (warn)."""
    scenario = replayed(one_operator(), [(0, 100, None), (10, 50, None), (20, 50, 30)])
    run = simulate(scenario, ["config"]).runs[0]
    overall = run.overall
    assert (overall.offered, overall.answered, overall.abandoned, overall.waited) == (3, 2, 1, 1)
    assert [o.wait for o in run.outcomes] == [0.0, 90.0, 0.0]
    assert [(o.warned, o.critical) for o in run.outcomes] == [(False, False), (True, True), (True, False)]
    assert overall.wait_mean == 45.0
    assert overall.wait_p50 == 45.0
    assert overall.service_level == pytest.approx(1 / 3)
    assert (overall.sla_warn, overall.sla_critical) == (2, 1)
    assert overall.max_queue == 2
    assert overall.abandoned_share == pytest.approx(1 / 3)
    assert overall.wait_probability == 0.5
    (ann,) = run.operators
    assert ann.assigned == 2
    assert ann.occupancy == pytest.approx(150 / 360)  # busy 0-150 s of a 360 s span
    assert ann.logged_hours == pytest.approx(0.1)
    assert overall.fairness == 0.0


def test_a_dialog_nobody_can_take_is_rejected_and_one_left_waiting_is_unanswered() -> None:
    """The fallback group refuses the channel (rejected); a dialog for an offline operator waits forever."""
    config = RoutingConfig(
        channels=[Channel(name="site"), Channel(name="email", priority=2)],
        operators=[Operator(id="ann", status="online"), Operator(id="bob")],
        groups=[
            Group(id="chat", operator_ids=["ann"], channels=["site"]),
            Group(id="bob", operator_ids=["bob"]),
        ],
        rules=[Rule(name="to bob", when=topic("bob"), to=Target.group("bob"))],
        fallback=Target.group("chat"),
    )
    logged = [
        LoggedDialog(created_at=at(0), channel="email", handle_time=60),
        LoggedDialog(created_at=at(5), topic="bob", handle_time=60),
        LoggedDialog(created_at=at(9), handle_time=60),
    ]
    scenario = Scenario(
        config=config, traffic=Traffic(replay=Replay(path="log", dialogs=logged)), start=START
    )
    overall = simulate(scenario).runs[0].overall
    assert (overall.offered, overall.rejected, overall.unanswered, overall.answered) == (3, 1, 1, 1)
    assert overall.service_level == pytest.approx(1 / 3)


def test_a_dialog_waits_out_the_only_operators_break() -> None:
    """Ann's break 09:01-09:06 (away): a dialog at 09:02 is answered when she is back, after 240 s."""
    shift = Shift(
        operators=["ann"],
        window=Window(days=range(7), start="09:00", end="10:00"),
        breaks=[Break(at="09:01", length=5)],
    )
    scenario = replayed(one_operator(), [(30, 20, None), (120, 20, None)], shifts=[shift])
    run = simulate(scenario).runs[0]
    assert [o.wait for o in run.outcomes] == [0.0, 240.0]
    (ann,) = run.operators
    assert ann.logged_hours == pytest.approx(0.1)  # away still counts as logged in


def test_manual_pool_dialogs_wait_for_the_pick_up_delay() -> None:
    """With ManualPool and a fixed 20 s pick-up, each dialog is claimed 20 s after it can be."""
    config = one_operator(strategy=ManualPool())
    traffic = Traffic(
        replay=Replay(
            path="log", dialogs=[LoggedDialog(created_at=at(t), handle_time=50) for t in (0, 10, 200)]
        ),
        pickup=Duration(mean=20, distribution=Distribution.FIXED),
    )
    scenario = Scenario(config=config, traffic=traffic, start=START, hours=0.1)
    run = simulate(scenario).runs[0]
    # d1 claimed at 20 (ends 70); d2 waits until ann is free at 70, claimed at 90; d3 claimed at 220
    assert [o.wait for o in run.outcomes] == [20.0, 80.0, 20.0]
    assert run.overall.waited == 3


def test_offered_dialogs_wait_until_an_operator_accepts() -> None:
    """Broadcast: each dialog rings both operators and the less loaded one accepts 15 s later."""
    config = RoutingConfig(
        operators=[
            Operator(id="ann", status="online", limit=1),
            Operator(id="bob", status="online", limit=1),
        ],
        strategy=Broadcast(),
    )
    traffic = Traffic(
        replay=Replay(
            path="log", dialogs=[LoggedDialog(created_at=at(t), handle_time=100) for t in (0, 5, 10)]
        ),
        pickup=Duration(mean=15, distribution=Distribution.FIXED),
    )
    run = simulate(Scenario(config=config, traffic=traffic, start=START, hours=0.1)).runs[0]
    # d1 and d2 are accepted at 15 and 20; d3 waits for the first free operator (115), who accepts at 130
    assert [o.wait for o in run.outcomes] == [15.0, 15.0, 120.0]
    assert [op.assigned for op in run.operators] == [2, 1]
    assert run.overall.waited == 3


def test_transfers_hand_the_dialog_to_the_group_for_a_second_handle_time() -> None:
    """Every dialog is transferred to 'billing' 60 s in; the billing operator then holds it."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="online"), Operator(id="bob", status="online")],
        groups=[Group(id="sales", operator_ids=["ann"]), Group(id="billing", operator_ids=["bob"])],
        rules=[Rule(name="all", when=topic("buy"), to=Target.group("sales"))],
    )
    fixed = Duration(mean=60, distribution=Distribution.FIXED)
    traffic = Traffic(
        arrivals=[Arrivals(rate=20, topic="buy", transfer=Transfer(to="billing", share=1.0, after=fixed))],
        handle_time=Duration(mean=300, distribution=Distribution.FIXED),
    )
    scenario = Scenario(config=config, traffic=traffic, start=START, hours=2)
    run = simulate(scenario).runs[0]
    overall = run.overall
    assert overall.offered > 20
    assert overall.transfers == overall.offered
    assert run.groups["sales"].transfers == overall.offered
    by_id = {op.id: op for op in run.operators}
    assert by_id["ann"].assigned == by_id["bob"].assigned == overall.offered


def test_requeue_at_the_end_of_a_shift_passes_the_rest_of_the_dialog_on() -> None:
    """Under REQUEUE, ann's dialog goes to bob when her shift ends at 09:01, and he finishes it."""
    config = RoutingConfig(
        operators=[Operator(id="ann", limit=1), Operator(id="bob", status="online", limit=1)],
        offline_policy=OfflinePolicy.REQUEUE,
        strategy=Even(),
    )
    shift = Shift(operators=["ann"], window=Window(days=range(7), start="09:00", end="09:01"))
    # d1 goes to ann or bob (both free); d2 takes the other one; at 60 s ann's dialog returns to the queue
    scenario = replayed(config, [(0, 100, None), (1, 100, None)], shifts=[shift])
    run = simulate(scenario).runs[0]
    assert run.overall.answered == 2
    assert [o.wait for o in run.outcomes] == [0.0, 0.0]
    by_id = {op.id: op for op in run.operators}
    assert by_id["ann"].assigned == 1
    assert by_id["bob"].assigned == 2  # his own, and ann's once he was free again
    assert run.overall.max_queue == 1


# -------------------------------------------------------------- determinism


def small_desk() -> Scenario:
    """Two groups, three operators, Poisson traffic with patience, for comparisons."""
    config = RoutingConfig(
        channels=[Channel(name="site"), Channel(name="telegram", priority=2, sla=SLA(warn=60, critical=120))],
        operators=[
            Operator(id="ann", status="online", limit=3),
            Operator(id="bob", status="online", limit=2),
            Operator(id="cid", status="online", limit=2),
        ],
        groups=[
            Group(id="sales", operator_ids=["ann", "bob"]),
            Group(id="help", operator_ids=["bob", "cid"]),
        ],
        rules=[Rule(name="help", when=topic("help"), to=Target.group("help"))],
        fallback=Target.group("sales"),
    )
    traffic = Traffic(
        arrivals=[
            Arrivals(rate=30, topic="buy", profile="office"),
            Arrivals(rate=20, channel="telegram", topic="help", profile="office", clients=50),
        ],
        handle_time=Duration(mean=240, distribution=Distribution.LOGNORMAL, sigma=0.7),
        patience=Duration(mean=120),
    )
    return Scenario(config=config, traffic=traffic, start=START, hours=8, seed=3)


def test_the_same_seed_gives_the_same_report_and_another_seed_another() -> None:
    """simulate() is a pure function of its inputs: same seed, equal reports; a new seed, new traffic."""
    first = simulate(small_desk(), ["config", "random"])
    again = simulate(small_desk(), ["config", "random"])
    assert first == again
    assert first.to_dict() == again.to_dict()
    other = simulate(small_desk(), ["config", "random"], seed=4)
    assert other.runs[0].overall.offered != first.runs[0].overall.offered


def test_compared_strategies_see_the_same_dialogs() -> None:
    """Every run has the same arrivals, channels and transfers; only what the strategy decides differs."""
    report = simulate(small_desk(), ["config", "even", "random", "round-robin", "longest-idle"])
    arrivals = generate(small_desk(), 3)
    for run in report.runs:
        assert run.overall.offered == len(arrivals)
        assert [o.channel for o in run.outcomes] == [a.dialog.channel for a in arrivals]
    assert len({run.overall.wait_mean for run in report.runs}) > 1
    assert [run.name for run in report.runs] == ["config", "even", "random", "round-robin", "longest-idle"]


def test_strategies_may_be_objects_or_whole_configs() -> None:
    """A Strategy replaces every strategy of the config; a Variant brings its own config."""
    desk = small_desk()
    bigger = attrs.evolve(desk.config, operators=[attrs.evolve(o, limit=6) for o in desk.config.operators])
    report = simulate(desk, [RandomWithinLimit(seed=1), Variant(name="bigger limits", config=bigger)])
    assert [run.name for run in report.runs] == ["RandomWithinLimit", "bigger limits"]
    assert report.runs[0].description.startswith("RandomWithinLimit")
    assert report.run("bigger limits").overall.wait_mean <= report.runs[0].overall.wait_mean


def test_relaxing_requirements_can_be_compared_before_switching_them_on() -> None:
    """With the skill relaxed after 30 s, the junior answers the overflow: shorter waits, fewer lost."""
    config = RoutingConfig(
        operators=[
            Operator(id="expert", status="online", limit=1, skills={"billing": 9}),
            Operator(id="junior", status="online", limit=1, skills={"billing": 5}),
        ],
    )
    traffic = Traffic(
        arrivals=[Arrivals(rate=20, required_skills={"billing": 8})],
        handle_time=Duration(mean=240),
        patience=Duration(mean=300),
    )
    desk = Scenario(config=config, traffic=traffic, start=START, hours=4, seed=2)
    relaxed = attrs.evolve(config, relax=[Relax(skill="billing", steps=[(30, 5)])])
    report = simulate(desk, ["config", Variant(name="relaxed", config=relaxed)])
    strict, eased = report.run("config").overall, report.run("relaxed").overall
    assert eased.offered == strict.offered
    assert eased.wait_mean < strict.wait_mean
    assert eased.abandoned < strict.abandoned


@pytest.mark.parametrize(
    ("strategies", "field"),
    [(["even", "even"], "strategies"), (["rnd"], "strategies"), ([42], "strategies")],
)
def test_bad_strategy_lists_are_refused(strategies: list[object], field: str) -> None:
    """Unknown names, duplicates and non-strategies raise InvalidValue naming 'strategies'."""
    with pytest.raises(InvalidValue) as info:
        simulate(small_desk(), strategies)  # type: ignore[arg-type]
    assert info.value.field == field


def test_nothing_reads_the_global_random_source() -> None:
    """Seeding or consuming the global random module changes nothing in a simulation."""
    random.seed(1)
    first = simulate(small_desk(), ["random"]).to_dict()
    random.seed(99)
    random.random()
    assert simulate(small_desk(), ["random"]).to_dict() == first


# ------------------------------------------------------------------ traffic


def test_arrivals_follow_the_hourly_profile() -> None:
    """600/h with the office profile: busy hours get about 600, the small hours about 30 (within 5 sigma)."""
    scenario = Scenario(
        config=one_operator(),
        traffic=Traffic(arrivals=[Arrivals(rate=600, profile="office")]),
        start=datetime(2026, 3, 2, tzinfo=UTC),
        hours=24,
    )
    counts = [0] * 24
    for arrival in generate(scenario, 1):
        counts[int(arrival.at // 3600)] += 1
    for hour, weight in enumerate(scenario.traffic.arrivals[0].profile):
        expected = 600 * weight
        assert abs(counts[hour] - expected) < 5 * math.sqrt(expected) + 1, (hour, counts[hour])


@pytest.mark.parametrize("distribution", [Distribution.EXPONENTIAL, Distribution.LOGNORMAL])
def test_durations_have_the_mean_they_are_given(distribution: Distribution) -> None:
    """20,000 draws of a 300 s duration average 300 s within 3 %."""
    duration = Duration(mean=300, distribution=distribution, sigma=0.8)
    rng = random.Random(5)
    draws = [duration.draw(rng) for _ in range(20_000)]
    assert sum(draws) / len(draws) == pytest.approx(300, rel=0.03)
    assert min(draws) > 0


def test_a_warm_up_is_simulated_but_not_counted() -> None:
    """Dialogs arriving in the first 60 minutes are not in the counts."""
    cold = simulate(small_desk()).runs[0]
    warm = simulate(attrs.evolve(small_desk(), warmup=60)).runs[0]
    early = sum(a.at < 3600 for a in generate(small_desk(), 3))
    assert early > 0
    assert warm.overall.offered == cold.overall.offered - early
    assert warm.simulated == cold.simulated


# ------------------------------------------------------------------- report


def test_the_report_renders_side_by_side_and_dumps_to_json() -> None:
    """render() has a column per strategy and a row per metric; to_dict() is JSON with every metric."""
    report = simulate(small_desk(), ["config", "even", "random"])
    text = report.render()
    lines = text.splitlines()
    assert lines[0].startswith("scenario: 2026-03-02 09:00-17:00 UTC, seed 3")
    header = lines[2].split()
    assert header == ["config", "even", "random"]
    for label in (
        "abandoned",
        "wait p90",
        "service level (SLA)",
        "SLA warn / critical",
        "occupancy",
        "max queue",
    ):
        assert any(line.startswith(label) for line in lines), label
    assert "by group: service level, mean wait" in text
    assert "  sales " in text
    assert "  telegram " in text
    data = json.loads(json.dumps(report.to_dict()))
    run = data["runs"][1]
    assert run["name"] == "even"
    assert set(run["groups"]) == {"sales", "help"}
    assert set(run["channels"]) == {"site", "telegram"}
    for key in ("offered", "abandoned_share", "wait_p99", "service_level", "fairness", "wait_probability"):
        assert key in run["overall"]
    assert sum(bucket["dialogs"] for bucket in run["wait_histogram"]) == run["overall"]["answered"]
    assert len(run["operators"]) == 3


def test_a_run_is_found_by_name() -> None:
    """Report.run(name) finds a run; an unknown name raises InvalidValue listing the runs."""
    report = simulate(small_desk(), ["even"])
    assert isinstance(report, Report)
    assert report.run("even") is report.runs[0]
    with pytest.raises(InvalidValue, match="runs: even"):
        report.run("odd")


# ------------------------------------------------------------------ explain


def test_explain_at_shows_the_state_of_that_moment() -> None:
    """At 10:30 in the car dealer, a used-car page visitor goes to the used-car group; the trace says why."""
    scenario = Scenario.default()
    from chatroute import Dialog

    dialog = Dialog(id="probe", page_url="https://cheshka.example/used/x", region="RU-MOW")
    decision = explain_at(scenario, dialog, scenario.start + timedelta(hours=2, minutes=30))
    assert decision.group_id == "used"
    assert decision.trace is not None
    assert "rule 'used pages': matched" in decision.explain()
    with pytest.raises(InvalidValue) as info:
        explain_at(scenario, dialog, scenario.start - timedelta(hours=1))
    assert info.value.field == "at"


# ------------------------------------------------------------------ scenarios


def test_the_default_scenario_is_the_car_dealer() -> None:
    """Four departments, four channels with priorities, limits of 3 to 5, a morning peak, four strategies."""
    scenario = Scenario.default()
    config = scenario.config
    assert [g.id for g in config.groups] == ["skoda", "tatra", "used", "service"]
    assert [(c.name, c.priority) for c in config.channels] == [
        ("site", 1),
        ("telegram", 1),
        ("whatsapp", 2),
        ("email", 3),
    ]
    assert {o.limit for o in config.operators} == {3, 4, 5}
    assert scenario.compare == ("config", "even", "random", "round-robin")
    assert any(a.profile[10] > 1.5 for a in scenario.traffic.arrivals)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_scenario_runs(path: Path) -> None:
    """Each scenario in examples/ loads, simulates every strategy it compares and answers most dialogs."""
    scenario = Scenario.load(path)
    report = simulate(scenario)
    assert [run.name for run in report.runs] == list(scenario.compare)
    for run in report.runs:
        assert run.overall.offered > 50
        assert run.overall.answered > 0.75 * run.overall.offered
        assert run.overall.occupancy is not None
        assert 0 < run.overall.occupancy < 1


@pytest.mark.parametrize(("factor", "waits"), [(1.0, [0.0, 0.0, 80.0, 5.0]), (2.0, [0.0, 0.0, 80.0, 15.0])])
def test_concurrent_chats_take_longer_by_the_factor_per_other_open_chat(
    factor: float, waits: list[float]
) -> None:
    """Limit 2: a chat taken as the second open one takes ``factor`` times its handle time (by hand)."""
    config = one_operator(operators=[Operator(id="ann", status="online", limit=2)])
    scenario = replayed(config, [(0, 100, None), (10, 100, None), (20, 10, None), (105, 10, None)])
    scenario = attrs.evolve(scenario, traffic=attrs.evolve(scenario.traffic, concurrency=factor))
    run = simulate(scenario).runs[0]
    assert [o.wait for o in run.outcomes] == pytest.approx(waits)


def test_clients_who_gave_up_come_back_as_redials() -> None:
    """With redial share 1, abandoned clients return as new dialogs counted as redials; share 0 never."""
    base = Scenario.queue(arrivals_per_hour=60, handle_time=300, operators=2, patience=30, hours=3, seed=4)
    again = attrs.evolve(
        base, traffic=attrs.evolve(base.traffic, redial=Redial(share=1.0, after=Duration(mean=120)))
    )
    first = simulate(base).runs[0].overall
    run = simulate(again).runs[0]
    overall = run.overall
    assert first.redials == 0
    assert overall.redials > 0
    assert overall.offered == len(generate(again, again.seed)) + overall.redials
    assert sum(o.redial for o in run.outcomes) == overall.redials
    assert overall.redials <= overall.abandoned
    assert "redials" in simulate(again).render()
    assert "redials" not in simulate(base).render()


def test_drawing_stops_past_the_most_dialogs_a_run_may_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """generate() refuses, with a ConfigError on traffic.arrivals, once more than MAX_DIALOGS arrive."""
    desk = Scenario.queue(arrivals_per_hour=100, handle_time=60, operators=2, hours=5)
    assert len(generate(desk, 1)) > 100
    monkeypatch.setattr(traffic, "MAX_DIALOGS", 100)
    with pytest.raises(ConfigError) as info:
        generate(desk, 1)
    assert info.value.problems[0][0] == "traffic.arrivals"


def test_a_part_with_every_dialog_reuses_the_overall_figures_with_its_own_operators() -> None:
    """with_operators gives what summarize gives for the same outcomes with other operators and queue."""
    run = simulate(small_desk(), ["config"]).runs[0]
    overall = summarize(run.outcomes, run.operators, 7)
    for operators in ([], run.operators[:1], run.operators):
        assert with_operators(overall, operators, 3) == summarize(run.outcomes, operators, 3)
