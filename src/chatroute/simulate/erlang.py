"""Erlang B and Erlang C: the textbook answers the simulator is checked against.

Erlang C describes a queue with Poisson arrivals, exponential handle times, ``agents``
identical servers that each take one dialog at a time, and nobody giving up (M/M/c).
``load`` is the offered traffic in Erlangs: arrival rate times mean handle time.

    >>> round(erlang_c(agents=2, load=1.0), 4)
    0.3333
    >>> round(mean_wait(agents=2, load=1.0, handle_time=60.0), 1)
    20.0
    >>> agents_for_service_level(load=10.0, handle_time=180.0, target=0.8, threshold=20.0)
    14
"""

from __future__ import annotations

import math

from ..errors import InvalidValue

__all__ = ["agents_for_service_level", "erlang_b", "erlang_c", "mean_wait", "service_level"]


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
