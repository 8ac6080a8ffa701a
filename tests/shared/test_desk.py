"""SharedDesk over a MemoryJournal: replication, time, idempotency, errors, config changes, GeoIP."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Any

import pytest

from chatroute import (
    Channel,
    ChatrouteError,
    Dialog,
    Group,
    Operator,
    Outcome,
    Router,
    RoutingConfig,
    Schedule,
    Snapshot,
    Target,
    Window,
    __version__,
)
from chatroute.errors import DuplicateDialog, InvalidValue, UnknownDialog, UnknownOperator
from chatroute.geo import StaticResolver
from chatroute.serialize import to_dict
from chatroute.shared import Entry, MemoryJournal, SharedDesk, StoredSnapshot, Transaction
from chatroute.shared._calls import CALLS
from chatroute.shared._records import error_from, error_record

from ..strategies import START
from .replay import Reference

CONFIG = RoutingConfig(
    operators=[Operator(id=f"op{n}", status="online", limit=2) for n in range(3)],
    groups=[Group(id="sales", operator_ids=["op0", "op1"])],
)

#: A desk open only at night in Berlin: at START (10:00 there) it reopens at 22:00 +01:00.
NIGHTS = RoutingConfig(
    operators=[Operator(id="ann")],
    groups=[
        Group(
            id="night",
            operator_ids=["ann"],
            schedule=Schedule(
                tz="Europe/Berlin", windows=[Window(days=range(7), start="22:00", end="06:00")]
            ),
        )
    ],
    fallback=Target.group("night"),
)


def desks(count: int = 2, **options: Any) -> tuple[MemoryJournal, list[SharedDesk]]:
    journal = MemoryJournal()
    return journal, [SharedDesk(journal, "main", CONFIG, seed=5, **options) for _ in range(count)]


def state(desk: SharedDesk) -> Snapshot:
    return desk.read(lambda router: router.snapshot())


def test_two_desks_on_one_journal_decide_as_one_router() -> None:
    """Calls spread over two desks give the decisions and state of one router making them in order."""
    _, (a, b) = desks()
    router = Router(CONFIG, seed=5)
    for n in range(8):
        desk = (a, b)[n % 2]
        now = START + timedelta(seconds=n)
        assert desk.route(Dialog(id=f"d{n}"), now=now) == router.route(Dialog(id=f"d{n}"), now)
    assert a.release("d0", now=START + timedelta(seconds=9)) == router.release(
        "d0", START + timedelta(seconds=9)
    )
    assert state(a) == state(b) == router.snapshot()


def test_the_journal_replayed_gives_every_stored_result() -> None:
    """Replaying the journal into a plain Router reproduces the result stored with each request id."""
    journal, (a, b) = desks()
    a.route(Dialog(id="d1"), now=START, request_id="r1")
    b.set_status("op0", "away", now=START, request_id="r2")
    b.transfer("d1", Target.group("sales"), now=START, request_id="r3")
    a.tick(now=START + timedelta(minutes=5))
    reference = Reference()
    entries = journal.entries("main", 0)
    reference.feed(entries)
    assert [e.position for e in entries] == [1, 2, 3, 4, 5]
    assert [e.result is not None for e in entries] == [False, True, True, True, False]
    assert all(reference.results[e.position] == e.result for e in entries[1:4])
    assert reference.router is not None
    assert reference.router.snapshot() == state(a)


def test_an_earlier_now_is_raised_to_the_desks_last_now() -> None:
    """A call stamped earlier than the desk's last call runs at the last call's time instead."""
    journal, (a, b) = desks()
    a.route(Dialog(id="d1"), now=START + timedelta(minutes=1))
    decision = b.route(Dialog(id="d2"), now=START)
    assert decision.events[0].at == START + timedelta(minutes=1)
    assert [e.now for e in journal.entries("main", 0)][-1] == START + timedelta(minutes=1)


def test_the_desk_reads_its_clock_when_no_now_is_given() -> None:
    """Without ``now`` the desk stamps the call with its clock's time."""
    journal = MemoryJournal()
    desk = SharedDesk(journal, "main", CONFIG, clock=lambda: START + timedelta(hours=1))
    desk.route(Dialog(id="d1"))
    assert journal.entries("main", 0)[-1].now == START + timedelta(hours=1)


def test_a_retry_with_the_same_request_id_returns_the_stored_result_and_changes_nothing() -> None:
    """The second call with a request id the journal holds returns the first result and appends nothing."""
    journal, (a, b) = desks()
    first = a.route(Dialog(id="d1"), now=START, request_id="req-1")
    again = b.route(Dialog(id="d1"), now=START + timedelta(seconds=3), request_id="req-1")
    assert again == first
    assert len(journal.entries("main", 0)) == 2
    assert b.release("d1", now=START, request_id="req-2") == b.release("d1", now=START, request_id="req-2")


def test_a_retried_route_returns_the_reopening_time_in_the_schedules_zone() -> None:
    """A retry's stored decision gives reopens_at in the closed group's zone, as the first answer did."""
    desk = SharedDesk(MemoryJournal(), "main", NIGHTS)
    first = desk.route(Dialog(id="d1"), now=START, request_id="req-1")
    again = desk.route(Dialog(id="d1"), now=START, request_id="req-1")
    assert first.reopens_at is not None
    assert first.reopens_at.isoformat() == "2026-03-02T22:00:00+01:00"
    assert to_dict(again) == to_dict(first)


def test_a_request_id_reused_for_another_call_is_refused() -> None:
    """A request id already used for a route cannot name a release."""
    _, (a, _b) = desks()
    a.route(Dialog(id="d1"), now=START, request_id="req-1")
    with pytest.raises(InvalidValue, match="request_id"):
        a.release("d1", now=START, request_id="req-1")


BAD_CALLS: list[tuple[str, Callable[[SharedDesk], object], type[ChatrouteError]]] = [
    ("duplicate dialog", lambda d: d.route(Dialog(id="d1"), now=START), DuplicateDialog),
    ("not a dialog", lambda d: d.route("d9", now=START), InvalidValue),  # type: ignore[arg-type]
    ("unknown dialog", lambda d: d.release("nope", now=START), UnknownDialog),
    ("unknown operator", lambda d: d.set_status("zed", "online", now=START), UnknownOperator),
    ("negative limit", lambda d: d.set_limit("op0", -1, now=START), InvalidValue),
    (
        "data JSON cannot hold",
        lambda d: d.handle("d1", "paid", data={"x": object()}, now=START),
        InvalidValue,
    ),
    ("naive now", lambda d: d.tick(now=START.replace(tzinfo=None)), InvalidValue),
    ("bad request id", lambda d: d.tick(now=START, request_id=7), InvalidValue),  # type: ignore[arg-type]
    (
        "config that drops a busy operator",
        lambda d: d.reconfigure(RoutingConfig(operators=[Operator(id="op9", status="online")]), now=START),
        UnknownOperator,
    ),
]


@pytest.mark.parametrize(("name", "call", "error"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_a_call_that_raises_leaves_journal_outbox_and_replica_unchanged(
    name: str, call: Callable[[SharedDesk], object], error: type[ChatrouteError]
) -> None:
    """A call raising a ChatrouteError appends no entry, no events, and leaves the replica as it was."""
    journal, (a, b) = desks()
    a.route(Dialog(id="d1"), now=START)
    entries, outbox, before = journal.entries("main", 0), journal.outbox("main", 0), state(a)
    with pytest.raises(error):
        call(a)
    assert journal.entries("main", 0) == entries
    assert journal.outbox("main", 0) == outbox
    assert a.read(lambda router: router.snapshot(), fresh=False) == before
    b.route(Dialog(id="d2"), now=START)
    assert state(a) == state(b)


class FailingCommit:
    """A MemoryJournal whose next commit fails once, after the call ran on the replica."""

    def __init__(self) -> None:
        self.inner = MemoryJournal()
        self.fail = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transaction(
        self, desk_id: str, connection: Any = None, *, request_id: str | None = None
    ) -> AbstractContextManager[Transaction]:
        @contextmanager
        def failing() -> Any:
            with self.inner.transaction(desk_id) as txn:
                yield txn
                if self.fail:
                    self.fail = False
                    raise ConnectionError("the commit failed")

        return failing()


def test_a_replica_whose_commit_failed_rebuilds_from_the_journal() -> None:
    """After a failed commit the call is absent, and the desk's next call starts from the journal."""
    journal = FailingCommit()
    desk = SharedDesk(journal, "main", CONFIG)  # type: ignore[arg-type]
    other = SharedDesk(journal, "main", CONFIG)  # type: ignore[arg-type]
    desk.route(Dialog(id="d1"), now=START)
    journal.fail = True
    with pytest.raises(ConnectionError):
        desk.route(Dialog(id="d2"), now=START)
    assert [e.call for e in journal.entries("main", 0)] == ["open", "route"]
    assert desk.route(Dialog(id="d2"), now=START).outcome is Outcome.ASSIGNED
    assert state(desk) == state(other)
    assert [d.id for d in state(desk).dialogs] == ["d1", "d2"]


def test_a_new_replica_starts_from_the_newest_snapshot_and_the_tail() -> None:
    """With snapshots every 3 entries, a new desk loads the newest one and replays only what follows."""
    journal, (a,) = desks(1, snapshot_every=3)
    for n in range(7):
        a.route(Dialog(id=f"d{n}"), now=START)
    stored = journal.latest_snapshot("main")
    assert stored is not None
    assert stored.position == 6
    late = SharedDesk(journal, "main", CONFIG)
    assert state(late) == state(a)
    assert late.position == 8


def test_only_the_call_whose_entry_reaches_a_multiple_stores_the_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A desk that replays another's crossing under the lock stores nothing; its own crossing it stores."""
    journal, (a, b) = desks(snapshot_every=3)
    stored: list[int] = []
    keep = journal.store_snapshot

    def store(desk_id: str, snapshot: StoredSnapshot) -> None:
        stored.append(snapshot.position)
        keep(desk_id, snapshot)

    monkeypatch.setattr(journal, "store_snapshot", store)
    b.route(Dialog(id="d0"), now=START)  # positions 1 (open) and 2
    monkeypatch.setattr(b._replica, "refresh", lambda: None)  # others' entries reach b under the lock
    a.route(Dialog(id="d1"), now=START)  # 3: a stores it
    b.route(Dialog(id="d2"), now=START)  # 4: b replays 3 under the lock, stores nothing
    assert stored == [3]
    a.route(Dialog(id="d3"), now=START)  # 5
    b.route(Dialog(id="d4"), now=START)  # 6: b's own entry
    assert stored == [3, 6]


def test_a_config_change_is_an_entry_every_replica_switches_at() -> None:
    """reconfigure appends an entry; a desk built with the old config switches when it reaches it."""
    journal, (a, b) = desks()
    a.route(Dialog(id="d1"), now=START)
    bigger = RoutingConfig(operators=[*CONFIG.operators, Operator(id="op3", status="online", limit=2)])
    a.reconfigure(bigger, now=START)
    assert [e.call for e in journal.entries("main", 0)] == ["open", "route", "reconfigure"]
    assert b.read(lambda router: router.config) == bigger
    assert [e.config_version for e in journal.entries("main", 0)] == [1, 1, 3]
    b.set_status("op3", "away", now=START)
    assert state(a) == state(b)


class Table:
    """A resolver whose answers the test changes mid-run, as a GeoIP database update does."""

    def __init__(self, region: str) -> None:
        self.resolver = StaticResolver({"5.8.0.0/16": region})

    def resolve(self, ip: str | None) -> Any:
        return self.resolver.resolve(ip)


def test_replay_uses_the_recorded_geoip_answers_not_its_own_resolver() -> None:
    """A replica whose resolver answers differently still holds the region the calling desk resolved."""
    journal = MemoryJournal()
    config = RoutingConfig(
        operators=[Operator(id="op0", status="online")],
        groups=[Group(id="msk", operator_ids=["op0"], regions_include=["RU-MOW"])],
    )
    moscow = SharedDesk(journal, "main", config, geo=Table("RU-MOW"))
    berlin = SharedDesk(journal, "main", config, geo=Table("DE"))
    moscow.route(Dialog(id="d1", ip="5.8.1.1"), now=START)
    berlin.route(Dialog(id="d2", ip="5.8.1.2"), now=START)
    regions = berlin.read(lambda router: [d.dialog.region for d in router.dialogs()])
    assert regions == ["RU-MOW", "DE"]
    assert state(moscow) == state(berlin)
    geo = [e.geo for e in journal.entries("main", 0) if e.call == "route"]
    assert [[g["answer"]["subdivision"] or g["answer"]["country"] for g in found] for found in geo] == [
        ["RU-MOW"],
        ["DE"],
    ]


def test_a_desk_without_a_resolver_records_that_it_has_none() -> None:
    """A dialog with an IP on a desk without resolver gets an unknown region the journal records."""
    journal, (a,) = desks(1)
    decision = a.route(Dialog(id="d1", ip="5.8.1.1"), now=START)
    assert decision.outcome is Outcome.ASSIGNED
    (entry,) = [e for e in journal.entries("main", 0) if e.call == "route"]
    assert entry.geo[0]["answer"]["reason"] == "the desk has no GeoIP resolver"


def test_read_answers_from_the_config_before_any_call() -> None:
    """On an empty journal a read sees the desk its first call would open, and writes nothing."""
    journal, (a,) = desks(1)
    assert [op.id for op in a.read(lambda router: router.operators())] == ["op0", "op1", "op2"]
    assert journal.entries("main", 0) == ()


def test_entries_record_versions_request_ids_and_unique_nonces() -> None:
    """Every entry carries the chatroute version, its config version, its request id and its own nonce."""
    journal, (a,) = desks(1)
    a.route(Dialog(id="d1"), now=START, request_id="r1")
    a.tick(now=START)
    entries: Sequence[Entry] = journal.entries("main", 0)
    assert {e.chatroute_version for e in entries} == {__version__}
    assert [e.request_id for e in entries] == [None, "r1", None]
    assert len({e.nonce for e in entries}) == 3
    assert entries[1].args == {"dialog": to_dict(Dialog(id="d1"))}


def test_an_error_recorded_by_a_writer_comes_back_with_its_class_message_and_attributes() -> None:
    """A batching writer's record of an error rebuilds it as the caller would have raised it."""
    for error in (
        UnknownDialog("d9", field="dialog_id"),
        InvalidValue("limit", -1, "must be a non-negative integer"),
    ):
        again = error_from(error_record(error))
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert vars(again) == vars(error)


def test_a_call_that_takes_no_time_keeps_the_desk_time() -> None:
    """forget takes no now: its entry keeps the desk's last time, so a later call is not raised past it."""
    journal, (a, b) = desks()
    a.route(Dialog(id="d0"), now=START)
    a.release("d0", now=START)
    b.forget("d0")
    assert journal.entries("main", 0)[-1].now == START
    decision = b.route(Dialog(id="d1"), now=START + timedelta(seconds=1))
    assert decision.events[0].at == START + timedelta(seconds=1)


def test_forget_keeps_or_drops_the_client_on_every_replica() -> None:
    """forget(keep_client=True) keeps the client on every replica; forget_client then drops it everywhere."""
    _, (a, b) = desks()
    a.route(Dialog(id="d0", client_id="c0"), now=START)
    a.release("d0", now=START)
    a.forget("d0", keep_client=True)
    assert [c.id for c in state(b).clients] == ["c0"]
    b.forget_client("c0")
    assert state(a).clients == () == state(b).clients
    a.route(Dialog(id="d1"), now=START)
    a.release("d1", now=START)
    with pytest.raises(InvalidValue, match="keep_client"):
        a.forget("d1", keep_client="yes")  # type: ignore[arg-type]
    assert state(a) == state(b)


def test_holds_wrap_ups_and_adoptions_go_through_the_desk_as_through_one_router() -> None:
    """hold, resume, ready, adopt and adopt_many on two desks give what one router gives."""
    config = RoutingConfig(
        channels=[Channel(name="site", wrap_up=30)],
        operators=[Operator(id=f"op{n}", status="online", limit=2) for n in range(3)],
        hold_counts=False,
    )
    journal = MemoryJournal()
    a, b = (SharedDesk(journal, "main", config, seed=5) for _ in range(2))
    router = Router(config, seed=5)

    def at(n: int) -> Any:
        return START + timedelta(seconds=n)

    assert a.adopt(Dialog(id="x0"), "op0", now=at(0)) == router.adopt(Dialog(id="x0"), "op0", at(0))
    pairs = [(Dialog(id="x1"), "op1"), (Dialog(id="x2"), "op1"), (Dialog(id="x3"), "op1")]
    assert b.adopt_many(pairs, over_limit=True, now=at(1)) == router.adopt_many(pairs, at(1), over_limit=True)
    assert a.route(Dialog(id="d0"), now=at(2)) == router.route(Dialog(id="d0"), at(2))
    assert b.hold("x0", now=at(3)) == router.hold("x0", at(3))
    assert a.resume("x0", now=at(4)) == router.resume("x0", at(4))
    assert b.release("x0", now=at(5)) == router.release("x0", at(5))
    assert a.ready("op0", now=at(6)) == router.ready("op0", at(6))
    with pytest.raises(ChatrouteError):
        b.hold("nope", now=at(7))
    assert state(a) == state(b) == router.snapshot()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_router_call_has_a_desk_method_with_its_arguments(name: str) -> None:
    """The desk's method takes the Router method's arguments (bar now) under the same names and defaults."""
    router = inspect.signature(getattr(Router, name)).parameters
    desk = inspect.signature(getattr(SharedDesk, name)).parameters
    expected = [(p.name, p.default) for p in router.values() if p.name not in ("self", "now")]
    assert [(p.name, p.default) for p in desk.values() if p.name not in ("self", "options")] == expected
    assert {name for name, _ in expected} == set(CALLS[name].args)
    options = desk["options"]
    assert options.kind is inspect.Parameter.VAR_KEYWORD


def test_a_desk_call_refuses_a_keyword_it_does_not_take() -> None:
    """An unknown keyword raises TypeError, as on any method; forget takes no now."""
    _, (a,) = desks(1)
    with pytest.raises(TypeError, match="nope"):
        a.tick(nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="now"):
        a.forget("d1", now=START)  # type: ignore[call-arg]
    assert a.position == 0
