"""The router's deadlines: one named heap per kind of thing that comes due.

Each heap holds records that start with their ``due`` time; :meth:`DeadlineHeap.due`
pops those due by a time, earliest first. An entry that no longer applies (the dialog
moved on, the operator came back) stays until it comes due and is then skipped by
whoever reads it, so nothing has to find and delete entries. This is the only place
that touches :mod:`heapq` for deadlines.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from .model import SlaLevel

__all__ = [
    "CapLifts",
    "DeadlineHeap",
    "Deadlines",
    "DeclineLapses",
    "OfferExpiry",
    "PreferredWaitEnds",
    "RelaxDue",
    "ReplyDue",
    "RequeueDue",
    "ResumeDue",
    "RingDue",
    "SlaDue",
    "Step",
    "WrapUpDue",
]


class SlaDue(NamedTuple):
    """A waiting dialog reaches an SLA level (one entry at a time per dialog)."""

    due: datetime
    seq: int  # the dialog's place in line (ties go to the earlier arrival)
    order: int  # 1 warn, 2 critical
    dialog_id: str
    epoch: int  # the wait it belongs to
    level: SlaLevel


class OfferExpiry(NamedTuple):
    """An offer lapses unless accepted."""

    due: datetime
    dialog_id: str
    epoch: int  # the offer it belongs to


class ReplyDue(NamedTuple):
    """An assigned dialog's operator must have replied."""

    due: datetime
    dialog_id: str
    assigned_at: datetime  # the assignment it belongs to


class RingDue(NamedTuple):
    """A waiting dialog widens to its rule's next escalation ring."""

    due: datetime
    dialog_id: str
    ring: int  # the ring it reaches


class RelaxDue(NamedTuple):
    """A dialog's requirements relax one step (one entry at a time per dialog)."""

    due: datetime
    dialog_id: str


class DeclineLapses(NamedTuple):
    """An operator's decline of a dialog lapses (``decline_memory``)."""

    due: datetime
    dialog_id: str
    operator_id: str


class CapLifts(NamedTuple):
    """An operator at the intake cap may take dialogs again."""

    due: datetime
    operator_id: str


class RequeueDue(NamedTuple):
    """An offline operator's grace period ends: their dialogs go back to the queue."""

    due: datetime
    operator_id: str
    since: datetime  # the time they went offline


class WrapUpDue(NamedTuple):
    """An operator's after-chat work on a released dialog ends: the slot frees."""

    due: datetime
    operator_id: str
    dialog_id: str


class ResumeDue(NamedTuple):
    """A resumed dialog stops waiting for its own operator and is routed again."""

    due: datetime
    dialog_id: str
    epoch: int  # the wait it belongs to


class PreferredWaitEnds(NamedTuple):
    """A dialog waiting for its client's busy preferred operator stops waiting for them."""

    due: datetime
    dialog_id: str
    epoch: int  # the wait it belongs to


Entry = TypeVar(
    "Entry",
    SlaDue,
    OfferExpiry,
    ReplyDue,
    RingDue,
    CapLifts,
    RequeueDue,
    WrapUpDue,
    ResumeDue,
    RelaxDue,
    DeclineLapses,
    PreferredWaitEnds,
)


#: A kind of deadline as a tick runs it: the heap's :attr:`~DeadlineHeap.entries`, and what
#: to do, given the time and the events so far, when some are due.
Step = tuple[Sequence[tuple[Any, ...]], Callable[[datetime, list[Any]], None]]


class DeadlineHeap(Generic[Entry]):
    """Deadlines of one kind, earliest first."""

    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[Entry] = []

    def push(self, entry: Entry) -> None:
        """Add a deadline."""
        heapq.heappush(self._heap, entry)

    def due(self, now: datetime) -> Iterator[Entry]:
        """Pop the entries due by ``now``, earliest first.

        The caller may push new entries while it iterates; those due by ``now`` come too.
        """
        heap = self._heap
        while heap and heap[0][0] <= now:
            yield heapq.heappop(heap)

    def next_due(self) -> datetime | None:
        """The earliest due time, or None when empty."""
        return self._heap[0][0] if self._heap else None

    @property
    def entries(self) -> Sequence[Entry]:
        """The heap itself, earliest at ``[0]``; never replaced, so a reader may keep it and look
        at ``entries and entries[0].due <= now`` for "something due?" at no call's cost."""
        return self._heap

    def due_by(self, now: datetime) -> bool:
        """Whether some entry is due by ``now``."""
        heap = self._heap
        return bool(heap) and heap[0][0] <= now


class Deadlines:
    """Every deadline the router keeps, by kind."""

    __slots__ = (
        "_heaps",
        "caps",
        "declines",
        "offers",
        "preferred",
        "relaxes",
        "replies",
        "requeues",
        "resumes",
        "rings",
        "sla",
        "wrap_ups",
    )

    def __init__(self) -> None:
        self.sla: DeadlineHeap[SlaDue] = DeadlineHeap()
        self.offers: DeadlineHeap[OfferExpiry] = DeadlineHeap()
        self.replies: DeadlineHeap[ReplyDue] = DeadlineHeap()
        self.requeues: DeadlineHeap[RequeueDue] = DeadlineHeap()
        self.rings: DeadlineHeap[RingDue] = DeadlineHeap()
        self.caps: DeadlineHeap[CapLifts] = DeadlineHeap()
        self.wrap_ups: DeadlineHeap[WrapUpDue] = DeadlineHeap()
        self.resumes: DeadlineHeap[ResumeDue] = DeadlineHeap()
        self.relaxes: DeadlineHeap[RelaxDue] = DeadlineHeap()
        self.declines: DeadlineHeap[DeclineLapses] = DeadlineHeap()
        self.preferred: DeadlineHeap[PreferredWaitEnds] = DeadlineHeap()
        # the heaps' own lists (never replaced), read on every next_tick
        heaps = (
            self.sla,
            self.offers,
            self.replies,
            self.requeues,
            self.rings,
            self.caps,
            self.wrap_ups,
            self.resumes,
            self.relaxes,
            self.declines,
            self.preferred,
        )
        self._heaps: tuple[Sequence[tuple[Any, ...]], ...] = tuple(heap.entries for heap in heaps)

    def next_due(self) -> datetime | None:
        """The earliest time anything may come due, or None for never."""
        # filter() skips the empty heaps (most of them, most of the time) without a Python step each
        firsts = [heap[0][0] for heap in filter(None, self._heaps)]
        return min(firsts) if firsts else None
