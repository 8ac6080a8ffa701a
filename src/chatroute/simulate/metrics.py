"""What a simulated run measured: per-dialog outcomes folded into frozen metrics.

Definitions (every dialog is judged against its own channel's SLA):

* offered: dialogs that arrived after the warm-up;
* answered: got an operator (waits are measured to that first assignment);
  abandoned: the client left while waiting; rejected: the router had nowhere to put
  it; unanswered: still waiting when the simulation stopped;
* waited: answered dialogs that had to wait in a queue (Erlang C's "probability of
  waiting" is ``waited / answered``);
* service level: the share of offered dialogs answered within the channel's SLA
  warning threshold (LiveTex's 30 s yellow highlight, by default);
* sla_warn / sla_critical: dialogs the router flagged yellow / red while they waited;
* occupancy: the operators' mean load over their limit while logged in (not offline);
* fairness: the coefficient of variation of dialogs per operator (0 is perfectly even);
* max_queue: the longest the queue got (after the warm-up);
* redials: offered dialogs that were clients coming back after giving up (see
  :class:`~chatroute.simulate.Redial`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

__all__ = [
    "DialogOutcome",
    "Metrics",
    "OperatorMetrics",
    "percentile",
    "share_within",
    "summarize",
    "with_operators",
]


def percentile(ordered: Sequence[float], share: float) -> float:
    """The ``share`` quantile of sorted values, interpolating between neighbours.

    Example:
        >>> percentile([0.0, 10.0, 20.0, 30.0], 0.5)
        15.0
    """
    if not ordered:
        raise ValueError("no values")
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@attrs.frozen(kw_only=True)
class DialogOutcome:
    """How one simulated dialog went (what ``summarize`` folds into metrics).

    Attributes:
        channel: its channel.
        group: the group it was routed to first, if any.
        answered: it got an operator; ``wait`` is then seconds to that first assignment.
        abandoned: the client left unanswered.
        rejected: the router refused it.
        waited: it had to wait in a queue.
        wait: seconds to the first assignment (answered dialogs).
        sla: the channel's SLA warning threshold, in seconds.
        warned: flagged yellow (SLA warn) while waiting.
        critical: flagged red (SLA critical) while waiting.
        transfers: how many times it was transferred.
        redial: the client had given up before and came back.
        at: when it arrived, in seconds after the scenario's start.
    """

    channel: str
    group: str | None
    answered: bool
    abandoned: bool = False
    rejected: bool = False
    waited: bool = False
    wait: float = 0.0
    sla: float = 30.0
    warned: bool = False
    critical: bool = False
    transfers: int = 0
    redial: bool = False
    at: float = 0.0


@attrs.frozen(kw_only=True)
class OperatorMetrics:
    """One operator's share of the work.

    Attributes:
        id: the operator.
        assigned: dialogs assigned to them (dialogs that arrived after the warm-up).
        logged_hours: hours in a status other than offline, within the measured span.
        occupancy: mean load over limit while logged in; None if never logged in.
    """

    id: str
    assigned: int
    logged_hours: float
    occupancy: float | None


@attrs.frozen(kw_only=True)
class Metrics:
    """Metrics of a set of dialogs (everything, one group or one channel). See the module doc."""

    offered: int
    answered: int
    abandoned: int
    rejected: int
    unanswered: int
    waited: int
    wait_mean: float | None
    wait_p50: float | None
    wait_p90: float | None
    wait_p99: float | None
    service_level: float | None
    sla_warn: int
    sla_critical: int
    transfers: int
    max_queue: int
    occupancy: float | None
    fairness: float | None
    redials: int = 0

    @property
    def abandoned_share(self) -> float | None:
        """Abandoned over offered."""
        return self.abandoned / self.offered if self.offered else None

    @property
    def wait_probability(self) -> float | None:
        """Answered dialogs that had to wait, over answered dialogs (Erlang C's P(wait))."""
        return self.waited / self.answered if self.answered else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, with the derived shares."""
        data = attrs.asdict(self)
        data["abandoned_share"] = self.abandoned_share
        data["wait_probability"] = self.wait_probability
        return data


def share_within(outcomes: Iterable[DialogOutcome], limit: Callable[[DialogOutcome], float]) -> float | None:
    """The share of dialogs answered within their ``limit(outcome)`` seconds; None if none."""
    total = hits = 0
    for outcome in outcomes:
        total += 1
        hits += outcome.answered and outcome.wait <= limit(outcome)
    return hits / total if total else None


def summarize(
    outcomes: Sequence[DialogOutcome], operators: Sequence[OperatorMetrics], max_queue: int
) -> Metrics:
    """Fold dialog outcomes and operator figures into :class:`Metrics`.

    Args:
        outcomes: the dialogs measured.
        operators: the operators whose occupancy and fairness count (those of the
            group, or all); operators never logged in are left out.
        max_queue: the longest queue seen.
    """
    waits = sorted(o.wait for o in outcomes if o.answered)
    occupancy, fairness = _operator_part(operators)
    return Metrics(
        offered=len(outcomes),
        answered=len(waits),
        abandoned=sum(o.abandoned for o in outcomes),
        rejected=sum(o.rejected for o in outcomes),
        unanswered=sum(not (o.answered or o.abandoned or o.rejected) for o in outcomes),
        waited=sum(o.answered and o.waited for o in outcomes),
        wait_mean=sum(waits) / len(waits) if waits else None,
        wait_p50=percentile(waits, 0.5) if waits else None,
        wait_p90=percentile(waits, 0.9) if waits else None,
        wait_p99=percentile(waits, 0.99) if waits else None,
        service_level=share_within(outcomes, lambda o: o.sla),
        sla_warn=sum(o.warned for o in outcomes),
        sla_critical=sum(o.critical for o in outcomes),
        transfers=sum(o.transfers for o in outcomes),
        max_queue=max_queue,
        occupancy=occupancy,
        fairness=fairness,
        redials=sum(o.redial for o in outcomes),
    )


def with_operators(metrics: Metrics, operators: Sequence[OperatorMetrics], max_queue: int) -> Metrics:
    """What :func:`summarize` gives for the outcomes ``metrics`` was folded from, with other operators.

    The dialog figures are those of ``metrics``; occupancy and fairness are those of
    ``operators`` and the longest queue is ``max_queue``. A report's part that holds
    every measured dialog (the one channel, the one group of a simple desk) so costs
    nothing per dialog instead of a second pass over them all.
    """
    occupancy, fairness = _operator_part(operators)
    return attrs.evolve(metrics, max_queue=max_queue, occupancy=occupancy, fairness=fairness)


def _operator_part(operators: Sequence[OperatorMetrics]) -> tuple[float | None, float | None]:
    """Mean occupancy and fairness of the operators who were logged in (None when nobody was)."""
    working = [op for op in operators if op.occupancy is not None]
    occupancy = sum(op.occupancy or 0.0 for op in working) / len(working) if working else None
    return occupancy, _variation([op.assigned for op in working])


def _variation(values: Sequence[int]) -> float | None:
    """Coefficient of variation (population standard deviation over mean)."""
    if not values:
        return None
    mean = sum(values) / len(values)
    if mean == 0:
        return 0.0
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return math.sqrt(variance) / mean
