"""How the offers of each target ended lately: accepted, declined or lapsed, and when.

:class:`OfferLog` is part of the router's state (written only through
:class:`~chatroute._router_state.RouterState`): per target key, the times of its offers'
ends, oldest first, kept for the config's ``offer_memory``. :meth:`Router.queue_stats` counts those since a
given time by bisection, without looking at any dialog. Nothing is kept when the config
sets no ``offer_memory``, or for a router that makes no offers.
"""

from __future__ import annotations

import bisect
from collections import deque
from datetime import datetime, timedelta

from .snapshot import OfferTally

__all__ = ["OUTCOMES", "OfferLog"]

#: How an offer can end, as the statistics count it.
OUTCOMES = ("accepted", "declined", "lapsed")


class OfferLog:
    """By target key and outcome, the times offers ended, oldest first, for ``memory``.

    Args:
        memory: how long an offer's end is remembered; None: nothing is kept.
    """

    __slots__ = ("_memory", "_times")

    def __init__(self, memory: timedelta | None) -> None:
        self._memory = memory
        self._times: dict[tuple[str, str], deque[datetime]] = {}

    def note(self, key: str, outcome: str, now: datetime) -> None:
        """An offer of the target ended at ``now`` (``outcome``: one of :data:`OUTCOMES`)."""
        memory = self._memory
        if memory is None:
            return
        times = self._times.get((key, outcome))
        if times is None:
            times = self._times[(key, outcome)] = deque()
        times.append(now)
        oldest = now - memory
        while times[0] < oldest:
            times.popleft()

    def count(self, key: str, outcome: str, since: datetime | None) -> int:
        """How many of the target's offers ended so since ``since`` (None: all remembered)."""
        times = self._times.get((key, outcome))
        if not times:
            return 0
        if since is None:
            return len(times)
        return len(times) - bisect.bisect_left(times, since)

    def freeze(self) -> tuple[OfferTally, ...]:
        """The log as snapshot records, by target key and outcome."""
        return tuple(
            OfferTally(target_key=key, outcome=outcome, times=tuple(times))
            for (key, outcome), times in sorted(self._times.items())
            if times
        )

    def thaw(self, tallies: tuple[OfferTally, ...]) -> None:
        """Take the log a snapshot kept."""
        self._times = {(t.target_key, t.outcome): deque(t.times) for t in tallies}
