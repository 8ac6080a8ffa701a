"""The result of a simulation: one :class:`Run` per compared strategy, side by side.

:meth:`Report.render` gives a plain-text table (strategies as columns);
:meth:`Report.to_dict` gives everything as JSON-able data. With several replications
every figure is a mean ± 95% half-width over the simulated days, and
:meth:`Report.verdict` says which set-ups differ from the first beyond the noise.
"""

from __future__ import annotations

import bisect
import zoneinfo
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._frozen import to_map, to_tuple
from ..errors import InvalidValue
from .confidence import CONFIDENCE, Estimate, estimate, paired
from .metrics import DialogOutcome, Metrics, OperatorMetrics

__all__ = ["COMPARED", "HISTOGRAM_EDGES", "Difference", "Report", "Run"]

#: The figures the verdict compares: the service level, the abandoned share and the mean wait.
COMPARED = ("service_level", "abandoned_share", "wait_mean")

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
class Difference:
    """How one set-up differs from the first on one figure, paired over the shared days.

    Attributes:
        name: the set-up.
        figure: a :class:`Metrics` figure (``service_level``...).
        change: its mean difference from the first set-up, with the 95% half-width.
    """

    name: str
    figure: str
    change: Estimate

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return self.change.significant

    def describe(self) -> str:
        """``"service level +1.2 ± 0.8 points"``."""
        label, unit, scale = _DIFFERENCE[self.figure]
        mean, width = self.change.mean * scale, self.change.half_width * scale
        return f"{label} {mean:+.1f} ± {width:.1f}{unit}"


_DIFFERENCE = {
    "service_level": ("service level", " points", 100.0),
    "abandoned_share": ("abandoned", " points", 100.0),
    "wait_mean": ("mean wait", " s", 1.0),
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
        runs: one per variant, in the order asked (the first replication).
        replicates: with several replications, every replication's runs
            (``replicates[r][v]``, the first being ``runs``); only the first keeps
            each dialog's outcome. Empty with one replication.
        seeds: each replication's seed (the first is ``seed``).
    """

    scenario: str
    start: datetime
    timezone: str
    hours: float
    warmup: timedelta
    seed: int
    runs: tuple[Run, ...] = attrs.field(converter=to_tuple)
    replicates: tuple[tuple[Run, ...], ...] = attrs.field(default=(), converter=to_tuple)
    seeds: tuple[int, ...] = attrs.field(default=(), converter=to_tuple)

    @property
    def replications(self) -> int:
        """How many simulated days each figure comes from."""
        return max(1, len(self.replicates))

    def samples(
        self, name: str, figure: str, part: str = "overall", key: str | None = None
    ) -> list[float | None]:
        """One figure of one set-up on every replication (None where it does not exist that day).

        Args:
            name: the set-up.
            figure: a :class:`Metrics` figure or share (``service_level``, ``wait_mean``...).
            part: ``overall``, ``groups`` or ``channels``.
            key: the group or channel.
        """
        index = self.runs.index(self.run(name))
        days = self.replicates or (self.runs,)
        return [_figure(_part(day[index], part, key), figure) for day in days]

    def estimate(
        self, name: str, figure: str, part: str = "overall", key: str | None = None
    ) -> Estimate | None:
        """The mean of a figure over the replications, with its 95% half-width; None if it never exists.

        Example: ``report.estimate("even", "service_level")``.
        """
        values = [v for v in self.samples(name, figure, part, key) if v is not None]
        return estimate(values) if values else None

    def differences(self) -> list[Difference]:
        """Each later set-up against the first on the :data:`COMPARED` figures, paired day by day.

        The intervals are Bonferroni-corrected: with k comparisons each is at
        ``1 - 0.05 / k``, so that all of them hold together 95% of the time and a
        difference is not called significant just because many were looked at.
        """
        if len(self.runs) < 2:
            return []
        first = self.runs[0].name
        level = 1 - (1 - CONFIDENCE) / ((len(self.runs) - 1) * len(COMPARED))
        found = []
        for run in self.runs[1:]:
            for figure in COMPARED:
                change = paired(self.samples(first, figure), self.samples(run.name, figure), level)
                if change is not None:
                    found.append(Difference(name=run.name, figure=figure, change=change))
        return found

    def verdict(self) -> str:
        """One line: the set-ups that differ significantly from the first, or "no significant difference"."""
        if len(self.runs) < 2:
            return "one set-up: nothing to compare"
        first = self.runs[0].name
        if self.replications < 2:
            return (
                f"one replication: run several (--replications) to tell differences from {first} from noise"
            )
        significant: dict[str, list[str]] = {}
        for difference in self.differences():
            if difference.significant:
                significant.setdefault(difference.name, []).append(difference.describe())
        how = f"(95% together, paired over {self.replications} shared days)"
        if not significant:
            return f"no significant difference from {first} {how}"
        named = "; ".join(f"{name}: {', '.join(items)}" for name, items in significant.items())
        return f"significant differences from {first} {how}: {named}"

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
        """The whole report as plain JSON-able data.

        With several replications each run also has ``estimates`` (every figure's
        mean, ``half_width`` and ``n``, overall, per group and per channel), and the
        report has the paired ``differences`` and the ``verdict``.
        """
        data: dict[str, Any] = {
            "scenario": self.scenario,
            "start": self.start.isoformat(),
            "timezone": self.timezone,
            "hours": self.hours,
            "warmup_minutes": self.warmup.total_seconds() / 60,
            "seed": self.seed,
            "replications": self.replications,
            "runs": [run.to_dict() for run in self.runs],
        }
        if self.replications > 1:
            data["seeds"] = list(self.seeds)
            for run, entry in zip(self.runs, data["runs"], strict=True):
                entry["estimates"] = self._estimates(run)
            data["differences"] = [
                {"name": d.name, "figure": d.figure, **d.change.to_dict(), "significant": d.significant}
                for d in self.differences()
            ]
            data["verdict"] = self.verdict()
        return data

    def _estimates(self, run: Run) -> dict[str, Any]:
        figures = list(run.overall.to_dict())

        def table(part: str, key: str | None) -> dict[str, Any]:
            found = {}
            for figure in figures:
                value = self.estimate(run.name, figure, part, key)
                found[figure] = None if value is None else value.to_dict()
            return found

        keys = {
            part: sorted({k for day in self.replicates for r in day for k in getattr(r, part)})
            for part in ("groups", "channels")
        }
        return {
            "overall": table("overall", None),
            "groups": {key: table("groups", key) for key in keys["groups"]},
            "channels": {key: table("channels", key) for key in keys["channels"]},
        }

    def render(self) -> str:
        """A side-by-side text table: one column per variant (means ± 95% half-widths with replications)."""
        if self.replications > 1:
            return self._render_estimates()
        width = max(12, *(len(run.name) + 2 for run in self.runs))
        lines = [self._title(), ""]
        lines.append(_row("", [run.name for run in self.runs], width))
        for label, cell in _ROWS:
            if label == "redials" and not any(run.overall.redials for run in self.runs):
                continue
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

    def _render_estimates(self) -> str:
        cells: list[tuple[str, list[str]]] = []
        for label, figure, form in _FIGURES:
            found = [self.estimate(run.name, figure) for run in self.runs]
            if figure == "redials" and not any(e is not None and e.mean for e in found):
                continue
            cells.append((label, [_plus_minus(e, form) for e in found]))
        parts = []
        for title, part in (("by group", "groups"), ("by channel", "channels")):
            keys = list(dict.fromkeys(k for day in self.replicates for r in day for k in getattr(r, part)))
            if len(keys) < 2:
                continue
            rows = []
            for key in keys:
                row = []
                for run in self.runs:
                    level = self.estimate(run.name, "service_level", part, key)
                    wait = self.estimate(run.name, "wait_mean", part, key)
                    row.append(
                        f"{_plus_minus(level, 'pct', tight=True)} {_plus_minus(wait, 's', tight=True)}"
                    )
                rows.append((f"  {key}", row))
            parts.append((f"{title}: service level, mean wait", rows))
        every = [c for _, row in cells for c in row] + [
            c for _, rows in parts for _, row in rows for c in row
        ]
        width = max(12, *(len(run.name) + 2 for run in self.runs), *(len(c) + 2 for c in every))
        lines = [self._title(), ""]
        lines.append(_row("", [run.name for run in self.runs], width))
        lines += [_row(label, row, width) for label, row in cells]
        for title, rows in parts:
            lines += ["", title]
            lines += [_row(label, row, width) for label, row in rows]
        lines += ["", self.verdict(), ""]
        lines += [f"{run.name}: {run.description}" for run in self.runs]
        return "\n".join(lines)

    def _title(self) -> str:
        local = self.start.astimezone(_zone(self.timezone))
        end = local + timedelta(hours=self.hours)
        if end.date() == local.date():
            span = f"{local:%Y-%m-%d %H:%M}-{end:%H:%M} {self.timezone}"
        else:
            span = f"{local:%Y-%m-%d %H:%M} {self.timezone} + {self.hours:g} h"
        warm = f", warm-up {self.warmup.total_seconds() / 60:g} min" if self.warmup else ""
        if self.replications > 1:
            offered = self.estimate(self.runs[0].name, "offered") if self.runs else None
            mean = offered.mean if offered is not None else 0.0
            return (
                f"{self.scenario}: {span}, seed {self.seed}{warm}, {self.replications} replications "
                f"(mean ± 95% half-width), {mean:,.0f} dialogs offered a day on average"
            )
        count = self.runs[0].overall.offered if self.runs else 0
        return f"{self.scenario}: {span}, seed {self.seed}{warm}, {count:,} dialogs offered"


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _part(run: Run, part: str, key: str | None) -> Metrics | None:
    if part == "overall":
        return run.overall
    table: Mapping[str, Metrics] = getattr(run, part)
    return table.get(key) if key is not None else None


def _figure(metrics: Metrics | None, figure: str) -> float | None:
    if metrics is None:
        return None
    value = getattr(metrics, figure)
    return None if value is None else float(value)


def _plus_minus(value: Estimate | None, form: str, *, tight: bool = False) -> str:
    """``82.1 ± 1.3%``, ``10 ± 2 s``, ``1,535 ± 21`` (``tight``: without spaces)."""
    if value is None:
        return "-"
    sep = "±" if tight else " ± "
    mean, width = value.mean, value.half_width
    if form == "pct":
        return f"{100 * mean:.1f}{sep}{100 * width:.1f}%"
    if form == "ratio":
        return f"{mean:.2f}{sep}{width:.2f}"
    digits = 1 if abs(mean) < 10 else 0
    unit = ("s" if tight else " s") if form == "s" else ""
    return f"{mean:,.{digits}f}{sep}{width:,.{digits}f}{unit}"


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
    ("redials", lambda m: _count(m.redials)),
)

# rows of the table with replications: label, Metrics figure, format
_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("offered", "offered", "count"),
    ("answered", "answered", "count"),
    ("abandoned", "abandoned_share", "pct"),
    ("rejected", "rejected", "count"),
    ("unanswered", "unanswered", "count"),
    ("had to wait", "wait_probability", "pct"),
    ("wait mean", "wait_mean", "s"),
    ("wait p50", "wait_p50", "s"),
    ("wait p90", "wait_p90", "s"),
    ("wait p99", "wait_p99", "s"),
    ("service level (SLA)", "service_level", "pct"),
    ("SLA warn", "sla_warn", "count"),
    ("SLA critical", "sla_critical", "count"),
    ("occupancy", "occupancy", "pct"),
    ("fairness (CV, 0 = even)", "fairness", "ratio"),
    ("transfers", "transfers", "count"),
    ("max queue", "max_queue", "count"),
    ("redials", "redials", "count"),
)
