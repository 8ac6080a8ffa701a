"""The result of per-interval staffing: one :class:`Interval` per row, and how to read the inputs."""

from __future__ import annotations

import math
import re
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._frozen import to_tuple
from ..errors import InvalidValue
from ._roster import ServiceTarget

__all__ = ["Interval", "IntervalStaffing", "parse_interval", "parse_share"]

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|hours?|m|min|minutes?)?\s*$")


def parse_interval(value: str | float | timedelta) -> timedelta:
    """``"30min"``, ``"1h"``, minutes as a number, or a timedelta: an interval length.

    Example:
        >>> parse_interval("1h"), parse_interval("30min")
        (datetime.timedelta(seconds=3600), datetime.timedelta(seconds=1800))

    Raises:
        InvalidValue: anything else, or not between 5 minutes and a day.
    """
    if isinstance(value, timedelta):
        length = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        length = timedelta(minutes=value)
    else:
        match = _INTERVAL.match(value) if isinstance(value, str) else None
        if match is None:
            raise InvalidValue("interval", value, "give minutes or hours, such as 30min or 1h")
        hours = (match[2] or "m").startswith("h")
        length = timedelta(hours=float(match[1])) if hours else timedelta(minutes=float(match[1]))
    if not timedelta(minutes=5) <= length <= timedelta(days=1):
        raise InvalidValue("interval", value, "must be between 5 minutes and a day")
    return length


def parse_share(value: str | float, field: str, *, below_one: bool = False) -> float:
    """``"30%"`` or ``0.3``: a share in [0, 1] (``below_one``: [0, 1)).

    Raises:
        InvalidValue: anything else, naming ``field``.
    """
    number: Any = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise InvalidValue(field, value, "give a share such as 30% or 0.3") from None
    ok = isinstance(number, int | float) and not isinstance(number, bool) and 0 <= number <= 1
    if not ok or (below_one and number >= 1):
        raise InvalidValue(field, value, "must be a share from 0 to 1 (or 0% to 100%)")
    return float(number)


@attrs.frozen(kw_only=True)
class Interval:
    """One interval of the plan.

    Attributes:
        start: when it starts (aware).
        end: when it ends.
        arrivals: the forecast dialogs arriving in it.
        load: the forecast work in Erlangs (arrivals times work per dialog over its length).
        erlang_c: Erlang C's agents for the target, one dialog at a time, nobody leaving.
        estimate: the operators the simulation started from (Erlang A or C, by concurrency).
        required: the fewest operators that meet the targets in simulation; None when
            none tried did (see ``tried``).
        tried: the operators of the last simulated day (``required`` when met).
        with_shrinkage: ``required / (1 - shrinkage)``, rounded up: the heads to schedule.
        scheduled: operators on shift by the scenario's shifts (time-averaged).
        service_level: simulated share answered within the target time, at ``required``
            (or at the most allowed).
        abandoned: simulated share that gave up.
        occupancy: the load over the operators' capacity (required times limit), after
            the abandoned work.
        judged: False for an interval in the warm-up or without dialogs.
    """

    start: datetime
    end: datetime
    arrivals: float
    load: float
    erlang_c: int
    estimate: int
    required: int | None
    tried: int
    with_shrinkage: int | None
    scheduled: float
    service_level: float | None
    abandoned: float | None
    occupancy: float | None
    judged: bool = True

    @property
    def gap(self) -> float | None:
        """Scheduled minus required with shrinkage: negative means short."""
        return None if self.with_shrinkage is None else self.scheduled - self.with_shrinkage

    @property
    def short(self) -> bool:
        """Fewer operators are scheduled than required with shrinkage, or none is enough."""
        gap = self.gap
        return gap is None or gap < 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        data = attrs.asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        data["gap"], data["short"] = self.gap, self.short
        return data


@attrs.frozen(kw_only=True)
class IntervalStaffing:
    """What :func:`staff_intervals` found: one :class:`Interval` per interval of the span.

    Attributes:
        target: the service-level target.
        strategy: the variant simulated.
        length: the intervals' length.
        shrinkage: the share of scheduled time not spent answering.
        max_occupancy: the occupancy target, if any.
        max_abandon: the abandonment target, if any.
        replications: simulated days behind each figure.
        passes: simulated rounds of adjustment.
        timezone: the scenario's zone (for display).
        intervals: the plan.
    """

    target: ServiceTarget
    strategy: str
    length: timedelta
    shrinkage: float
    max_occupancy: float | None
    max_abandon: float | None
    replications: int
    passes: int
    timezone: str
    intervals: tuple[Interval, ...] = attrs.field(converter=to_tuple)

    @property
    def unmet(self) -> list[Interval]:
        """Intervals whose targets no head count allowed could meet."""
        return [i for i in self.intervals if i.judged and i.required is None]

    @property
    def short(self) -> list[Interval]:
        """Intervals where the scenario's shifts schedule fewer than required with shrinkage."""
        return [i for i in self.intervals if i.judged and i.short]

    def targets(self) -> str:
        """The targets in words."""
        parts = [str(self.target)]
        if self.max_abandon is not None:
            parts.append(f"at most {100 * self.max_abandon:g}% abandoned")
        if self.max_occupancy is not None:
            parts.append(f"occupancy at most {100 * self.max_occupancy:g}%")
        return ", ".join(parts)

    def render(self) -> str:
        """The table per interval, and a line on what is short."""
        minutes = self.length.total_seconds() / 60
        lines = [
            f"staffing per {minutes:g} min for {self.targets()} (strategy: {self.strategy}; "
            f"shrinkage {100 * self.shrinkage:g}%; {self.replications} simulated days, {self.passes} rounds)",
            "",
            f"{'interval':<13}{'arrivals':>9}{'Erlangs':>8}{'Erlang C':>9}{'required':>9}{'+shrink':>8}"
            f"{'scheduled':>10}{'gap':>7}{'served in time':>15}{'abandoned':>10}",
        ]
        for row in self.intervals:
            local = row.start.astimezone(_zone(self.timezone))
            end = row.end.astimezone(_zone(self.timezone))
            required = "-" if row.required is None else str(row.required)
            extra = "-" if row.with_shrinkage is None else str(row.with_shrinkage)
            gap = "-" if row.gap is None else f"{row.gap:+.1f}"
            mark = "  short" if row.judged and row.short else ""
            lines.append(
                f"{local:%H:%M}-{end:%H:%M}  {row.arrivals:>9.1f}{row.load:>8.1f}{row.erlang_c:>9}"
                f"{required:>9}{extra:>8}{row.scheduled:>10.1f}{gap:>7}"
                f"{_pct(row.service_level):>15}{_pct(row.abandoned):>10}{mark}"
            )
        judged = [i for i in self.intervals if i.judged]
        needed = sum(i.required or 0 for i in judged) * minutes / 60
        erlang = sum(i.erlang_c for i in judged) * minutes / 60
        lines.append("")
        lines.append(
            f"operator-hours: {needed:,.1f} required ({erlang:,.1f} by Erlang C, one dialog at a time), "
            f"{sum(i.with_shrinkage or 0 for i in judged) * minutes / 60:,.1f} with shrinkage, "
            f"{sum(i.scheduled for i in judged) * minutes / 60:,.1f} scheduled"
        )
        if self.unmet:
            tried = ", ".join(f"{self._label(i)} (tried {i.tried})" for i in self.unmet)
            lines.append(f"cannot meet the targets: {tried}")
        short = self.short
        lines.append(
            f"short: {', '.join(self._label(i) for i in short)}" if short else "every interval is covered"
        )
        return "\n".join(lines)

    def _label(self, row: Interval) -> str:
        return f"{row.start.astimezone(_zone(self.timezone)):%H:%M}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "target": {"share": self.target.share, "seconds": self.target.seconds},
            "strategy": self.strategy,
            "interval_minutes": self.length.total_seconds() / 60,
            "shrinkage": self.shrinkage,
            "max_occupancy": self.max_occupancy,
            "max_abandon": self.max_abandon,
            "replications": self.replications,
            "passes": self.passes,
            "timezone": self.timezone,
            "intervals": [row.to_dict() for row in self.intervals],
            "unmet": [row.start.isoformat() for row in self.unmet],
            "short": [row.start.isoformat() for row in self.short],
        }


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
