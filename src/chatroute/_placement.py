"""The router's decisions: choosing a target and picking an operator.

:class:`Decider` reads the topology and the state and changes nothing (so
:meth:`Router.explain` can dry-run it): :meth:`Decider.decide` finds the target (the
visitor's department, the rules or the fallback), then lets the target's strategy pick
an operator through a :class:`~chatroute.strategies.Picker` over the target's index
(:class:`~chatroute._picking.IndexPicker`),
and writes the trace when explaining. The result is a :class:`~chatroute._draft.Draft`; carrying it out
is :mod:`chatroute._applying`'s job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ._departments import group_problem
from ._draft import Draft
from ._eligibility import AVOIDED, declined_by_all, ineligible
from ._overflow import Placing, overflow
from ._picking import IndexPicker, fitting
from ._relaxing import relaxed_notes
from ._router_state import RouterState
from ._state import LiveDialog
from ._topology import Topology
from ._trace_facts import RulesTried, replayable
from ._tracing import Tracer
from .decision import GroupCheck, Outcome, Reason, RuleCheck, Trace
from .model import Client, Dialog, Target, TargetKind
from .rules import RuleContext, Trigger
from .strategies import Strategy

__all__ = ["Decider"]

#: routable, but no room now: a preferred operator worth waiting for
_BUSY = frozenset({Reason.AT_LIMIT, Reason.CHANNEL_LIMIT, Reason.CAPPED, Reason.WRAP_UP})


class _Notes:
    """What a decision saw, gathered while it is made (only when explaining)."""

    __slots__ = ("groups", "notes", "rules")

    def __init__(self) -> None:
        self.rules: RulesTried | None = None
        self.groups: list[GroupCheck] = []
        self.notes: list[str] = []


class _Refusal:
    """Why no target could take a dialog, and the earliest time a closed one reopens.

    Also carries the name of the rule whose target was chosen, when one was, and the busy
    preferred operator the dialog would wait for.
    """

    __slots__ = ("reason", "reopens_at", "rule", "waiting")

    def __init__(self) -> None:
        self.reason: str | None = None
        self.reopens_at: datetime | None = None
        self.rule: str | None = None
        # the busy preferred operator the dialog would wait for, until when, and then where
        self.waiting: tuple[str, datetime, Target] | None = None

    def reopening(self, opens: datetime | None) -> None:
        if opens is not None and (self.reopens_at is None or opens < self.reopens_at):
            self.reopens_at = opens


class Decider:
    """Decides where a dialog goes, reading the topology and the state and writing neither.

    The one exception is a strategy's random source, drawn from when the decision is
    real (not ``dry``); a dry run draws from a copy.
    """

    __slots__ = ("_host_rules", "_patient", "state", "topology", "tracer")

    def __init__(self, topology: Topology, state: RouterState) -> None:
        self.topology = topology
        self.state = state
        self.tracer = Tracer(topology, state)
        # some target's strategy waits for a busy favourite (Sticky with a wait)
        self._patient = any(s.patience() is not None for s in topology.strategies.values())
        # the positions of the rules a trace explains while deciding (the others when read)
        rules = topology.config.rules
        self._host_rules = frozenset(i for i, rule in enumerate(rules) if not replayable(rule.when))

    def decide(
        self,
        rec: LiveDialog,
        client: Client | None,
        now: datetime,
        *,
        trace: bool,
        dry: bool = False,
        forced: Target | None = None,
        full: bool = False,
        patient: bool = True,
    ) -> Draft:
        """Where the dialog should go now. Changes nothing but random sources (unless dry).

        ``trace``: explain the decision; ``full``: list every member of the target in it.
        ``patient=False``: a busy preferred operator is not waited for (the wait ran out).
        """
        notes = _Notes() if trace else None
        if notes is not None:
            if rec.region_note is not None:
                notes.notes.append(rec.region_note)
            extra = rec.extra
            if extra is not None and extra.relax:
                notes.notes.extend(relaxed_notes(extra.relax, rec.routed_at, extra.relaxed_at))
        ctx = RuleContext(now=now, client=client, region=rec.dialog.region)
        if forced is not None:
            # an operator's explicit transfer: the target's filters do not apply
            refusal = _Refusal()
            target: Target | None = self._resolve_preferred(
                forced, rec, client, notes, refusal if patient else None, now
            )
        else:
            target, refusal = self._select_target(rec, ctx, notes)
        if target is None:
            return Draft(
                dialog_id=rec.id,
                outcome=Outcome.REJECTED,
                reason=refusal.reason,
                reopens_at=refusal.reopens_at,
                trace=self._trace(notes, rec, None, None, None, full),
            )
        if patient and self._patient and target.kind is not TargetKind.OPERATOR:
            target = self._await_favourite(target, rec, client, notes, refusal, now)
        placing = self._placing(target, rec, client, now, dry)
        if forced is None and placing.waits and placing.key in self.topology.spills:

            def place(to: Target) -> Placing | str:
                to = self._resolve_preferred(to, rec, client, notes, None, now)
                problem = self._target_fits(to, rec.dialog, ctx, notes, refusal)
                return problem if problem is not None else self._placing(to, rec, client, now, dry)

            placing, capped = overflow(
                placing, self.topology, self.state, place, notes.notes if notes is not None else None
            )
            if capped is not None:
                if notes is not None:
                    notes.groups.append(capped)
                return Draft(
                    dialog_id=rec.id,
                    outcome=Outcome.REJECTED,
                    reason=f"queue_full: group {capped.group_id!r}: {capped.detail}",
                    reason_code=Reason.QUEUE_FULL,
                    rule=refusal.rule,
                    trace=self._trace(notes, rec, placing.target, placing.strategy, None, full),
                )
        target, key, strategy, pool = placing.target, placing.key, placing.strategy, placing.pool
        chosen, offered_to = placing.chosen, placing.offered_to
        picked = chosen if chosen is not None else (offered_to[0] if len(offered_to) == 1 else None)
        if chosen is not None and self.topology.config.accept_timeout is not None:
            offered_to, chosen = (chosen,), None
        waits = chosen is None and not pool and not offered_to
        if waits and notes is not None and rec.declined and self.topology.declines_managed:
            self._note_declined(rec, key, target, notes)
        trace_ = self._trace(notes, rec, target, strategy, picked, full, key)
        reason = self.tracer.busy(target, trace_) if waits else None
        outcome = Outcome.ASSIGNED if chosen is not None else Outcome.QUEUED
        waiting = refusal.waiting
        if waiting is not None and target.kind is TargetKind.OPERATOR and target.id == waiting[0]:
            waits_for = waiting if outcome is Outcome.QUEUED and not offered_to else None
        else:
            waits_for = None
        return Draft(
            waits_for=waits_for,
            dialog_id=rec.id,
            rule=refusal.rule,
            outcome=Outcome.OFFERED if offered_to else outcome,
            offered_to=offered_to,
            offer_expires_at=self.topology.offer_expiry(now) if offered_to else None,
            operator_id=chosen,
            group_id=target.id if target.kind is TargetKind.GROUP else None,
            target=target,
            target_key=key,
            pool=pool,
            reason=reason,
            trace=trace_,
        )

    def _note_declined(self, rec: LiveDialog, key: str, target: Target, notes: _Notes) -> None:
        """Say so when the dialog waits because everyone who could take it declined it."""
        declined = declined_by_all(rec, (self.state.ops[op_id] for op_id in self.topology.members[key]))
        if declined:
            names = ", ".join(repr(op_id) for op_id in declined)
            notes.notes.append(
                f"every operator of {target} who could take it declined it ({names});"
                f" all_declined is {self.topology.config.all_declined.value!r}"
            )

    def _placing(
        self, target: Target, rec: LiveDialog, client: Client | None, now: datetime, dry: bool
    ) -> Placing:
        """The dialog's place on the target: who takes it now, who is offered it, or that it waits."""
        key = self.topology.target_key(target)
        strategy = self.topology.strategies.get(key)
        pool = strategy is not None and strategy.manual
        offered_to: tuple[str, ...] = ()
        if target.kind is TargetKind.OPERATOR:
            op = self.state.ops[str(target.id)]
            chosen = op.id if ineligible(op, rec, self.topology.config) is None else None
        elif strategy is None or pool:
            chosen = None
        elif strategy.broadcast:
            offered_to, chosen = tuple(fitting(self.state, rec, self.state.available.index(key))), None
        else:
            chosen = self.pick(rec, key, strategy, client, now, dry)
        return Placing(target, key, strategy, pool, chosen, offered_to)

    def trigger_for(self, rec: LiveDialog, dialog: Dialog, event: str, now: datetime) -> Trigger | None:
        """The first of the config's triggers for ``event`` that matches and would move the dialog."""
        ctx = RuleContext(now=now, client=self.state.client_of(dialog), region=dialog.region)
        return next(
            (
                t
                for t in self.topology.config.triggers
                if t.on == event and t.when(dialog, ctx) and _moves(rec, t.to)
            ),
            None,
        )

    def _trace(
        self,
        notes: _Notes | None,
        rec: LiveDialog,
        target: Target | None,
        strategy: Strategy | None,
        picked: str | None,
        full: bool,
        key: str | None = None,
    ) -> Trace | None:
        if notes is None:
            return None
        return self.tracer.trace(
            rec,
            target,
            strategy,
            picked,
            rules=notes.rules,
            groups=notes.groups,
            notes=notes.notes,
            full=full,
            key=key,
        )

    def _select_target(
        self, rec: LiveDialog, ctx: RuleContext, notes: _Notes | None
    ) -> tuple[Target | None, _Refusal]:
        """The visitor's department, else the first matching rule that can take it, else the fallback.

        A preferred-operator target is resolved first (to the operator, or to its
        alternative), so the filters of the group it resolves to apply like any other.
        Dialogs from channels without IP fall back to the config's ``messenger_group``
        when it names one.
        """
        dialog = rec.dialog
        refusal = _Refusal()
        if dialog.chosen_group_id is not None:
            target = self.topology.group_targets[dialog.chosen_group_id]
            if self._target_fits(target, dialog, ctx, notes, refusal) is None:
                if notes is not None:
                    notes.notes.append(f"the visitor chose group {dialog.chosen_group_id!r}")
                return target, refusal
        rules = self.topology.config.rules
        # the rules tried, recorded as a count (the text is written when the trace is read)
        tried, hosts = None, self._host_rules
        if notes is not None and rules:
            tried = notes.rules = RulesTried(rules, dialog, ctx)
        for i, rule in enumerate(rules):
            matched = rule.when(dialog, ctx)
            if not matched:
                if hosts and tried is not None and i in hosts:
                    detail = rule.when.explain(dialog, ctx)
                    tried.written[i] = RuleCheck(rule=rule.name, matched=False, detail=detail)
                continue
            target = self._resolve_preferred(rule.to, rec, ctx.client, notes, refusal, ctx.now)
            skipped = self._target_fits(target, dialog, ctx, notes, refusal)
            if tried is not None:
                detail = rule.when.explain(dialog, ctx)
                tried.written[i] = RuleCheck(rule=rule.name, matched=True, detail=detail, skipped=skipped)
                tried.tried = i + 1
            if skipped is None:
                refusal.rule = rule.name
                return target, refusal
        if tried is not None:
            tried.tried = len(rules)
        fallback = self._fallback(dialog, notes)
        fallback = self._resolve_preferred(fallback, rec, ctx.client, notes, refusal, ctx.now)
        problem = self._target_fits(fallback, dialog, ctx, notes, refusal)
        if problem is not None:
            refusal.reason = f"the fallback {fallback} cannot take it: {problem}"
            return None, refusal
        return fallback, refusal

    def _fallback(self, dialog: Dialog, notes: _Notes | None) -> Target:
        """Where a dialog goes when no rule applied."""
        messengers = self.topology.config.messenger_group
        if messengers is not None and not self.topology.channels[dialog.channel].carries_ip:
            if notes is not None:
                notes.notes.append(
                    f"no rule applied: channel {dialog.channel!r} carries no IP,"
                    f" so to the messenger group {messengers!r}"
                )
            return self.topology.group_targets[messengers]
        if notes is not None:
            notes.notes.append(f"no rule applied: fallback to {self.topology.config.fallback}")
        return self.topology.config.fallback

    def _target_fits(
        self, target: Target, dialog: Dialog, ctx: RuleContext, notes: _Notes | None, refusal: _Refusal
    ) -> str | None:
        """Why a group target's filters refuse this dialog (or an operator target it avoids), or None."""
        if target.kind is not TargetKind.GROUP:
            if target.kind is TargetKind.OPERATOR and target.id in dialog.avoid:
                if notes is not None:
                    notes.notes.append(f"operator {target.id!r} is avoided: {AVOIDED[1]}")
                return f"operator {target.id!r}: {AVOIDED[1]}"
            return None
        group = self.topology.groups[str(target.id)]
        problem = group_problem(group, dialog, self.topology.channels[dialog.channel], ctx)
        if problem is None:
            return None
        reason, detail = problem
        if notes is not None:
            notes.groups.append(GroupCheck(group_id=group.id, reason=reason, detail=detail))
        if reason is Reason.CLOSED and group.schedule is not None:
            refusal.reopening(group.schedule.next_open(ctx.now))
        return f"group {group.id!r}: {detail}"

    def _resolve_preferred(
        self,
        target: Target,
        rec: LiveDialog,
        client: Client | None,
        notes: _Notes | None,
        found: _Refusal | None,
        now: datetime,
    ) -> Target:
        """Turn a preferred-operator target into that operator, or into its alternative.

        With a ``wait`` on the target and ``found`` to note it in, a preferred operator
        who is routable but busy is kept: the dialog waits for them.
        """
        for _ in range(3):
            if target.kind is not TargetKind.PREFERRED_OPERATOR:
                return target
            preferred = client.preferred_operator_id if client is not None else None
            op = self.state.ops.get(preferred) if preferred is not None else None
            problem = (
                ineligible(op, rec, self.topology.config) if op is not None else (Reason.NO_OPERATOR, "")
            )
            if problem is None:
                if notes is not None:
                    notes.notes.append(f"the client's preferred operator {preferred!r} can take it")
                return Target.operator(str(preferred))
            if found is not None and target.wait is not None and problem[0] in _BUSY:
                then = target.otherwise or self.topology.config.fallback
                who = "the client's preferred operator"
                return self._wait_for(str(preferred), who, problem[1], target.wait, then, found, notes, now)
            if notes is not None:
                why = (
                    "the client has no preferred operator"
                    if op is None
                    else (f"the client's preferred operator {preferred!r} cannot take it: {problem[1]}")
                )
                notes.notes.append(why)
            target = target.otherwise or self.topology.config.fallback
        return Target.everyone()

    def _await_favourite(
        self,
        target: Target,
        rec: LiveDialog,
        client: Client | None,
        notes: _Notes | None,
        found: _Refusal,
        now: datetime,
    ) -> Target:
        """The target, or the client's favourite operator of its strategy to wait for.

        When the target's strategy waits for a busy favourite (``Sticky(wait=...)``) and
        none of the client's favourites among the target's members can take the dialog
        now, the first who is routable but busy is waited for, as a busy preferred
        operator is; then the target's strategy picks as usual.
        """
        key = self.topology.target_key(target)
        strategy = self.topology.strategies.get(key)
        wait = strategy.patience() if strategy is not None else None
        if wait is None or strategy is None:
            return target
        busy: tuple[str, str] | None = None
        for op_id in strategy.favourites(client):
            op = self.state.ops.get(op_id)
            if op is None or key not in op.targets:
                continue
            problem = ineligible(op, rec, self.topology.config)
            if problem is None:
                return target  # free now: the strategy picks them
            if busy is None and problem[0] in _BUSY:
                busy = op_id, problem[1]
        if busy is None:
            return target
        op_id, detail = busy
        assert client is not None
        own = "preferred" if op_id == client.preferred_operator_id else "last"
        return self._wait_for(op_id, f"the client's {own} operator", detail, wait, target, found, notes, now)

    @staticmethod
    def _wait_for(
        op_id: str,
        who: str,
        busy: str,
        wait: timedelta,
        then: Target,
        found: _Refusal,
        notes: _Notes | None,
        now: datetime,
    ) -> Target:
        """Keep a busy operator the client prefers: the dialog waits for them up to ``wait``,
        then goes to ``then``."""
        until = now + wait
        found.waiting = (op_id, until, then)
        if notes is not None:
            notes.notes.append(
                f"{who} {op_id!r} is busy ({busy}):"
                f" waiting for {op_id!r} until {until.isoformat()}, then {then}"
            )
        return Target.operator(op_id)

    def pick(
        self,
        rec: LiveDialog,
        key: str,
        strategy: Strategy,
        client: Client | None,
        now: datetime,
        dry: bool,
        constrained: bool | None = None,
    ) -> str | None:
        """The operator the target's strategy picks, through the target's index.

        ``constrained``: whether some available operators may be unable to take the
        dialog, when the caller knows already (None: found out here).
        """
        available = self.state.available
        index = available.indexes.get(key)
        if index is None:
            index = available.index(key)
        if not index:
            return None
        return strategy.pick(IndexPicker(self.state, rec, key, index, client, now, dry, constrained))


def _moves(rec: LiveDialog, target: Target) -> bool:
    """Whether a trigger to ``target`` would move the dialog: it is not there already, and
    ``target`` is not an operator the dialog avoids."""
    if target.kind is TargetKind.OPERATOR:
        return rec.operator_id != target.id and target.id not in rec.dialog.avoid
    return rec.target != target
