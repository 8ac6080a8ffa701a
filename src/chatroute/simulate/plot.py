"""A PNG of a report: the wait-time distribution and the service level of each strategy.

Needs matplotlib (``pip install 'chatroute[plot]'``); it is imported only here, when a
plot is asked for.
"""

from __future__ import annotations

import os
import zoneinfo
from typing import Any

from ..errors import ChatrouteError
from .intervals import IntervalStaffing
from .report import Report

__all__ = ["PlotUnavailable", "write_plot", "write_staffing_plot"]


class PlotUnavailable(ChatrouteError, RuntimeError):
    """matplotlib is not installed."""


def write_plot(report: Report, path: str | os.PathLike[str]) -> None:
    """Draw the report to a PNG file.

    Left: for each strategy, the share of answered dialogs that waited longer than t
    (a survival curve, so a lower curve is better), on the first replication's day.
    Right: the service level of each strategy, overall and per channel; with several
    replications, the mean with its 95% confidence interval as an error bar.

    Args:
        report: what to draw.
        path: the PNG file to write.

    Raises:
        PlotUnavailable: matplotlib is not installed.
        OSError: the file cannot be written.
    """
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), dpi=110)
    try:
        _waits(left, report)
        _levels(right, report)
        days = f", {report.replications} replications" if report.replications > 1 else ""
        title = f"{report.scenario}: seed {report.seed}, {report.hours:g} h simulated{days}"
        figure.suptitle(title, fontsize=13)
        figure.tight_layout()
        figure.savefig(os.fspath(path), format="png")
    finally:
        plt.close(figure)


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only backend (imported here: plots are an extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib: pip install 'chatroute[plot]'") from None
    return plt


def write_staffing_plot(plan: IntervalStaffing, path: str | os.PathLike[str]) -> None:
    """Draw a per-interval staffing plan to a PNG file.

    Bars: the forecast arrivals per interval (right axis). Steps: operators required,
    required with shrinkage, scheduled by the shifts, and Erlang C's one-at-a-time
    answer (left axis). Intervals where the shifts are short are shaded red.

    Raises:
        PlotUnavailable: matplotlib is not installed.
        OSError: the file cannot be written.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(13, 5.5), dpi=110)
    try:
        rows = plan.intervals
        xs = list(range(len(rows)))
        labels = [f"{row.start.astimezone(_zone(plan.timezone)):%H:%M}" for row in rows]
        volume = axes.twinx()
        volume.bar(xs, [row.arrivals for row in rows], width=0.8, color="0.85", zorder=0)
        volume.set_ylabel("forecast dialogs per interval (bars)", fontsize=11)
        axes.set_zorder(volume.get_zorder() + 1)
        axes.patch.set_visible(False)
        edges = [*xs, len(rows)]

        def steps(values: list[float], **style: Any) -> None:
            axes.stairs(values, [x - 0.5 for x in edges], baseline=None, linewidth=2, **style)

        steps([float(row.erlang_c) for row in rows], label="Erlang C, one dialog at a time", linestyle=":")
        steps([float(row.required or 0) for row in rows], label="required (simulated)")
        steps([float(row.with_shrinkage or 0) for row in rows], label="required with shrinkage")
        steps([row.scheduled for row in rows], label="scheduled by the shifts", linestyle="--")
        for x, row in zip(xs, rows, strict=True):
            if row.judged and row.short:
                axes.axvspan(x - 0.5, x + 0.5, color="red", alpha=0.12, linewidth=0)
        step = max(1, len(rows) // 16)
        axes.set_xticks(xs[::step], labels[::step], fontsize=9)
        axes.set_xlim(-0.5, len(rows) - 0.5)
        axes.set_ylim(bottom=0)
        axes.set_ylabel("operators", fontsize=11)
        axes.set_xlabel(f"interval start ({plan.timezone}); short intervals shaded red", fontsize=11)
        axes.grid(True, axis="y", alpha=0.3)
        axes.legend(loc="upper right", fontsize=9)
        minutes = plan.length.total_seconds() / 60
        axes.set_title(f"Operators per {minutes:g} min for {plan.targets()}", fontsize=12)
        figure.tight_layout()
        figure.savefig(os.fspath(path), format="png")
    finally:
        plt.close(figure)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _waits(axes: Any, report: Report) -> None:
    longest = 1.0
    for run in report.runs:
        waits = run.waits
        if not waits:
            continue
        count = len(waits)
        waited = [w for w in waits if w > 0]
        xs = [0.0, *waited]
        ys = [len(waited) / count] + [(len(waited) - k - 1) / count for k in range(len(waited))]
        axes.step(xs, [100 * y for y in ys], where="post", label=run.name, linewidth=1.8)
        longest = max(longest, waits[int(0.995 * (count - 1))])
    axes.set_xlim(0, longest * 1.05)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("wait to first answer (seconds)", fontsize=11)
    axes.set_ylabel("answered dialogs that waited longer (%)", fontsize=11)
    first = " (first replication)" if report.replications > 1 else ""
    axes.set_title(f"Wait-time distribution{first}", fontsize=12)
    axes.grid(True, alpha=0.3)
    axes.legend(title="strategy")


def _levels(axes: Any, report: Report) -> None:
    channels = list(dict.fromkeys(name for run in report.runs for name in run.channels))
    labels = ["overall", *channels]
    width = 0.8 / max(1, len(report.runs))
    for i, run in enumerate(report.runs):
        found = [report.estimate(run.name, "service_level")] + [
            report.estimate(run.name, "service_level", "channels", name) for name in channels
        ]
        values = [None if e is None else e.mean for e in found]
        errors = [0.0 if e is None or e.n < 2 else 100 * e.half_width for e in found]
        xs = [j + (i - (len(report.runs) - 1) / 2) * width for j in range(len(labels))]
        heights = [100 * (v or 0.0) for v in values]
        yerr = errors if report.replications > 1 else None
        bars = axes.bar(xs, heights, width, yerr=yerr, capsize=3, label=run.name)
        axes.bar_label(bars, labels=[f"{100 * v:.0f}" if v is not None else "" for v in values], fontsize=8)
    axes.set_xticks(range(len(labels)), labels, fontsize=10)
    axes.set_ylim(0, 122)  # room above the bars for the legend
    axes.set_ylabel("answered within the channel's SLA (%)", fontsize=11)
    axes.set_title("Service level", fontsize=12)
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(title="strategy", loc="upper center", ncol=max(1, len(report.runs)), fontsize=9)
