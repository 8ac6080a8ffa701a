"""GeoIP answers a desk records while it calls, and plays back while it replays.

A GeoIP database changes under a running desk (a monthly update, a different file on
another host), so a replica cannot ask its own resolver again when it replays: it uses
the answers the journal recorded for that call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ..geo import GeoLookup, GeoResolver

__all__ = ["NO_RESOLVER", "GeoRecorder", "ReplayMismatch"]

#: What a desk without a resolver answers, live and in replay alike.
NO_RESOLVER = "the desk has no GeoIP resolver"


class ReplayMismatch(RuntimeError):
    """Replay asked for a GeoIP answer the journal did not record: the journal and code disagree."""


class GeoRecorder:
    """A resolver that records what ``inner`` answers, or plays recorded answers back.

    Args:
        inner: the host's resolver; None gives unknown lookups that say so.
    """

    def __init__(self, inner: GeoResolver | None) -> None:
        self.inner = inner
        self.recorded: list[tuple[str | None, GeoLookup]] = []
        self._replay: deque[tuple[str | None, GeoLookup]] | None = None

    def record(self) -> None:
        """Start a live call: forget earlier answers and record from now on."""
        self.recorded = []
        self._replay = None

    def play(self, answers: Iterable[tuple[str | None, GeoLookup]]) -> None:
        """Start a replayed call: answer with ``answers`` (address asked, answer), in order."""
        self._replay = deque(answers)

    def finish(self) -> None:
        """End a replayed call; every recorded answer must have been used.

        Raises:
            ReplayMismatch: some recorded answers were not asked for.
        """
        left, self._replay = self._replay, None
        if left:
            raise ReplayMismatch(f"replay left {len(left)} recorded GeoIP answer(s) unused")

    def resolve(self, ip: str | None) -> GeoLookup:
        """The recorded answer in replay; otherwise the inner resolver's, recorded."""
        if self._replay is not None:
            if not self._replay:
                raise ReplayMismatch(f"replay asked where {ip!r} is, and the journal recorded no answer")
            asked, found = self._replay.popleft()
            if asked != ip:
                raise ReplayMismatch(f"replay asked where {ip!r} is; the journal recorded {asked!r}")
            return found
        if self.inner is None:
            found = GeoLookup(ip=ip if isinstance(ip, str) else None, reason=NO_RESOLVER)
        else:
            found = self.inner.resolve(ip)
        self.recorded.append((ip, found))
        return found
