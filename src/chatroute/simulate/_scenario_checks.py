"""A whole scenario's problems: its config's, and the names its traffic, shifts and comparison
list use that the config does not know.

:func:`scenario_problems` is what :meth:`Scenario.problems` returns; reading a scenario's
fields (and their own problems) is :mod:`chatroute.simulate._load`'s.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Protocol

from ..config import RoutingConfig
from ._load import ZONE_ERRORS, brief, join_path, references
from ._parts import Shift, Traffic

__all__ = ["ScenarioParts", "scenario_problems"]


class ScenarioParts(Protocol):
    """What :func:`scenario_problems` reads of a scenario."""

    @property
    def config(self) -> RoutingConfig: ...
    @property
    def traffic(self) -> Traffic: ...
    @property
    def shifts(self) -> tuple[Shift, ...]: ...
    @property
    def compare(self) -> tuple[str, ...]: ...
    @property
    def timezone(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def hours(self) -> float: ...
    @property
    def warmup(self) -> timedelta: ...
    @property
    def drain(self) -> timedelta: ...


def scenario_problems(scenario: ScenarioParts) -> list[tuple[str, str]]:
    """Every problem of a scenario: its config's, and cross-references from the traffic and shifts."""
    config = scenario.config
    found = [(join_path("config", path), message) for path, message in config.problems()]
    replay = scenario.traffic.replay
    found += references(
        config, scenario.traffic.arrivals, replay.dialogs if replay else (), scenario.shifts, scenario.compare
    )
    try:
        zoneinfo.ZoneInfo(scenario.timezone)
    except ZONE_ERRORS:
        found.append(("timezone", f"unknown IANA time zone {brief(scenario.timezone)}"))
    if not scenario.traffic.arrivals and replay is None:
        found.append(("traffic", "give arrivals or a replay log"))
    span = timedelta(hours=scenario.hours)
    if scenario.warmup >= span:
        found.append(("warmup", "must be shorter than the simulated hours"))
    try:
        scenario.start + span + scenario.drain
    except OverflowError:
        found.append(("start", "too close to the end of the calendar for the span and the drain"))
    return found
