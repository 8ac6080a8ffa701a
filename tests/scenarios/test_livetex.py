"""LiveTex, "How to help a client as fast as possible, part 2" (seeds/003).

Three ways to hand out dialogs (even, random within the limit, manual pick from a shared
queue), channel priorities, and highlighting dialogs nobody has taken for 30 s (yellow)
and 60 s (red). The article's example: every operator has a limit of 5; Natalia has one
dialog, Tatiana three, Maxim five.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    SLA,
    AlreadyClaimed,
    AtLimit,
    Channel,
    Decision,
    Dialog,
    DialogAssigned,
    DialogState,
    Even,
    Group,
    ManualPool,
    Operator,
    Outcome,
    RandomWithinLimit,
    Reason,
    Router,
    RoutingConfig,
    SlaLevel,
    SlaLevelChanged,
    Strategy,
    Target,
    Via,
)

T0 = datetime(2026, 2, 25, 10, 0, tzinfo=UTC)
TEAM = ("natalia", "tatiana", "maxim")
# The article's loads, in the order the operators log in: Maxim comes first and fills up.
LOADS = {"maxim": 5, "tatiana": 3, "natalia": 1}


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def team_router(strategy: Strategy, *, seed: int = 0) -> Router:
    """Natalia, Tatiana and Maxim in group "support" under ``strategy``, limit 5, loads 1 / 3 / 5."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, name=op_id.title(), limit=5) for op_id in TEAM],
        groups=[Group(id="support", name="Support", operator_ids=TEAM, strategy=strategy)],
        fallback=Target.group("support"),
    )
    router = Router(config, seed=seed)
    for op_id, count in LOADS.items():  # each takes their dialogs while alone online
        router.set_status(op_id, "online", T0)
        for i in range(count):
            decision = router.route(Dialog(id=f"{op_id}-{i}"), T0)
            if decision.pool:
                router.claim(decision.dialog_id, op_id, T0)
        router.set_status(op_id, "away", T0)
    for op_id in TEAM:
        router.set_status(op_id, "online", T0)
    assert {op_id: router.operator(op_id).load for op_id in TEAM} == LOADS
    return router


def loads(router: Router) -> dict[str, int]:
    """Operator id -> current load."""
    return {state.id: state.load for state in router.operators()}


# ------------------------------------------------------------------ even distribution


def test_even_gives_the_new_dialog_to_natalia() -> None:
    """Even: the least loaded operator (Natalia, 1 of 5) gets the new dialog; Maxim is at his limit."""
    router = team_router(Even())
    decision = router.route(Dialog(id="ivan"), at(1))
    assert decision.outcome is Outcome.ASSIGNED
    assert (decision.operator_id, decision.group_id) == ("natalia", "support")
    assert decision.trace is not None
    assert decision.trace.reasons() == {Reason.AT_LIMIT: 1}
    text = decision.explain()
    assert "dialog 'ivan': assigned to operator 'natalia' in group 'support'" in text
    assert "operator 'natalia' [eligible]: load 1 of 5: chosen by Even (least loaded first)" in text
    assert "operator 'tatiana' [eligible]: load 3 of 5: ranked after 'natalia'" in text
    assert "members 3: eligible 2; excluded: at_limit 1" in text
    assert loads(router) == {"natalia": 2, "tatiana": 3, "maxim": 5}


def test_even_keeps_loads_level_and_breaks_ties_by_longest_idle() -> None:
    """Even: Natalia catches up with Tatiana, then they alternate (longest idle first) until both are full."""
    router = team_router(Even())
    picks = [router.route(Dialog(id=f"new-{i}"), at(i + 1)).operator_id for i in range(6)]
    assert picks == ["natalia", "natalia", "tatiana", "natalia", "tatiana", "natalia"]
    seventh = router.route(Dialog(id="new-6"), at(10))
    assert seventh.outcome is Outcome.QUEUED
    assert seventh.reason == "nobody in group 'support' can take it now (at_limit 3)"
    assert loads(router) == {"natalia": 5, "tatiana": 5, "maxim": 5}


# --------------------------------------------------------------- random within the limit


def test_random_within_limit_never_gives_maxim_a_sixth_dialog() -> None:
    """RandomWithinLimit: over 1,000 seeded draws only Natalia and Tatiana are picked, about evenly."""
    router = team_router(RandomWithinLimit(seed=2026))
    picks: Counter[str] = Counter()
    for i in range(1000):
        decision = router.route(Dialog(id=f"draw-{i}"), at(i))
        assert decision.operator_id is not None
        picks[decision.operator_id] += 1
        router.release(decision.dialog_id, at(i))
    assert set(picks) == {"natalia", "tatiana"}
    assert picks["maxim"] == 0
    assert 400 < picks["natalia"] < 600
    assert loads(router) == {"natalia": 1, "tatiana": 3, "maxim": 5}


@given(seed=st.integers(min_value=0, max_value=2**32))
def test_random_within_limit_picks_natalia_or_tatiana_for_any_router_seed(seed: int) -> None:
    """RandomWithinLimit under any router seed picks someone under the limit, never Maxim."""
    router = team_router(RandomWithinLimit(), seed=seed)
    decision = router.route(Dialog(id="ivan"), at(1))
    assert decision.operator_id in {"natalia", "tatiana"}


def test_random_within_limit_is_reproducible_from_its_seed() -> None:
    """Two routers with the same seed draw the same operators; a different seed draws differently."""

    def draws(seed: int) -> list[str | None]:
        router = team_router(RandomWithinLimit(), seed=seed)
        out = []
        for i in range(30):
            out.append(router.route(Dialog(id=f"d{i}"), at(i)).operator_id)
            router.release(f"d{i}", at(i))
        return out

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)


def test_random_within_limit_queues_once_everyone_is_full() -> None:
    """RandomWithinLimit fills Natalia and Tatiana to 5 each (6 dialogs), then the 7th waits."""
    router = team_router(RandomWithinLimit(seed=1))
    outcomes = [router.route(Dialog(id=f"d{i}"), at(i)).outcome for i in range(7)]
    assert outcomes == [Outcome.ASSIGNED] * 6 + [Outcome.QUEUED]
    assert loads(router) == {"natalia": 5, "tatiana": 5, "maxim": 5}


# ---------------------------------------------------------------- manual pick (pool)


def test_manual_pool_shows_ivan_petrovich_to_everyone_and_the_first_claim_wins() -> None:
    """ManualPool: nobody is assigned; all three see the dialog; Natalia's claim wins, Tatiana's fails."""
    router = team_router(ManualPool())
    decision = router.route(Dialog(id="ivan", client_id="ivan-petrovich"), at(1))
    assert decision.outcome is Outcome.QUEUED
    assert decision.pool is True
    assert decision.operator_id is None
    assert "(manual pool: waiting for an operator to claim it)" in decision.explain()
    assert {op_id: router.claimable(op_id) for op_id in TEAM} == dict.fromkeys(TEAM, ("ivan",))

    events = router.claim("ivan", "natalia", at(2))
    assert events == (
        DialogAssigned(at=at(2), dialog_id="ivan", operator_id="natalia", group_id="support", via=Via.CLAIM),
    )
    before = router.snapshot()
    with pytest.raises(AlreadyClaimed) as caught:
        router.claim("ivan", "tatiana", at(3))
    assert caught.value.operator_id == "natalia"
    assert router.snapshot() == before
    assert router.dialog("ivan").operator_id == "natalia"
    assert {op_id: router.claimable(op_id) for op_id in TEAM} == dict.fromkeys(TEAM, ())


def test_manual_pool_refuses_maxim_a_sixth_dialog_and_never_assigns_by_itself() -> None:
    """ManualPool: Maxim at his limit cannot claim; freed capacity does not pull dialogs out of the pool."""
    router = team_router(ManualPool())
    router.route(Dialog(id="angry"), at(1))
    with pytest.raises(AtLimit):
        router.claim("angry", "maxim", at(2))
    router.release("natalia-0", at(3))
    assert router.dialog("angry").state is DialogState.QUEUED
    assert router.queue(Target.group("support")) == ("angry",)
    router.claim("angry", "tatiana", at(4))
    assert router.dialog("angry").operator_id == "tatiana"


# ------------------------------------------------------------------ channel priorities


def busy_desk(*, handle_time: timedelta = timedelta(minutes=5)) -> Router:
    """Three operators with limit 1 each, all busy with a site dialog since T0.

    Channels: site and telegram have priority 1, email priority 3 (served last).
    """
    config = RoutingConfig(
        channels=[
            Channel(name="site", priority=1),
            Channel(name="telegram", priority=1, carries_ip=False),
            Channel(name="email", priority=3, sla=SLA(warn=timedelta(minutes=5), critical=900)),
        ],
        operators=[Operator(id=op_id, limit=1) for op_id in TEAM],
        default_handle_time=handle_time,
    )
    router = Router(config)
    for op_id in TEAM:  # each logs in and takes a site dialog
        router.set_status(op_id, "online", T0)
        router.route(Dialog(id=f"busy-{op_id}"), T0)
    assert loads(router) == dict.fromkeys(TEAM, 1)
    return router


def holder(router: Router, dialog_id: str) -> str | None:
    """Who holds the dialog now."""
    return router.dialog(dialog_id).operator_id


def test_a_telegram_dialog_is_served_before_an_earlier_email() -> None:
    """All busy: an email (priority 3) queued first is served after a later telegram (priority 1)."""
    router = busy_desk()
    mail = router.route(Dialog(id="mail-1", channel="email"), at(10))
    telegram = router.route(Dialog(id="tg-1", channel="telegram"), at(20))
    assert (mail.outcome, telegram.outcome) == (Outcome.QUEUED, Outcome.QUEUED)
    assert (mail.position, telegram.position) == (1, 1)
    assert router.queue(Target.everyone()) == ("tg-1", "mail-1")
    assert router.position("mail-1") == 2

    events = router.release("busy-natalia", at(30))
    assert events[-1] == DialogAssigned(
        at=at(30), dialog_id="tg-1", operator_id="natalia", group_id=None, via=Via.DRAIN
    )
    assert router.dialog("mail-1").state is DialogState.QUEUED
    assert router.position("mail-1") == 1
    router.release("busy-tatiana", at(40))
    assert holder(router, "mail-1") == "tatiana"


def test_dialogs_of_one_priority_are_served_first_come_first_served() -> None:
    """Within one channel priority the queue is FIFO, across channels of that priority too."""
    router = busy_desk()
    arrivals = [("tg-1", "telegram"), ("site-1", "site"), ("tg-2", "telegram"), ("site-2", "site")]
    for i, (dialog_id, channel) in enumerate(arrivals):
        router.route(Dialog(id=dialog_id, channel=channel), at(10 + i))
    assert router.queue(Target.everyone()) == ("tg-1", "site-1", "tg-2", "site-2")
    for i, op_id in enumerate(TEAM):
        router.release(f"busy-{op_id}", at(60 + i))
    assert [holder(router, d) for d in ("tg-1", "site-1", "tg-2")] == ["natalia", "tatiana", "maxim"]
    assert router.queue(Target.everyone()) == ("site-2",)


def test_a_dialog_priority_orders_dialogs_within_one_channel_priority() -> None:
    """A dialog with a lower ``priority`` number overtakes earlier ones of the same channel priority."""
    router = busy_desk()
    router.route(Dialog(id="tg-1", channel="telegram"), at(10))
    router.route(Dialog(id="tg-urgent", channel="telegram", priority=-1), at(11))
    router.route(Dialog(id="mail-urgent", channel="email", priority=-5), at(12))
    assert router.queue(Target.everyone()) == ("tg-urgent", "tg-1", "mail-urgent")


def client_message(decision: Decision) -> str:
    """What the widget tells a waiting client, e.g. "you are 3rd, about 2 minutes"."""
    assert decision.position is not None
    assert decision.estimated_wait is not None
    n = decision.position
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    minutes = round(decision.estimated_wait.total_seconds() / 60)
    return f"you are {n}{suffix}, about {minutes} minute{'s' if minutes != 1 else ''}"


def test_a_waiting_client_learns_their_position_and_the_estimated_wait() -> None:
    """Third in line with 3 slots and a 2-minute handle time: "you are 3rd, about 2 minutes"."""
    router = busy_desk(handle_time=timedelta(minutes=2))
    decisions = [router.route(Dialog(id=f"tg-{i}", channel="telegram"), at(10 + i)) for i in range(3)]
    third = decisions[2]
    assert third.position == 3
    assert third.estimated_wait == timedelta(minutes=2)
    assert client_message(third) == "you are 3rd, about 2 minutes"
    assert third.explain().startswith("dialog 'tg-2': queued, position 3, about 2 min")
    assert [client_message(d) for d in decisions[:2]] == [
        "you are 1st, about 1 minute",
        "you are 2nd, about 1 minute",
    ]
    assert (router.position("tg-2"), router.estimated_wait("tg-2", at(13))) == (3, timedelta(minutes=2))

    router.release("busy-natalia", at(120))  # handled exactly 2 minutes: the estimate's basis holds
    assert router.position("tg-2") == 2
    assert router.estimated_wait("tg-2", at(120)) == timedelta(seconds=80)


def test_nobody_routable_means_no_wait_estimate() -> None:
    """When every operator is away the position stays but no wait can be estimated."""
    router = busy_desk(handle_time=timedelta(minutes=2))
    router.route(Dialog(id="tg-0", channel="telegram"), at(10))
    for op_id in TEAM:
        router.set_status(op_id, "away", at(20))
    assert router.position("tg-0") == 1
    assert router.estimated_wait("tg-0", at(30)) is None
    decision = router.route(Dialog(id="tg-1", channel="telegram"), at(30))
    assert (decision.position, decision.estimated_wait) == (2, None)
    assert decision.explain().startswith("dialog 'tg-1': queued, position 2\n")


# ------------------------------------------------------------------------ highlighting


def sla_events(events: tuple[object, ...]) -> list[tuple[str, SlaLevel, datetime]]:
    """(dialog, level, time) of the SLA events among ``events``."""
    return [(e.dialog_id, e.level, e.at) for e in events if isinstance(e, SlaLevelChanged)]


def test_a_waiting_dialog_turns_yellow_after_30_s_and_red_after_60_s() -> None:
    """Default thresholds: warn at 30 s, critical at 60 s, each announced once by tick."""
    router = busy_desk()
    router.route(Dialog(id="site-1"), at(0))
    assert router.tick(at(29)) == ()
    assert router.sla_level("site-1", at(29)) is SlaLevel.OK
    assert sla_events(router.tick(at(30))) == [("site-1", SlaLevel.WARN, at(30))]
    assert router.sla_level("site-1", at(30)) is SlaLevel.WARN
    assert router.tick(at(30)) == ()
    assert router.tick(at(59)) == ()
    assert router.overdue(at(59)) == ()
    assert sla_events(router.tick(at(61))) == [("site-1", SlaLevel.CRITICAL, at(60))]
    assert router.sla_level("site-1", at(61)) is SlaLevel.CRITICAL
    assert router.overdue(at(61)) == ("site-1",)
    assert router.tick(at(3600)) == ()


def test_one_late_tick_announces_both_levels_in_order() -> None:
    """A tick long after both thresholds announces warn, then critical, with their own times."""
    router = busy_desk()
    router.route(Dialog(id="site-1"), at(0))
    assert sla_events(router.tick(at(300))) == [
        ("site-1", SlaLevel.WARN, at(30)),
        ("site-1", SlaLevel.CRITICAL, at(60)),
    ]
    assert router.tick(at(301)) == ()


def test_thresholds_are_configurable_per_channel() -> None:
    """Email's own thresholds (5 and 15 minutes) apply to email; site keeps 30 s / 60 s."""
    router = busy_desk()
    router.route(Dialog(id="mail-1", channel="email"), at(0))
    router.route(Dialog(id="site-1", channel="site"), at(0))
    assert sla_events(router.tick(at(120))) == [
        ("site-1", SlaLevel.WARN, at(30)),
        ("site-1", SlaLevel.CRITICAL, at(60)),
    ]
    assert router.sla_level("mail-1", at(120)) is SlaLevel.OK
    assert sla_events(router.tick(at(300))) == [("mail-1", SlaLevel.WARN, at(300))]
    assert sla_events(router.tick(at(900))) == [("mail-1", SlaLevel.CRITICAL, at(900))]
    assert router.overdue(at(900)) == ("mail-1", "site-1")


def test_a_dialog_taken_before_its_threshold_is_never_highlighted() -> None:
    """A dialog assigned from the queue at 20 s gets no SLA events later."""
    router = busy_desk()
    router.route(Dialog(id="site-1"), at(0))
    router.release("busy-maxim", at(20))
    assert holder(router, "site-1") == "maxim"
    assert router.tick(at(600)) == ()
    assert router.sla_level("site-1", at(600)) is SlaLevel.OK
    assert router.overdue(at(600)) == ()


def test_a_new_wait_after_a_transfer_is_highlighted_afresh() -> None:
    """Highlighting counts from the start of each wait: a dialog moved to a busy operator warns again."""
    router = busy_desk()
    router.route(Dialog(id="site-1"), at(0))
    assert [level for _, level, _ in sla_events(router.tick(at(60)))] == [SlaLevel.WARN, SlaLevel.CRITICAL]
    router.release("busy-maxim", at(70))
    assert holder(router, "site-1") == "maxim"
    router.transfer("site-1", Target.operator("natalia"), at(100), by="maxim")
    assert router.dialog("site-1").state is DialogState.QUEUED
    assert router.sla_level("site-1", at(100)) is SlaLevel.OK
    assert sla_events(router.tick(at(130))) == [("site-1", SlaLevel.WARN, at(130))]
