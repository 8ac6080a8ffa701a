"""A discrete-event simulator that drives the real :class:`~chatroute.Router`.

Before switching a routing set-up on, see what it does to waiting times, lost dialogs
and operator load: describe the traffic in a :class:`Scenario` (Poisson arrivals with an
hour-of-day profile or a replayed log, handle times, patience, shifts and breaks), then
compare strategies on the same simulated traffic::

    report = simulate(Scenario.load("desk.toml"), strategies=["config", "even", "random"])
    print(report.render())

:func:`staff` finds the fewest operators that reach a service-level target, and puts
the Erlang C estimate beside it. Nothing here reads the clock or the global random
source: a seed gives the same report every time.
"""

from .erlang import agents_for_service_level, erlang_b, erlang_c, mean_wait, service_level
from .metrics import DialogOutcome, Metrics, OperatorMetrics
from .report import Report, Run
from .run import explain_at, simulate
from .scenario import (
    PROFILES,
    Arrivals,
    Break,
    Distribution,
    Duration,
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
    "Distribution",
    "Duration",
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
    "agents_for_service_level",
    "erlang_b",
    "erlang_c",
    "explain_at",
    "generate",
    "mean_wait",
    "read_log",
    "service_level",
    "simulate",
    "staff",
    "status_changes",
]
