"""The Router: the one stateful object. It routes, queues, releases, transfers and explains.

Every call that depends on time takes ``now`` (an aware datetime). Every call either
succeeds and returns the events it caused, or raises a :class:`ChatrouteError` and
leaves the router exactly as it was: each call checks all of its input before it
changes anything.

    >>> from datetime import datetime, timezone
    >>> from chatroute import Dialog, Operator, Router, RoutingConfig
    >>> t = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> router = Router(RoutingConfig(operators=[Operator(id="natalia", status="online")]))
    >>> router.route(Dialog(id="d1"), now=t).operator_id
    'natalia'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._departments import locate
from ._frozen import aware
from ._queries import Queries
from ._router_state import check_id
from ._state import NOBODY, LiveDialog, LiveOperator
from .config import OfflinePolicy, RoutingConfig
from .decision import Decision, Outcome, Reason
from .errors import (
    AlreadyClaimed,
    AtLimit,
    DuplicateDialog,
    InvalidTransition,
    InvalidValue,
    NotEligible,
    UnknownChannel,
    UnknownGroup,
    UnknownStatus,
)
from .events import (
    DialogReleased,
    DialogTransferred,
    Event,
    LimitChanged,
    Via,
)
from .geo import GeoResolver
from .model import Client, Dialog, DialogState, Rating, Target, TargetKind
from .rules import RuleContext
from .snapshot import Snapshot, TransferRecord

__all__ = ["Router"]

_HANDLE_TIME_WEIGHT = 0.1  # weight of the newest closed dialog in the mean handle time


class Router(Queries):
    """Routes dialogs to operators under one :class:`RoutingConfig`.

    Args:
        config: the routing set-up; checked, and refused with a :class:`ConfigError`
            listing every problem.
        seed: seeds every random choice the router makes.
        geo: resolves a dialog's or visitor's IP to a region (for group region filters
            and ``region`` predicates) when the host gives no region; None leaves such
            regions unknown.
    """

    # ------------------------------------------------------------------ dialogs

    def route(self, dialog: Dialog, now: datetime, *, client: Client | None = None) -> Decision:
        """Decide where a new dialog goes, and put it there.

        Tries the rules in order (a department the visitor chose comes first), falls
        back to the config's fallback, then lets the target's strategy pick an eligible
        operator. Nobody free: the dialog waits in the target's queue.

        Args:
            dialog: the new dialog; its id must be new to the router.
            now: the routing time.
            client: the dialog's client, if the host knows more about them than the
                router does (tags, preferred operator).

        Returns:
            The decision, with events and (unless explanations are off) its trace.

        Raises:
            DuplicateDialog: the id was routed before.
            UnknownChannel / UnknownGroup: the dialog names something the config lacks.
            InvalidValue / NaiveDatetime: bad arguments.
        """
        now = aware(now)
        if client is None and isinstance(dialog, Dialog):
            express = self._route_express(dialog, now)
            if express is not None:
                return express
        rec, ctx_client = self._check_new(dialog, client, now)
        decision = self._decide(rec, ctx_client, now, trace=self._config.explain)
        events: list[Event] = []
        if decision.outcome is Outcome.REJECTED:
            return decision.build()
        if ctx_client is not None:  # the host's client, the one known, or a new one
            self._clients[ctx_client.id] = ctx_client
        self._dialogs[rec.id] = rec
        self._apply(rec, decision, now, Via.ROUTE, events)
        return self._finish(decision, rec, now, events)

    def explain(self, dialog: Dialog, now: datetime, *, client: Client | None = None) -> Decision:
        """What :meth:`route` would decide for this dialog now, with the full trace.

        Changes nothing, random sources included. The dialog id may be new or known.
        """
        now = aware(now)
        rec, ctx_client = self._check_new(dialog, client, now, known_ok=True)
        return self._decide(rec, ctx_client, now, trace=True, dry=True).build()

    def release(self, dialog_id: str, now: datetime, *, rating: Rating | None = None) -> tuple[Event, ...]:
        """Close a dialog: its operator's capacity frees and the queue drains into it.

        Args:
            dialog_id: an open dialog (queued, offered or assigned); closing a queued
                dialog means the client left before anyone answered.
            now: when it closed.
            rating: the client's rating, if any.

        Raises:
            UnknownDialog: no such dialog.
            DialogClosed: it is closed already.
        """
        now = aware(now)
        rec = self._open_dialog(dialog_id)
        if rating is not None and not isinstance(rating, Rating):
            raise InvalidValue("rating", rating, "must be a Rating")
        events: list[Event] = []
        was_assigned = rec.state is DialogState.ASSIGNED
        freed = self._detach(rec, refresh=False)  # refreshed once, below
        if freed is not None and was_assigned and rec.assigned_at is not None:
            handled = (now - rec.assigned_at).total_seconds()
            self._handle_time += _HANDLE_TIME_WEIGHT * (max(handled, 0.0) - self._handle_time)
        rec.state = DialogState.CLOSED
        rec.closed_at = now
        rec.rating = rating
        sentiment = rating.sentiment if rating is not None else None
        released = DialogReleased(
            at=now, dialog_id=rec.id, operator_id=rec.operator_id, rating=rating, sentiment=sentiment
        )
        events.append(released)
        if freed is not None and not self._drain(freed, now, events):
            self._refresh(freed)
        return tuple(events)

    def accept(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """An operator accepts a dialog offered to them; for a broadcast, the first accept wins.

        Raises:
            UnknownDialog / UnknownOperator: unknown ids.
            DialogClosed: the dialog is closed.
            AlreadyClaimed: someone accepted or holds it already.
            NotEligible: it is not offered to this operator (or no longer is).
            AtLimit: a broadcast offer, and the operator has no room for it now.
        """
        now = aware(now)
        rec, op = self._offered(dialog_id, operator_id)
        if rec.operator_id is None:  # a broadcast: nothing was reserved, so check room now
            self._check_can_take(op, rec)
            self._detach(rec)
            self._take_slot(rec, op, now)
        events: list[Event] = []
        self._accepted(rec, op, now, Via.ACCEPT, events)
        return tuple(events)

    def decline(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """An operator turns down an offer: it goes to the next eligible operator, never back to them.

        Raises:
            UnknownDialog / UnknownOperator: unknown ids.
            DialogClosed: the dialog is closed.
            AlreadyClaimed: someone accepted or holds it already.
            NotEligible: it is not offered to this operator.
        """
        now = aware(now)
        rec, op = self._offered(dialog_id, operator_id)
        events: list[Event] = []
        op.missed = 0
        self._withdraw(rec, op, now, "declined", events, decline=True)
        return tuple(events)

    def replied(self, dialog_id: str, now: datetime) -> tuple[Event, ...]:
        """The host reports the assignee's first reply: the ``reply_timeout`` no longer applies.

        Later calls change nothing.

        Raises:
            UnknownDialog / DialogClosed: no such open dialog.
            InvalidTransition: the dialog is not assigned.
        """
        now = aware(now)
        rec = self._open_dialog(dialog_id)
        if rec.state is not DialogState.ASSIGNED:
            raise InvalidTransition(rec.id, rec.state.value, "only an assigned dialog can be replied to")
        if rec.replied_at is None:
            rec.replied_at = now
        return ()

    def _check_can_take(self, op: LiveOperator, rec: LiveDialog) -> None:
        """Raise AtLimit or NotEligible when the operator may not take the dialog now."""
        problem = self._ineligible(op, rec)
        if problem is not None:
            reason, detail = problem
            error = AtLimit if reason is Reason.AT_LIMIT else NotEligible
            raise error(op.id, rec.id, reason.value, detail)

    def _offered(self, dialog_id: str, operator_id: str) -> tuple[LiveDialog, LiveOperator]:
        rec = self._open_dialog(dialog_id)
        op = self._operator(operator_id)
        if rec.state is DialogState.ASSIGNED:
            raise AlreadyClaimed(rec.id, rec.state.value, rec.operator_id)
        if rec.state is not DialogState.OFFERED or op.id not in rec.offered_to:
            raise NotEligible(
                op.id, rec.id, "not_offered", f"the dialog is {rec.state.value}, not offered to them"
            )
        return rec, op

    def claim(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """An operator takes a waiting dialog (manual pool, or any queue they serve).

        The first claim wins; a later one raises :class:`AlreadyClaimed`.

        Raises:
            UnknownDialog / UnknownOperator: unknown ids.
            AlreadyClaimed: someone holds the dialog already.
            DialogClosed: the dialog is closed.
            NotEligible / AtLimit: the operator may not take it now.
        """
        now = aware(now)
        rec = self._open_dialog(dialog_id)
        op = self._operator(operator_id)
        if rec.state is not DialogState.QUEUED:
            raise AlreadyClaimed(rec.id, rec.state.value, rec.operator_id)
        if rec.target_key not in op.targets:
            raise NotEligible(op.id, rec.id, Reason.NOT_MEMBER.value, f"does not serve {rec.target}")
        self._check_can_take(op, rec)
        events: list[Event] = []
        self._dequeue(rec)
        self._assign(rec, op, now, Via.CLAIM, events)
        return tuple(events)

    def transfer(self, dialog_id: str, to: Target, now: datetime, *, by: str | None = None) -> Decision:
        """Move an open dialog to another operator or group, keeping its history.

        The operator who held it frees capacity (and drains the queue). Moved to a group or
        to everyone, the dialog does not come back to that operator until its next transfer.

        Raises:
            UnknownDialog / UnknownGroup / UnknownOperator: unknown ids.
            DialogClosed: the dialog is closed.
            InvalidTransition: the dialog is already with that operator.
        """
        now = aware(now)
        rec = self._open_dialog(dialog_id)
        if not isinstance(to, Target):
            raise InvalidValue("to", to, "must be a Target")
        self._check_target(to, "to")
        if by is not None:
            self._operator(by, field="by")
        if to.kind is TargetKind.OPERATOR and to.id == rec.operator_id:
            raise InvalidTransition(rec.id, rec.state.value, f"already with operator {to.id!r}")
        return self._transfer(rec, to, now, by=by, trigger=None)

    def handle(
        self, dialog_id: str, event: str, now: datetime, *, data: Mapping[str, Any] | None = None
    ) -> Decision | None:
        """React to something that happened to a dialog in the host (Chat2Desk hand-offs).

        ``data`` is merged into the dialog's attributes (so ``attr`` predicates see it,
        now and later); then the config's triggers for ``event`` are tried in order, and
        the first whose ``when`` matches and whose target is not where the dialog already
        is moves the dialog there, like a transfer with no operator.

        Args:
            dialog_id: an open dialog.
            event: the host's event name, e.g. ``"invoice.paid"``.
            now: when it happened.
            data: facts that came with the event, e.g. ``{"amount": 1200}``.

        Returns:
            The transfer's decision, or None when no trigger fired.

        Raises:
            UnknownDialog / DialogClosed: no such open dialog.
            InvalidValue: ``event`` is not a string or ``data`` not a mapping of plain data.
        """
        now = aware(now)
        rec = self._open_dialog(dialog_id)
        check_id(event, "event")
        dialog = rec.dialog
        if data is not None:
            if not isinstance(data, Mapping):
                raise InvalidValue("data", data, "must be a mapping")
            dialog = attrs.evolve(dialog, attributes={**dialog.attributes, **data})
        ctx = RuleContext(now=now, client=self._client_of(dialog), region=dialog.region)
        fired = next(
            (
                t
                for t in self._config.triggers
                if t.on == event and t.when(dialog, ctx) and not self._holds(rec, t.to)
            ),
            None,
        )
        decision = self._transfer(rec, fired.to, now, by=None, trigger=fired.name) if fired else None
        rec.dialog = dialog
        return decision

    def _holds(self, rec: LiveDialog, target: Target) -> bool:
        """Whether the dialog already is where ``target`` would put it."""
        if target.kind is TargetKind.OPERATOR:
            return rec.operator_id == target.id
        return rec.target == target

    def _transfer(
        self, rec: LiveDialog, to: Target, now: datetime, *, by: str | None, trigger: str | None
    ) -> Decision:
        client = self._client_of(rec.dialog)
        from_operator, from_group = rec.operator_id, rec.group_id
        # Only the operator who just passed the dialog on is kept from getting it back, and
        # only until its next transfer; naming an operator explicitly lifts that, and their
        # earlier decline of an offer.
        before = rec.excluded, rec.declined
        named = to.kind is TargetKind.OPERATOR
        rec.excluded = frozenset({from_operator}) if from_operator is not None and not named else NOBODY
        if named:
            rec.declined -= {str(to.id)}
        try:
            decision = self._decide(rec, client, now, trace=self._config.explain, forced=to)
        except BaseException:
            rec.excluded, rec.declined = before
            raise
        freed = self._detach(rec)
        rec.operator_id = None
        rec.history = (
            *rec.history,
            TransferRecord(
                at=now,
                from_operator_id=from_operator,
                from_group_id=from_group,
                to=to,
                by=by,
                trigger=trigger,
            ),
        )
        events: list[Event] = [
            DialogTransferred(
                at=now, dialog_id=rec.id, from_operator_id=from_operator, to=to, by=by, trigger=trigger
            )
        ]
        self._apply(rec, decision, now, Via.TRANSFER, events)
        if freed is not None:
            self._drain(freed, now, events)
        if trigger is not None and decision.trace is not None:
            note = f"trigger {trigger!r} moved the dialog to {to}"
            decision.trace = attrs.evolve(decision.trace, notes=(note, *decision.trace.notes))
        return self._finish(decision, rec, now, events)

    def forget(self, dialog_id: str) -> None:
        """Drop a closed dialog's record (the host keeps its archive)."""
        rec = self._dialog(dialog_id)
        if rec.state is not DialogState.CLOSED:
            raise InvalidTransition(rec.id, rec.state.value, "only closed dialogs can be forgotten")
        del self._dialogs[dialog_id]

    # ---------------------------------------------------------------- operators

    def set_status(
        self, operator_id: str, status: str, now: datetime, *, comment: str | None = None
    ) -> tuple[Event, ...]:
        """Change an operator's status; a routable status drains the queue into them.

        Going ``offline`` under :attr:`OfflinePolicy.REQUEUE` sends their open dialogs
        back to be routed again, at once or, with a ``requeue_grace``, when
        :meth:`tick` finds them still offline after it; otherwise the dialogs stay. A status that takes no
        dialogs withdraws the offers the operator holds (they go to someone else).

        Raises:
            UnknownOperator / UnknownStatus: unknown ids.
        """
        now = aware(now)
        op = self._operator(operator_id)
        check_id(status, "status")
        if status not in self._statuses:
            raise UnknownStatus(status, field="status")
        if comment is not None and not isinstance(comment, str):
            raise InvalidValue("comment", comment, "must be a string")
        events: list[Event] = []
        self._change_status(op, status, now, comment, events)
        if status == "offline" and self._config.offline_policy is OfflinePolicy.REQUEUE:
            self._requeue_later(op, now, events)
        self._drain(op, now, events)
        return tuple(events)

    def set_limit(self, operator_id: str, limit: int, now: datetime) -> tuple[Event, ...]:
        """Change an operator's concurrent-dialog limit; a higher one drains the queue.

        A limit below the current load takes nothing away: the operator just gets no
        new dialogs until the load falls under it.
        """
        now = aware(now)
        op = self._operator(operator_id)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise InvalidValue("limit", limit, "must be a non-negative integer")
        events: list[Event] = [LimitChanged(at=now, operator_id=op.id, old=op.limit, new=limit)]
        if op.routable:
            self._add_capacity(op, limit - op.limit)
        op.limit = limit
        self._refresh(op)
        self._drain(op, now, events)
        return tuple(events)

    # -------------------------------------------------------------------- time

    def tick(self, now: datetime) -> tuple[Event, ...]:
        """Let time pass: lapse unanswered offers, and announce SLA level changes up to ``now``.

        An offer not accepted by its expiry goes to the next eligible operator (a
        broadcast rings again); an operator who lets ``missed_offers_limit`` offers in a
        row lapse is set to ``missed_offers_status``. Operators still offline after the
        ``requeue_grace`` lose their dialogs to the queue, and dialogs not replied to
        within ``reply_timeout`` go to another operator. Waiting dialogs whose rule has
        escalation rings widen to the next ring once they have waited long enough,
        keeping their place in line. Operators at the ``intake_cap`` whose window has
        moved on take dialogs again. Each waiting dialog gets at most one
        SLA event per level per wait: warn, then critical.
        """
        now = aware(now)
        events: list[Event] = []
        # SLA levels first: they happened at their thresholds, before anything this tick does.
        self._announce_sla_levels(now, events)
        self._expire_offers(now, events)
        self._requeue_lapsed(now, events)
        self._lapse_replies(now, events)
        self._escalate_waiting(now, events)
        self._lift_caps(now, events)
        return tuple(events)

    # ------------------------------------------------------------- persistence

    @classmethod
    def restore(cls, config: RoutingConfig, snapshot: Snapshot, *, geo: GeoResolver | None = None) -> Router:
        """A router that carries on from ``snapshot`` exactly as the original would.

        Regions found by GeoIP were kept on the dialogs, so ``geo`` matters only for
        dialogs routed from now on.

        Raises:
            ConfigError: the config is invalid.
            UnknownOperator / UnknownStatus / UnknownChannel: the snapshot does not
                fit the config.
        """
        router = cls(config, seed=snapshot.seed, geo=geo)
        router._load(snapshot)
        return router

    # ---------------------------------------------------------------- internals

    def _check_new(
        self, dialog: Dialog, client: Client | None, now: datetime, *, known_ok: bool = False
    ) -> tuple[LiveDialog, Client | None]:
        if not isinstance(dialog, Dialog):
            raise InvalidValue("dialog", dialog, "must be a Dialog")
        known = self._dialogs.get(dialog.id)
        if known is not None and not known_ok:
            raise DuplicateDialog(dialog.id, known.state.value)
        channel = self._channels.get(dialog.channel)
        if channel is None:
            raise UnknownChannel(dialog.channel, field="dialog.channel")
        if dialog.chosen_group_id is not None and dialog.chosen_group_id not in self._groups:
            raise UnknownGroup(dialog.chosen_group_id, field="dialog.chosen_group_id")
        if client is not None:
            if not isinstance(client, Client):
                raise InvalidValue("client", client, "must be a Client")
            if client.id != dialog.client_id:
                raise InvalidValue(
                    "client.id", client.id, f"differs from dialog.client_id {dialog.client_id!r}"
                )
        ctx_client = client if client is not None else self._client_of(dialog)
        located, note = locate(dialog, channel, self._geo)
        rec = self._live(located, channel, now)
        rec.region_note = note
        return rec, ctx_client
