"""The router's mutable working state and the indexes that make decisions fast.

Nothing here is public: the router hands out frozen copies (:class:`OperatorState`,
:class:`DialogRecord`) and keeps these live records to itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sortedcontainers import SortedList

from .model import Dialog, DialogState, Operator, Rating, SlaLevel, Target
from .queue import QueueKey
from .snapshot import DialogRecord, OperatorState, TransferRecord

RankKey = tuple[Any, ...]

#: The one empty set of operator ids that fresh dialog records share (CPython makes a new
#: empty frozenset per call, 216 bytes each).
NOBODY: frozenset[str] = frozenset()


class LiveOperator:
    """An operator's current state: status, load, and what the strategies rank by."""

    __slots__ = (
        "assigned_total",
        "capped_until",
        "channel_loads",
        "comment",
        "dialogs",
        "id",
        "intake",
        "last_assigned_at",
        "last_assigned_seq",
        "limit",
        "load",
        "missed",
        "offers",
        "operator",
        "routable",
        "skills",
        "status",
        "status_since",
        "targets",
    )

    def __init__(self, operator: Operator, limit: int, routable: bool, targets: tuple[str, ...]):
        self.operator = operator
        self.id = operator.id
        self.skills = operator.skills
        self.status = operator.status
        self.routable = routable
        self.status_since: datetime | None = None
        self.comment: str | None = None
        self.limit = limit
        self.load = 0
        self.channel_loads: dict[str, int] = {}
        self.assigned_total = 0
        self.last_assigned_seq = 0
        self.last_assigned_at: datetime | None = None
        self.targets = targets  # keys of every target this operator serves
        self.dialogs: set[str] = set()  # assigned to them, or offered to them alone
        self.offers: set[str] | None = None  # broadcast offers they may accept (made on first use)
        self.missed = 0  # offers in a row they let expire
        self.intake: deque[datetime] | None = None  # times of their recent new dialogs (intake cap)
        self.capped_until: datetime | None = None  # at the intake cap until then

    def add_offer(self, dialog_id: str) -> None:
        """Note a broadcast offer this operator may accept."""
        if self.offers is None:
            self.offers = set()
        self.offers.add(dialog_id)

    def drop_offer(self, dialog_id: str) -> None:
        """Forget a broadcast offer (accepted, declined, lapsed or withdrawn)."""
        if self.offers:
            self.offers.discard(dialog_id)

    @property
    def free(self) -> int:
        """Capacity units left under the limit (may be negative after a limit cut)."""
        return self.limit - self.load

    def freeze(self) -> OperatorState:
        """A frozen copy for snapshots and queries."""
        return OperatorState(
            id=self.id,
            status=self.status,
            status_since=self.status_since,
            comment=self.comment,
            limit=self.limit,
            load=self.load,
            channel_loads={k: v for k, v in sorted(self.channel_loads.items()) if v},
            assigned_total=self.assigned_total,
            last_assigned_seq=self.last_assigned_seq,
            last_assigned_at=self.last_assigned_at,
            missed_offers=self.missed,
            intake=tuple(self.intake or ()),
            capped_until=self.capped_until,
            skills=self.skills,
        )


class LiveDialog:
    """A dialog's routing state while the router holds it."""

    __slots__ = (
        "assigned_at",
        "closed_at",
        "declined",
        "dialog",
        "epoch",
        "excluded",
        "group_id",
        "history",
        "id",
        "offer_expires",
        "offered_at",
        "offered_to",
        "operator_id",
        "pool",
        "queue_key",
        "rating",
        "region_note",
        "replied_at",
        "ring",
        "routed_at",
        "rule",
        "sla_notified",
        "state",
        "target",
        "target_key",
        "waiting_since",
        "weight",
    )

    def __init__(self, dialog: Dialog, weight: int, now: datetime) -> None:
        self.dialog = dialog
        self.id = dialog.id
        self.weight = weight
        self.state = DialogState.QUEUED
        self.target: Target | None = None
        self.target_key = ""
        self.group_id: str | None = None
        self.operator_id: str | None = None
        self.routed_at = now
        self.waiting_since: datetime | None = None
        self.assigned_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.queue_key: QueueKey | None = None
        self.pool = False
        self.excluded: frozenset[str] = NOBODY
        self.declined: frozenset[str] = NOBODY  # never offered to these again
        self.offered_to: frozenset[str] = NOBODY
        self.offer_expires: datetime | None = None
        self.offered_at: datetime | None = None
        self.replied_at: datetime | None = None  # the assignee's first reply, when reported
        self.rule: str | None = None  # the rule that placed it, while its rings may widen it
        self.ring = 0  # 0: the rule's own target; k: its k-th escalation ring
        self.region_note: str | None = None  # how the region was found, for traces
        self.history: tuple[TransferRecord, ...] = ()
        self.rating: Rating | None = None
        self.sla_notified = SlaLevel.OK
        self.epoch = 0  # bumped each time the dialog enters a queue

    def freeze(self) -> DialogRecord:
        """A frozen copy for snapshots and queries."""
        return DialogRecord(
            dialog=self.dialog,
            state=self.state,
            target=self.target,
            group_id=self.group_id,
            operator_id=self.operator_id,
            routed_at=self.routed_at,
            waiting_since=self.waiting_since,
            assigned_at=self.assigned_at,
            closed_at=self.closed_at,
            queue_seq=None if self.queue_key is None else self.queue_key[2],
            pool=self.pool,
            excluded=self.excluded,
            offered_to=self.offered_to,
            offer_expires_at=self.offer_expires,
            offered_at=self.offered_at,
            declined=self.declined,
            replied_at=self.replied_at,
            rule=self.rule,
            ring=self.ring,
            history=self.history,
            rating=self.rating,
            sla_notified=self.sla_notified,
            epoch=self.epoch,
        )


class AvailableIndex:
    """Who, among one target's members, can take a dialog now, best first?

    Holds the members that are routable and under their limit, sorted by the target's
    strategy key (least loaded first for ``Even``). Every change to an operator's load,
    status or limit calls :meth:`update`; each costs O(log n).
    """

    __slots__ = ("_current", "_rank", "_sorted")

    def __init__(self, rank: Callable[[LiveOperator], RankKey]) -> None:
        self._rank = rank
        self._sorted: SortedList[RankKey] = SortedList()
        self._current: dict[str, RankKey] = {}

    def update(self, op: LiveOperator) -> None:
        """Re-rank ``op``, adding or dropping it as it gains or loses free capacity."""
        new = self._rank(op) if op.routable and op.load < op.limit and op.capped_until is None else None
        old = self._current.get(op.id)
        if old == new:
            return
        if old is not None:
            self._sorted.remove(old)
        if new is None:
            del self._current[op.id]
        else:
            self._sorted.add(new)
            self._current[op.id] = new

    def __iter__(self) -> Iterator[str]:
        return (key[-1] for key in self._sorted)

    def __len__(self) -> int:
        return len(self._sorted)

    def __contains__(self, op_id: object) -> bool:
        return op_id in self._current

    def at(self, i: int) -> str:
        """The i-th operator in rank order."""
        op_id: str = self._sorted[i][-1]
        return op_id

    def from_rank(self, key: RankKey) -> Iterator[str]:
        """Operators ranked after ``key``, in order (for turn-taking)."""
        start = self._sorted.bisect_right(key)
        return (k[-1] for k in self._sorted.islice(start))
