"""The result of a simulation: one :class:`Run` per compared strategy, side by side.

:meth:`Report.render` gives a plain-text table (strategies as columns);
:meth:`Report.to_dict` gives everything as JSON-able data.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._frozen import to_map, to_tuple
from ..errors import InvalidValue
from .metrics import DialogOutcome, Metrics, OperatorMetrics

__all__ = ["HISTOGRAM_EDGES", "Report", "Run"]

#: Upper bounds (seconds) of the wait-time histogram's buckets in :meth:`Report.to_dict`.
HISTOGRAM_EDGES = (0.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
_LABEL = 24  # width of the row labels


@attrs.frozen(kw_only=True)
class Run:
    """One variant's metrics.

    Attributes:
        name: the variant (``config``, ``even``...).
        description: the strategy in words.
        overall: metrics of every measured dialog.
        groups: metrics per group (dialogs by the group they were first routed to;
            ``(no group)`` for dialogs routed to everyone or to one operator).
        channels: metrics per channel.
        operators: each operator's share of the work.
        simulated: dialogs simulated, warm-up included.
        outcomes: every measured dialog's outcome, in arrival order (for plots and
            further analysis; not in :meth:`Report.to_dict`, which has a histogram).
    """

    name: str
    description: str
    overall: Metrics
    groups: Mapping[str, Metrics] = attrs.field(converter=to_map)
    channels: Mapping[str, Metrics] = attrs.field(converter=to_map)
    operators: tuple[OperatorMetrics, ...] = attrs.field(converter=to_tuple)
    simulated: int
    outcomes: tuple[DialogOutcome, ...] = attrs.field(converter=to_tuple, eq=False, repr=False)

    @property
    def waits(self) -> list[float]:
        """The answered dialogs' waits in seconds, sorted."""
        return sorted(o.wait for o in self.outcomes if o.answered)

    def histogram(self) -> list[dict[str, Any]]:
        """Answered dialogs by wait, in the buckets of :data:`HISTOGRAM_EDGES` (and one beyond)."""
        counts = [0] * (len(HISTOGRAM_EDGES) + 1)
        for wait in self.waits:
            counts[bisect.bisect_left(HISTOGRAM_EDGES, wait)] += 1
        buckets = []
        low: float | None = None
        for i, count in enumerate(counts):
            high = HISTOGRAM_EDGES[i] if i < len(HISTOGRAM_EDGES) else None
            buckets.append({"above": low, "up_to": high, "dialogs": count})
            low = high
        return buckets

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "name": self.name,
            "description": self.description,
            "simulated": self.simulated,
            "overall": self.overall.to_dict(),
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
            "channels": {k: v.to_dict() for k, v in self.channels.items()},
            "operators": [attrs.asdict(op) for op in self.operators],
            "wait_histogram": self.histogram(),
        }


@attrs.frozen(kw_only=True)
class Report:
    """Every compared variant's run on the same traffic.

    Attributes:
        scenario: the scenario's name.
        start: the start of the span.
        timezone: the scenario's zone (for display).
        hours: the length of the span.
        warmup: the unmeasured start of the span.
        seed: the seed of the traffic and the routers.
        runs: one per variant, in the order asked.
    """

    scenario: str
    start: datetime
    timezone: str
    hours: float
    warmup: timedelta
    seed: int
    runs: tuple[Run, ...] = attrs.field(converter=to_tuple)

    def run(self, name: str) -> Run:
        """The run of the variant called ``name``.

        Raises:
            InvalidValue: no run has that name.
        """
        for run in self.runs:
            if run.name == name:
                return run
        raise InvalidValue("name", name, f"no such run (runs: {', '.join(r.name for r in self.runs)})")

    def to_dict(self) -> dict[str, Any]:
        """The whole report as plain JSON-able data."""
        return {
            "scenario": self.scenario,
            "start": self.start.isoformat(),
            "timezone": self.timezone,
            "hours": self.hours,
            "warmup_minutes": self.warmup.total_seconds() / 60,
            "seed": self.seed,
            "runs": [run.to_dict() for run in self.runs],
        }

    def render(self) -> str:
        """A side-by-side text table: one column per variant."""
        width = max(12, *(len(run.name) + 2 for run in self.runs))
        lines = [self._title(), ""]
        lines.append(_row("", [run.name for run in self.runs], width))
        for label, cell in _ROWS:
            lines.append(_row(label, [cell(run.overall) for run in self.runs], width))
        for title, part in (("by group", "groups"), ("by channel", "channels")):
            keys = list(dict.fromkeys(key for run in self.runs for key in getattr(run, part)))
            if len(keys) < 2:
                continue
            lines += ["", f"{title}: service level, mean wait"]
            for key in keys:
                cells = [_brief(getattr(run, part).get(key)) for run in self.runs]
                lines.append(_row(f"  {key}", cells, width))
        lines.append("")
        lines += [f"{run.name}: {run.description}" for run in self.runs]
        return "\n".join(lines)

    def _title(self) -> str:
        local = self.start.astimezone(_zone(self.timezone))
        end = local + timedelta(hours=self.hours)
        if end.date() == local.date():
            span = f"{local:%Y-%m-%d %H:%M}-{end:%H:%M} {self.timezone}"
        else:
            span = f"{local:%Y-%m-%d %H:%M} {self.timezone} + {self.hours:g} h"
        offered = self.runs[0].overall.offered if self.runs else 0
        warm = f", warm-up {self.warmup.total_seconds() / 60:g} min" if self.warmup else ""
        return f"{self.scenario}: {span}, seed {self.seed}{warm}, {offered:,} dialogs offered"


def _zone(name: str) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


def _row(label: str, cells: list[str], width: int) -> str:
    return (f"{label:<{_LABEL}}" + "".join(f"{cell:>{width}}" for cell in cells)).rstrip()


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 10 else f"{value:,.0f} s"


def _count(value: int) -> str:
    return f"{value:,}"


def _brief(metrics: Metrics | None) -> str:
    if metrics is None or not metrics.offered:
        return "-"
    wait = "-" if metrics.wait_mean is None else f"{metrics.wait_mean:.0f}s"
    return f"{_pct(metrics.service_level)} {wait}"


_ROWS: tuple[tuple[str, Callable[[Metrics], str]], ...] = (
    ("offered", lambda m: _count(m.offered)),
    ("answered", lambda m: _count(m.answered)),
    ("abandoned", lambda m: f"{m.abandoned:,} ({_pct(m.abandoned_share)})"),
    ("rejected / unanswered", lambda m: f"{m.rejected:,} / {m.unanswered:,}"),
    ("had to wait", lambda m: _pct(m.wait_probability)),
    ("wait mean", lambda m: _seconds(m.wait_mean)),
    ("wait p50", lambda m: _seconds(m.wait_p50)),
    ("wait p90", lambda m: _seconds(m.wait_p90)),
    ("wait p99", lambda m: _seconds(m.wait_p99)),
    ("service level (SLA)", lambda m: _pct(m.service_level)),
    ("SLA warn / critical", lambda m: f"{m.sla_warn:,} / {m.sla_critical:,}"),
    ("occupancy", lambda m: _pct(m.occupancy)),
    ("fairness (CV, 0 = even)", lambda m: "-" if m.fairness is None else f"{m.fairness:.2f}"),
    ("transfers", lambda m: _count(m.transfers)),
    ("max queue", lambda m: _count(m.max_queue)),
)
