"""A discrete-event simulator that drives the real :class:`~chatroute.Router`.

Before switching a routing set-up on, see what it does to waiting times, lost dialogs
and operator load: describe the traffic in a :class:`Scenario` (Poisson arrivals with an
hour-of-day profile or a replayed log, handle times, patience, shifts and breaks), then
compare strategies on the same simulated traffic, over several simulated days::

    report = simulate(Scenario.load("desk.toml"), ["config", "even", "random"], replications=10)
    print(report.render())  # every figure as mean ± 95% half-width, and a verdict

:func:`staff` finds the fewest operators that reach a service-level target, and puts
the Erlang C estimate beside it; :func:`staff_intervals` plans per half hour or hour,
with shrinkage, from Erlang A checked on simulated days. Nothing here reads the clock or the global random
source: a seed gives the same report every time.
"""

from .confidence import Estimate, estimate, student_t
from .erlang import (
    ErlangA,
    agents_for_erlang_a,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
    mean_wait,
    service_level,
)
from .intervals import Interval, IntervalStaffing, staff_intervals
from .metrics import DialogOutcome, Metrics, OperatorMetrics
from .report import Difference, Report, Run
from .run import explain_at, replicate_seeds, simulate
from .scenario import (
    PROFILES,
    Arrivals,
    Break,
    Distribution,
    Duration,
    Hold,
    LoggedDialog,
    Redial,
    Replay,
    Scenario,
    Shift,
    Traffic,
    Transfer,
)
from .staffing import ServiceTarget, Staffing, staff
from .traffic import Arrival, StatusChange, generate, read_log, status_changes
from .variants import STRATEGIES, Variant

__all__ = [
    "PROFILES",
    "STRATEGIES",
    "Arrival",
    "Arrivals",
    "Break",
    "DialogOutcome",
    "Difference",
    "Distribution",
    "Duration",
    "ErlangA",
    "Estimate",
    "Hold",
    "Interval",
    "IntervalStaffing",
    "LoggedDialog",
    "Metrics",
    "OperatorMetrics",
    "Redial",
    "Replay",
    "Report",
    "Run",
    "Scenario",
    "ServiceTarget",
    "Shift",
    "Staffing",
    "StatusChange",
    "Traffic",
    "Transfer",
    "Variant",
    "agents_for_erlang_a",
    "agents_for_service_level",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "estimate",
    "explain_at",
    "generate",
    "mean_wait",
    "read_log",
    "replicate_seeds",
    "service_level",
    "simulate",
    "staff",
    "staff_intervals",
    "status_changes",
    "student_t",
]
