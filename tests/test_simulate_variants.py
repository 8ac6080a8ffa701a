"""What ``--compare`` compares: strategies, and switches such as ``no-overflow``."""

from __future__ import annotations

from chatroute import Group, Operator, Overflow, RoutingConfig, Target
from chatroute.simulate import Scenario, simulate
from chatroute.simulate.variants import strategy_problem, variant

FLOODED = """
name = "flooded"
hours = 2
seed = 3
start = 2026-03-02T09:00:00

[config]
operators = [{id = "ann", limit = 2}, {id = "bob", limit = 2}, {id = "cy", limit = 2}]
fallback = {group = "sales"}

[[config.groups]]
id = "sales"
operator_ids = ["ann", "bob"]
overflow = {to = {group = "support"}, queue = 3}
queue_cap = 5

[[config.groups]]
id = "support"
operator_ids = ["cy"]
queue_cap = 4

[traffic]
handle_time = {distribution = "exponential", mean = 300}
arrivals = [{channel = "site", rate = 90}]

[[shifts]]
operators = ["ann", "bob", "cy"]
start = "09:00"
end = "11:00"
"""


def busy_config() -> RoutingConfig:
    """Sales (two operators) overflows to support (one) at three waiting; both queues are capped."""
    return RoutingConfig(
        operators=[Operator(id=op_id, limit=2) for op_id in ("ann", "bob", "cy")],
        groups=[
            Group(
                id="sales",
                operator_ids=["ann", "bob"],
                overflow=Overflow(to=Target.group("support"), queue=3),
                queue_cap=5,
            ),
            Group(id="support", operator_ids=["cy"], queue_cap=4),
        ],
        fallback=Target.group("sales"),
    )


def test_no_overflow_is_the_config_without_overflows_and_queue_caps() -> None:
    """The switch keeps everything else, and is a name ``--compare`` accepts."""
    config = busy_config()
    switched = variant(config, "no-overflow")
    assert switched.name == "no-overflow"
    assert [(g.overflow, g.queue_cap) for g in switched.config.groups] == [(None, None), (None, None)]
    assert switched.config.operators == config.operators
    assert strategy_problem("no-overflow") is None
    assert "no-overflow" in str(strategy_problem("no-overflowz"))


def test_comparing_with_no_overflow_shows_the_dialogs_the_caps_rejected() -> None:
    """On a flooded desk the capped config rejects dialogs; without caps none is rejected."""
    scenario = Scenario.from_toml(FLOODED)
    assert scenario.config == busy_config()
    report = simulate(scenario, strategies=["config", "no-overflow"])
    rejected = {run.name: run.overall.rejected for run in report.runs}
    assert rejected["config"] > 0
    assert rejected["no-overflow"] == 0


RELAXING = """
name = "experts"
hours = 2
seed = 3
start = 2026-03-02T09:00:00

[config]
operators = [
  {id = "ann", limit = 1, skills = {billing = 8}},
  {id = "bob", limit = 1, skills = {billing = 5}},
  {id = "cy", limit = 1, skills = {billing = 5}},
]

[[config.relax]]
skill = "billing"
steps = [{after = "30s", level = 5}]

[traffic]
handle_time = {distribution = "exponential", mean = 300}
arrivals = [{channel = "site", rate = 12, required_skills = {billing = 8}}]

[[shifts]]
operators = ["ann", "bob", "cy"]
start = "09:00"
end = "11:00"
"""


def test_no_queue_cap_keeps_the_overflows_and_drops_the_caps() -> None:
    """The switch drops only the groups' queue caps."""
    switched = variant(busy_config(), "no-queue-cap").config
    assert [g.queue_cap for g in switched.groups] == [None, None]
    assert switched.groups[0].overflow == busy_config().groups[0].overflow
    assert strategy_problem("no-queue-cap") is None


def test_comparing_with_no_relax_shows_what_relaxing_gains() -> None:
    """One level-8 expert and two level-5 colleagues: with the relax step, dialogs wait less than
    without, where only the expert may take them."""
    scenario = Scenario.from_toml(RELAXING)
    assert variant(scenario.config, "no-relax").config.relax == ()
    report = simulate(scenario, strategies=["config", "no-relax"])
    waits = {run.name: run.overall.wait_mean for run in report.runs}
    config, strict = waits["config"], waits["no-relax"]
    assert config is not None
    assert strict is not None
    assert config < strict
