"""Requirements that relax while a dialog waits: the values, and what the router does with them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    ConfigError,
    Dialog,
    DialogAssigned,
    InvalidValue,
    Operator,
    Outcome,
    Relax,
    RequirementRelaxed,
    Router,
    RoutingConfig,
    SlaLevelChanged,
    Snapshot,
    Step,
    Target,
    Via,
    serialize,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed time ``seconds`` after the start of the test morning."""
    return T0 + timedelta(seconds=seconds)


BILLING = Relax(skill="billing", steps=[(30, 5), (90, None)])


def desk(**options: object) -> RoutingConfig:
    """Ann (billing 9, busy with one dialog at limit 1), Bob (billing 5, speaks en), Cy (no skill, de)."""
    return RoutingConfig(
        operators=[
            Operator(id="ann", status="online", limit=1, skills={"billing": 9}, languages=["de", "en"]),
            Operator(id="bob", status="online", limit=1, skills={"billing": 5}, languages=["en"]),
            Operator(id="cy", status="online", limit=1, languages=["de"]),
        ],
        **options,  # type: ignore[arg-type]
    )


def busy(router: Router) -> None:
    """Give Ann a dialog, so that she is at her limit."""
    decision = router.route(Dialog(id="first", required_skills={"billing": 9}), at(0))
    assert decision.operator_id == "ann"


# -------------------------------------------------------------------- values


def test_steps_accept_pairs_tables_and_steps() -> None:
    """``(after, level)`` pairs, ``{after, level}`` tables and Step values build the same steps."""
    as_steps = Relax(skill="billing", steps=[Step(after=30, level=5), Step(after=90)])
    assert as_steps == BILLING
    assert Relax(skill="billing", steps=[{"after": "30s", "level": 5}, {"after": "1m30s"}]) == as_steps


def test_relax_describes_its_steps() -> None:
    """The description names the requirement and each step."""
    assert BILLING.describe() == "skill 'billing': level 5 after 30 s, dropped after 90 s"
    assert Relax.language(after=60).describe() == "language: dropped after 60 s"


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ([], "at least one step"),
        ([(30, 5), (20, 4)], "later and later"),
        ([(30, 5), (60, 6)], "lower level"),
        ([(30, None), (60, 4)], "only the last step"),
        ([(0, 5)], "positive"),
        ([(30, 11)], "1..10"),
        ("30s", "list of steps"),
    ],
)
def test_bad_steps_are_refused(steps: object, problem: str) -> None:
    """Steps that do not relax step by step, later and later, are refused with the reason."""
    with pytest.raises(InvalidValue, match=problem):
        Relax(skill="billing", steps=steps)  # type: ignore[arg-type]


def test_the_language_can_only_be_dropped() -> None:
    """A language relaxation has one step, which drops it."""
    with pytest.raises(InvalidValue, match="language requirement"):
        Relax(skill=None, steps=[(30, 5)])


def test_one_relaxation_per_requirement() -> None:
    """A dialog (or config) may not relax the same requirement twice."""
    with pytest.raises(InvalidValue, match="twice"):
        Dialog(id="d", relax=[BILLING, Relax(skill="billing", steps=[(10, 3)])])


# -------------------------------------------------------------------- router


def test_a_waiting_dialog_takes_a_lower_level_after_the_first_step() -> None:
    """Level 8 waits while the expert is busy; at 30 s level 5 will do, and tick gives it to Bob."""
    router = Router(desk())
    busy(router)
    decision = router.route(Dialog(id="d", required_skills={"billing": 8}, relax=[BILLING]), at(1))
    assert decision.outcome is Outcome.QUEUED
    assert not [e for e in router.tick(at(30)) if not isinstance(e, SlaLevelChanged)]
    events = router.tick(at(31))
    relaxed = [e for e in events if isinstance(e, RequirementRelaxed)]
    assert relaxed == [RequirementRelaxed(at=at(31), dialog_id="d", skill="billing", level=5)]
    assigned = [e for e in events if isinstance(e, DialogAssigned)]
    assert [(e.operator_id, e.via) for e in assigned] == [("bob", Via.RELAX)]
    assert router.dialog("d").relaxed_at == at(31)


def test_next_tick_reports_the_next_step() -> None:
    """The next relax step is a deadline: ``next_tick`` says when, at the latest."""
    router = Router(desk())
    busy(router)
    router.route(Dialog(id="d", required_skills={"billing": 8}, relax=[BILLING]), at(1))
    assert router.next_tick() is not None
    assert router.next_tick() <= at(31)  # SLA warn may come first
    router.tick(at(30.5))
    assert router.next_tick() is not None
    assert router.next_tick() <= at(31)


def test_a_dropped_requirement_lets_anyone_take_it() -> None:
    """After the last step the skill is not required at all: Cy, who has none, gets it."""
    router = Router(desk())
    busy(router)
    router.route(Dialog(id="bob's", topic="x"), at(0))  # Bob busy too (Even: bob before cy)
    assert router.dialog("bob's").operator_id == "bob"
    router.route(Dialog(id="d", required_skills={"billing": 8}, relax=[BILLING]), at(1))
    router.tick(at(31))
    assert router.dialog("d").operator_id is None
    events = router.tick(at(91))
    assert RequirementRelaxed(at=at(91), dialog_id="d", skill="billing", level=None) in events
    assert router.dialog("d").operator_id == "cy"


def test_a_drain_sees_the_steps_due_by_then() -> None:
    """A release after the step (before any tick) hands the dialog over with the relaxed level."""
    router = Router(desk())
    busy(router)
    router.route(Dialog(id="bob's"), at(0))
    router.route(Dialog(id="d", required_skills={"billing": 8}, relax=[BILLING]), at(1))
    events = router.release("bob's", at(40))
    assert RequirementRelaxed(at=at(31), dialog_id="d", skill="billing", level=5) in events
    assert router.dialog("d").operator_id == "bob"


def test_the_config_relaxes_every_dialog_with_that_requirement() -> None:
    """``RoutingConfig.relax`` applies to dialogs that require the skill and give no steps of their own."""
    router = Router(desk(relax=[BILLING]))
    busy(router)
    router.route(Dialog(id="d", required_skills={"billing": 8}), at(1))
    router.route(
        Dialog(id="own", required_skills={"billing": 8}, relax=[Relax(skill="billing", steps=[(60, 1)])]),
        at(1),
    )
    router.tick(at(31))
    assert router.dialog("d").operator_id == "bob"
    assert router.dialog("own").operator_id is None  # its own steps replace the config's


def test_a_relaxation_for_a_requirement_the_dialog_lacks_does_nothing() -> None:
    """Steps for a skill the dialog does not require schedule nothing: only its SLA warning is due."""
    router = Router(desk(relax=[Relax(skill="billing", steps=[(5, 5)])]))
    for op_id in ("ann", "bob", "cy"):
        router.set_status(op_id, "away", at(0))
    router.route(Dialog(id="d"), at(1))
    assert router.next_tick() == at(31)
    assert all(not isinstance(e, RequirementRelaxed) for e in router.tick(at(200)))


def test_the_language_relaxes_like_a_skill() -> None:
    """With ``match_language``, a French dialog waits; once the language drops, anyone may take it."""
    router = Router(desk(match_language=True, relax=[Relax.language(after=45)]))
    decision = router.route(Dialog(id="d", language="fr"), at(1))
    assert decision.outcome is Outcome.QUEUED
    events = router.tick(at(46))
    assert RequirementRelaxed(at=at(46), dialog_id="d", skill=None, level=None) in events
    assert router.dialog("d").operator_id == "ann"


def test_the_trace_says_what_relaxes_and_what_relaxed_when() -> None:
    """At routing the trace lists the steps to come; after one, a transfer's trace says what relaxed, when."""
    router = Router(desk())
    busy(router)
    decision = router.route(Dialog(id="d", required_skills={"billing": 8}, relax=[BILLING]), at(1))
    assert "skill 'billing' relaxes while the dialog waits: level 5 after 30 s, dropped after 90 s" in (
        decision.explain()
    )
    router.set_status("bob", "away", at(2))
    router.tick(at(31))
    moved = router.transfer("d", Target.everyone(), at(32))
    assert "skill 'billing' relaxed to level 5 at 2026-03-02T09:00:31+00:00 (after 30 s of waiting)" in (
        moved.explain()
    )


def test_snapshots_keep_the_steps_applied() -> None:
    """A router restored after a step carries on with the relaxed level and the next step's deadline."""
    config = desk()
    router = Router(config)
    busy(router)
    router.set_status("bob", "away", at(0))
    router.route(Dialog(id="d", required_skills={"billing": 8}, relax=[BILLING]), at(1))
    router.tick(at(31))
    data = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    assert data["dialogs"][0]["relaxed_at"] == at(31).isoformat()
    restored = Router.restore(config, serialize.from_dict(Snapshot, data))
    assert restored.snapshot() == router.snapshot()
    for r in (router, restored):
        events = r.set_status("bob", "online", at(40))
        assert [(e.operator_id, e.via) for e in events if isinstance(e, DialogAssigned)] == [
            ("bob", Via.DRAIN)
        ]


def test_unused_relaxing_leaves_snapshots_as_they_were() -> None:
    """Dialogs without steps write neither ``relax`` nor ``relaxed_at``."""
    router = Router(desk())
    router.route(Dialog(id="d"), at(1))
    (record,) = serialize.to_dict(router.snapshot())["dialogs"]
    assert "relaxed_at" not in record
    assert "relax" not in record["dialog"]


def test_config_files_say_it_in_the_short_form() -> None:
    """A file's ``[[relax]]`` tables load, and a config writes them back with durations."""
    config = RoutingConfig.from_toml(
        """
        match_language = true
        [[relax]]
        skill = "billing"
        steps = [{after = "30s", level = 5}, {after = "90s"}]
        [[relax]]
        steps = [{after = "1m"}]
        """
    )
    assert config.relax == (BILLING, Relax.language(after=60))
    assert config.to_dict()["relax"][0] == {
        "skill": "billing",
        "steps": [{"after": "30s", "level": 5}, {"after": "1m30s"}],
    }
    assert RoutingConfig.from_toml(config.to_toml()) == config


def test_a_bad_step_in_a_file_names_its_path() -> None:
    """A level out of range is reported with its place in the file."""
    with pytest.raises(ConfigError, match=r"relax\[0\]"):
        RoutingConfig.from_toml('[[relax]]\nskill = "billing"\nsteps = [{after = "30s", level = 12}]')


def test_a_dialog_placed_before_its_step_announces_no_relax_steps() -> None:
    """Steps that come due while the dialog has an operator are dropped, not announced; waiting
    again, it takes them up from where it left off (they count from when it was routed)."""
    router = Router(desk())
    busy(router)
    router.route(Dialog(id="bob's"), at(0))
    router.route(Dialog(id="d", required_skills={"billing": 8}, relax=[BILLING]), at(1))
    router.release("first", at(10))  # Ann takes it before any step
    assert router.dialog("d").operator_id == "ann"
    events = [*router.tick(at(31)), *router.tick(at(91)), *router.release("bob's", at(95))]
    assert not [e for e in events if isinstance(e, RequirementRelaxed)]
    assert router.dialog("d").relaxed_at is None
    router.route(Dialog(id="cy's"), at(96))  # Cy busy: only Bob is free, with billing 5
    router.set_status("ann", "offline", at(97))
    # kept from Ann, it waits for a moment: the drain of Ann's slot applies the step due at 31 s
    events = router.transfer("d", Target.everyone(), at(100)).events
    relaxed = [e for e in events if isinstance(e, RequirementRelaxed)]
    assert [(e.at, e.level) for e in relaxed] == [(at(31), 5)]
    assert router.dialog("d").operator_id == "bob"
