"""The obviously-correct model that the stateful test (:mod:`tests.test_router_stateful`) checks
the Router against.

:class:`Model` keeps, in plain dicts and sets, who holds which dialog, who was offered which
(holding a slot), to whom a ``Broadcast`` target's dialog is broadcast (holding none) and who
declined it until when, each operator's load, intake and wrap-ups,
which dialogs wait in which queue (or for which busy favourite operator, until when), which
are closed, and each client's preferred and last operator; and spells out the routing rules
the slow, obvious way.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import attrs

from chatroute import (
    Dialog,
    DialogAssigned,
    DialogOffered,
    DialogQueued,
    DialogState,
    Event,
    Reason,
    Relax,
    RequirementRelaxed,
    RoutingConfig,
    SlaLevel,
    SlaLevelChanged,
    Target,
    TargetKind,
    Via,
)
from chatroute.rules import HasTag, OnChannel, Predicate, TopicIs
from chatroute.strategies import Sticky, Strategy

_LEVEL_RANK = {SlaLevel.OK: 0, SlaLevel.WARN: 1, SlaLevel.CRITICAL: 2}
#: routable, but no room now: a favourite operator worth waiting for
_BUSY = frozenset({Reason.AT_LIMIT, Reason.CHANNEL_LIMIT, Reason.CAPPED, Reason.WRAP_UP})
#: the ways a dialog is placed by its target's strategy's pick
_PICKED = frozenset({Via.ROUTE, Via.TRANSFER, Via.REOFFER, Via.REQUEUE, Via.FALLBACK, Via.RELAX})
EVERYONE = Target.everyone()

# ---------------------------------------------------------------------------------- the model


@attrs.define
class ModelOperator:
    """An operator as the model sees it."""

    id: str
    status: str
    limit: int
    status_since: datetime | None = None  # when the status was last set (None: as configured)
    cut_load: int = 0  # the load when the limit was last cut below it; loads never grow past that
    channel_cuts: dict[str, int] = attrs.Factory(dict)  # likewise per channel, after adopting past a cap
    dialogs: set[str] = attrs.Factory(set)
    wrap_ups: dict[str, tuple[datetime, int]] = attrs.Factory(dict)  # dialog id -> (until, weight)
    missed: int = 0  # offers in a row they let lapse
    intake: list[datetime] = attrs.Factory(list)  # when they got their recent new dialogs (intake cap)
    capped_until: datetime | None = None  # at the intake cap until the oldest of those leaves the window


@attrs.define
class ModelDialog:
    """A dialog as the model sees it; ``state`` is None while a call moves it."""

    dialog: Dialog
    weight: int
    routed_at: datetime
    state: DialogState | None = None
    target: Target | None = None
    operator_id: str | None = None
    pool: bool = False
    seq: int | None = None
    waiting_since: datetime | None = None
    notified: SlaLevel = SlaLevel.OK
    excluded: set[str] = attrs.Factory(set)
    held: bool = False
    relaxed: set[tuple[str | None, datetime]] = attrs.Factory(set)  # relax steps announced
    wait_until: datetime | None = None  # waits for its busy preferred operator until then
    then: Target | None = None  # and then goes here
    fallback: Target | None = None  # handed to the favourite it waited for: placed here if it comes back
    offer_expires: datetime | None = None  # offered to ``operator_id`` or ``offered_to`` until then
    offered_to: set[str] = attrs.Factory(set)  # broadcast to these (holding no slot; no ``operator_id``)
    declined: dict[str, datetime | None] = attrs.Factory(dict)  # operator -> when the decline lapses
    assigned_at: datetime | None = None  # when it was last assigned (given, accepted, claimed, adopted)
    replied_at: datetime | None = None  # when its operator first replied since


class Model:
    """Plain dicts and sets, and the routing rules spelled out the slow, obvious way."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.channels = {c.name: c for c in config.channels}
        self.routable = {s.key: s.routable for s in config.all_statuses()}
        self.groups = {g.id: g for g in config.groups}
        self.ops: dict[str, ModelOperator] = {}
        for op in config.operators:
            group_limits = [g.limit for g in config.groups if op.id in g.operator_ids and g.limit is not None]
            limit = op.limit if op.limit is not None else min(group_limits, default=config.default_limit)
            self.ops[op.id] = ModelOperator(id=op.id, status=op.status, limit=limit)
        self.config_ops = {op.id: op for op in config.operators}
        self.dialogs: dict[str, ModelDialog] = {}
        # client id -> (preferred operator, last operator): as last told, the last one kept up to date
        self.clients: dict[str, tuple[str | None, str | None]] = {}
        self.queue_seq = 0
        # operators gone offline with dialogs, re-queued after the grace: (due, operator, offline since)
        self.requeues: list[tuple[datetime, str, datetime]] = []

    # -- who serves what

    def members(self, target: Target) -> list[str]:
        """Operators who serve a (resolved) target, by id; a narrowed one, those with its tags."""
        if target.tags:
            whole = Target(kind=target.kind, id=target.id)
            return [op_id for op_id in self.members(whole) if target.tags <= self.config_ops[op_id].tags]
        if target.kind is TargetKind.GROUP:
            return sorted(self.groups[str(target.id)].operator_ids)
        if target.kind is TargetKind.OPERATOR:
            return [str(target.id)]
        return sorted(self.ops)

    def strategy(self, target: Target) -> Strategy | None:
        if target.kind is TargetKind.GROUP:
            return self.groups[str(target.id)].strategy or self.config.strategy
        if target.kind is TargetKind.EVERYONE:
            return self.config.strategy
        return None

    def is_pool(self, target: Target) -> bool:
        strategy = self.strategy(target)
        return strategy is not None and strategy.manual

    def broadcasts(self, target: Target) -> bool:
        """Whether the target's strategy offers each dialog to every eligible member at once."""
        strategy = self.strategy(target)
        return strategy is not None and strategy.broadcast

    def offerees(self, md: ModelDialog) -> set[str]:
        """Who may accept the offered dialog: those it is broadcast to, or the one offered it alone."""
        assert md.state is DialogState.OFFERED
        return set(md.offered_to) if md.offered_to else {str(md.operator_id)}

    def counted(self, op_id: str) -> list[ModelDialog]:
        """The operator's dialogs that take a slot: all but the held ones, unless held ones count."""
        mds = (self.dialogs[d] for d in self.ops[op_id].dialogs)
        return [md for md in mds if not md.held or self.config.hold_counts]

    def wrap_up_weight(self, op_id: str) -> int:
        return sum(weight for _, weight in self.ops[op_id].wrap_ups.values())

    def load(self, op_id: str) -> int:
        return sum(md.weight for md in self.counted(op_id)) + self.wrap_up_weight(op_id)

    def channel_load(self, op_id: str, channel: str) -> int:
        return sum(1 for md in self.counted(op_id) if md.dialog.channel == channel)

    def wrap_up_of(self, op_id: str, md: ModelDialog) -> timedelta:
        """How long the operator's after-chat work on this dialog keeps its slot."""
        own = self.config_ops[op_id].wrap_up
        return own if own is not None else self.channels[md.dialog.channel].wrap_up

    def ineligible(self, op_id: str, md: ModelDialog) -> Reason | None:
        """Why the operator cannot take the dialog now, checked in the router's order."""
        op = self.ops[op_id]
        if not self.routable[op.status]:
            return Reason.STATUS
        if op_id in md.excluded:
            return Reason.EXCLUDED
        if op_id in md.declined:
            return Reason.DECLINED
        if op.capped_until is not None:
            return Reason.CAPPED
        if self.load(op_id) + md.weight > op.limit:
            if self.load(op_id) - self.wrap_up_weight(op_id) + md.weight <= op.limit:
                return Reason.WRAP_UP
            return Reason.AT_LIMIT
        cap = self.config_ops[op_id].channel_limits.get(md.dialog.channel)
        if cap is not None and self.channel_load(op_id, md.dialog.channel) >= cap:
            return Reason.CHANNEL_LIMIT
        skills = self.config_ops[op_id].skills
        needs, language = self.requirements(md)
        if any(skills.get(skill, 0) < level for skill, level in needs.items()):
            return Reason.MISSING_SKILL
        if language is not None and language not in self.config_ops[op_id].languages:
            return Reason.LANGUAGE
        return None

    # -- requirements that relax

    def relaxations(self, md: ModelDialog) -> list[Relax]:
        """The dialog's own relaxations, and the config's for the requirements it does not relax itself."""
        own = {r.skill for r in md.dialog.relax}
        found = [*md.dialog.relax, *(r for r in self.config.relax if r.skill not in own)]
        language = md.dialog.language if self.config.match_language else None
        return [
            r
            for r in found
            if (language is not None if r.skill is None else r.skill in md.dialog.required_skills)
        ]

    def requirements(self, md: ModelDialog) -> tuple[dict[str, int], str | None]:
        """The skill levels and the language required now, after the steps announced so far."""
        needs = dict(md.dialog.required_skills)
        language = md.dialog.language if self.config.match_language else None
        for r in self.relaxations(md):
            steps = [s for s in r.steps if (r.skill, md.routed_at + s.after) in md.relaxed]
            if not steps:
                continue
            if r.skill is None:
                language = None
            elif steps[-1].level is None:
                del needs[r.skill]
            else:
                needs[r.skill] = min(needs[r.skill], steps[-1].level)
        return needs, language

    def relax_steps_due(
        self, md: ModelDialog, now: datetime
    ) -> list[tuple[datetime, str | None, int | None]]:
        """The relax steps due by ``now`` and not announced yet: when, which skill, which level."""
        due = [
            (md.routed_at + s.after, r.skill, s.level)
            for r in self.relaxations(md)
            for s in r.steps
            if md.routed_at + s.after <= now and (r.skill, md.routed_at + s.after) not in md.relaxed
        ]
        return sorted(due, key=lambda step: step[0])  # a skill's and the language's may fall due together

    def relax(self, event: RequirementRelaxed, now: datetime) -> None:
        """A step came due: the dialog's earliest step not announced yet, and due by now; only a
        waiting dialog's steps are announced (one with an operator takes them up if it waits again)."""
        md = self.dialogs[event.dialog_id]
        assert md.state is DialogState.QUEUED, f"{md.dialog.id} relaxed while {md.state}"
        due = self.relax_steps_due(md, now)
        assert due, f"{md.dialog.id} relaxed with no step due"
        assert event.at == due[0][0], f"{md.dialog.id} relaxed at {event.at}, its next step was due {due[0]}"
        assert (event.at, event.skill, event.level) in due
        md.relaxed.add((event.skill, event.at))

    def eligible_members(self, md: ModelDialog) -> list[str]:
        assert md.target is not None
        return [op_id for op_id in self.members(md.target) if self.ineligible(op_id, md) is None]

    # -- the intake cap

    def count_intake(self, op_id: str, now: datetime) -> None:
        """A new dialog took a slot of theirs (assigned or offered; not adopted, not accepted)."""
        if self.config.intake_cap is not None:
            self.ops[op_id].intake.append(now)
            self.recheck_cap(op_id, now)

    def recheck_cap(self, op_id: str, now: datetime) -> None:
        """Forget intake older than the window; capped while the window holds ``intake_cap`` of them,
        until the ``intake_cap``-th newest leaves it (only a tick lifts the cap)."""
        op, cap, window = self.ops[op_id], self.config.intake_cap, self.config.intake_window
        op.intake = [t for t in op.intake if t > now - window]
        full = cap is not None and len(op.intake) >= cap
        op.capped_until = op.intake[-cap] + window if cap is not None and full else None

    # -- the client's own operators

    def client(self, client_id: str | None) -> tuple[str | None, str | None]:
        """The client's preferred and last operator as the router knows them (none for a new one)."""
        return self.clients.get(client_id, (None, None)) if client_id is not None else (None, None)

    def handled(self, md: ModelDialog, op_id: str, now: datetime) -> None:
        """The operator has the dialog now (assigned, accepted, claimed, adopted): the client's last;
        their reply is awaited from now."""
        md.assigned_at, md.replied_at = now, None
        client_id = md.dialog.client_id
        if client_id is not None:
            self.clients[client_id] = (self.client(client_id)[0], op_id)

    def sticky_favourite(self, md: ModelDialog) -> str | None:
        """Whom a ``Sticky`` target's pick must be: the first of the client's own operators (preferred,
        then last) who serves the target and can take the dialog now; None when the strategy picks
        freely (another strategy, or none of them can)."""
        assert md.target is not None
        if not isinstance(self.strategy(md.target), Sticky):
            return None
        members = self.members(md.target)
        own = (op_id for op_id in self.client(md.dialog.client_id) if op_id is not None)
        return next((op_id for op_id in own if op_id in members and self.ineligible(op_id, md) is None), None)

    def await_favourite(
        self, md: ModelDialog, target: Target, favourites: tuple[str | None, str | None], now: datetime
    ) -> Target:
        """Where the dialog is placed on ``target`` when its strategy waits for a busy favourite
        (``Sticky(wait=...)``): none of the client's own operators who serve the target can take it
        now and the first of them who is routable but busy (at a limit, in wrap-up) is waited for,
        up to the wait, then ``target``; otherwise ``target`` itself."""
        strategy = self.strategy(target)
        wait = strategy.patience() if strategy is not None else None
        if wait is None:
            return target
        members = self.members(target)
        busy = None
        for op_id in favourites:
            if op_id is None or op_id not in members:
                continue
            problem = self.ineligible(op_id, md)
            if problem is None:
                return target  # free now: the strategy picks them
            if busy is None and problem in _BUSY:
                busy = op_id
        if busy is None:
            return target
        md.wait_until, md.then = now + wait, target
        return Target.operator(busy)

    def place_again(self, md: ModelDialog, now: datetime) -> None:
        """The dialog, detached, is placed again inside its target (a requeue, a reoffer): it may
        wait for the client's busy favourite there. One its favourite took after a wait is placed
        where it would have gone after that wait."""
        if md.fallback is not None:
            md.target, md.fallback = md.fallback, None
        assert md.target is not None
        if md.target.kind is not TargetKind.OPERATOR:
            md.target = self.await_favourite(md, md.target, self.client(md.dialog.client_id), now)

    # -- where a new dialog goes

    def _fits(self, target: Target, dialog: Dialog) -> bool:
        if target.kind is not TargetKind.GROUP:
            return True
        group = self.groups[str(target.id)]
        return group.enabled and (group.channels is None or dialog.channel in group.channels)

    def rule_target(self, dialog: Dialog) -> Target:
        """The visitor's group, else the first matching rule whose group takes the channel, else everyone."""
        if dialog.chosen_group_id is not None:
            chosen = Target.group(dialog.chosen_group_id)
            if self._fits(chosen, dialog):
                return chosen
        for r in self.config.rules:
            if _matches(r.when, dialog) and self._fits(r.to, dialog):
                return r.to
        return self.config.fallback

    def target_for(self, md: ModelDialog, preferred: str | None) -> Target:
        """Where a new dialog goes: a preferred-operator target becomes that operator when they
        can take it now, else its alternative (or the fallback)."""
        target = self.rule_target(md.dialog)
        while target.kind is TargetKind.PREFERRED_OPERATOR:
            problem = self.ineligible(preferred, md) if preferred is not None else Reason.NO_OPERATOR
            if problem is None:
                return Target.operator(str(preferred))
            if target.wait is not None and problem in _BUSY:
                md.wait_until = md.routed_at + target.wait  # routable but busy: wait for them
                md.then = target.otherwise or self.config.fallback
                return Target.operator(str(preferred))
            target = target.otherwise or self.config.fallback
        return target

    def spill(self, md: ModelDialog, handle_time: float) -> bool:
        """Follow the overflows of the groups the new dialog would wait in; True when the last
        one's queue is at its cap (the dialog is rejected)."""
        seen = {md.target}
        # a group narrowed by tags has a queue of its own, which neither overflows nor is capped
        while md.target is not None and md.target.kind is TargetKind.GROUP and not md.target.tags:
            group = self.groups[str(md.target.id)]
            pool = self.is_pool(md.target)
            if not pool and self.eligible_members(md):
                return False  # it does not wait
            waiting = len(self.queue(md.target, pool))
            members = self.members(md.target)
            capacity = sum(self.ops[o].limit for o in members if self.routable[self.ops[o].status])
            spill = group.overflow
            if spill is not None and spill.to not in seen and self._fits(spill.to, md.dialog):
                wait = math.ceil((waiting + 1) * handle_time / capacity) if capacity else None
                if (
                    (spill.nobody and not capacity)
                    or (spill.queue is not None and waiting >= spill.queue)
                    or (spill.wait is not None and (wait is None or wait > spill.wait.total_seconds()))
                ):
                    md.target = spill.to
                    seen.add(spill.to)
                    continue
            return group.queue_cap is not None and waiting >= group.queue_cap
        return False

    # -- queues

    def key(self, md: ModelDialog) -> tuple[int, int, int, str]:
        assert md.seq is not None
        return (self.channels[md.dialog.channel].priority, md.dialog.priority, md.seq, md.dialog.id)

    def queued(self) -> list[ModelDialog]:
        return [md for md in self.dialogs.values() if md.state is DialogState.QUEUED]

    def queue(self, target: Target, pool: bool) -> list[str]:
        """The dialogs waiting in a target's queue (or pool), in service order."""
        found = [md for md in self.queued() if md.target == target and md.pool == pool]
        return [md.dialog.id for md in sorted(found, key=self.key)]

    def best_for(self, op_id: str) -> str | None:
        """The dialog a drain into this operator must take: first in service order they can take."""
        found = [
            md
            for md in self.queued()
            if not md.pool
            and md.target is not None
            and op_id in self.members(md.target)
            and self.ineligible(op_id, md) is None
        ]
        return min(found, key=self.key).dialog.id if found else None

    # -- applying events

    def detach(self, md: ModelDialog) -> str | None:
        """Take the dialog off its operator or out of its queue; the operator whose slot it freed, if any."""
        holder = md.operator_id if md.state in (DialogState.ASSIGNED, DialogState.OFFERED) else None
        freed = holder if not md.held or self.config.hold_counts else None
        if holder is not None:
            self.ops[holder].dialogs.discard(md.dialog.id)
        md.state = None
        md.seq = None
        md.held = False
        md.wait_until = md.then = md.offer_expires = None
        md.offered_to = set()
        return freed

    def assign(self, event: DialogAssigned | DialogOffered, drainer: str | None) -> None:
        """The dialog goes to an eligible member of its target: assigned, or offered to them alone
        (holding a slot) when operators must accept; a claim always assigns. Operators always
        accept a ``Broadcast`` target's dialogs: it is offered to every eligible member at once
        (holding no slot), but drained into one operator, offered to them alone."""
        md = self.dialogs[event.dialog_id]
        assert md.target is not None
        broadcast = self.broadcasts(md.target)
        timeout = self.config.accept_timeout
        must_accept = timeout is not None or broadcast
        assert isinstance(event, DialogOffered) == (must_accept and event.via is not Via.CLAIM), event
        if isinstance(event, DialogOffered):
            assert event.expires_at == (event.at + timeout if timeout is not None else None), event
        self.check_placed(md, event)
        if isinstance(event, DialogOffered) and broadcast and event.via is not Via.DRAIN:
            eligible = self.eligible_members(md)
            assert eligible, f"{md.dialog.id} broadcast to nobody"
            assert event.operator_ids == tuple(eligible), f"{event} is not to {eligible}"
            self.placed(md, event)
            md.state, md.operator_id, md.offered_to = DialogState.OFFERED, None, set(eligible)
            return
        if isinstance(event, DialogOffered):
            assert len(event.operator_ids) == 1, event
            op_id = event.operator_ids[0]
        else:
            op_id = event.operator_id
        assert op_id in self.members(md.target), f"{op_id} does not serve {md.target}"
        assert self.ineligible(op_id, md) is None, f"{op_id} got {md.dialog.id}: {self.ineligible(op_id, md)}"
        if event.via in _PICKED:
            favourite = self.sticky_favourite(md)
            assert favourite in (None, op_id), f"{md.dialog.id} went to {op_id}, not to {favourite}"
        if event.via is Via.DRAIN:
            assert op_id == drainer, f"drained into {op_id}, expected {drainer}"
            assert md.dialog.id == self.best_for(op_id), "a drain took a dialog out of service order"
        self.placed(md, event)
        md.state = DialogState.OFFERED if isinstance(event, DialogOffered) else DialogState.ASSIGNED
        md.operator_id = op_id
        self.ops[op_id].dialogs.add(md.dialog.id)
        self.count_intake(op_id, event.at)
        if md.state is DialogState.ASSIGNED:  # a dialog they have resets their count of missed offers
            self.ops[op_id].missed = 0
            self.handled(md, op_id, event.at)

    @staticmethod
    def placed(md: ModelDialog, event: DialogAssigned | DialogOffered) -> None:
        """The dialog leaves its queue (or its place in no queue) for an operator or an offer."""
        if md.state is DialogState.QUEUED and md.then is not None:  # handed to the favourite it waited for
            md.fallback = md.then
        md.seq = None
        md.pool = False
        md.wait_until = md.then = None
        md.offer_expires = event.expires_at if isinstance(event, DialogOffered) else None

    @staticmethod
    def check_placed(md: ModelDialog, event: DialogAssigned | DialogOffered) -> None:
        """The dialog may be placed this way from where it is, in its target's group."""
        assert md.target is not None
        assert event.group_id == (md.target.id if md.target.kind is TargetKind.GROUP else None)
        if event.via in (Via.DRAIN, Via.CLAIM):
            assert md.state is DialogState.QUEUED
        elif event.via is Via.RELAX:  # placed by a tick or drain once a requirement relaxed
            assert md.state is DialogState.QUEUED
            assert not md.pool
            assert md.relaxed
        else:
            assert md.state is None, f"{md.dialog.id} assigned via {event.via} from {md.state}"

    def accept(self, md: ModelDialog, op_id: str, now: datetime) -> None:
        """The operator offered the dialog accepts it and has it: in the slot the offer held, or
        (a broadcast) in one taken now, a new dialog for their intake; the others' offers end."""
        if md.offered_to:
            md.operator_id, md.offered_to = op_id, set()
            self.ops[op_id].dialogs.add(md.dialog.id)
            self.count_intake(op_id, now)
        md.state, md.offer_expires = DialogState.ASSIGNED, None
        self.ops[op_id].missed = 0
        self.handled(md, op_id, now)

    def decline(self, md: ModelDialog, op_id: str, now: datetime) -> None:
        """The operator declined the dialog (or let its offer lapse): not offered it again until
        the ``decline_memory`` passes (for good without one)."""
        memory = self.config.decline_memory
        md.declined[op_id] = now + memory if memory is not None else None

    def declined_by_all(self, md: ModelDialog) -> tuple[str, ...]:
        """The members of the dialog's target who could take it (not excluded, meeting its
        requirements now) when every one of them declined it; empty otherwise."""
        assert md.target is not None
        needs, language = self.requirements(md)
        could = [
            op_id
            for op_id in self.members(md.target)
            if op_id not in md.excluded
            and all(self.config_ops[op_id].skills.get(s, 0) >= level for s, level in needs.items())
            and (language is None or language in self.config_ops[op_id].languages)
        ]
        return tuple(could) if could and set(could) <= set(md.declined) else ()

    def enqueue(self, event: DialogQueued) -> None:
        md = self.dialogs[event.dialog_id]
        assert md.state is None
        assert event.target == md.target
        assert event.pool == self.is_pool(event.target)
        if not event.pool:
            eligible = self.eligible_members(md)
            assert not eligible, f"{md.dialog.id} queued while {eligible} could take it"
        self.queue_seq += 1
        md.state = DialogState.QUEUED
        md.operator_id = None
        md.pool = event.pool
        md.seq = self.queue_seq
        md.waiting_since = event.at
        md.notified = SlaLevel.OK

    def apply(self, events: tuple[Event, ...], now: datetime, drainer: str | None = None) -> None:
        """Check each event against the model, then carry it out in the model."""
        for event in events:
            assert event.at == now or isinstance(event, SlaLevelChanged | RequirementRelaxed)
            if isinstance(event, DialogAssigned | DialogOffered):
                self.assign(event, drainer)
            elif isinstance(event, DialogQueued):
                self.enqueue(event)
            elif isinstance(event, RequirementRelaxed):
                self.relax(event, now)
            else:
                raise AssertionError(f"unexpected event {event!r}")

    def position(self, md: ModelDialog) -> int:
        assert md.target is not None
        return self.queue(md.target, md.pool).index(md.dialog.id) + 1

    def sla_events(self, now: datetime) -> list[SlaLevelChanged]:
        """The SLA level changes a tick at ``now`` must announce, in deadline order."""
        due: list[tuple[datetime, int, int, str, SlaLevel]] = []
        for md in self.queued():
            assert md.waiting_since is not None
            assert md.seq is not None
            sla = self.channels[md.dialog.channel].sla
            for level, after in ((SlaLevel.WARN, sla.warn), (SlaLevel.CRITICAL, sla.critical)):
                at = md.waiting_since + after
                if at <= now and _LEVEL_RANK[level] > _LEVEL_RANK[md.notified]:
                    due.append((at, md.seq, _LEVEL_RANK[level], md.dialog.id, level))
        return [SlaLevelChanged(at=at, dialog_id=d, level=level) for at, _, _, d, level in sorted(due)]


def _matches(predicate: Predicate, dialog: Dialog) -> bool:
    """The rule predicates the test configs use, evaluated by hand."""
    if isinstance(predicate, TopicIs):
        return dialog.topic in predicate.topics
    if isinstance(predicate, OnChannel):
        return dialog.channel in predicate.channels
    if isinstance(predicate, HasTag):
        return predicate.tag in dialog.tags
    raise AssertionError(f"the model does not know {predicate!r}")
