"""A run's raw results, read from the simulator's records once the run is over.

:func:`outcome` says how each measured dialog fared and :func:`operator_figures` what
each operator did; :class:`RunData` holds them, with the longest queues, until they
are folded into metrics.
"""

from __future__ import annotations

import attrs

from ._records import ABANDONED, REJECTED, DialogRecord, OperatorRecord
from .metrics import DialogOutcome, OperatorMetrics

__all__ = ["RunData", "operator_figures", "outcome"]


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


def outcome(rec: DialogRecord, sla: float) -> DialogOutcome:
    """How the dialog of ``rec`` fared, judged against its channel's ``sla`` seconds."""
    answered = rec.first_at is not None
    return DialogOutcome(
        at=rec.arrival.at,
        channel=rec.arrival.dialog.channel,
        group=rec.group,
        answered=answered,
        abandoned=rec.state == ABANDONED,
        rejected=rec.state == REJECTED,
        waited=rec.waited,
        wait=(rec.first_at - rec.arrival.at) if rec.first_at is not None else 0.0,
        sla=sla,
        warned=rec.warned,
        critical=rec.critical,
        transfers=rec.transfers,
        redial=rec.arrival.redial > 0,
    )


def operator_figures(op: OperatorRecord) -> OperatorMetrics:
    """The operator's measured figures: dialogs assigned, hours logged in, occupancy."""
    return OperatorMetrics(
        id=op.id,
        assigned=op.assigned,
        logged_hours=op.logged_time / 3600.0,
        occupancy=op.area / (op.limit * op.logged_time) if op.logged_time > 0 and op.limit else None,
    )
