"""What the simulator knows of each dialog and each operator while a run goes on.

The engine learns these from the router's events alone; they are its own bookkeeping,
never the router's state. An operator's record also integrates their load and logged-in
time over the measured span, for occupancy.
"""

from __future__ import annotations

from ..router import Router
from .traffic import Arrival

__all__ = [
    "ABANDONED",
    "ASSIGNED",
    "CLOSED",
    "NEW",
    "REJECTED",
    "WAITING",
    "DialogRecord",
    "OperatorRecord",
    "operator_records",
]

# where a dialog stands, as the simulator sees it
NEW, WAITING, ASSIGNED, CLOSED, ABANDONED, REJECTED = range(6)


class DialogRecord:
    """The simulator's view of one dialog."""

    __slots__ = (
        "arrival",
        "critical",
        "due",
        "first_at",
        "group",
        "held_by",
        "index",
        "operator",
        "pending",
        "pool",
        "queue_keys",
        "rest",
        "state",
        "token",
        "transfers",
        "waited",
        "warned",
        "weight",
    )

    def __init__(self, arrival: Arrival, weight: int, index: int) -> None:
        self.arrival = arrival
        self.weight = weight
        self.index = index  # its place among the run's dialogs, in arrival order
        self.state = NEW
        self.group: str | None = None
        self.operator: str | None = None
        self.first_at: float | None = None
        self.due = 0.0
        self.pending = 0.0
        self.token = 0
        self.queue_keys: tuple[str, ...] = ()
        self.pool = False
        self.waited = self.warned = self.critical = False
        self.transfers = 0
        self.held_by: str | None = None  # on hold with its slot given back: whose dialog it is
        self.rest = 0.0  # a held dialog's handling left after it resumes


class OperatorRecord:
    """Load and logged-in time of one operator, integrated over the measured span."""

    __slots__ = (
        "area",
        "assigned",
        "claiming",
        "id",
        "last",
        "limit",
        "load",
        "logged",
        "logged_time",
        "manual",
        "open",
    )

    def __init__(self, op_id: str, limit: int, logged: bool, manual: bool) -> None:
        self.id = op_id
        self.limit = limit
        self.logged = logged
        self.manual = manual
        self.load = 0
        self.open = 0  # dialogs assigned, whatever their weight
        self.area = 0.0
        self.logged_time = 0.0
        self.last = 0.0
        self.assigned = 0
        self.claiming = False

    def touch(self, now: float, low: float, high: float) -> None:
        """Add the load and logged time since the last change, within the measured span ``[low, high]``."""
        # min(max(x, low), high), spelled out: twice per dialog, the builtins' calls cost
        # more than the comparisons (the same floats: max keeps x unless low > x, etc.)
        begin = self.last
        if low > begin:
            begin = low
        if high < begin:
            begin = high
        end = now
        if low > end:
            end = low
        if high < end:
            end = high
        if end > begin and self.logged:
            self.area += self.load * (end - begin)
            self.logged_time += end - begin
        self.last = now


def operator_records(router: Router) -> dict[str, OperatorRecord]:
    """A record for each of the router's operators, as they stand at the start.

    An operator is manual when a group of theirs (or the whole config) picks up from a
    pool: they claim dialogs themselves.
    """
    config = router.config
    manual = {g.id for g in config.groups if (g.strategy or config.strategy).manual}
    in_manual = {op for g in config.groups if g.id in manual for op in g.operator_ids}
    if config.strategy.manual:
        in_manual = {o.id for o in config.operators}
    return {
        state.id: OperatorRecord(state.id, state.limit, state.status != "offline", state.id in in_manual)
        for state in router.operators()
    }
