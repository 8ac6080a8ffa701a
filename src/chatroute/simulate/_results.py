"""A run's raw results, read from the simulator's records.

:func:`fate` keeps a dialog's figures once it is done (or the run is over),
:func:`outcome` says from them how each measured dialog fared and
:func:`operator_figures` what each operator did; :class:`RunData` holds them, with the
longest queues, until they are folded into metrics.
"""

from __future__ import annotations

import attrs

from ._records import ABANDONED, REJECTED, DialogRecord, OperatorRecord
from .metrics import DialogOutcome, OperatorMetrics

__all__ = ["Fate", "RunData", "fate", "operator_figures", "outcome"]


@attrs.frozen(kw_only=True)
class RunData:
    """Raw results of one run, before they are folded into metrics.

    Attributes:
        outcomes: measured dialogs (arrived after the warm-up), in arrival order.
        operators: every operator's figures.
        max_queues: the longest queue, overall (key ``""``), per channel
            (``"channel:site"``) and per group (``"group:sales"``).
        simulated: dialogs simulated, warm-up included.
    """

    outcomes: tuple[DialogOutcome, ...]
    operators: tuple[OperatorMetrics, ...]
    max_queues: dict[str, int]
    simulated: int


#: A finished dialog's figures: when it arrived (seconds), its channel, the group it was
#: first routed to, when it was first assigned, its state (``ABANDONED``...), whether
#: it waited, was flagged warn, was flagged critical, how many transfers, and whether
#: it was a redial. A plain tuple of plain values, which the garbage collector stops
#: tracking (it would go on traversing a named tuple or an attrs value at every full
#: collection, for every dialog of the run); :func:`fate` makes it and :func:`outcome`
#: reads it, and nothing else does.
Fate = tuple[float, str, str | None, float | None, int, bool, bool, bool, int, bool]


def fate(rec: DialogRecord) -> Fate:
    """The figures of ``rec`` that its outcome is made of, as they stand."""
    arrival = rec.arrival
    return (
        arrival.at,
        arrival.dialog.channel,
        rec.group,
        rec.first_at,
        rec.state,
        rec.waited,
        rec.warned,
        rec.critical,
        rec.transfers,
        arrival.redial > 0,
    )


def outcome(done: Fate, sla: float) -> DialogOutcome:
    """How a dialog fared, from its :func:`fate`, judged against its channel's ``sla`` seconds."""
    at, channel, group, first_at, state, waited, warned, critical, transfers, redial = done
    return DialogOutcome(
        at=at,
        channel=channel,
        group=group,
        answered=first_at is not None,
        abandoned=state == ABANDONED,
        rejected=state == REJECTED,
        waited=waited,
        wait=(first_at - at) if first_at is not None else 0.0,
        sla=sla,
        warned=warned,
        critical=critical,
        transfers=transfers,
        redial=redial,
    )


def operator_figures(op: OperatorRecord) -> OperatorMetrics:
    """The operator's measured figures: dialogs assigned, hours logged in, occupancy."""
    return OperatorMetrics(
        id=op.id,
        assigned=op.assigned,
        logged_hours=op.logged_time / 3600.0,
        occupancy=op.area / (op.limit * op.logged_time) if op.logged_time > 0 and op.limit else None,
    )
