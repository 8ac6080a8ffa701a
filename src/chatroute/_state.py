"""The router's mutable working state and the indexes that make decisions fast.

Nothing here is public: the router hands out frozen copies (:class:`OperatorState`,
:class:`DialogRecord`) and keeps these live records to itself.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any

import attrs

from ._dialog_extra import DialogExtra, ExtraField
from ._frozen import EMPTY_MAP, EMPTY_SET
from .model import Dialog, DialogState, Operator, Rating, SlaLevel, Target
from .queue import QueueKey
from .requirements import Relax
from .snapshot import DialogRecord, OperatorState, TransferRecord, WrapUp

RankKey = tuple[Any, ...]

#: The empty set of operator ids that fresh dialog records share.
NOBODY: frozenset[str] = EMPTY_SET


#: The fields a :class:`DialogRecord` keeps as the live record has them, under the same
#: name (the others are made at the start, or kept differently).
_SAME_IN_RECORD = tuple(
    field.name
    for field in attrs.fields(DialogRecord)
    if field.name not in ("dialog", "routed_at", "queue_seq", "offer_expires_at")
    and field.name not in DialogExtra.__slots__
)

#: The fields of :class:`DialogExtra` that a :class:`DialogRecord` keeps (not the steps and
#: the language in force, which follow from the dialog, the config and the last step applied).
_EXTRA_IN_RECORD = tuple(name for name in DialogExtra.__slots__ if name not in ("language", "relax"))


class LiveOperator:
    """An operator's current state: status, load, and what the strategies rank by."""

    __slots__ = (
        "assigned_total",
        "capped_until",
        "channel_loads",
        "comment",
        "dialogs",
        "flagged_in",
        "held",
        "id",
        "intake",
        "last_assigned_at",
        "last_assigned_seq",
        "limit",
        "limit_override",
        "load",
        "missed",
        "offers",
        "operator",
        "ranked_in",
        "routable",
        "skills",
        "standing",
        "status",
        "status_since",
        "targets",
        "wrap_ups",
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
        self.limit_override: int | None = None  # set at run time (set_limit): outlives a config change
        self.load = 0
        self.channel_loads: dict[str, int] = {}
        self.assigned_total = 0
        self.last_assigned_seq = 0
        self.last_assigned_at: datetime | None = None
        self.targets = targets  # keys of every target this operator serves
        self.ranked_in: tuple[RankedIndex, ...] = ()  # the built indexes of those targets
        self.flagged_in: tuple[IdIndex, ...] = ()
        self.dialogs: set[str] = set()  # assigned to them, or offered to them alone
        self.offers: set[str] | None = None  # broadcast offers they may accept (made on first use)
        self.missed = 0  # offers in a row they let expire
        self.held = 0  # of their dialogs, how many are on hold
        self.intake: deque[datetime] | None = None  # times of their recent new dialogs (intake cap)
        self.capped_until: datetime | None = None  # at the intake cap until then
        self.standing = -1  # where the tallies count them; -1: nowhere yet (see Availability.counted)
        self.wrap_ups: list[WrapUp] | None = None  # slots kept for after-chat work (made on first use)

    def add_offer(self, dialog_id: str) -> None:
        """Note a broadcast offer this operator may accept."""
        if self.offers is None:
            self.offers = set()
        self.offers.add(dialog_id)

    def drop_offer(self, dialog_id: str) -> None:
        """Forget a broadcast offer (accepted, declined, lapsed or withdrawn)."""
        if self.offers:
            self.offers.discard(dialog_id)

    def freeze(self) -> OperatorState:
        """A frozen copy for snapshots and queries."""
        return OperatorState(
            id=self.id,
            status=self.status,
            status_since=self.status_since,
            comment=self.comment,
            limit=self.limit,
            limit_override=self.limit_override,
            load=self.load,
            channel_loads={k: v for k, v in sorted(self.channel_loads.items()) if v},
            assigned_total=self.assigned_total,
            last_assigned_seq=self.last_assigned_seq,
            last_assigned_at=self.last_assigned_at,
            missed_offers=self.missed,
            intake=tuple(self.intake or ()),
            capped_until=self.capped_until,
            skills=self.skills,
            wrap_ups=tuple(sorted(self.wrap_ups or (), key=lambda w: (w.until, w.dialog_id))),
        )

    def thaw(self, state: OperatorState, routable: bool) -> None:
        """Take the state a snapshot kept (the inverse of :meth:`freeze`), under the current config.

        The limit stays the config's unless it was set at run time (``limit_override``);
        the load starts empty, for the caller to count from the open dialogs.
        """
        self.status, self.status_since, self.comment = state.status, state.status_since, state.comment
        self.routable = routable
        self.limit_override = state.limit_override
        if state.limit_override is not None:
            self.limit = state.limit_override
        self.load = 0
        self.channel_loads = {}
        self.held = 0
        self.assigned_total = state.assigned_total
        self.last_assigned_seq, self.last_assigned_at = state.last_assigned_seq, state.last_assigned_at
        self.missed = state.missed_offers
        self.intake = deque(state.intake) if state.intake else None
        self.capped_until = state.capped_until
        self.wrap_ups = list(state.wrap_ups) or None


class LiveDialog:
    """A dialog's routing state while the router holds it."""

    __slots__ = (
        "assigned_at",
        "closed_at",
        "declined",
        "dialog",
        "epoch",
        "excluded",
        "extra",
        "group_id",
        "history",
        "id",
        "needs",
        "offer_expires",
        "offered_at",
        "offered_to",
        "operator_id",
        "picky",
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

    def __init__(self, dialog: Dialog, weight: int, now: datetime, *, picky: bool) -> None:
        self.dialog = dialog
        self.id = dialog.id
        self.weight = weight
        # needs more than a free slot (weight over 1, skills, a channel with per-operator
        # limits), so not every available operator can take it
        self.picky = picky
        self.needs = dialog.required_skills  # the skill levels required now (they may relax)
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
        self.declined: frozenset[str] = NOBODY  # not offered to these again (until their decline lapses)
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
        self.extra: DialogExtra | None = None  # what only some features use (made on first use)

    # The fields of the extra record, read as if they were the dialog's own (their
    # defaults without one); the hot path tests ``extra`` instead.
    language: ExtraField[str | None] = ExtraField(None)  # the language the operator must speak now
    relax: ExtraField[tuple[Relax, ...]] = ExtraField(())  # how the requirements relax while it waits
    relaxed_at: ExtraField[datetime | None] = ExtraField(None)  # the last step applied came due then
    declines_lapse: ExtraField[Mapping[str, datetime]] = ExtraField(EMPTY_MAP)  # by operator
    preferred_until: ExtraField[datetime | None] = ExtraField(None)  # waits for its preferred operator
    preferred_then: ExtraField[Target | None] = ExtraField(None)  # and then goes here
    held_since: ExtraField[datetime | None] = ExtraField(None)  # on hold (still assigned) since then
    resume_to: ExtraField[Target | None] = ExtraField(None)  # resumed, waiting for its operator: then

    def need_extra(self) -> DialogExtra:
        """The record of what only some features use, made now if it is not yet."""
        extra = self.extra
        if extra is None:
            extra = self.extra = DialogExtra()
        return extra

    def freeze(self) -> DialogRecord:
        """A frozen copy for snapshots and queries."""
        return DialogRecord(
            dialog=self.dialog,
            routed_at=self.routed_at,
            queue_seq=None if self.queue_key is None else self.queue_key.seq,
            offer_expires_at=self.offer_expires,
            **{name: getattr(self, name) for name in _SAME_IN_RECORD},
            **(self.extra.fields(_EXTRA_IN_RECORD) if self.extra is not None else {}),
        )

    def thaw(self, record: DialogRecord) -> None:
        """Take the state a snapshot kept (the inverse of :meth:`freeze`; the queue place is the caller's)."""
        for name in _SAME_IN_RECORD:
            setattr(self, name, getattr(record, name))
        extra = self.extra or DialogExtra()
        for name in _EXTRA_IN_RECORD:
            setattr(extra, name, getattr(record, name))
        self.extra = None if extra.unused() else extra
        if self.state is DialogState.OFFERED:
            self.offer_expires = record.offer_expires_at


class RankedIndex:
    """Who, among one target's members, can take a dialog now, best first? (ranked strategies)

    Answers "who is least loaded in group g?" for ``Even`` and the other strategies that
    expose a ranking key. A min-heap with lazy invalidation: :meth:`put` pushes the
    operator's new key (O(log n)) and remembers it as current; entries that are no longer
    current are dropped when they reach the top, and the heap is compacted when stale
    entries outnumber live ones.
    """

    __slots__ = ("_current", "_heap", "rank")

    def __init__(self, rank: Callable[[LiveOperator], RankKey]) -> None:
        self.rank = rank  # an operator's key; the same function object for every index it ranks
        self._heap: list[RankKey] = []
        self._current: dict[str, RankKey] = {}

    def put(self, op_id: str, key: RankKey | None) -> None:
        """Rank the operator by ``key`` (their current one), or drop them with None."""
        current, heap = self._current, self._heap
        was = current.get(op_id)
        if was == key:
            return
        if key is None:
            del current[op_id]
            if heap and heap[0] is was:
                heapq.heappop(heap)
            return
        current[op_id] = key
        if heap and heap[0] is was:  # the best one re-ranked (as a pick does): their old entry goes
            heapq.heapreplace(heap, key)
            return
        heapq.heappush(heap, key)
        if len(heap) > 2 * len(current) + 16:
            self._heap = sorted(current.values())  # a sorted list is a heap

    def first(self, fits: Callable[[str], bool] | None = None) -> str | None:
        """The best operator (for whom ``fits`` holds, if given); None when there is none.

        Walks the heap in rank order, setting aside the operators that do not fit and
        putting them back afterwards, so the cost grows with how many are skipped.
        """
        if fits is not None:
            return self.walk(fits)[0]
        heap, current = self._heap, self._current
        while heap:  # the head, once the stale entries above it are dropped
            key = heap[0]
            op_id: str = key[-1]
            if current.get(op_id) == key:
                return op_id
            heapq.heappop(heap)  # stale: the operator was re-ranked or left
        return None

    def walk(self, fits: Callable[[str], bool] | None, skips: int | None = None) -> tuple[str | None, bool]:
        """:meth:`first`, giving up after passing ``skips`` operators who do not fit.

        Returns the operator found (or None) and whether the walk was complete: False
        when it gave up, and then the answer is unknown.
        """
        heap, current = self._heap, self._current
        skipped: list[RankKey] = []
        found = None
        complete = True
        while heap:
            key = heap[0]
            op_id = key[-1]
            if current.get(op_id) != key:
                heapq.heappop(heap)  # stale: the operator was re-ranked or left
            elif fits is None or fits(op_id):
                found = op_id
                break
            elif skips is not None and len(skipped) >= skips:
                complete = False
                break
            else:
                skipped.append(heapq.heappop(heap))
        for key in skipped:
            heapq.heappush(heap, key)
        return found, complete

    def key_of(self, op_id: str) -> RankKey:
        """The operator's current key (they must be in the index)."""
        return self._current[op_id]

    def leading(self, n: int) -> list[str]:
        """The first ``n`` operators in rank order, in O(n log m) plus the stale entries passed.

        Pops them and pushes them back; the stale entries on the way are dropped for good
        (as :meth:`first` drops them), so each costs once.
        """
        heap, current = self._heap, self._current
        # The n smallest entries of a heap lie in its first 2**n - 1 places (each one's
        # parents are smaller): when they are all current, they are the answer, read
        # without touching the heap.
        if n <= 5:
            top = sorted(heap[: (1 << n) - 1])[:n]
            found = [key[-1] for key in top if current.get(key[-1]) == key]
            if len(found) == len(top) and len(set(found)) == len(found):
                return found
        taken: list[RankKey] = []
        found = []
        pop = heapq.heappop
        while heap and len(found) < n:
            key = pop(heap)
            op_id = key[-1]
            if current.get(op_id) != key:
                continue  # stale: the operator was re-ranked or left
            taken.append(key)
            if op_id not in found:  # else a copy of their current key
                found.append(op_id)
        for key in taken:
            heapq.heappush(heap, key)
        return found

    def some(self, n: int) -> list[str]:
        """Up to ``n`` of the operators, in no particular order, in O(n)."""
        return list(islice(self._current, n))

    def __iter__(self) -> Iterator[str]:
        return (key[-1] for key in sorted(self._current.values()))

    def __len__(self) -> int:
        return len(self._current)

    def __contains__(self, op_id: object) -> bool:
        return op_id in self._current


class IdIndex:
    """Who, among one target's members, can take a dialog now, in id order? (id-ordered strategies)

    Answers "the k-th available member" (``RandomWithinLimit``) and "the next available
    member after the last pick" (``RoundRobin``) in O(log n): a Fenwick tree of 0/1 flags
    over the target's members, sorted by id and fixed by the config.
    """

    __slots__ = ("_count", "_flags", "_ids", "_position", "_steps", "_tree")

    def __init__(self, members: tuple[str, ...]) -> None:
        self._ids = members
        self._position = {op_id: i for i, op_id in enumerate(members)}
        self._flags = bytearray(len(members))
        self._count = 0
        # the strides of :meth:`at`'s descent, largest first; the tree (1-based) is padded
        # with empty places to twice the largest, so that no probe falls off its end
        self._steps = tuple(1 << b for b in reversed(range(len(members).bit_length())))
        self._tree = [0] * (2 * self._steps[0] if members else 1)

    def mark(self, op_id: str, available: bool) -> None:
        """Flag the operator as available or not (non-members are ignored)."""
        i = self._position.get(op_id)
        if i is None or available == self._flags[i]:
            return
        self._flags[i] = available
        delta = 1 if available else -1
        self._count += delta
        tree, j = self._tree, i + 1
        size = len(tree)
        while j < size:
            tree[j] += delta
            j += j & -j

    def at(self, k: int) -> str:
        """The k-th (from 0) available member in id order."""
        tree, position, remaining = self._tree, 0, k + 1
        for step in self._steps:
            probe = position + step
            if tree[probe] < remaining:
                position, remaining = probe, remaining - tree[probe]
        return self._ids[position]

    def _before(self, i: int) -> int:
        """How many available members come before position ``i``."""
        tree, total = self._tree, 0
        while i > 0:
            total += tree[i]
            i -= i & -i
        return total

    def next_after(self, op_id: str | None) -> str | None:
        """The first available member after ``op_id`` in id order, wrapping round (turn-taking)."""
        if not self._count:
            return None
        start = 0 if op_id is None else self._before(bisect.bisect_right(self._ids, op_id))
        return self.at(start if start < self._count else 0)

    def from_rank(self, key: RankKey) -> Iterator[str]:
        """Available members whose id comes after ``key``'s, in order (for turn-taking)."""
        start = self._before(bisect.bisect_right(self._ids, key[-1]))
        return (self.at(k) for k in range(start, self._count))

    def following(self, op_id: str | None, n: int) -> list[str]:
        """Up to ``n`` available members after ``op_id`` in id order, wrapping round, without it."""
        count = self._count
        start = 0 if op_id is None or not count else self._before(bisect.bisect_right(self._ids, op_id))
        found = (self.at((start + k) % count) for k in range(min(n + 1, count)))
        return [found_id for found_id in found if found_id != op_id][:n]

    def some(self, n: int) -> list[str]:
        """Up to ``n`` available members (the first in id order), in O(n log m)."""
        return [self.at(k) for k in range(min(n, self._count))]

    def __iter__(self) -> Iterator[str]:
        return (self.at(k) for k in range(self._count))

    def __len__(self) -> int:
        return self._count

    def __contains__(self, op_id: object) -> bool:
        i = self._position.get(op_id) if isinstance(op_id, str) else None
        return i is not None and bool(self._flags[i])


#: The index of one target's available operators.
AvailableIndex = RankedIndex | IdIndex
