"""A scenario in a few lines, for ``chatroute check``."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from .scenario import PROFILES, Arrivals, Scenario

__all__ = ["describe_scenario"]


def describe_scenario(scenario: Scenario) -> list[str]:
    """Lines describing the span, the traffic and the shifts (the config has its own summary)."""
    local = scenario.start.astimezone(_zone(scenario.timezone))
    traffic = scenario.traffic
    daily = sum(a.daily for a in traffic.arrivals)
    lines = [
        f"scenario: {scenario.name}" + (f" ({scenario.description})" if scenario.description else ""),
        f"span: {local:%Y-%m-%d %H:%M} {scenario.timezone}, {scenario.hours:g} h"
        f", warm-up {_minutes(scenario.warmup)}, drain {_minutes(scenario.drain)}, seed {scenario.seed}",
        f"arrivals: {len(traffic.arrivals)} streams, about {daily:,.0f} dialogs a day",
    ]
    lines.extend(f"  {_stream(a)}" for a in traffic.arrivals)
    if traffic.replay is not None:
        lines.append(f"replay: {len(traffic.replay.dialogs)} dialogs from {traffic.replay.path}")
    lines.append(f"handle time: {traffic.handle_time.describe()}")
    lines.extend(f"  {topic}: {d.describe()}" for topic, d in traffic.handle_times.items())
    lines.append(f"patience: {traffic.patience.describe() if traffic.patience else 'clients never give up'}")
    if traffic.concurrency != 1:
        lines.append(f"concurrency: each other open chat makes a chat {traffic.concurrency:g} times as long")
    redial = traffic.redial
    if redial is not None:
        lines.append(f"redials: {redial.share:.0%} of those who gave up come back, {redial.after.describe()}")
    if traffic.wrap_up is not None:
        lines.append(f"wrap-up: operators are ready after {traffic.wrap_up.describe()}")
    hold = traffic.hold
    if hold is not None:
        after, length = hold.after.describe(), hold.length.describe()
        lines.append(f"holds: {hold.share:.0%} of chats held after {after}, for {length}")
    lines.append(f"shifts: {len(scenario.shifts)}")
    for shift in scenario.shifts:
        breaks = "".join(f", {b.status} at {b.at:%H:%M} for {_minutes(b.length)}" for b in shift.breaks)
        lines.append(f"  {', '.join(shift.operators)}: {shift.window.describe()}{breaks}")
    lines.append(f"compare: {', '.join(scenario.compare)}")
    return lines


def _stream(arrivals: Arrivals) -> str:
    profile = next((name for name, weights in PROFILES.items() if weights == arrivals.profile), "custom")
    what = f"{arrivals.channel}" + (f" / {arrivals.topic}" if arrivals.topic else "")
    extra = (
        f", {arrivals.transfer.share:.0%} transferred to {arrivals.transfer.to}" if arrivals.transfer else ""
    )
    return f"{what}: {arrivals.rate:g}/h, {profile} profile{extra}"


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:g} min"


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)
