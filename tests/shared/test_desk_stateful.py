"""Three SharedDesks on PostgreSQL, each on its own connection, against one Router fed their journal.

Each desk either takes the lock for its own calls or queues them for the batching
writer (``batching=True``), drawn per run, so both ways of writing mix on one desk.

:class:`DeskMachine` spreads random calls over three desks sharing one desk id: routes
(with IPs a changing GeoIP resolver places), releases, offers accepted and declined,
claims, transfers, hand-off triggers, statuses, limits, replies, ticks, forgets and
config changes. After each call the new journal entries go into one in-memory Router
(:class:`~tests.shared.replay.Reference`): the desk's answer must be the Router's
answer to that entry (decision, events and trace), and a call that raised must have
appended nothing and raise the same on the Router. At the end every desk's state and
the outbox match the Router.
"""

from __future__ import annotations

import re
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from chatroute import ChatrouteError, DialogState, Router, RoutingConfig, Target, Trigger
from chatroute.geo import GeoLookup, StaticResolver
from chatroute.rules import attr, has_tag
from chatroute.serialize import to_dict
from chatroute.shared import SharedDesk
from chatroute.shared.postgres import PostgresJournal
from chatroute.shared.testing import TemporaryCluster
from chatroute.snapshot import DialogRecord

from ..strategies import START, STATUS_KEYS, all_strategies, clients, configs, dialogs, seconds
from .replay import Reference

IPS = (None, "5.8.1.1", "46.1.2.3", "10.0.0.5")
#: What two versions of a GeoIP database say about the same addresses.
TABLES = (
    StaticResolver({"5.8.0.0/16": "RU-MOW", "46.0.0.0/8": "DE"}),
    StaticResolver({"5.8.0.0/16": "RU-SPE", "46.0.0.0/8": "US-NY"}),
)


class Shifting:
    """A resolver whose database the test swaps mid-run."""

    def __init__(self, version: int) -> None:
        self.version = version

    def resolve(self, ip: str | None) -> GeoLookup:
        return TABLES[self.version % len(TABLES)].resolve(ip)


def with_triggers(config: RoutingConfig) -> RoutingConfig:
    """The config with hand-off triggers: a paid invoice goes to the first group, a VIP to everyone."""
    first = config.groups[0].id
    triggers = [
        Trigger(name="paid", on="invoice.paid", when=attr("amount") >= 100, to=Target.group(first)),
        Trigger(name="vip", on="tagged", when=has_tag("vip"), to=Target.everyone()),
    ]
    return attrs.evolve(config, triggers=triggers)


class DeskMachine(RuleBasedStateMachine):
    """Random calls over three desks; each answer checked against one Router fed the journal."""

    journals: ClassVar[list[PostgresJournal]] = []

    def __init__(self) -> None:
        super().__init__()
        self.reference = Reference()
        self.now = START
        self.routed: list[str] = []
        self.calls = 0
        self.desks: list[SharedDesk] = []
        self.geos: list[Shifting] = []
        self.config: RoutingConfig | None = None
        self.seed = 0
        self.desk_id = ""

    @initialize(
        config=st.one_of(configs(offers=True), configs(departments=True), configs()).map(with_triggers),
        seed=st.integers(min_value=0, max_value=3),
        batching=st.lists(st.booleans(), min_size=3, max_size=3),
    )
    def open(self, config: RoutingConfig, seed: int, batching: list[bool]) -> None:
        """Three desks on a new desk id, each with its own connection, resolver and writing mode."""
        self.desk_id = f"desk-{uuid.uuid4().hex[:8]}"
        self.config, self.seed = config, seed
        self.geos = [Shifting(n) for n in range(3)]
        self.desks = [
            SharedDesk(journal, self.desk_id, config, seed=seed, geo=geo, batching=batched)
            for journal, geo, batched in zip(self.journals, self.geos, batching, strict=True)
        ]

    # ---------------------------------------------------------------- helpers

    def advance(self, dt: int) -> datetime:
        self.now += timedelta(seconds=dt)
        return self.now

    def sync(self) -> None:
        """Feed the reference the entries committed since it last looked."""
        self.reference.feed(self.journals[0].entries(self.desk_id, self.reference.position))

    def router(self) -> Router:
        """The reference router (before the desk opens: the router its first call would open)."""
        if self.reference.router is None:
            assert self.config is not None
            return Router(self.config, seed=self.seed)
        return self.reference.router

    def call(
        self, desk: int, on_desk: Callable[[SharedDesk, str], Any], on_router: Callable[[Router], Any]
    ) -> None:
        """Make a call on one desk; check it against the reference Router."""
        request_id = f"r{self.calls}"
        self.calls += 1
        before = self.reference.position
        try:
            got = on_desk(self.desks[desk], request_id)
        except ChatrouteError as error:
            self.sync()
            assert self.reference.position == before, "a call that raised appended entries"
            self.reference.geo.answers = deque()
            with pytest.raises(type(error), match=re.escape(str(error))):
                on_router(self.router())
            return
        self.sync()
        (entry,) = [e for e in self.journals[0].entries(self.desk_id, before) if e.request_id == request_id]
        expected = self.reference.results[entry.position]
        assert to_dict(list(got) if isinstance(got, tuple) else got) == expected
        assert entry.result == expected

    def known(self) -> dict[str, DialogRecord]:
        """The dialogs the reference router holds, by id."""
        return {d.id: d for d in self.router().dialogs()}

    def pick(self, data: st.DataObject) -> str:
        if not self.routed:
            return "d-none"
        return data.draw(st.sampled_from(self.routed), label="dialog_id")

    def operator(self, data: st.DataObject) -> str:
        assert self.config is not None
        return data.draw(st.sampled_from([o.id for o in self.config.operators]), label="operator_id")

    # ------------------------------------------------------------------ rules

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data())
    def route(self, desk: int, dt: int, data: st.DataObject) -> None:
        """A new dialog (sometimes an id used before), with an IP the desk's resolver places."""
        assert self.config is not None
        now = self.advance(dt)
        reuse = self.routed and data.draw(st.integers(0, 9), label="reuse") == 0
        dialog_id = self.routed[0] if reuse else f"d{len(self.routed)}"
        dialog = data.draw(dialogs(self.config, dialog_id=dialog_id, chosen_group=True), label="dialog")
        dialog = attrs.evolve(dialog, ip=data.draw(st.sampled_from(IPS), label="ip"))
        client = data.draw(clients(self.config, dialog), label="client")
        self.call(
            desk,
            lambda d, rid: d.route(dialog, client=client, now=now, request_id=rid),
            lambda r: r.route(dialog, now, client=client),
        )
        if not reuse and dialog_id in self.known():
            self.routed.append(dialog_id)

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data())
    def release(self, desk: int, dt: int, data: st.DataObject) -> None:
        """Closing a dialog frees its operator; closing twice is refused everywhere."""
        now, dialog_id = self.advance(dt), self.pick(data)
        self.call(
            desk,
            lambda d, rid: d.release(dialog_id, now=now, request_id=rid),
            lambda r: r.release(dialog_id, now),
        )

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data(), accept=st.booleans())
    def answer_offer(self, desk: int, dt: int, data: st.DataObject, accept: bool) -> None:
        """An operator accepts or declines an offer (usually one made to them)."""
        now, dialog_id = self.advance(dt), self.pick(data)
        record = self.known().get(dialog_id)
        offered = sorted(record.offered_to) if record is not None else []
        operator_id = data.draw(st.sampled_from(offered), label="offered") if offered else self.operator(data)
        if accept:
            self.call(
                desk,
                lambda d, rid: d.accept(dialog_id, operator_id, now=now, request_id=rid),
                lambda r: r.accept(dialog_id, operator_id, now),
            )
        else:
            self.call(
                desk,
                lambda d, rid: d.decline(dialog_id, operator_id, now=now, request_id=rid),
                lambda r: r.decline(dialog_id, operator_id, now),
            )

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data())
    def claim(self, desk: int, dt: int, data: st.DataObject) -> None:
        """An operator claims a waiting dialog (pools, queues)."""
        now, dialog_id, operator_id = self.advance(dt), self.pick(data), self.operator(data)
        self.call(
            desk,
            lambda d, rid: d.claim(dialog_id, operator_id, now=now, request_id=rid),
            lambda r: r.claim(dialog_id, operator_id, now),
        )

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data())
    def transfer(self, desk: int, dt: int, data: st.DataObject) -> None:
        """A dialog moves to everyone, a group or an operator."""
        assert self.config is not None
        now, dialog_id = self.advance(dt), self.pick(data)
        to = data.draw(
            st.one_of(
                st.just(Target.everyone()),
                st.sampled_from([g.id for g in self.config.groups]).map(Target.group),
                st.sampled_from([o.id for o in self.config.operators]).map(Target.operator),
            ),
            label="to",
        )
        self.call(
            desk,
            lambda d, rid: d.transfer(dialog_id, to, now=now, request_id=rid),
            lambda r: r.transfer(dialog_id, to, now),
        )

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data(), amount=st.sampled_from([50, 150]))
    def handle(self, desk: int, dt: int, data: st.DataObject, amount: int) -> None:
        """A host event fires a trigger (or none)."""
        now, dialog_id = self.advance(dt), self.pick(data)
        event = data.draw(st.sampled_from(["invoice.paid", "tagged", "other"]), label="event")
        payload = {"amount": amount}
        self.call(
            desk,
            lambda d, rid: d.handle(dialog_id, event, data=payload, now=now, request_id=rid),
            lambda r: r.handle(dialog_id, event, now, data=payload),
        )

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data(), status=st.sampled_from(STATUS_KEYS))
    def set_status(self, desk: int, dt: int, data: st.DataObject, status: str) -> None:
        """An operator changes status (some configs lack the extra statuses: refused everywhere)."""
        now, operator_id = self.advance(dt), self.operator(data)
        self.call(
            desk,
            lambda d, rid: d.set_status(operator_id, status, now=now, request_id=rid),
            lambda r: r.set_status(operator_id, status, now),
        )

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data(), limit=st.integers(-1, 4))
    def set_limit(self, desk: int, dt: int, data: st.DataObject, limit: int) -> None:
        """An operator's limit changes (a negative one is refused everywhere)."""
        now, operator_id = self.advance(dt), self.operator(data)
        self.call(
            desk,
            lambda d, rid: d.set_limit(operator_id, limit, now=now, request_id=rid),
            lambda r: r.set_limit(operator_id, limit, now),
        )

    @rule(desk=st.integers(0, 2), dt=seconds(), data=st.data())
    def replied(self, desk: int, dt: int, data: st.DataObject) -> None:
        """The assignee replies."""
        now, dialog_id = self.advance(dt), self.pick(data)
        self.call(
            desk,
            lambda d, rid: d.replied(dialog_id, now=now, request_id=rid),
            lambda r: r.replied(dialog_id, now),
        )

    @rule(desk=st.integers(0, 2), dt=seconds(max_value=90))
    def tick(self, desk: int, dt: int) -> None:
        """Time passes: offers lapse, SLA levels and rings move on."""
        now = self.advance(dt)
        self.call(desk, lambda d, rid: d.tick(now=now, request_id=rid), lambda r: r.tick(now))

    @rule(desk=st.integers(0, 2), data=st.data())
    def forget(self, desk: int, data: st.DataObject) -> None:
        """A closed dialog is dropped (an open one is refused)."""
        dialog_id = self.pick(data)
        self.call(desk, lambda d, rid: d.forget(dialog_id, request_id=rid), lambda r: r.forget(dialog_id))
        if dialog_id in self.routed and dialog_id not in self.known():
            self.routed.remove(dialog_id)

    @rule(desk=st.integers(0, 2), strategy=all_strategies(), limit=st.integers(1, 4))
    def reconfigure(self, desk: int, strategy: Any, limit: int) -> None:
        """The desk switches to a config with another default strategy and limit, at one position."""
        assert self.config is not None
        config = attrs.evolve(self.config, strategy=strategy, default_limit=limit)

        def on_router(router: Router) -> None:
            Router.restore(config, router.snapshot())

        self.call(desk, lambda d, rid: d.reconfigure(config, now=self.now, request_id=rid), on_router)
        self.config = config

    @rule(desk=st.integers(0, 2))
    def update_geoip(self, desk: int) -> None:
        """One desk's GeoIP database changes: its answers for the same IPs differ from now on."""
        self.geos[desk].version += 1

    def teardown(self) -> None:
        """Every desk holds the reference Router's state, and the outbox holds each entry's events."""
        if not self.desks:
            return
        try:
            self.check_all()
        finally:
            for desk in self.desks:
                desk.close()

    def check_all(self) -> None:
        self.sync()
        if self.reference.router is None:
            return
        expected = self.reference.router.snapshot()
        for desk in self.desks:
            assert desk.read(lambda router: router.snapshot()) == expected
        outbox = {
            item.position: list(item.events) for item in self.journals[0].outbox(self.desk_id, 0, 100_000)
        }
        for position, result in self.reference.results.items():
            events = result if isinstance(result, list) else (result or {}).get("events", [])
            assert outbox.get(position, []) == events
        still_open = {d.id for d in self.reference.router.dialogs() if d.state is not DialogState.CLOSED}
        assert still_open <= set(self.routed)


def test_three_desks_on_postgres_answer_as_one_router_fed_their_journal(
    cluster: TemporaryCluster, schema: str
) -> None:
    """Calls over three desks give the decisions, events, traces and state of one Router fed the journal."""
    journals = [PostgresJournal(cluster.dsn, schema=schema) for _ in range(3)]
    DeskMachine.journals = journals
    try:
        run_state_machine_as_test(
            DeskMachine, settings=settings(settings.default, stateful_step_count=30, max_examples=30)
        )
    finally:
        for journal in journals:
            journal.close()
