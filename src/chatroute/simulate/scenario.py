"""What a simulation runs: a routing config plus traffic, shifts, a span and a seed.

A :class:`Scenario` is a frozen value. Build one in Python, or load it from TOML or JSON
with :meth:`Scenario.load`; every problem is reported with its path, like a config's:
``traffic.arrivals[1].rate: must be a positive number``.

The layout (every key but ``config`` and one source of traffic is optional)::

    name = "Cheshka car dealer"
    start = 2026-03-02T08:00:00+03:00   # or a local time, read in `timezone`
    timezone = "Europe/Moscow"          # shift hours and arrival profiles are local
    hours = 12                          # dialogs arrive during this span
    warmup = 0                          # minutes simulated but not counted
    drain = 120                         # minutes after the span to finish the queue
    seed = 1
    compare = ["config", "even", "random"]

    [config]                            # a RoutingConfig, as `chatroute check` reads it
    ...

    [traffic]
    handle_time = { distribution = "lognormal", mean = 420, sigma = 0.6 }  # or seconds
    patience = { mean = 240 }           # exponential unless told; absent: nobody leaves
    pickup = 20                         # seconds before someone claims or accepts
    handle_times = { service = { mean = 600 } }
    concurrency = 1.1                   # each other open dialog makes one 10% longer
    redial = { share = 0.3, after = 600 }   # 30% of those who gave up write again
    wrap_up = { mean = 40 }             # after-chat work before `ready` (the config's wrap_up caps it)
    hold = { share = 0.2, after = 60, length = 180 }   # 20% of chats are held once

    [[traffic.arrivals]]
    channel = "site"
    topic = "skoda"
    rate = 30                           # dialogs per hour at profile weight 1
    profile = "morning-peak"            # or 24 weights
    page_url = "https://cheshka.example/skoda/new"
    # also region, language, tags, priority, required_skills, chosen_group_id, and
    # clients = 500 (dialogs come from that many returning clients)
    transfer = { to = "service", share = 0.1, after = 90 }

    [traffic.replay]
    path = "dialogs.csv"                # relative to the scenario file

    [[shifts]]
    operators = ["anna", "boris"]
    days = ["mon", "tue", "wed", "thu", "fri"]   # default: every day
    start = "08:00"
    end = "17:00"
    breaks = [{ at = "12:30", minutes = 30 }]
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import attrs

from .._frozen import aware, to_tuple
from ..config import RoutingConfig, parse_text, read_file
from ..errors import ConfigError, InvalidValue
from ..model import SLA, Channel, Operator
from ..strategies import Even
from ._load import scenario_fields
from ._log import LoggedDialog, Replay
from ._parts import (
    MAX_HOURS,
    MAX_MINUTES,
    PROFILES,
    Arrivals,
    Break,
    Distribution,
    Duration,
    Hold,
    Redial,
    Shift,
    Traffic,
    Transfer,
)
from ._scenario_checks import scenario_problems

__all__ = [
    "MAX_DIALOGS",
    "PROFILES",
    "Arrivals",
    "Break",
    "Distribution",
    "Duration",
    "Hold",
    "LoggedDialog",
    "Redial",
    "Replay",
    "Scenario",
    "Shift",
    "Traffic",
    "Transfer",
]

#: The most dialogs one run may simulate: each takes about 1 KB of memory while the run lasts.
MAX_DIALOGS = 2_000_000
_QUEUE_START = datetime(2026, 3, 2, tzinfo=UTC)


def _to_start(value: datetime) -> datetime:
    return aware(value, "start")


def _to_hours(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_HOURS:
        raise InvalidValue("hours", value, f"must be a positive number, at most {MAX_HOURS:,g}")
    return float(value)


def _to_span(value: timedelta | float) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_MINUTES:
        raise InvalidValue("minutes", value, f"must be a number of minutes from 0 to {MAX_MINUTES:,}")
    return timedelta(minutes=value)


@attrs.frozen(kw_only=True)
class Scenario:
    """A routing config, its traffic and staff, and how long to simulate.

    Attributes:
        config: the routing set-up under test.
        traffic: arrivals, handle times, patience.
        shifts: when operators are online.
        name: shown in reports.
        description: a sentence for people.
        start: when the simulated span starts (aware).
        timezone: the IANA zone of shift times and arrival profiles.
        hours: the length of the span in which dialogs arrive.
        warmup: dialogs arriving this early in the span are simulated but not counted.
        drain: how long after the span dialogs still waiting may be answered.
        seed: seeds every random stream.
        compare: the strategies ``chatroute simulate`` compares by default.
    """

    config: RoutingConfig
    traffic: Traffic
    shifts: tuple[Shift, ...] = attrs.field(default=(), converter=to_tuple)
    name: str = "scenario"
    description: str = ""
    start: datetime = attrs.field(converter=_to_start)
    timezone: str = "UTC"
    hours: float = attrs.field(default=8.0, converter=_to_hours)
    warmup: timedelta = attrs.field(default=timedelta(0), converter=_to_span)
    drain: timedelta = attrs.field(default=timedelta(hours=2), converter=_to_span)
    seed: int = 1
    compare: tuple[str, ...] = attrs.field(default=("config",), converter=to_tuple)

    @property
    def end(self) -> datetime:
        """When dialogs stop arriving."""
        return self.start + timedelta(hours=self.hours)

    @property
    def expected_dialogs(self) -> float:
        """About how many dialogs arrive: the streams' rates times their mean weight, and the log."""
        synthetic = sum(a.rate * sum(a.profile) / 24 for a in self.traffic.arrivals) * self.hours
        replay = self.traffic.replay
        return synthetic + (len(replay.dialogs) if replay is not None else 0)

    def problems(self) -> list[tuple[str, str]]:
        """Every problem found, as ``(path, message)`` pairs; empty when the scenario is sound."""
        found = scenario_problems(self)
        expected = self.expected_dialogs
        if expected > MAX_DIALOGS:
            expected = round(expected, 1 - math.floor(math.log10(expected)))  # two significant digits
            found.append(
                (
                    "traffic.arrivals",
                    f"about {expected:,.0f} dialogs in {self.hours:g} h would need about "
                    f"{_size(expected)} to simulate; at most {MAX_DIALOGS:,} per run: "
                    "lower the rates or simulate fewer hours",
                )
            )
        return found

    def validate(self) -> None:
        """Raise :class:`ConfigError` listing every problem, if there is any."""
        problems = self.problems()
        if problems:
            raise ConfigError(problems)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | None = None) -> Scenario:
        """Load a scenario from plain data (TOML or JSON tables) and check it.

        Args:
            data: the tables, laid out as the module documentation shows.
            base_dir: where a replay log's relative path starts (the scenario's folder).

        Raises:
            ConfigError: listing every problem with its path.
        """
        fields = scenario_fields(data, base_dir=base_dir)
        try:
            scenario = cls(**fields)
        except InvalidValue as exc:
            raise ConfigError([(exc.field, f"{exc.problem} (got {exc.value!r})")]) from None
        scenario.validate()
        return scenario

    @classmethod
    def from_toml(cls, text: str, *, base_dir: str | None = None) -> Scenario:
        """Load a scenario from TOML text (see :meth:`from_dict`)."""
        return cls.from_dict(parse_text(text, "toml"), base_dir=base_dir)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scenario:
        """Load a ``.toml`` or ``.json`` scenario file.

        Raises:
            ConfigError: the file cannot be read or has problems.
        """
        name = os.fspath(path)
        return cls.from_dict(read_file(name), base_dir=os.path.dirname(os.path.abspath(name)))

    @classmethod
    def default(cls) -> Scenario:
        """The embedded scenario: the Callibri article's car dealer on a busy weekday."""
        text = files("chatroute.simulate").joinpath("default.toml").read_text(encoding="utf-8")
        return cls.from_dict(parse_text(text, "toml"))

    @classmethod
    def queue(
        cls,
        *,
        arrivals_per_hour: float,
        handle_time: float,
        operators: int,
        patience: float | None = None,
        limit: int = 1,
        sla: float = 30.0,
        hours: float = 8.0,
        warmup: float = 0.0,
        seed: int = 1,
    ) -> Scenario:
        """A plain queue in one call: Poisson arrivals, exponential times, identical operators.

        One channel (``site``), ``operators`` operators online all along
        (``op01``, ``op02``...) under :class:`~chatroute.Even`, with nobody giving up
        unless ``patience`` is given. With ``limit=1`` it is the M/M/c queue of Erlang C
        (M/M/c+M, Erlang A, with patience).

        Example:
            >>> desk = Scenario.queue(arrivals_per_hour=60, handle_time=240, operators=5)
            >>> len(desk.config.operators), desk.traffic.handle_time.describe()
            (5, 'exponential, mean 240 s')

        Args:
            arrivals_per_hour: the Poisson arrival rate.
            handle_time: mean seconds of handling (exponential).
            operators: how many operators.
            patience: mean seconds a client waits before leaving (exponential); None:
                nobody leaves.
            limit: dialogs each operator holds at once.
            sla: the channel's SLA warning threshold in seconds (what the service
                level measures).
            hours: how long dialogs arrive.
            warmup: minutes simulated but not counted.
            seed: the seed.

        Raises:
            InvalidValue: an argument out of range, naming it.
        """
        if isinstance(operators, bool) or not isinstance(operators, int) or operators < 1:
            raise InvalidValue("operators", operators, "must be a positive integer")
        width = len(str(operators)) if operators > 9 else 2
        config = RoutingConfig(
            channels=[Channel(name="site", sla=SLA(warn=sla, critical=2 * sla))],
            operators=[
                Operator(id=f"op{i:0{width}d}", status="online", limit=limit) for i in range(1, operators + 1)
            ],
            strategy=Even(),
        )
        traffic = Traffic(
            arrivals=[Arrivals(rate=arrivals_per_hour)],
            handle_time=Duration(mean=handle_time),
            patience=None if patience is None else Duration(mean=patience),
        )
        return cls(
            config=config,
            traffic=traffic,
            name=f"M/M/{operators}" + ("+M" if patience is not None else ""),
            start=_QUEUE_START,
            hours=hours,
            warmup=warmup,
            seed=seed,
        )


def _size(dialogs: float) -> str:
    """About how much memory a run of ``dialogs`` dialogs takes."""
    gigabytes = dialogs * 1000 / 1e9
    return f"{gigabytes:,.1f} GB" if gigabytes >= 1 else f"{gigabytes * 1000:,.0f} MB"
