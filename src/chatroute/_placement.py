"""The router's state and its decisions: choosing a target and picking an operator.

:class:`Placement` holds the router's state, its indexes and lookups, and ``_decide``,
which looks and changes nothing (so :meth:`Router.explain` can dry-run it). Carrying a
decision out is in :mod:`chatroute._applying`, lapses and status changes in
:mod:`chatroute._timeouts`, loading snapshots in :mod:`chatroute._persist`; the public
calls are in :mod:`chatroute.router`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import chain

from ._departments import group_problem
from ._state import AvailableIndex, IdIndex, LiveDialog, LiveOperator, RankedIndex, RankKey
from .config import RoutingConfig
from .decision import Decision, GroupCheck, OperatorCheck, Outcome, Reason, RuleCheck, Trace
from .errors import DialogClosed, InvalidValue, UnknownDialog, UnknownGroup, UnknownOperator
from .events import Event
from .geo import GeoResolver
from .model import Channel, Client, Dialog, DialogState, Group, SlaLevel, Target, TargetKind
from .queue import ChannelPriorityQueue, wait_estimate
from .rules import RuleContext
from .strategies import (
    RandomWithinLimit,
    Ranked,
    RoundRobin,
    Sticky,
    Strategy,
    StrategyContext,
)

EVERYONE = "everyone"
_TRACE_LISTED = 50  # operators listed by name in a trace; the rest are counted


def check_id(value: object, field: str) -> None:
    """Refuse an id that is not a string, naming the field."""
    if not isinstance(value, str):
        raise InvalidValue(field, value, "an id must be a string")


def rank_of(strategy: Strategy) -> Callable[[LiveOperator], RankKey] | None:
    """The key a target's available-operator index is sorted by; None for id order."""
    inner = strategy.then if isinstance(strategy, Sticky) else strategy
    return inner.key if isinstance(inner, Ranked) else None


def target_key(target: Target) -> str:
    """The internal name of a resolved target's queue and index."""
    if target.kind is TargetKind.GROUP:
        return f"group:{target.id}"
    if target.kind is TargetKind.OPERATOR:
        return f"operator:{target.id}"
    return EVERYONE


def pool_key(target_key: str) -> str:
    """The internal name of a target's manual pool."""
    return "pool:" + target_key


class _Notes:
    """What a decision saw, gathered while it is made (only when explaining)."""

    __slots__ = ("groups", "notes", "rules")

    def __init__(self) -> None:
        self.rules: list[RuleCheck] = []
        self.groups: list[GroupCheck] = []
        self.notes: list[str] = []


class Draft:
    """A decision while it is being made and carried out; :meth:`build` freezes it.

    The router fills in the events and the queue position once the decision is applied,
    so the frozen :class:`Decision` is built once, at the end.
    """

    __slots__ = (
        "dialog_id",
        "group_id",
        "offer_expires_at",
        "offered_to",
        "operator_id",
        "outcome",
        "pool",
        "reason",
        "reopens_at",
        "rule",
        "target",
        "trace",
    )

    def __init__(
        self,
        *,
        dialog_id: str,
        outcome: Outcome,
        operator_id: str | None = None,
        group_id: str | None = None,
        target: Target | None = None,
        pool: bool = False,
        reason: str | None = None,
        reopens_at: datetime | None = None,
        rule: str | None = None,
        offered_to: tuple[str, ...] = (),
        offer_expires_at: datetime | None = None,
        trace: Trace | None = None,
    ) -> None:
        self.dialog_id = dialog_id
        self.outcome = outcome
        self.operator_id = operator_id
        self.group_id = group_id
        self.target = target
        self.pool = pool
        self.reason = reason
        self.reopens_at = reopens_at
        self.rule = rule
        self.offered_to = offered_to
        self.offer_expires_at = offer_expires_at
        self.trace = trace

    def build(
        self,
        events: tuple[Event, ...] = (),
        position: int | None = None,
        estimated_wait: timedelta | None = None,
    ) -> Decision:
        """The frozen decision, with what carrying it out produced."""
        return Decision(
            dialog_id=self.dialog_id,
            outcome=self.outcome,
            operator_id=self.operator_id,
            group_id=self.group_id,
            target=self.target,
            position=position,
            estimated_wait=estimated_wait,
            pool=self.pool,
            reason=self.reason,
            reopens_at=self.reopens_at,
            rule=self.rule,
            offered_to=self.offered_to,
            offer_expires_at=self.offer_expires_at,
            events=events,
            trace=self.trace,
        )


class _Refusal:
    """Why no target could take a dialog, and the earliest time a closed one reopens.

    Also carries the name of the rule whose target was chosen, when one was.
    """

    __slots__ = ("reason", "reopens_at", "rule")

    def __init__(self) -> None:
        self.reason: str | None = None
        self.reopens_at: datetime | None = None
        self.rule: str | None = None

    def reopening(self, opens: datetime | None) -> None:
        if opens is not None and (self.reopens_at is None or opens < self.reopens_at):
            self.reopens_at = opens


class Placement:
    """Router state and the steps of routing; see :class:`chatroute.Router`."""

    def __init__(self, config: RoutingConfig, *, seed: int = 0, geo: GeoResolver | None = None) -> None:
        if not isinstance(config, RoutingConfig):
            raise InvalidValue("config", config, "must be a RoutingConfig")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidValue("seed", seed, "must be an integer")
        if geo is not None and not isinstance(geo, GeoResolver):
            raise InvalidValue("geo", geo, "must be a GeoResolver (an object with resolve(ip))")
        config.validate()
        self._config = config
        self._seed = seed
        self._geo = geo
        self._statuses = {s.key: s for s in config.all_statuses()}
        self._channels: dict[str, Channel] = {c.name: c for c in config.channels}
        self._groups: dict[str, Group] = {g.id: g for g in config.groups}
        self._group_targets = {g.id: Target.group(g.id) for g in config.groups}
        self._group_keys = {g.id: target_key(self._group_targets[g.id]) for g in config.groups}
        self._strategies: dict[str, Strategy] = {EVERYONE: config.strategy}
        self._members: dict[str, tuple[str, ...]] = {EVERYONE: tuple(sorted(o.id for o in config.operators))}
        served: dict[str, list[str]] = {o.id: [f"operator:{o.id}"] for o in config.operators}
        group_limits: dict[str, list[int]] = {o.id: [] for o in config.operators}
        for group in config.groups:
            key = self._group_keys[group.id]
            self._strategies[key] = group.strategy or config.strategy
            self._members[key] = tuple(sorted(group.operator_ids))
            for op_id in group.operator_ids:
                served[op_id].append(key)
                if group.limit is not None:
                    group_limits[op_id].append(group.limit)
        # One rank function per strategy, shared by its indexes, so re-ranking an operator
        # computes their key once for all the indexes that rank alike.
        ranks: dict[int, Callable[[LiveOperator], RankKey] | None] = {}
        self._ranks = {
            key: ranks.setdefault(id(strategy), rank_of(strategy))
            for key, strategy in self._strategies.items()
        }
        self._ops: dict[str, LiveOperator] = {}
        for op in config.operators:
            limits = group_limits[op.id]
            limit = op.limit if op.limit is not None else min(limits, default=config.default_limit)
            routable = self._statuses[op.status].routable
            self._ops[op.id] = LiveOperator(op, limit, routable, (*served[op.id], EVERYONE))
        self._limited_channels = frozenset(ch for op in config.operators for ch in op.channel_limits)
        self._dialogs: dict[str, LiveDialog] = {}
        self._clients: dict[str, Client] = {}
        self._queues: dict[str, ChannelPriorityQueue] = {}
        self._indexes: dict[str, AvailableIndex] = {}
        self._capacity: dict[str, int] = {}
        self._deadlines: list[tuple[datetime, int, int, str, int, SlaLevel]] = []
        self._offer_deadlines: list[tuple[datetime, str, int]] = []  # (expires, dialog id, epoch)
        self._reply_deadlines: list[tuple[datetime, str, datetime]] = []  # (due, dialog id, assigned at)
        self._ring_deadlines: list[tuple[datetime, str, int]] = []  # (due, dialog id, ring)
        self._cap_deadlines: list[tuple[datetime, str]] = []  # (capped until, operator id)
        # (due, operator id, offline since)
        self._requeue_deadlines: list[tuple[datetime, str, datetime]] = []
        self._rules = {rule.name: rule for rule in config.rules}
        self._rngs: dict[str, random.Random] = {}
        self._last_picks: dict[str, str] = {}
        self._assign_seq = 0
        self._queue_seq = 0
        self._handle_time = config.default_handle_time.total_seconds()
        self._rebuild()

    def _rebuild(self) -> None:
        """Recompute indexes and capacities from the operators' states.

        Everyone's index (every operator, the largest) is built on first use: when no
        rule, fallback or transfer sends dialogs to everyone, nobody pays to keep it.
        """
        self._indexes = {}
        for op in self._ops.values():
            op.ranked_in, op.flagged_in = (), ()
        for key in self._strategies:
            if key != EVERYONE:
                self._install(key)
        self._capacity = {}
        for op in self._ops.values():
            if op.routable:
                self._add_capacity(op, op.limit)
            self._refresh(op)

    def _index(self, key: str) -> AvailableIndex:
        """Who of the target can take a dialog now, best first (built on first use)."""
        index = self._indexes.get(key)
        if index is None:
            index = self._install(key)
            for op_id in self._members[key]:
                self._refresh(self._ops[op_id])  # the new index learns them; the others stay as they are
        return index

    def _install(self, key: str) -> AvailableIndex:
        """A new, empty index for the target, known to each of its members.

        Ranked by the strategy's key, or flags over the members in id order.
        """
        rank = self._ranks[key]
        index = self._indexes[key] = IdIndex(self._members[key]) if rank is None else RankedIndex(rank)
        for op_id in self._members[key]:
            op = self._ops[op_id]
            if isinstance(index, IdIndex):
                op.flagged_in = (*op.flagged_in, index)
            else:
                op.ranked_in = (*op.ranked_in, index)
        return index

    # ------------------------------------------------------------------ lookups
    def _client_of(self, dialog: Dialog) -> Client | None:
        if dialog.client_id is None:
            return None
        return self._clients.get(dialog.client_id) or Client(id=dialog.client_id)

    def _check_target(self, target: Target, field: str) -> None:
        if target.kind is TargetKind.GROUP and target.id not in self._groups:
            raise UnknownGroup(str(target.id), field=f"{field}.group")
        if target.kind is TargetKind.OPERATOR and target.id not in self._ops:
            raise UnknownOperator(str(target.id), field=f"{field}.operator")
        if target.otherwise is not None:
            self._check_target(target.otherwise, f"{field}.otherwise")

    def _open_dialog(self, dialog_id: str) -> LiveDialog:
        rec = self._dialog(dialog_id)
        if rec.state is DialogState.CLOSED:
            raise DialogClosed(rec.id)
        return rec

    def _dialog(self, dialog_id: str) -> LiveDialog:
        check_id(dialog_id, "dialog_id")
        rec = self._dialogs.get(dialog_id)
        if rec is None:
            raise UnknownDialog(dialog_id, field="dialog_id")
        return rec

    def _operator(self, operator_id: str, field: str = "operator_id") -> LiveOperator:
        check_id(operator_id, field)
        op = self._ops.get(operator_id)
        if op is None:
            raise UnknownOperator(operator_id, field=field)
        return op

    # ----------------------------------------------------------------- deciding

    def _decide(
        self,
        rec: LiveDialog,
        client: Client | None,
        now: datetime,
        *,
        trace: bool,
        dry: bool = False,
        forced: Target | None = None,
    ) -> Draft:
        """Where the dialog should go now. Changes nothing but random sources (unless dry)."""
        notes = _Notes() if trace else None
        if notes is not None and rec.region_note is not None:
            notes.notes.append(rec.region_note)
        ctx = RuleContext(now=now, client=client, region=rec.dialog.region)
        if forced is not None:
            # an operator's explicit transfer: the target's filters do not apply
            target: Target | None = self._resolve_preferred(forced, rec, client, notes)
            refusal = _Refusal()
        else:
            target, refusal = self._select_target(rec, ctx, notes)
        if target is None:
            return Draft(
                dialog_id=rec.id,
                outcome=Outcome.REJECTED,
                reason=refusal.reason,
                reopens_at=refusal.reopens_at,
                trace=self._trace(notes, None, None, ()),
            )
        key = self._target_key(target)
        strategy = self._strategies.get(key)
        pool = strategy is not None and strategy.manual
        offered_to: tuple[str, ...] = ()
        if target.kind is TargetKind.OPERATOR:
            op = self._ops[str(target.id)]
            chosen = op.id if self._ineligible(op, rec) is None else None
        elif strategy is None or pool:
            chosen = None
        elif strategy.broadcast:
            offered_to, chosen = tuple(self._fitting(rec, self._index(key))), None
        else:
            chosen = self._pick(rec, key, strategy, client, now, dry)
        picked = chosen if chosen is not None else (offered_to[0] if len(offered_to) == 1 else None)
        if chosen is not None and self._config.accept_timeout is not None:
            offered_to, chosen = (chosen,), None
        checks = self._operator_checks(key, rec, picked, strategy) if notes is not None else ()
        reason = None
        if chosen is None and not pool and not offered_to:
            counts = Counter(c.reason.value for c in checks if c.reason is not None)
            summary = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
            reason = f"nobody in {target} can take it now" + (f" ({summary})" if summary else "")
        outcome = Outcome.ASSIGNED if chosen is not None else Outcome.QUEUED
        return Draft(
            dialog_id=rec.id,
            rule=refusal.rule,
            outcome=Outcome.OFFERED if offered_to else outcome,
            offered_to=offered_to,
            offer_expires_at=self._offer_expiry(now) if offered_to else None,
            operator_id=chosen,
            group_id=target.id if target.kind is TargetKind.GROUP else None,
            target=target,
            pool=pool,
            reason=reason,
            trace=self._trace(notes, target, strategy, checks),
        )

    def _offer_expiry(self, now: datetime) -> datetime | None:
        timeout = self._config.accept_timeout
        return None if timeout is None else now + timeout

    def _trace(
        self,
        notes: _Notes | None,
        target: Target | None,
        strategy: Strategy | None,
        checks: tuple[OperatorCheck, ...],
    ) -> Trace | None:
        if notes is None:
            return None
        listed = checks[:_TRACE_LISTED]
        return Trace(
            rules=tuple(notes.rules),
            groups=tuple(notes.groups),
            operators=listed,
            operators_omitted=len(checks) - len(listed),
            target=target,
            strategy=strategy.describe() if strategy is not None else None,
            notes=tuple(notes.notes),
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
            target = self._group_targets[dialog.chosen_group_id]
            if self._target_fits(target, dialog, ctx, notes, refusal) is None:
                if notes is not None:
                    notes.notes.append(f"the visitor chose group {dialog.chosen_group_id!r}")
                return target, refusal
        for rule in self._config.rules:
            matched = rule.when(dialog, ctx)
            target = self._resolve_preferred(rule.to, rec, ctx.client, notes) if matched else rule.to
            skipped = self._target_fits(target, dialog, ctx, notes, refusal) if matched else None
            if notes is not None:
                detail = rule.when.explain(dialog, ctx)
                notes.rules.append(RuleCheck(rule=rule.name, matched=matched, detail=detail, skipped=skipped))
            if matched and skipped is None:
                refusal.rule = rule.name
                return target, refusal
        fallback = self._fallback(dialog, notes)
        fallback = self._resolve_preferred(fallback, rec, ctx.client, notes)
        problem = self._target_fits(fallback, dialog, ctx, notes, refusal)
        if problem is not None:
            refusal.reason = f"the fallback {fallback} cannot take it: {problem}"
            return None, refusal
        return fallback, refusal

    def _fallback(self, dialog: Dialog, notes: _Notes | None) -> Target:
        """Where a dialog goes when no rule applied."""
        messengers = self._config.messenger_group
        if messengers is not None and not self._channels[dialog.channel].carries_ip:
            if notes is not None:
                notes.notes.append(
                    f"no rule applied: channel {dialog.channel!r} carries no IP,"
                    f" so to the messenger group {messengers!r}"
                )
            return self._group_targets[messengers]
        if notes is not None:
            notes.notes.append(f"no rule applied: fallback to {self._config.fallback}")
        return self._config.fallback

    def _target_fits(
        self, target: Target, dialog: Dialog, ctx: RuleContext, notes: _Notes | None, refusal: _Refusal
    ) -> str | None:
        """Why a group target's filters refuse this dialog, or None when they let it in."""
        if target.kind is not TargetKind.GROUP:
            return None
        group = self._groups[str(target.id)]
        problem = group_problem(group, dialog, self._channels[dialog.channel], ctx)
        if problem is None:
            return None
        reason, detail = problem
        if notes is not None:
            notes.groups.append(GroupCheck(group_id=group.id, reason=reason, detail=detail))
        if reason is Reason.CLOSED and group.schedule is not None:
            refusal.reopening(group.schedule.next_open(ctx.now))
        return f"group {group.id!r}: {detail}"

    def _resolve_preferred(
        self, target: Target, rec: LiveDialog, client: Client | None, notes: _Notes | None
    ) -> Target:
        """Turn a preferred-operator target into that operator, or into its alternative."""
        for _ in range(3):
            if target.kind is not TargetKind.PREFERRED_OPERATOR:
                return target
            preferred = client.preferred_operator_id if client is not None else None
            op = self._ops.get(preferred) if preferred is not None else None
            problem = self._ineligible(op, rec) if op is not None else (Reason.NO_OPERATOR, "")
            if problem is None:
                if notes is not None:
                    notes.notes.append(f"the client's preferred operator {preferred!r} can take it")
                return Target.operator(str(preferred))
            if notes is not None:
                why = (
                    "the client has no preferred operator"
                    if op is None
                    else (f"the client's preferred operator {preferred!r} cannot take it: {problem[1]}")
                )
                notes.notes.append(why)
            target = target.otherwise or self._config.fallback
        return Target.everyone()

    def _pick(
        self,
        rec: LiveDialog,
        key: str,
        strategy: Strategy,
        client: Client | None,
        now: datetime,
        dry: bool,
    ) -> str | None:
        """The operator the target's strategy picks, using the target's index."""
        index = self._index(key)
        if not index:
            return None
        if isinstance(strategy, Sticky):
            for favourite in Sticky.favourites(client):
                op = self._ops.get(favourite)
                if op is not None and favourite in index and self._ineligible(op, rec) is None:
                    return favourite
            strategy = strategy.then
        if isinstance(strategy, Ranked):
            assert isinstance(index, RankedIndex)
            return index.first(self._fits(rec) if self._constrained(rec) else None)
        if isinstance(strategy, RoundRobin):
            assert isinstance(index, IdIndex)
            last = self._last_picks.get(key)
            if not self._constrained(rec):
                return index.next_after(last)
            after = index.from_rank((last,)) if last is not None else iter(())
            return next(self._fitting(rec, chain(after, index)), None)
        if isinstance(strategy, RandomWithinLimit) and not self._constrained(rec):
            assert isinstance(index, IdIndex)
            return index.at(self._rng(key, strategy, dry).randrange(len(index)))
        candidates = [self._ops[op_id] for op_id in self._fitting(rec, index)]
        if not candidates:
            return None
        # The strategy draws from a copy, kept only once its choice is known to be sound,
        # so a faulty custom strategy leaves the router as it was.
        rng = self._rng(key, strategy, dry=True)
        ctx = StrategyContext(now=now, rng=rng, client=client, last_pick=self._last_picks.get(key))
        chosen = strategy.choose(candidates, rec.dialog, ctx)
        if chosen is not None and chosen not in {c.id for c in candidates}:
            raise InvalidValue("strategy", chosen, f"{strategy!r} chose an operator who is not a candidate")
        if not dry:
            self._rngs[key] = rng
        return chosen

    def _fits(self, rec: LiveDialog) -> Callable[[str], bool]:
        """Whether an available operator can take this dialog (skills, channel limits...)."""
        ops = self._ops
        return lambda op_id: self._ineligible(ops[op_id], rec) is None

    def _fitting(self, rec: LiveDialog, ids: Iterator[str] | AvailableIndex) -> Iterator[str]:
        ops = self._ops
        return (op_id for op_id in ids if self._ineligible(ops[op_id], rec) is None)

    def _live(self, dialog: Dialog, channel: Channel, now: datetime) -> LiveDialog:
        """A new live record for the dialog."""
        return LiveDialog(dialog, channel.capacity_weight, now, picky=self._picky(dialog, channel))

    def _picky(self, dialog: Dialog, channel: Channel) -> bool:
        """Whether the dialog needs more than a free slot: weight, skills, a channel with operator limits."""
        return (
            channel.capacity_weight > 1
            or bool(dialog.required_skills)
            or dialog.channel in self._limited_channels
        )

    @staticmethod
    def _constrained(rec: LiveDialog) -> bool:
        """Whether some available operators may still be unable to take this dialog."""
        return rec.picky or bool(rec.excluded) or bool(rec.declined)

    def _rng(self, key: str, strategy: Strategy, dry: bool) -> random.Random:
        rng = self._rngs.get(key)
        if rng is None:
            seed = self._seed
            if isinstance(strategy, RandomWithinLimit) and strategy.seed is not None:
                seed = strategy.seed
            rng = random.Random(f"{seed}/{key}")
            if not dry:
                self._rngs[key] = rng
            return rng
        if dry:
            copy = random.Random()
            copy.setstate(rng.getstate())
            return copy
        return rng

    def _ineligible(self, op: LiveOperator, rec: LiveDialog) -> tuple[Reason, str] | None:
        """Why this operator cannot take this dialog now, or None when they can."""
        if not op.routable:
            return Reason.STATUS, f"status {op.status!r} is not routable"
        if op.id in rec.excluded:
            return Reason.EXCLUDED, "transferred this dialog away"
        if op.id in rec.declined:
            return Reason.DECLINED, "declined an offer of this dialog"
        if op.capped_until is not None:
            return Reason.CAPPED, f"{len(op.intake or ())} new dialogs within {self._config.intake_window}"
        if op.load + rec.weight > op.limit:
            return Reason.AT_LIMIT, f"{op.load} of {op.limit} in use"
        dialog = rec.dialog
        cap = op.operator.channel_limits.get(dialog.channel)
        if cap is not None and op.channel_loads.get(dialog.channel, 0) >= cap:
            return Reason.CHANNEL_LIMIT, f"{cap} {dialog.channel!r} dialogs already"
        for skill, level in dialog.required_skills.items():
            if op.skills.get(skill, 0) < level:
                return Reason.MISSING_SKILL, f"{skill!r} {op.skills.get(skill, 0)} < {level}"
        return None

    def _operator_checks(
        self, key: str, rec: LiveDialog, chosen: str | None, strategy: Strategy | None
    ) -> tuple[OperatorCheck, ...]:
        """Every member of the target with its eligibility, excluded ones first."""
        members = self._members[key] if key in self._members else (key.removeprefix("operator:"),)
        excluded, eligible = [], []
        for op_id in members:
            op = self._ops[op_id]
            problem = self._ineligible(op, rec)
            if problem is not None:
                excluded.append(OperatorCheck(operator_id=op_id, reason=problem[0], detail=problem[1]))
                continue
            detail = f"load {op.load} of {op.limit}"
            if op_id == chosen:
                detail += ": chosen" + (f" by {strategy.describe()}" if strategy else "")
            eligible.append(OperatorCheck(operator_id=op_id, reason=None, detail=detail))
        eligible.sort(key=lambda c: c.operator_id != chosen)
        return (*eligible[:1], *excluded, *eligible[1:])

    def _refresh(self, op: LiveOperator) -> None:
        """Re-rank the operator in every index they are in (their key computed once per rank)."""
        is_available = op.routable and op.load < op.limit and op.capped_until is None
        rank: Callable[[LiveOperator], RankKey] | None = None
        key: RankKey | None = None
        for index in op.ranked_in:
            if index.rank is not rank:
                rank = index.rank
                key = rank(op) if is_available else None
            index.put(op.id, key)
        for flags in op.flagged_in:
            flags.mark(op.id, is_available)

    def _add_capacity(self, op: LiveOperator, delta: int) -> None:
        for key in op.targets:
            self._capacity[key] = self._capacity.get(key, 0) + delta

    def _queue_key(self, rec: LiveDialog) -> str:
        return pool_key(rec.target_key) if rec.pool else rec.target_key

    def _broadcasts(self, target_key: str) -> bool:
        """Whether the target offers its dialogs to every eligible operator at once."""
        strategy = self._strategies.get(target_key)
        return strategy is not None and strategy.broadcast

    def _position(self, rec: LiveDialog) -> int | None:
        if rec.state is not DialogState.QUEUED:
            return None
        return self._queues[self._queue_key(rec)].position(rec.id)

    def _estimate(self, rec: LiveDialog, position: int | None) -> timedelta | None:
        """The dialog's wait estimate, from its ``position`` (None: it is not waiting)."""
        if position is None:
            return None
        return wait_estimate(position, self._handle_time, self._capacity.get(rec.target_key, 0))

    def _target_key(self, target: Target) -> str:
        """The target's key, shared by every dialog placed on it (one string per target)."""
        if target.kind is TargetKind.GROUP:
            return self._group_keys[str(target.id)]
        if target.kind is TargetKind.OPERATOR:
            return self._ops[str(target.id)].targets[0]  # an operator's own key comes first
        return EVERYONE
