"""The channel-priority queue of dialogs waiting for a target (LiveTex).

Dialogs are served by channel priority (1 first), then dialog priority (lower first),
then arrival (first come, first served). Each waiting dialog has a position, an
estimated wait and an SLA level (ok / warn / critical) from its channel's thresholds.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    >>> q = ChannelPriorityQueue()
    >>> q.push("mail-1", channel_priority=3, since=t)
    >>> q.push("tg-1", channel_priority=1, since=t)
    >>> list(q), q.position("mail-1")
    (['tg-1', 'mail-1'], 2)

With ``aging``, strict priority gives way to waiting time, so low priorities cannot
starve: each step of channel priority counts as ``aging`` of extra wait. Here an email
(priority 3) that has waited more than 2 minutes longer than a telegram dialog is served
first:

    >>> aged = ChannelPriorityQueue(aging=timedelta(minutes=1))
    >>> aged.push("mail-1", channel_priority=3, since=t)
    >>> aged.push("tg-1", channel_priority=1, since=t + timedelta(minutes=3))
    >>> list(aged)
    ['mail-1', 'tg-1']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

import attrs
from sortedcontainers import SortedList

from ._frozen import MAX_DURATION, to_tuple
from .errors import UnknownDialog
from .model import SLA, SlaLevel, Target

__all__ = ["ChannelPriorityQueue", "QueueKey", "QueueStats", "WaitingCount", "wait_estimate"]


class QueueKey(NamedTuple):
    """A waiting dialog's place in service order: smaller is served first."""

    rank: float  # the channel priority, or with aging a virtual arrival time in seconds
    priority: int  # the dialog's own priority
    seq: int  # arrival order
    dialog_id: str


_DEFAULT_SLA = SLA()


_MAX_WAIT_SECONDS = MAX_DURATION.total_seconds()


def wait_estimate(position: int, handle_seconds: float, capacity: int) -> timedelta | None:
    """The wait of the dialog at ``position``: position x handle time / capacity, whole seconds up.

    None when nobody can serve (capacity 0); at most :data:`~chatroute._frozen.MAX_DURATION`
    (about ten years), however long the line. See :meth:`ChannelPriorityQueue.estimated_wait`.
    """
    if capacity <= 0:
        return None
    seconds = min(position * handle_seconds / capacity, _MAX_WAIT_SECONDS)
    return timedelta(seconds=math.ceil(seconds))


class ChannelPriorityQueue:
    """Dialogs waiting for one target, in service order.

    Push, remove and position are O(log n).

    Args:
        aging: None serves strictly by channel priority; a duration makes each step of
            channel priority worth that much waiting time instead (a dialog's rank is
            its arrival time plus ``(channel_priority - 1 + priority) * aging``, so a
            dialog priority of -1 is a head start of one ``aging``). The order never
            changes while dialogs wait, so no re-sorting is needed.
    """

    __slots__ = ("_aging", "_counter", "_entries", "_order")

    def __init__(self, *, aging: timedelta | None = None) -> None:
        self._aging = None if aging is None else aging.total_seconds()
        self._order: SortedList[QueueKey] = SortedList()
        self._entries: dict[str, tuple[QueueKey, datetime, SLA]] = {}
        self._counter = itertools.count()

    def push(
        self,
        dialog_id: str,
        *,
        channel_priority: int,
        since: datetime,
        priority: int = 0,
        seq: int | None = None,
        sla: SLA = _DEFAULT_SLA,
    ) -> None:
        """Add a waiting dialog.

        Args:
            dialog_id: the dialog; must not be in the queue already.
            channel_priority: its channel's priority (1 is served first).
            since: when it started waiting, for SLA levels.
            priority: its own priority within the channel (lower first).
            seq: arrival order; defaults to a counter of this queue. Routers pass a
                global sequence so that heads of different queues compare fairly.
            sla: the channel's thresholds.
        """
        if dialog_id in self._entries:
            raise ValueError(f"dialog {dialog_id!r} is already queued")
        order = next(self._counter) if seq is None else seq
        rank = (
            channel_priority
            if self._aging is None
            else since.timestamp() + (channel_priority - 1 + priority) * self._aging
        )
        key = QueueKey(rank, priority, order, dialog_id)
        self._order.add(key)
        self._entries[dialog_id] = (key, since, sla)

    def remove(self, dialog_id: str) -> None:
        """Take a dialog out of the queue (it was assigned, transferred or abandoned)."""
        key = self._entry(dialog_id)[0]
        self._order.remove(key)
        del self._entries[dialog_id]

    def pop(self) -> str:
        """Remove and return the dialog served next."""
        key = self._order.pop(0)
        del self._entries[key.dialog_id]
        return key.dialog_id

    def key(self, dialog_id: str) -> QueueKey:
        """The dialog's service-order key."""
        return self._entry(dialog_id)[0]

    def peek(self) -> QueueKey | None:
        """The service-order key of the dialog served next; None when the queue is empty."""
        return self._order[0] if self._order else None

    def entries(self) -> Iterator[QueueKey]:
        """Service-order keys, first served first."""
        return iter(self._order)

    def __iter__(self) -> Iterator[str]:
        return (key.dialog_id for key in self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, dialog_id: object) -> bool:
        return dialog_id in self._entries

    def __bool__(self) -> bool:
        return bool(self._entries)

    def position(self, dialog_id: str) -> int:
        """1 for the dialog served next, 2 for the one after, and so on."""
        return self._order.bisect_left(self._entry(dialog_id)[0]) + 1

    def waited(self, dialog_id: str, now: datetime) -> timedelta:
        """How long the dialog has waited by ``now``."""
        return max(now - self._entry(dialog_id)[1], timedelta(0))

    def sla_level(self, dialog_id: str, now: datetime) -> SlaLevel:
        """ok / warn / critical from how long the dialog has waited."""
        _, since, sla = self._entry(dialog_id)
        return sla.level(now - since)

    def overdue(self, now: datetime) -> list[str]:
        """Dialogs at the critical level by ``now``, in service order. O(n)."""
        return [d for d in self if self.sla_level(d, now) is SlaLevel.CRITICAL]

    def estimated_wait(self, dialog_id: str, *, handle_time: timedelta, capacity: int) -> timedelta | None:
        """A rough wait before the dialog is taken: position x handle time / capacity.

        With ``capacity`` concurrent slots, each freeing on average once per
        ``handle_time``, a slot frees every ``handle_time / capacity``; the dialog at
        position k waits for the k-th. None when nobody can serve (capacity 0).
        """
        return wait_estimate(self.position(dialog_id), handle_time.total_seconds(), capacity)

    def _entry(self, dialog_id: str) -> tuple[QueueKey, datetime, SLA]:
        try:
            return self._entries[dialog_id]
        except KeyError:
            raise UnknownDialog(dialog_id, field="queue") from None


@attrs.frozen(kw_only=True)
class WaitingCount:
    """How many dialogs of one channel and priority wait for a target."""

    channel: str
    priority: int
    count: int


@attrs.frozen(kw_only=True)
class QueueStats:
    """A target's queue as it stands, from :meth:`Router.queue_stats <chatroute.Router.queue_stats>`.

    Attributes:
        target: the target (a group, an operator, or everyone).
        at: when the statistics were taken.
        since: the start of the offer counts (None: as far back as the router remembers,
            one day).
        waiting: dialogs waiting in the target's queue and its manual pool.
        by_channel: those dialogs per channel and dialog priority, in channel-name then
            priority order.
        longest_wait: how long the longest-waiting of them has waited (None: none waits).
        estimated_wait: the wait of a new dialog joining the line now: the dialogs
            waiting plus one, times the mean handle time, over the target's capacity
            (the limits of its routable members); None when nobody is routable.
        eligible: members whose status is routable.
        available: members who could take a dialog now (routable, under their limit,
            not at an intake cap).
        offers_accepted / offers_declined / offers_lapsed: how the target's offers
            ended since ``since``: each decline counts, and a broadcast nobody answers
            lapses once, however many operators held it.
    """

    target: Target
    at: datetime
    since: datetime | None = None
    waiting: int = 0
    by_channel: tuple[WaitingCount, ...] = attrs.field(default=(), converter=to_tuple)
    longest_wait: timedelta | None = None
    estimated_wait: timedelta | None = None
    eligible: int = 0
    available: int = 0
    offers_accepted: int = 0
    offers_declined: int = 0
    offers_lapsed: int = 0
