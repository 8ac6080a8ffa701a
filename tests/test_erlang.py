"""Erlang B / C / A formulas, and the simulator's fidelity to Erlang C and Erlang A.

The fidelity test drives the real Router (one channel, limit 1, Even, exponential
arrivals and handle times, nobody abandons) and checks the probability of waiting and
the mean wait against Erlang C on three load levels, one above 90 % utilisation.

Crude Monte Carlo would need millions of dialogs for 3 % at 92 % utilisation (the mean
wait's relative standard error is about 9 % per 100,000 dialogs there), so the
estimates use a control variate (Law & Kelton, "Simulation Modeling and Analysis",
ch. 11): a single fast server (rate c/h) fed with the *same* arrival times and handle
times, whose mean wait and probability of waiting are known exactly (M/M/1). Its
waits move with the simulated system's, so subtracting its observed error (scaled by a
coefficient fitted on 40 batch means) removes most of the noise while leaving the
estimate's expectation unchanged. A wrong router (not first-come first-served, or
leaving capacity idle) moves the simulated waits but not the control, and fails. The
raw estimates are printed alongside; the exact-match test below checks the waits
dialog by dialog against an independent first-come first-served recursion.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from chatroute import Channel, InvalidValue, Operator, RoutingConfig
from chatroute.simulate import (
    Arrival,
    Arrivals,
    Duration,
    ErlangA,
    Scenario,
    Traffic,
    agents_for_erlang_a,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
    estimate,
    generate,
    mean_wait,
    service_level,
    simulate,
)

HANDLE = 120.0  # mean handle time, seconds
START = datetime(2026, 3, 2, tzinfo=UTC)


def mmc(servers: int, load: float, measured: int, warmup: int = 2000) -> Scenario:
    """M/M/c: ``servers`` operators of limit 1 offered ``load`` Erlangs; about ``measured`` dialogs count."""
    rate = load / HANDLE * 3600  # per hour
    config = RoutingConfig(
        channels=[Channel(name="site")],
        operators=[Operator(id=f"op{i:02d}", status="online", limit=1) for i in range(servers)],
    )
    return Scenario(
        config=config,
        traffic=Traffic(arrivals=[Arrivals(rate=rate)], handle_time=Duration(mean=HANDLE)),
        start=START,
        hours=(measured + warmup) / rate,
        warmup=warmup / rate * 60,
        drain=120,
    )


# ------------------------------------------------------------------------ formulas


@pytest.mark.parametrize(
    ("agents", "load", "expected"),
    [(1, 1.0, 0.5), (2, 1.0, 0.2), (5, 3.0, 0.110054), (10, 8.0, 0.121661)],
)
def test_erlang_b_matches_published_values(agents: int, load: float, expected: float) -> None:
    """Erlang B agrees with the closed form (a^c/c!) / sum(a^k/k!) and table values."""
    exact = (load**agents / math.factorial(agents)) / sum(
        load**k / math.factorial(k) for k in range(agents + 1)
    )
    assert erlang_b(agents, load) == pytest.approx(exact, rel=1e-12)
    assert erlang_b(agents, load) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("agents", "load", "expected"),
    [(1, 0.5, 0.5), (2, 1.0, 1 / 3), (10, 8.0, 0.409180), (13, 10.0, 0.285270), (14, 10.0, 0.174132)],
)
def test_erlang_c_matches_published_values(agents: int, load: float, expected: float) -> None:
    """Erlang C gives the textbook probabilities of waiting (M/M/1: rho; 10 Erlangs on 13/14 agents)."""
    assert erlang_c(agents, load) == pytest.approx(expected, abs=1e-6)


def test_the_call_centre_example_needs_14_agents_for_80_in_20() -> None:
    """10 Erlangs at 180 s handle time: 13 agents give 79.6 % in 20 s, 14 give 88.8 %, so 14 are needed."""
    assert service_level(13, 10.0, 180.0, 20.0) == pytest.approx(0.7956, abs=1e-4)
    assert service_level(14, 10.0, 180.0, 20.0) == pytest.approx(0.8884, abs=1e-4)
    assert mean_wait(14, 10.0, 180.0) == pytest.approx(7.836, abs=1e-3)
    assert agents_for_service_level(10.0, 180.0, 0.8, 20.0) == 14


def test_erlang_c_stays_finite_and_accurate_for_thousands_of_agents() -> None:
    """The Erlang B recursion neither overflows nor loses the value at 2,000 agents."""
    value = erlang_c(2000, 1950.0)
    assert 0.0 < value < 1.0
    assert erlang_b(2000, 1950.0) == pytest.approx(
        erlang_b(1999, 1950.0) * 1950 / (2000 + 1950 * erlang_b(1999, 1950.0))
    )


def test_an_overloaded_queue_always_waits_and_never_reaches_the_target() -> None:
    """At or above one Erlang per agent, everyone waits, the mean wait is infinite and the service level 0."""
    assert erlang_c(3, 3.0) == 1.0
    assert mean_wait(3, 4.0, 60.0) == math.inf
    assert service_level(3, 3.5, 60.0, 20.0) == 0.0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: erlang_c(0, 1.0), "agents"),
        (lambda: erlang_b(2, -1.0), "load"),
        (lambda: mean_wait(2, 1.0, 0.0), "handle_time"),
        (lambda: agents_for_service_level(2.0, 60.0, 1.0, 20.0), "target"),
    ],
)
def test_bad_arguments_name_the_field(call: object, field: str) -> None:
    """Out-of-range arguments raise InvalidValue naming the argument."""
    with pytest.raises(InvalidValue) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field


# ------------------------------------------------------------------------ fidelity


def fcfs_waits(arrivals: Sequence[Arrival], servers: int) -> list[float]:
    """Waits of a first-come first-served queue with ``servers`` servers (the M/M/c reference)."""
    free = [0.0] * servers
    waits = []
    for arrival in arrivals:
        soonest = heapq.heappop(free)
        begins = max(arrival.at, soonest)
        waits.append(begins - arrival.at)
        heapq.heappush(free, begins + arrival.handle)
    return waits


def fast_server_waits(arrivals: Sequence[Arrival], servers: int) -> list[float]:
    """Waits of one server ``servers`` times as fast, fed the same dialogs (Lindley's recursion)."""
    waits, wait = [], 0.0
    for i, arrival in enumerate(arrivals):
        if i:
            previous = arrivals[i - 1]
            wait = max(0.0, wait + previous.handle / servers - (arrival.at - previous.at))
        waits.append(wait)
    return waits


def controlled(
    values: Sequence[float], control: Sequence[float], control_mean: float, batches: int = 40
) -> float:
    """The mean of ``values`` corrected by a control variate whose expectation is ``control_mean``."""
    size = len(values) // batches
    ys = [sum(values[b * size : (b + 1) * size]) / size for b in range(batches)]
    xs = [sum(control[b * size : (b + 1) * size]) / size for b in range(batches)]
    mean_x, mean_y = sum(xs) / batches, sum(ys) / batches
    beta = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    return sum(values) / len(values) - beta * (sum(control) / len(control) - control_mean)


@pytest.mark.parametrize(
    ("servers", "load", "seed"),
    [(2, 1.2, 101), (4, 3.2, 102), (5, 4.6, 103)],
    ids=["60%-utilisation", "80%-utilisation", "92%-utilisation"],
)
def test_simulated_waits_agree_with_erlang_c(servers: int, load: float, seed: int) -> None:
    """P(wait) and mean wait of 50,000 routed dialogs are within 3 % of Erlang C (control variates)."""
    scenario = mmc(servers, load, measured=50_000)
    run = simulate(scenario, ["even"], seed=seed).runs[0]
    warmup = scenario.warmup.total_seconds()
    arrivals = generate(scenario, seed)
    assert run.overall.answered == run.overall.offered >= 49_000  # nobody left, nobody still waiting
    control = [
        w for a, w in zip(arrivals, fast_server_waits(arrivals, servers), strict=True) if a.at >= warmup
    ]
    waits = [o.wait for o in run.outcomes]
    waited = [1.0 if o.waited else 0.0 for o in run.outcomes]
    rho = load / servers
    fast_mean_wait = rho * (HANDLE / servers) / (1 - rho)  # M/M/1 with service rate servers / HANDLE
    p_wait = controlled(waited, [1.0 if w > 0 else 0.0 for w in control], rho)
    wait = controlled(waits, control, fast_mean_wait)
    expected_p, expected_wait = erlang_c(servers, load), mean_wait(servers, load, HANDLE)
    raw_p, raw_wait = run.overall.wait_probability, run.overall.wait_mean
    assert raw_p is not None
    assert raw_wait is not None
    print(
        f"\nc={servers} rho={rho:.2f} n={len(waits)}: P(wait) {p_wait:.4f} vs {expected_p:.4f} "
        f"({p_wait / expected_p - 1:+.2%}; raw {raw_p / expected_p - 1:+.2%}), mean wait {wait:.2f} s vs "
        f"{expected_wait:.2f} s ({wait / expected_wait - 1:+.2%}; raw {raw_wait / expected_wait - 1:+.2%})"
    )
    assert p_wait == pytest.approx(expected_p, rel=0.03)
    assert wait == pytest.approx(expected_wait, rel=0.03)


def test_simulated_waits_equal_a_first_come_first_served_queue_exactly() -> None:
    """With limit 1 and Even, every dialog waits exactly as long as in an independent M/M/c recursion."""
    scenario = mmc(3, 2.7, measured=5000, warmup=0)
    run = simulate(scenario, ["even", "round-robin", "random"], seed=5)
    expected = fcfs_waits(generate(scenario, 5), 3)
    assert sum(w > 0 for w in expected) > 1000
    for result in run.runs:
        assert [o.wait for o in result.outcomes] == pytest.approx(expected, abs=1e-6)


# ------------------------------------------------------------------------ Erlang A


def birth_death(agents: int, load: float, handle: float, patience: float, threshold: float) -> ErlangA:
    """Erlang A the long way: the truncated birth-death chain's balance equations, then uniformization.

    Independent of the library's closed forms: the stationary distribution comes from
    ``p[k+1] = p[k] lambda / death(k+1)`` on 0..2,000, normalised (lengths below 1e-20
    dropped); the service level from stepping the tagged client's position chain
    (move up at ``c mu + m theta``, leave at ``theta``) through Poisson-weighted
    uniformized steps.
    """
    arrival, service, leave = load / handle, 1 / handle, 1 / patience
    states = 2000
    p = [1.0]
    for k in range(1, states):
        p.append(p[-1] * arrival / (min(k, agents) * service + max(k - agents, 0) * leave))
    total = sum(p)
    p = [x / total for x in p]
    waiting = [x for x in p[agents:] if x > 1e-20]  # the queue's likely lengths (a prefix)
    queue = sum(j * x for j, x in enumerate(waiting))
    top = len(waiting) - 1
    rate = agents * service + (top + 1) * leave
    served = [0.0] * (top + 1)
    within = 0.0
    mean = rate * threshold
    for k in range(1, int(mean + 12 * math.sqrt(mean) + 30)):
        ahead = [1.0, *served[:-1]]
        served = [
            (agents * service + m * leave) / rate * ahead[m]
            + (1 - (agents * service + (m + 1) * leave) / rate) * served[m]
            for m in range(top + 1)
        ]
        weight = math.exp(k * math.log(mean) - mean - math.lgamma(k + 1))
        within += weight * sum(w * s for w, s in zip(waiting, served, strict=True))
    abandon = queue * leave / arrival
    return ErlangA(
        wait_probability=sum(waiting),
        abandon_probability=abandon,
        mean_wait=queue / arrival,
        service_level=1 - sum(waiting) + within,
        occupancy=load * (1 - abandon) / agents,
    )


@pytest.mark.parametrize(
    ("agents", "load", "handle", "patience", "threshold"),
    [
        (14, 10.0, 180.0, 120.0, 20.0),
        (5, 6.0, 120.0, 60.0, 30.0),
        (3, 1.5, 300.0, 600.0, 60.0),
        (20, 25.0, 240.0, 90.0, 20.0),
    ],
)
def test_erlang_a_agrees_with_an_independent_birth_death_computation(
    agents: int, load: float, handle: float, patience: float, threshold: float
) -> None:
    """Every Erlang A figure equals the truncated chain's, under and over load, to 1e-9."""
    found = erlang_a(agents, load, handle, patience, threshold)
    expected = birth_death(agents, load, handle, patience, threshold)
    for field in ("wait_probability", "abandon_probability", "mean_wait", "service_level", "occupancy"):
        assert getattr(found, field) == pytest.approx(getattr(expected, field), rel=1e-9, abs=1e-12), field


def test_erlang_a_with_patience_equal_to_handle_time_is_a_poisson_count() -> None:
    """theta = mu makes the chain M/M/inf: P(wait) = P(N >= 10) for N ~ Poisson(5) = 1 - 0.9682.

    Source: Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to call
    centers" (2007), section 4 (the case theta = mu); 0.9682 is F(9; 5) in the
    cumulative Poisson table (e.g. Montgomery & Runger, "Applied Statistics and
    Probability for Engineers", appendix table II).
    """
    found = erlang_a(agents=10, load=5.0, handle_time=60.0, patience=60.0, threshold=20.0)
    assert found.wait_probability == pytest.approx(1 - 0.9682, abs=5e-5)
    excess = sum(max(k - 10, 0) * math.exp(-5) * 5**k / math.factorial(k) for k in range(80))
    assert found.abandon_probability == pytest.approx(excess / 5.0, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_and_erlang_b_at_the_ends_of_patience() -> None:
    """Endless patience gives Erlang C's published 0.174132 and 88.84%; none gives Erlang B's 0.121661.

    Sources: the Erlang C figures of the call-centre example above (10 Erlangs on 14
    agents, 180 s, 80/20) and the Erlang B table value B(10, 8) = 0.121661 (e.g.
    Cooper, "Introduction to Queueing Theory", table of the Erlang loss function).
    """
    patient = erlang_a(agents=14, load=10.0, handle_time=180.0, patience=1e9, threshold=20.0)
    assert patient.wait_probability == pytest.approx(0.174132, abs=1e-6)
    assert patient.service_level == pytest.approx(0.8884, abs=1e-4)
    assert patient.mean_wait == pytest.approx(7.836, abs=1e-3)
    hasty = erlang_a(agents=10, load=8.0, handle_time=180.0, patience=1e-6, threshold=20.0)
    assert hasty.abandon_probability == pytest.approx(0.121661, abs=1e-6)
    assert hasty.service_level == pytest.approx(1 - 0.121661, abs=1e-6)


def test_erlang_a_staffing_meets_every_target_given() -> None:
    """The fewest agents meeting 80/20 alone, then also 2% abandonment, then also 80% occupancy."""
    load, handle, patience = 10.0, 180.0, 120.0
    alone = agents_for_erlang_a(load, handle, patience, 0.8, 20.0)
    assert erlang_a(alone, load, handle, patience, 20.0).service_level >= 0.8
    assert erlang_a(alone - 1, load, handle, patience, 20.0).service_level < 0.8
    assert alone <= agents_for_service_level(load, handle, 0.8, 20.0)  # impatience shortens the queue
    strict = agents_for_erlang_a(load, handle, patience, 0.8, 20.0, max_abandon=0.005)
    assert erlang_a(strict, load, handle, patience, 20.0).abandon_probability <= 0.005
    assert erlang_a(strict - 1, load, handle, patience, 20.0).abandon_probability > 0.005
    roomy = agents_for_erlang_a(load, handle, patience, 0.5, 20.0, max_occupancy=0.6)
    assert (
        erlang_a(roomy, load, handle, patience, 20.0).occupancy
        <= 0.6
        < erlang_a(roomy - 1, load, handle, patience, 20.0).occupancy
    )


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: erlang_a(0, 1.0, 60.0, 60.0, 20.0), "agents"),
        (lambda: erlang_a(2, 1.0, 60.0, 0.0, 20.0), "patience"),
        (lambda: erlang_a(2, 1.0, 60.0, 60.0, -1.0), "threshold"),
        (lambda: agents_for_erlang_a(1.0, 60.0, 60.0, 0.8, 20.0, max_abandon=0.0), "max_abandon"),
    ],
)
def test_erlang_a_names_a_bad_argument(call: object, field: str) -> None:
    """Out-of-range arguments raise InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field


def test_simulated_overloaded_desks_agree_with_erlang_a() -> None:
    """5 agents offered 6 Erlangs (120%), patience 60 s: abandonment, P(wait), service level as Erlang A.

    The noise: 8 replications of 10 simulated hours (about 1,800 dialogs each, warm-up
    30 min). Near saturation days differ a lot: the day-to-day standard deviation of
    each figure is 2-3 points, so the 95% half-width of the mean is about 2 points
    (printed with -s). Each figure must lie within its own half-width, taken from the
    replications, plus 1 point for the finite-day bias (each day starts empty). A
    simulator that ignored patience would miss abandonment (28%) by 28 points; one
    that let abandoned clients count as answered would miss the service level by
    more than 10.
    """
    handle, patience, agents, load = 120.0, 60.0, 5, 6.0
    desk = Scenario.queue(
        arrivals_per_hour=load / handle * 3600,
        handle_time=handle,
        operators=agents,
        patience=patience,
        sla=30.0,
        hours=10,
        warmup=30,
        seed=2,
    )
    report = simulate(desk, ["even"], replications=8, jobs=1)
    theory = erlang_a(agents, load, handle, patience, 30.0)
    days = [day[0].overall for day in report.replicates]
    measured = {
        "abandon_probability": [m.abandoned / m.offered for m in days],
        "wait_probability": [(m.waited + m.abandoned) / m.offered for m in days],
        "service_level": [m.service_level or 0.0 for m in days],
    }
    for figure, values in measured.items():
        found = estimate(values)
        expected = getattr(theory, figure)
        print(f"{figure}: simulated {found.mean:.4f} ± {found.half_width:.4f}, Erlang A {expected:.4f}")
        assert abs(found.mean - expected) <= found.half_width + 0.01, figure
