"""Erlang B, C and A: the textbook answers the simulator is checked against.

Erlang C describes a queue with Poisson arrivals, exponential handle times, ``agents``
identical servers that each take one dialog at a time, and nobody giving up (M/M/c).
Erlang A (M/M/c+M, Palm's model) adds impatience: each waiting client leaves after an
exponential time of mean ``patience``. ``load`` is the offered traffic in Erlangs:
arrival rate times mean handle time.

    >>> round(erlang_c(agents=2, load=1.0), 4)
    0.3333
    >>> round(mean_wait(agents=2, load=1.0, handle_time=60.0), 1)
    20.0
    >>> agents_for_service_level(load=10.0, handle_time=180.0, target=0.8, threshold=20.0)
    14
    >>> a = erlang_a(agents=14, load=10.0, handle_time=180.0, patience=120.0, threshold=20.0)
    >>> round(a.wait_probability, 3), round(a.abandon_probability, 4), round(a.service_level, 3)
    (0.127, 0.0228, 0.933)
"""

from __future__ import annotations

import math

import attrs

from ..errors import InvalidValue

__all__ = [
    "ErlangA",
    "agents_for_erlang_a",
    "agents_for_service_level",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "mean_wait",
    "service_level",
]

_NEGLIGIBLE = 1e-16  # queue states less likely than this (relative) are left out


def _check(agents: int, load: float) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 1:
        raise InvalidValue("agents", agents, "must be an integer of at least 1")
    if isinstance(load, bool) or not isinstance(load, int | float) or not math.isfinite(load) or load < 0:
        raise InvalidValue("load", load, "must be a non-negative number of Erlangs")


def erlang_b(agents: int, load: float) -> float:
    """The blocking probability of ``agents`` servers offered ``load`` Erlangs (no queue).

    Uses the recursion ``B(k) = a B(k-1) / (k + a B(k-1))``, which stays accurate for
    thousands of agents where the factorial formula overflows.

    Args:
        agents: number of servers, at least 1.
        load: offered traffic in Erlangs.

    Returns:
        The probability that an arrival finds every server busy.

    Raises:
        InvalidValue: an argument out of range.
    """
    _check(agents, load)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """The probability that an arrival has to wait (M/M/c), from Erlang B.

    Args:
        agents: number of servers, at least 1.
        load: offered traffic in Erlangs.

    Returns:
        ``P(wait > 0)``; 1.0 when the load reaches the number of agents (the queue
        grows without bound).

    Raises:
        InvalidValue: an argument out of range.
    """
    _check(agents, load)
    if load >= agents:
        return 1.0
    blocking = erlang_b(agents, load)
    return agents * blocking / (agents - load * (1.0 - blocking))


def mean_wait(agents: int, load: float, handle_time: float) -> float:
    """The mean wait of all arrivals (those served at once count as 0), in the unit of ``handle_time``.

    Args:
        agents: number of servers.
        load: offered traffic in Erlangs.
        handle_time: mean handle time (seconds, say).

    Returns:
        ``C(c, a) * h / (c - a)``; infinity when the load reaches the number of agents.

    Raises:
        InvalidValue: an argument out of range.
    """
    if not handle_time > 0:
        raise InvalidValue("handle_time", handle_time, "must be positive")
    if load >= agents:
        _check(agents, load)
        return math.inf
    return erlang_c(agents, load) * handle_time / (agents - load)


def service_level(agents: int, load: float, handle_time: float, threshold: float) -> float:
    """The share of arrivals that wait no longer than ``threshold``.

    Args:
        agents: number of servers.
        load: offered traffic in Erlangs.
        handle_time: mean handle time, in the unit of ``threshold``.
        threshold: the service-level time (20 s in "80/20").

    Returns:
        ``1 - C(c, a) * exp(-(c - a) * threshold / h)``; 0.0 when the load reaches the
        number of agents.

    Raises:
        InvalidValue: an argument out of range.
    """
    if not handle_time > 0:
        raise InvalidValue("handle_time", handle_time, "must be positive")
    if threshold < 0:
        raise InvalidValue("threshold", threshold, "must not be negative")
    if load >= agents:
        _check(agents, load)
        return 0.0
    return 1.0 - erlang_c(agents, load) * math.exp(-(agents - load) * threshold / handle_time)


def agents_for_service_level(load: float, handle_time: float, target: float, threshold: float) -> int:
    """The fewest agents whose Erlang C service level reaches ``target``.

    Args:
        load: offered traffic in Erlangs.
        handle_time: mean handle time, in the unit of ``threshold``.
        target: the share to answer within ``threshold`` (0.8 in "80/20"), below 1.
        threshold: the service-level time.

    Returns:
        The number of agents, at least 1.

    Raises:
        InvalidValue: an argument out of range.
    """
    if not 0 < target < 1:
        raise InvalidValue("target", target, "must be between 0 and 1 (exclusive)")
    agents = max(1, math.floor(load) + 1)
    while service_level(agents, load, handle_time, threshold) < target:
        agents += 1
    return agents


# ---------------------------------------------------------------------------- Erlang A


@attrs.frozen(kw_only=True)
class ErlangA:
    """What Erlang A (M/M/c+M) predicts for one desk, in steady state.

    Attributes:
        wait_probability: the share of arrivals that find every agent busy.
        abandon_probability: the share of arrivals that leave before being answered.
        mean_wait: mean time in the queue over every arrival (those answered at once
            count 0; those who leave count the time until they left), in the unit of
            the handle time.
        service_level: the share of arrivals answered within the threshold (those who
            leave count as misses, as in the simulator's service level).
        occupancy: the agents' busy share: served load over agents.
    """

    wait_probability: float
    abandon_probability: float
    mean_wait: float
    service_level: float
    occupancy: float


def _check_times(handle_time: float, patience: float, threshold: float) -> None:
    for field, value in (("handle_time", handle_time), ("patience", patience)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
            raise InvalidValue(field, value, "must be a positive number")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold < math.inf:
        raise InvalidValue("threshold", threshold, "must be a non-negative number")


def _queue_terms(agents: int, load: float, handle_time: float, patience: float) -> list[float]:
    """``r_j = prod_{i<=j} lambda / (c mu + i theta)`` for j = 0, 1, ... until negligible (r_0 = 1).

    In steady state the chance of j clients waiting is proportional to ``r_j`` (times
    the chance that all agents are just busy).
    """
    arrival = load / handle_time  # lambda, in the handle time's unit
    service, leave = agents / handle_time, 1.0 / patience  # c mu, theta
    terms, total, term, j = [1.0], 1.0, 1.0, 0
    while True:
        j += 1
        ratio = arrival / (service + j * leave)
        term *= ratio
        if ratio < 1 and term < _NEGLIGIBLE * total:
            return terms
        terms.append(term)
        total += term


def erlang_a(agents: int, load: float, handle_time: float, patience: float, threshold: float) -> ErlangA:
    """Erlang A: ``agents`` offered ``load`` Erlangs, clients leaving after ``patience`` on average.

    The number of dialogs in the system is a birth-death process (arrivals at rate
    lambda; departures at ``min(k, c) mu + max(k - c, 0) theta``), solved exactly:
    ``P(wait) = A B / (1 - B + A B)`` with ``B`` the Erlang B blocking and ``A`` the
    sum of :func:`_queue_terms` (Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with
    applications to call centers", 2007, section 3). ``P(abandon) = theta E[Lq] /
    lambda`` and the mean wait is ``E[Lq] / lambda`` (Little's law). The service level
    is one integral over the wait (see :func:`_answered_within`).

    Args:
        agents: agents, each taking one dialog at a time.
        load: offered traffic in Erlangs.
        handle_time: mean handle time (seconds, say).
        patience: mean patience, in the same unit.
        threshold: the service-level time, in the same unit.

    Raises:
        InvalidValue: an argument out of range.
    """
    _check(agents, load)
    _check_times(handle_time, patience, threshold)
    if load == 0:
        return ErlangA(
            wait_probability=0.0, abandon_probability=0.0, mean_wait=0.0, service_level=1.0, occupancy=0.0
        )
    blocking = erlang_b(agents, load)
    terms = _queue_terms(agents, load, handle_time, patience)
    scale = blocking / (1.0 - blocking + blocking * math.fsum(terms))  # P(exactly c in the system)
    waiting = [scale * term for term in terms]  # P(c + j in the system), j = 0, 1...
    queue = math.fsum(j * p for j, p in enumerate(waiting))  # E[Lq]
    arrival = load / handle_time
    abandon = queue / patience / arrival
    wait = math.fsum(waiting)
    answered = _answered_within(scale, agents, load, handle_time, patience, threshold)
    return ErlangA(
        wait_probability=wait,
        abandon_probability=abandon,
        mean_wait=queue / arrival,
        service_level=min(1.0, max(0.0, 1.0 - wait + answered)),
        occupancy=load * (1.0 - abandon) / agents,
    )


def _answered_within(
    exact: float, agents: int, load: float, handle_time: float, patience: float, threshold: float
) -> float:
    """P(an arrival waits, and is answered within ``threshold``), given P(exactly c in the system).

    With j clients ahead, the arrival's time to an agent is a sum of exponentials of
    rates ``c mu + m theta`` (m = j, ..., 0), whose density is
    ``prod(c mu + m theta) e^(-c mu x) (1 - e^(-theta x))^j / (j! theta^j)``; it is
    answered if its own patience outlasts that, with chance ``e^(-theta x)``.
    Weighted by ``P(c + j) = P(c) prod_i lambda / (c mu + i theta)``, the sum over j
    folds into one exponential series, leaving the integral
    ``P(c) c mu * int_0^t exp(-(c mu + theta) x + lambda (1 - e^(-theta x)) / theta) dx``,
    which Simpson's rule evaluates (the integrand is smooth).
    """
    if threshold == 0 or exact == 0:
        return 0.0
    arrival, service, leave = load / handle_time, agents / handle_time, 1.0 / patience
    decay = service + leave - arrival  # the integrand falls at least this fast (log scale)
    upper = min(threshold, 60.0 / decay) if decay > 0 else threshold  # beyond: below e^-60 of the start
    intervals = 2 * math.ceil(min(100_000.0, max(100.0, 10 * (arrival + service + leave) * upper)))
    step = upper / intervals

    def log_density(x: float) -> float:
        return -(service + leave) * x - arrival * math.expm1(-leave * x) / leave

    peak = max(log_density(0.0), log_density(upper))
    total = 0.0
    for i in range(intervals + 1):
        weight = 1 if i in (0, intervals) else (4 if i % 2 else 2)
        total += weight * math.exp(log_density(i * step) - peak)
    return exact * service * math.exp(peak) * total * step / 3


def agents_for_erlang_a(
    load: float,
    handle_time: float,
    patience: float,
    target: float,
    threshold: float,
    *,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """The fewest agents whose Erlang A figures meet every target given.

    Args:
        load: offered traffic in Erlangs.
        handle_time: mean handle time.
        patience: mean patience, in the same unit.
        target: the share to answer within ``threshold``, in (0, 1).
        threshold: the service-level time.
        max_abandon: at most this share may leave unanswered, if given.
        max_occupancy: agents may be busy at most this share of the time, if given.

    Raises:
        InvalidValue: an argument out of range.
    """
    if not 0 < target < 1:
        raise InvalidValue("target", target, "must be between 0 and 1 (exclusive)")
    for field, share in (("max_abandon", max_abandon), ("max_occupancy", max_occupancy)):
        if share is not None and not 0 < share <= 1:
            raise InvalidValue(field, share, "must be a share in (0, 1]")
    agents = 1
    while True:
        found = erlang_a(agents, load, handle_time, patience, threshold)
        if (
            found.service_level >= target
            and (max_abandon is None or found.abandon_probability <= max_abandon)
            and (max_occupancy is None or found.occupancy <= max_occupancy)
        ):
            return agents
        agents += 1
