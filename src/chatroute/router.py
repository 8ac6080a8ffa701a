"""The Router: the one stateful object. It routes, queues, releases, transfers and explains.

Every call that depends on time takes ``now`` (an aware datetime), and time never runs
backwards: a call that changes the router refuses a ``now`` earlier than the latest one
it acted at (:class:`~chatroute.errors.TimeWentBackwards`); the read-only queries
(``explain``, ``estimated_wait``, ``sla_level``, ``overdue``, ``available_groups``)
answer for any time. Every call either
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

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from . import _records as records
from . import _state_snapshot as snapshots
from ._adopting import adopt_many
from ._after_chat import AfterChat
from ._answers import Answers
from ._applying import Effects
from ._express import Express
from ._frozen import aware
from ._handoffs import Handoffs
from ._placement import Decider
from ._presence import Presence
from ._queries import Queries
from ._queue_stats import queue_stats
from ._router_state import RouterState
from ._timeouts import Timeouts
from ._topology import Topology
from .config import RoutingConfig
from .decision import Decision, GroupChoices, Outcome
from .errors import InvalidValue
from .events import Event
from .geo import GeoResolver
from .model import Client, Dialog, DialogState, Rating, SlaLevel, Target, Visitor
from .queue import QueueStats
from .snapshot import DialogRecord, OperatorState, Snapshot, Views

__all__ = ["Router"]


class Router:
    """Routes dialogs to operators under one :class:`RoutingConfig`.

    A thin front: each call checks the time, hands the call to the part it serves
    (which checks the rest of the input before changing anything), and notes the time
    (see the architecture section of the design page). The parts are a
    :class:`~chatroute._topology.Topology` built once from the config, the
    :class:`~chatroute._router_state.RouterState` (the only writer of live records,
    indexes and deadlines), the :class:`~chatroute._placement.Decider` (pure: where a
    dialog goes), the :class:`~chatroute._applying.Effects` and
    :class:`~chatroute._timeouts.Timeouts` (carrying decisions out, draining queues,
    running deadlines), the :class:`~chatroute._express.Express` lane, the calls'
    own parts (:mod:`~chatroute._records`, :class:`~chatroute._answers.Answers`,
    :class:`~chatroute._handoffs.Handoffs`, :class:`~chatroute._presence.Presence`,
    :class:`~chatroute._after_chat.AfterChat`, :mod:`~chatroute._adopting`) and the
    read-only :class:`~chatroute._queries.Queries`.

    Args:
        config: the routing set-up; checked, and refused with a :class:`ConfigError`
            listing every problem.
        seed: seeds every random choice the router makes.
        geo: resolves a dialog's or visitor's IP to a region (for group region filters
            and ``region`` predicates) when the host gives no region; None leaves such
            regions unknown.
    """

    __slots__ = (
        "_after_chat",
        "_answers",
        "_decider",
        "_effects",
        "_express",
        "_handoffs",
        "_presence",
        "_queries",
        "_state",
        "_timeouts",
        "_topology",
    )

    def __init__(self, config: RoutingConfig, *, seed: int = 0, geo: GeoResolver | None = None) -> None:
        if not isinstance(config, RoutingConfig):
            raise InvalidValue("config", config, "must be a RoutingConfig")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidValue("seed", seed, "must be an integer")
        if geo is not None and not isinstance(geo, GeoResolver):
            raise InvalidValue("geo", geo, "must be a GeoResolver (an object with resolve(ip))")
        config.validate()
        self._topology = topology = Topology(config, seed, geo)
        self._state = state = RouterState(topology)
        self._decider = decider = Decider(topology, state)
        self._effects = effects = Effects(topology, state, decider)
        self._after_chat = after_chat = AfterChat(topology, state, decider, effects)
        self._timeouts = timeouts = Timeouts(topology, state, decider, effects, after_chat.steps)
        self._express = Express(topology, state, decider, effects)
        self._queries = Queries(topology, state)
        self._answers = Answers(topology, state, effects)
        self._handoffs = Handoffs(topology, state, decider, effects)
        self._presence = Presence(topology, state, effects, timeouts)

    @property
    def config(self) -> RoutingConfig:
        """The routing set-up this router was built with."""
        return self._topology.config

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
                router does: their tags and preferred operator replace the router's, and
                the last operator the router noted for them stays.

        Returns:
            The decision, with events and (unless explanations are off) its trace.

        Raises:
            DuplicateDialog: the id was routed before.
            UnknownChannel / UnknownGroup: the dialog names something the config lacks.
            InvalidValue / NaiveDatetime: bad arguments.
        """
        now = self._state.check_time(aware(now))
        if client is None and isinstance(dialog, Dialog):
            express = self._express.route(dialog, now)
            if express is not None:
                self._state.seen(now)
                return express
        rec, ctx_client = records.check_new(self._topology, self._state, dialog, client, now)
        result = self._effects.route(rec, ctx_client, now)
        if result.outcome is not Outcome.REJECTED:  # a rejected dialog changes nothing
            self._state.seen(now)
        return result

    def adopt(
        self, dialog: Dialog, operator_id: str, now: datetime, *, over_limit: bool = False
    ) -> tuple[Event, ...]:
        """Bring in a dialog already open with an operator (a host switching to chatroute).

        The dialog is held as assigned to the operator, chosen by nobody: in its
        ``chosen_group_id`` group if it has one, else on the operator's own target. See
        :meth:`adopt_many`, which this is for one dialog.
        """
        return self.adopt_many([(dialog, operator_id)], now, over_limit=over_limit)

    def adopt_many(
        self, pairs: Iterable[tuple[Dialog, str]], now: datetime, *, over_limit: bool = False
    ) -> tuple[Event, ...]:
        """Bring in dialogs already open with their operators, all or none.

        Each ``(dialog, operator_id)`` pair is held as assigned (and replied to, so no
        ``reply_timeout`` applies); the events are one :class:`DialogAdopted` each. The
        whole batch is checked first, limits counting the dialogs before it in the batch.

        Args:
            pairs: ``(dialog, operator_id)`` pairs; dialog ids new to the router.
            now: when the router takes them over.
            over_limit: adopt even past an operator's limit or channel limit (the events
                say which dialogs went over, and the operator's load shows it); they
                get nothing new until their load falls under the limit.

        Raises:
            DuplicateDialog / InvalidValue: a dialog id the router knows, or one given twice.
            UnknownOperator / UnknownChannel / UnknownGroup: unknown ids.
            AtLimit / NotEligible: a dialog that would take its operator past a limit,
                an operator not in the dialog's group, or one the dialog avoids.
            TimeWentBackwards: ``now`` is earlier than the router's latest call.
        """
        now = self._state.check_time(aware(now))
        events = adopt_many(self._topology, self._state, pairs, now, over_limit)
        self._state.seen(now)
        return events

    def explain(
        self, dialog: Dialog, now: datetime, *, client: Client | None = None, full: bool = True
    ) -> Decision:
        """What :meth:`route` would decide for this dialog now, with its trace.

        Changes nothing, random sources included. The dialog id may be new or known.
        With ``full`` (the default) the trace lists every member of the target, which
        costs O(members); ``full=False`` gives the trace :meth:`route` gives, which
        lists the chosen operator and the runners-up and counts the rest.
        """
        now = aware(now)
        rec, ctx_client = records.check_new(self._topology, self._state, dialog, client, now, known_ok=True)
        return self._decider.decide(rec, ctx_client, now, trace=True, dry=True, full=full).build()

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
        now = self._state.check_time(aware(now))
        rec = self._state.open_dialog(dialog_id)
        if rating is not None and not isinstance(rating, Rating):
            raise InvalidValue("rating", rating, "must be a Rating")
        result = self._effects.release(rec, now, rating)
        self._state.seen(now)
        return result

    def accept(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """An operator accepts a dialog offered to them; for a broadcast, the first accept wins.

        Raises:
            UnknownDialog / UnknownOperator: unknown ids.
            DialogClosed: the dialog is closed.
            AlreadyClaimed: someone accepted or holds it already.
            NotEligible: it is not offered to this operator (or no longer is); or a
                broadcast offer, and a channel limit or the intake cap keeps the
                operator from it now.
            AtLimit: a broadcast offer, and the operator has no room for it now (at
                their limit or in wrap-up).
        """
        now = self._state.check_time(aware(now))
        result = self._answers.accept(dialog_id, operator_id, now)
        self._state.seen(now)
        return result

    def decline(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """An operator turns down an offer: it goes to the next eligible operator, never back to them.

        Raises:
            UnknownDialog / UnknownOperator: unknown ids.
            DialogClosed: the dialog is closed.
            AlreadyClaimed: someone accepted or holds it already.
            NotEligible: it is not offered to this operator.
        """
        now = self._state.check_time(aware(now))
        result = self._answers.decline(dialog_id, operator_id, now)
        self._state.seen(now)
        return result

    def replied(self, dialog_id: str, now: datetime) -> tuple[Event, ...]:
        """The host reports the assignee's first reply: the ``reply_timeout`` no longer applies.

        Later calls change nothing.

        Raises:
            UnknownDialog / DialogClosed: no such open dialog.
            InvalidTransition: the dialog is not assigned.
        """
        now = self._state.check_time(aware(now))
        result = self._answers.replied(dialog_id, now)
        self._state.seen(now)
        return result

    def claim(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """An operator takes a waiting dialog (manual pool, or any queue they serve).

        The first claim wins; a later one raises :class:`AlreadyClaimed`.

        Raises:
            UnknownDialog / UnknownOperator: unknown ids.
            AlreadyClaimed: someone holds the dialog already.
            DialogClosed: the dialog is closed.
            NotEligible / AtLimit: the operator may not take it now.
        """
        now = self._state.check_time(aware(now))
        result = self._answers.claim(dialog_id, operator_id, now)
        self._state.seen(now)
        return result

    def transfer(self, dialog_id: str, to: Target, now: datetime, *, by: str | None = None) -> Decision:
        """Move an open dialog to another operator or group, keeping its history.

        The operator who held it frees capacity (and drains the queue). Moved to a group or
        to everyone, the dialog does not come back to that operator until its next transfer.

        Raises:
            UnknownDialog / UnknownGroup / UnknownOperator: unknown ids.
            DialogClosed: the dialog is closed.
            InvalidTransition: the dialog is already with that operator.
            NotEligible: ``to`` names an operator the dialog avoids (reason ``avoided``).
        """
        now = self._state.check_time(aware(now))
        result = self._handoffs.transfer(dialog_id, to, now, by)
        self._state.seen(now)
        return result

    def handle(
        self, dialog_id: str, event: str, now: datetime, *, data: Mapping[str, Any] | None = None
    ) -> Decision | None:
        """React to something that happened to a dialog in the host (Chat2Desk hand-offs).

        ``data`` is merged into the dialog's attributes (so ``attr`` predicates see it,
        now and later); then the config's triggers for ``event`` are tried in order, and
        the first whose ``when`` matches and whose target is not where the dialog already
        is (nor an operator it avoids) moves the dialog there, like a transfer with no
        operator.

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
        now = self._state.check_time(aware(now))
        result = self._handoffs.handle(dialog_id, event, now, data)
        self._state.seen(now)
        return result

    def forget(self, dialog_id: str, *, keep_client: bool = False) -> None:
        """Drop a closed dialog's record (the host keeps its archive).

        With the last dialog the router holds for its client, the client goes too (their
        tags, preferred and last operator), so a desk with a new client per dialog stays
        the same size; ``keep_client=True`` keeps them (a returning client goes back to
        their last operator). :meth:`forget_client` drops a client explicitly.

        Raises:
            UnknownDialog: no such dialog.
            InvalidTransition: the dialog is still open.
            InvalidValue: ``keep_client`` is not a bool.
        """
        records.forget(self._state, dialog_id, keep_client)

    def forget_client(self, client_id: str) -> None:
        """Drop what the router knows of a client: tags, preferred and last operator.

        Their closed dialogs the router still holds keep the client's id; a later dialog
        of theirs starts from a new :class:`Client`.

        Raises:
            UnknownClient: the router knows no such client.
            InvalidValue: the client still has open dialogs (release them first).
        """
        records.forget_client(self._state, client_id)

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
        now = self._state.check_time(aware(now))
        result = self._presence.set_status(operator_id, status, now, comment)
        self._state.seen(now)
        return result

    def set_limit(self, operator_id: str, limit: int, now: datetime) -> tuple[Event, ...]:
        """Change an operator's concurrent-dialog limit; a higher one drains the queue.

        A limit below the current load takes nothing away: the operator just gets no
        new dialogs until the load falls under it.
        """
        now = self._state.check_time(aware(now))
        result = self._presence.set_limit(operator_id, limit, now)
        self._state.seen(now)
        return result

    def ready(self, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """The operator finished their after-chat work: the slots their wrap-ups kept free now.

        The queue drains into them. An operator not in wrap-up: nothing happens.

        Raises:
            UnknownOperator: no such operator.
        """
        now = self._state.check_time(aware(now))
        result = self._after_chat.ready(operator_id, now)
        self._state.seen(now)
        return result

    def hold(self, dialog_id: str, now: datetime) -> tuple[Event, ...]:
        """Put an assigned dialog on hold (the client went quiet); it stays with its operator.

        Under the config's ``hold_counts`` (the default) it keeps its slot; otherwise
        the slot frees and the queue drains into it.

        Raises:
            UnknownDialog / DialogClosed: no such open dialog.
            InvalidTransition: the dialog is not assigned, or is on hold already.
        """
        now = self._state.check_time(aware(now))
        result = self._after_chat.hold(dialog_id, now)
        self._state.seen(now)
        return result

    def resume(self, dialog_id: str, now: datetime) -> tuple[Event, ...]:
        """Take a dialog off hold: back to its operator if they have room for it.

        With ``hold_counts`` its slot was kept, so it always goes back. Otherwise, an
        operator without room for it makes it wait for them (in their own queue) for
        the config's ``resume_wait``, then it is routed again within the target it was
        placed on (at once when ``resume_wait`` is zero): never over their limit.

        Raises:
            UnknownDialog / DialogClosed: no such open dialog.
            InvalidTransition: the dialog is not on hold.
        """
        now = self._state.check_time(aware(now))
        result = self._after_chat.resume(dialog_id, now)
        self._state.seen(now)
        return result

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
        moved on take dialogs again. Wrap-ups that ran out free their slots (and the
        queue drains), and resumed dialogs that waited ``resume_wait`` for their operator
        are routed again. Each waiting dialog gets at most one
        SLA event per level per wait: warn, then critical.
        """
        now = self._state.check_time(aware(now))
        events = self._timeouts.tick(now)
        self._state.seen(now)
        return events

    # ------------------------------------------------------------------ queries

    def dialog(self, dialog_id: str) -> DialogRecord:
        """A dialog with its routing state."""
        return self._queries.dialog(dialog_id)

    def operator(self, operator_id: str) -> OperatorState:
        """An operator's current status and load."""
        return self._queries.operator(operator_id)

    def operators(self) -> tuple[OperatorState, ...]:
        """Every operator's state, by id."""
        return self._queries.operators()

    def dialogs(self, state: DialogState | None = None) -> tuple[DialogRecord, ...]:
        """Every dialog held (in ``state``, if given), by id."""
        return self._queries.dialogs(state)

    def position(self, dialog_id: str) -> int | None:
        """1-based place in its queue, or None when the dialog is not waiting."""
        return self._queries.position(dialog_id)

    def estimated_wait(self, dialog_id: str, now: datetime) -> timedelta | None:
        """A rough wait before someone takes the dialog (see :class:`ChannelPriorityQueue`).

        None when it is not waiting, or nobody who could take it is routable.
        """
        return self._queries.estimated_wait(dialog_id, now)

    def sla_level(self, dialog_id: str, now: datetime) -> SlaLevel:
        """ok / warn / critical for a waiting dialog; ok for any other."""
        return self._queries.sla_level(dialog_id, now)

    def overdue(self, now: datetime) -> tuple[str, ...]:
        """Waiting dialogs at the critical SLA level, oldest wait first."""
        return self._queries.overdue(now)

    def queue(self, target: Target) -> tuple[str, ...]:
        """The dialogs waiting for a target (a pool, for a manual group), in service order."""
        return self._queries.queue(target)

    def queue_stats(self, target: Target, now: datetime, *, since: datetime | None = None) -> QueueStats:
        """A target's queue as it stands: dialogs waiting (per channel and priority), the
        longest wait, the estimated wait of a new dialog, eligible and available operators,
        and the offers accepted, declined and lapsed since ``since`` (None: the last day).

        Read from the target's queue, index and counters, never from all dialogs.

        Raises:
            UnknownGroup / UnknownOperator: the target names something the config lacks.
            InvalidValue / NaiveDatetime: a preferred-operator target, or bad times.
        """
        return queue_stats(
            self._topology, self._state, target, aware(now), None if since is None else aware(since)
        )

    def claimable(self, operator_id: str) -> tuple[str, ...]:
        """Dialogs waiting in the manual pools of the operator's groups, oldest first."""
        return self._queries.claimable(operator_id)

    def views(self, operator_id: str) -> Views:
        """The operator's "mine" and "others" dialog lists (Callibri).

        "Mine" holds the dialogs assigned to the operator, then the unassigned ones
        (waiting, or offered and not yet accepted) for a group, queue or pool the
        operator serves or offered to them (flagged ``unassigned``); "others" the rest
        of the open dialogs. A scan of the open dialogs, meant for
        screens, not for the routing path.

        Raises:
            UnknownOperator: no such operator.
        """
        return self._queries.views(operator_id)

    def available_groups(self, visitor: Visitor, now: datetime) -> GroupChoices:
        """The departments to show a visitor who is about to start a dialog (Callibri).

        A group is shown when it is enabled and open, takes the visitor's channel, serves
        their region (found from their IP once) and their page, and has at least one
        routable operator with free capacity; at most the config's ``groups_shown``, in
        config order. One group: route straight into it (``choices.direct``). None: the
        dialog goes through the rules and the fallback.

        Args:
            visitor: the visitor's IP, page, channel and language.
            now: the time of the question (schedules).

        Raises:
            UnknownChannel: the visitor's channel is not in the config.
            InvalidValue / NaiveDatetime: bad arguments.
        """
        return self._queries.available_groups(visitor, now)

    def next_tick(self) -> datetime | None:
        """The earliest time :meth:`Router.tick` may have something to do, or None for never.

        A host can set a timer for it instead of ticking on a fixed beat: ticking earlier
        changes nothing, ticking later delays the SLA events, lapses and re-queues due
        meanwhile. The answer may be early (a deadline that no longer applies), never late.
        """
        return self._state.deadlines.next_due()

    def snapshot(self) -> Snapshot:
        """The whole state as a frozen, serializable value."""
        return snapshots.snapshot(self._state)

    # ------------------------------------------------------------- persistence

    @classmethod
    def restore(cls, config: RoutingConfig, snapshot: Snapshot, *, geo: GeoResolver | None = None) -> Router:
        """A router that carries on from ``snapshot`` exactly as the original would.

        Regions found by GeoIP were kept on the dialogs, so ``geo`` matters only for
        dialogs routed from now on.

        The config may differ from the one the snapshot was taken under (the way to change
        a running desk's set-up). Then the new config decides the channels' capacity
        weights (every load is recounted from the open dialogs), the operators' limits
        (except one set at run time by :meth:`set_limit`, which the snapshot keeps as
        ``limit_override``), channel priorities, SLA thresholds and everything else it
        holds; the snapshot keeps statuses, dialogs and their placement, queue order,
        counters, random sources, the learned handle time, the seed and the latest time.

        Raises:
            ConfigError: the config is invalid.
            UnknownOperator / UnknownStatus / UnknownChannel: the snapshot does not
                fit the config.
        """
        if not isinstance(snapshot, Snapshot):
            raise InvalidValue("snapshot", snapshot, "must be a Snapshot")
        router = cls(config, seed=snapshot.seed, geo=geo)
        snapshots.restore(router._state, snapshot)
        return router
