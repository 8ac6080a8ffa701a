"""Overflow and queue caps: where a new dialog goes when it would wait in a group.

A group's :class:`~chatroute.model.Overflow` sends a dialog that would wait there on to
another target when the group has nobody routable, a long queue or a long estimated
wait; the group's ``queue_cap`` refuses a dialog that would wait past it (the decision
is ``rejected`` with the reason code ``queue_full``). Both read the state's counts (the
queue's length, the target's capacity, the mean handle time), never a scan.

:func:`overflow` is the step of :meth:`~chatroute._placement.Decider.decide` that
applies them; it is reached only for targets in :attr:`Topology.spills`, so a config
without overflows or caps never comes here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ._router_state import RouterState
from ._topology import Topology, pool_key
from .decision import GroupCheck, Reason
from .model import Group, Overflow, Target
from .queue import wait_estimate
from .strategies import Strategy

__all__ = ["Placing", "new_wait", "overflow", "overflow_cause", "waiting_in"]


class Placing:
    """A dialog's place on one target, as the decision path found it.

    Attributes:
        target / key / strategy: the target, its key and its strategy (None: an operator).
        pool: it waits in the target's manual pool for a claim.
        chosen: the operator who takes it now, if any.
        offered_to: the operators it is offered to, if any.
    """

    __slots__ = ("chosen", "key", "offered_to", "pool", "strategy", "target")

    def __init__(
        self,
        target: Target,
        key: str,
        strategy: Strategy | None,
        pool: bool,
        chosen: str | None,
        offered_to: tuple[str, ...],
    ) -> None:
        self.target = target
        self.key = key
        self.strategy = strategy
        self.pool = pool
        self.chosen = chosen
        self.offered_to = offered_to

    @property
    def waits(self) -> bool:
        """Whether the dialog would wait (in the queue or the pool) rather than go to someone."""
        return self.chosen is None and not self.offered_to


def _waiting(count: int) -> str:
    return f"{count} dialog waits" if count == 1 else f"{count} dialogs wait"


def waiting_in(state: RouterState, key: str, pool: bool) -> int:
    """How many dialogs wait in the target's queue (or its pool)."""
    queue = state.queues.get(pool_key(key) if pool else key)
    return len(queue) if queue is not None else 0


def new_wait(state: RouterState, key: str, waiting: int) -> timedelta | None:
    """The estimated wait of a new dialog behind ``waiting`` others (None: nobody can serve)."""
    return wait_estimate(waiting + 1, state.handle_time, state.available.capacity.get(key, 0))


def overflow_cause(spill: Overflow, state: RouterState, key: str, waiting: int) -> str | None:
    """Which of the overflow's conditions holds for the target now, in words; None: none does."""
    capacity = state.available.capacity.get(key, 0)
    if spill.nobody and capacity <= 0:
        return "nobody in it is routable"
    if spill.queue is not None and waiting >= spill.queue:
        return f"{_waiting(waiting)} (overflow at {spill.queue})"
    if spill.wait is not None:
        wait = new_wait(state, key, waiting)
        if wait is None:
            return "nobody in it is routable, so the wait has no end"
        if wait > spill.wait:
            return f"the estimated wait {wait.total_seconds():g} s exceeds {spill.wait.total_seconds():g} s"
    return None


def overflow(
    placing: Placing,
    topology: Topology,
    state: RouterState,
    place: Callable[[Target], Placing | str],
    notes: list[str] | None,
) -> tuple[Placing, GroupCheck | None]:
    """Follow the overflows from a target where the dialog would wait, then apply the queue cap.

    Args:
        placing: the dialog's place on its first target (one in ``topology.spills``).
        place: the dialog's place on another target, or why that target's filters
            refuse it (then the dialog stays where it was).
        notes: the trace's notes, when explaining.

    Returns:
        Where the dialog goes, and the check that refuses it when the queue there is
        at its cap (None: it may wait there).
    """
    seen = {placing.key}
    while placing.waits:
        group: Group | None = topology.spills.get(placing.key)
        if group is None:
            break
        waiting = waiting_in(state, placing.key, placing.pool)
        spill = group.overflow
        cause = overflow_cause(spill, state, placing.key, waiting) if spill is not None else None
        if spill is not None and cause is not None:
            moved = place(spill.to)
            if not isinstance(moved, str) and moved.key not in seen:
                if notes is not None:
                    notes.append(f"group {group.id!r} overflows to {moved.target}: {cause}")
                seen.add(moved.key)
                placing = moved
                continue
            if notes is not None:
                why = moved if isinstance(moved, str) else f"{moved.target} was tried already"
                notes.append(f"group {group.id!r} would overflow ({cause}), but {why}: it stays")
        cap = group.queue_cap
        if cap is not None and waiting >= cap:
            detail = f"{_waiting(waiting)}, its queue_cap is {cap}"
            return placing, GroupCheck(group_id=group.id, reason=Reason.QUEUE_FULL, detail=detail)
        break
    return placing, None
