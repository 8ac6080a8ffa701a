"""Frozen views of the router's state: operators, dialogs, and the whole :class:`Snapshot`.

A snapshot holds everything the router needs, besides its config, to carry on exactly
where it was: ``Router.restore(config, snapshot)`` makes the same decisions from then on.
Hosts persist it through :mod:`chatroute.serialize`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ._frozen import EMPTY_MAP, to_map, to_tuple
from .model import Client, Dialog, DialogState, Rating, SlaLevel, Target

__all__ = [
    "DialogRecord",
    "OfferTally",
    "OperatorState",
    "Snapshot",
    "TransferRecord",
    "ViewEntry",
    "Views",
    "WrapUp",
]


@attrs.frozen(kw_only=True)
class TransferRecord:
    """One transfer in a dialog's history: by an operator (``by``), or by a ``trigger``."""

    at: datetime
    from_operator_id: str | None
    from_group_id: str | None
    to: Target
    by: str | None = None
    trigger: str | None = None


@attrs.frozen(kw_only=True)
class WrapUp:
    """A slot an operator keeps for after-chat work on a released dialog, until ``until``.

    Attributes:
        dialog_id: the released dialog.
        until: when the slot frees unless the operator is ready sooner.
        weight: the capacity units it keeps taken (the dialog's channel weight).
    """

    dialog_id: str
    until: datetime
    weight: int = 1


@attrs.frozen(kw_only=True)
class OperatorState:
    """An operator's current status and load.

    Attributes:
        id: the operator.
        status: current status key.
        status_since: when the status was set (None: since the router started).
        comment: the operator's status comment (Jivo), if any.
        limit: current concurrent-dialog limit.
        limit_override: the limit set at run time by ``Router.set_limit``, if any; it
            outlives a restore under a changed config (None: the config's limit applies).
        load: capacity units in use by assigned dialogs.
        channel_loads: open dialogs per channel.
        assigned_total: dialogs assigned since the router started.
        last_assigned_seq: order of the last assignment (0: never), for idle ranking.
        last_assigned_at: time of the last assignment.
        missed_offers: offers in a row the operator let expire.
        intake: when the operator got their recent new dialogs (for the intake cap).
        capped_until: while at the intake cap, when the oldest of those leaves the window.
        skills: skill levels, for strategies.
        wrap_ups: slots still taken by after-chat work on released dialogs (counted in
            ``load``), earliest end first.
    """

    id: str
    status: str
    status_since: datetime | None = None
    comment: str | None = None
    limit: int
    limit_override: int | None = None
    load: int = 0
    channel_loads: Mapping[str, int] = attrs.field(default=EMPTY_MAP, converter=to_map)
    assigned_total: int = 0
    last_assigned_seq: int = 0
    last_assigned_at: datetime | None = None
    missed_offers: int = 0
    intake: tuple[datetime, ...] = attrs.field(default=(), converter=to_tuple)
    capped_until: datetime | None = None
    skills: Mapping[str, int] = attrs.field(default=EMPTY_MAP, converter=to_map)
    wrap_ups: tuple[WrapUp, ...] = attrs.field(default=(), converter=to_tuple)


@attrs.frozen(kw_only=True)
class DialogRecord:
    """A dialog with its routing state.

    Attributes:
        dialog: the dialog as routed.
        state: queued, offered, assigned or closed.
        target: the target it was placed on.
        group_id: its group, if the target is a group.
        operator_id: the assignee (or the last one, once closed).
        routed_at: when it was first routed.
        waiting_since: when it last started waiting in a queue.
        assigned_at: when it was last assigned.
        closed_at: when it was released.
        queue_seq: its arrival order in the queue, while queued.
        pool: whether it waits in a manual pool.
        excluded: operators who transferred it away and do not get it back from a group.
        offered_to: while offered, the operators who may accept it.
        offer_expires_at: while offered, when the offer lapses.
        offered_at: when it was last offered.
        declined: operators who declined or let expire an offer of it; it is not
            offered to them again.
        replied_at: when its operator first replied, as the host reported.
        rule: the rule that placed it (until a transfer), whose rings may widen it.
        ring: 0 for the rule's own target, k once widened to its k-th ring.
        history: its transfers.
        rating: the client's rating, once closed.
        sla_notified: the highest SLA level already announced for the current wait.
        epoch: how many times it has entered a queue.
        held_since: while assigned and on hold (``Router.hold``), since when.
        resume_to: while a resumed dialog waits for its own operator, the target it is
            routed to again when ``resume_wait`` runs out (once the operator takes it, that
            target is kept as ``preferred_then``).
        relaxed_at: when the last step of its relaxing requirements came due (None: none
            has yet); the requirements in force follow from it.
        declines_lapse: with a ``decline_memory``, when each decline lapses, by operator.
        preferred_until: while it waits for its client's busy preferred operator, until when.
        preferred_then: where it goes when that wait runs out; once the operator it
            waited for took it, where it is placed again if it comes back from them
            (declined, lapsed, re-queued), instead of their own queue.
    """

    dialog: Dialog
    state: DialogState
    target: Target | None = None
    group_id: str | None = None
    operator_id: str | None = None
    routed_at: datetime
    waiting_since: datetime | None = None
    assigned_at: datetime | None = None
    closed_at: datetime | None = None
    queue_seq: int | None = None
    pool: bool = False
    excluded: frozenset[str] = frozenset()
    offered_to: frozenset[str] = frozenset()
    offer_expires_at: datetime | None = None
    offered_at: datetime | None = None
    declined: frozenset[str] = frozenset()
    replied_at: datetime | None = None
    rule: str | None = None
    ring: int = 0
    history: tuple[TransferRecord, ...] = attrs.field(default=(), converter=to_tuple)
    rating: Rating | None = None
    sla_notified: SlaLevel = SlaLevel.OK
    epoch: int = 0
    held_since: datetime | None = None
    resume_to: Target | None = None
    relaxed_at: datetime | None = None
    declines_lapse: Mapping[str, datetime] = attrs.field(default=EMPTY_MAP, converter=to_map)
    preferred_until: datetime | None = None
    preferred_then: Target | None = None

    @property
    def id(self) -> str:
        """The dialog id."""
        return self.dialog.id


@attrs.frozen(kw_only=True)
class Snapshot:
    """The router's whole state, sorted by id so equal states give equal snapshots.

    Attributes:
        seed: the router seed.
        operators: every operator's state.
        dialogs: every dialog the router holds (closed ones until forgotten).
        clients: clients the router has seen, with their last operator.
        assign_seq: assignments made so far (orders idle time).
        queue_seq: queue entries made so far (orders arrivals).
        random_states: the state of each target's random source, by target key.
        last_picks: the operator each target picked last, by target key.
        handle_time: the running mean handle time in seconds, for wait estimates.
        latest: the latest ``now`` a call that changes the router was made at (None:
            none yet, or a snapshot from before it was kept); earlier times are refused.
        offer_log: how the targets' offers ended lately, for queue statistics.
    """

    seed: int
    operators: tuple[OperatorState, ...] = attrs.field(converter=to_tuple)
    dialogs: tuple[DialogRecord, ...] = attrs.field(converter=to_tuple)
    clients: tuple[Client, ...] = attrs.field(default=(), converter=to_tuple)
    assign_seq: int = 0
    queue_seq: int = 0
    random_states: Mapping[str, tuple[int, ...]] = attrs.field(default=EMPTY_MAP, converter=to_map)
    last_picks: Mapping[str, str] = attrs.field(default=EMPTY_MAP, converter=to_map)
    handle_time: float
    latest: datetime | None = None
    offer_log: tuple[OfferTally, ...] = attrs.field(default=(), converter=to_tuple)


@attrs.frozen(kw_only=True)
class OfferTally:
    """When a target's offers ended one way lately (for :meth:`Router.queue_stats`).

    Attributes:
        target_key: the target's key (as in ``random_states``).
        outcome: ``accepted``, ``declined`` or ``lapsed``.
        times: when, oldest first.
    """

    target_key: str
    outcome: str
    times: tuple[datetime, ...] = attrs.field(converter=to_tuple)


@attrs.frozen(kw_only=True)
class ViewEntry:
    """One open dialog as an operator's dialog list shows it.

    Attributes:
        dialog_id: the dialog.
        state: queued, offered (not yet accepted) or assigned.
        operator_id: who holds it (or the slot of its offer), if anyone.
        group_id: its group, if any.
        unassigned: nobody has it yet: queued or offered (the list flags these).
        since: when it started waiting, was offered, or was assigned.
    """

    dialog_id: str
    state: DialogState
    operator_id: str | None
    group_id: str | None
    unassigned: bool
    since: datetime | None


@attrs.frozen(kw_only=True)
class Views:
    """An operator's dialog lists (Callibri: "mine", "others"; closed ones are the host's archive).

    Attributes:
        operator_id: whose lists these are.
        mine: assigned to the operator, then unassigned dialogs waiting for a group or
            queue the operator serves; oldest first within each part.
        others: assigned to other operators, then unassigned dialogs waiting for groups
            or operators the operator does not serve.
    """

    operator_id: str
    mine: tuple[ViewEntry, ...] = attrs.field(default=(), converter=to_tuple)
    others: tuple[ViewEntry, ...] = attrs.field(default=(), converter=to_tuple)
