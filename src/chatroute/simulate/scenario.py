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

import enum
import math
import os
import random
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

import attrs

from .._frozen import EMPTY_MAP, aware, to_frozenset, to_map, to_tuple
from ..config import RoutingConfig
from ..errors import ConfigError, InvalidValue, did_you_mean
from ..schedule import Window

__all__ = [
    "PROFILES",
    "Arrivals",
    "Break",
    "Distribution",
    "Duration",
    "LoggedDialog",
    "Replay",
    "Scenario",
    "Shift",
    "Traffic",
    "Transfer",
]

#: Named hour-of-day profiles: 24 weights, one per local hour, that scale an arrival rate.
PROFILES: Mapping[str, tuple[float, ...]] = {
    "flat": (1.0,) * 24,
    "office": (0.05,) * 8 + (0.6,) + (1.0,) * 9 + (0.4, 0.2, 0.1) + (0.05,) * 3,
    "morning-peak": (
        *(0.05,) * 7,
        *(0.3, 0.8, 1.6, 2.0, 1.7, 1.2, 1.0, 1.0, 0.9, 0.9, 0.8, 0.6, 0.4, 0.2),
        *(0.1, 0.05, 0.05),
    ),
    "evening-peak": (
        *(0.1,) * 8,
        *(0.3, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.9, 1.0, 1.3, 1.8, 2.0, 1.8, 1.2),
        *(0.6, 0.2),
    ),
}


def _positive(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value <= 0:
        raise InvalidValue(attribute.name, value, "must be a positive number")


def _share(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not 0 < value <= 1:
        raise InvalidValue(attribute.name, value, "must be a share in (0, 1]")


def _to_profile(value: str | tuple[float, ...] | list[float]) -> tuple[float, ...]:
    if isinstance(value, str):
        if value not in PROFILES:
            known = ", ".join(sorted(PROFILES))
            raise InvalidValue(
                "profile", value, f"unknown profile{did_you_mean(value, PROFILES)}; known: {known}"
            )
        return PROFILES[value]
    weights = to_tuple(value)
    if len(weights) != 24 or not all(
        isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w) and w >= 0
        for w in weights
    ):
        raise InvalidValue("profile", value, "give a profile name or 24 non-negative weights, one per hour")
    if not any(weights):
        raise InvalidValue("profile", value, "needs at least one hour with a positive weight")
    return tuple(float(w) for w in weights)


def _to_time(value: time | str) -> time:
    try:
        return value if isinstance(value, time) else time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidValue("at", value, "give a time such as '12:30'") from None


def _to_minutes(value: timedelta | float) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidValue("minutes", value, "must be a positive number of minutes")
    return timedelta(minutes=value)


def _to_start(value: datetime) -> datetime:
    return aware(value, "start")


def _to_hours(value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidValue("hours", value, "must be a positive number")
    return float(value)


def _to_span(value: timedelta | float) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidValue("minutes", value, "must be a non-negative number of minutes")
    return timedelta(minutes=value)


class Distribution(enum.Enum):
    """The shape of a random duration."""

    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
    FIXED = "fixed"


@attrs.frozen(kw_only=True)
class Duration:
    """A random duration in seconds: exponential, lognormal (``sigma`` is its shape) or fixed.

    Example:
        >>> Duration(mean=300).draw(random.Random(1)) > 0
        True
    """

    mean: float = attrs.field(validator=_positive)
    distribution: Distribution = Distribution.EXPONENTIAL
    sigma: float = attrs.field(default=0.5, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.distribution, Distribution):
            raise InvalidValue("distribution", self.distribution, "must be a Distribution")

    def draw(self, rng: random.Random) -> float:
        """One duration, in seconds, from ``rng``."""
        if self.distribution is Distribution.EXPONENTIAL:
            return rng.expovariate(1.0 / self.mean)
        if self.distribution is Distribution.LOGNORMAL:
            return rng.lognormvariate(math.log(self.mean) - self.sigma**2 / 2, self.sigma)
        return self.mean

    def describe(self) -> str:
        """``"exponential, mean 300 s"``."""
        shape = f", sigma {self.sigma:g}" if self.distribution is Distribution.LOGNORMAL else ""
        return f"{self.distribution.value}, mean {self.mean:g} s{shape}"


@attrs.frozen(kw_only=True)
class Transfer:
    """A share of a stream's dialogs that the first operator passes on to a group.

    Attributes:
        to: the group the dialog is transferred to.
        share: the share of dialogs transferred, in (0, 1].
        after: how long into the first operator's handling the transfer happens; the
            group's operator then handles the dialog for a fresh handle time.
    """

    to: str
    share: float = attrs.field(validator=_share)
    after: Duration = attrs.field(factory=lambda: Duration(mean=90.0))


@attrs.frozen(kw_only=True)
class Arrivals:
    """A Poisson stream of dialogs on one channel and topic, shaped by an hour-of-day profile.

    Attributes:
        rate: dialogs per hour at profile weight 1.
        channel: the channel the dialogs arrive on.
        topic: their topic (also picks the handle time, see :attr:`Traffic.handle_times`).
        profile: 24 weights, one per local hour, or the name of one of :data:`PROFILES`.
        page_url: copied onto every dialog, like the next six.
        region: the visitor's region (ISO 3166).
        language: the dialog's language.
        tags: dialog tags.
        priority: the dialog priority (lower is served sooner).
        required_skills: skill -> minimum level.
        chosen_group_id: the department the visitor picked.
        clients: when set, dialogs come from this many returning clients (drawn
            uniformly), so sticky strategies have someone to stick to.
        transfer: a share of the dialogs that gets transferred, if any.
    """

    rate: float = attrs.field(validator=_positive)
    channel: str = "site"
    topic: str | None = None
    profile: tuple[float, ...] = attrs.field(default=PROFILES["flat"], converter=_to_profile)
    page_url: str | None = None
    region: str | None = None
    language: str | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)
    priority: int = 0
    required_skills: Mapping[str, int] = attrs.field(default=EMPTY_MAP, converter=to_map)
    chosen_group_id: str | None = None
    clients: int | None = None
    transfer: Transfer | None = None

    def __attrs_post_init__(self) -> None:
        if self.clients is not None and (
            isinstance(self.clients, bool) or not isinstance(self.clients, int) or self.clients < 1
        ):
            raise InvalidValue("clients", self.clients, "must be a positive integer")

    @property
    def daily(self) -> float:
        """Dialogs per day: the rate times the sum of the profile's weights."""
        return self.rate * sum(self.profile)


@attrs.frozen(kw_only=True)
class LoggedDialog:
    """One dialog of a replayed log: when it arrived, and optionally how long it lasted.

    Attributes:
        created_at: when the client wrote (aware).
        channel: as on :class:`chatroute.Dialog`, like the next seven.
        topic: the topic.
        page_url: the page.
        region: the visitor's region.
        language: the language.
        tags: dialog tags.
        client_id: the client.
        priority: the dialog priority.
        handle_time: seconds of handling, when the log knows it; else drawn.
        patience: seconds the client waited before leaving unanswered, when the log
            knows it; else drawn from the scenario's patience.
    """

    created_at: datetime = attrs.field(converter=_to_start)
    channel: str = "site"
    topic: str | None = None
    page_url: str | None = None
    region: str | None = None
    language: str | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)
    client_id: str | None = None
    priority: int = 0
    handle_time: float | None = None
    patience: float | None = None


@attrs.frozen(kw_only=True)
class Replay:
    """Dialogs replayed from a log instead of (or besides) synthetic arrivals.

    Attributes:
        path: where the log came from (shown in reports).
        dialogs: the logged dialogs; those outside the simulated span are skipped.
    """

    path: str
    dialogs: tuple[LoggedDialog, ...] = attrs.field(converter=to_tuple)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, tz: str = "UTC") -> Replay:
        """Read a CSV or JSON log (see :func:`chatroute.simulate.traffic.read_log`).

        Raises:
            ConfigError: the file cannot be read or has problems, each with its line.
        """
        from .traffic import read_log

        return cls(path=os.fspath(path), dialogs=read_log(path, tz=tz))


@attrs.frozen(kw_only=True)
class Traffic:
    """Everything about the customers: arrivals, handle times and patience.

    Attributes:
        arrivals: Poisson streams.
        replay: a log of real dialogs to replay.
        handle_time: the handle time of topics not listed in ``handle_times``.
        handle_times: handle time by topic.
        patience: how long a client waits unanswered before leaving; None: forever.
        pickup: how long an operator takes to notice and claim a dialog from a manual
            pool once they can take it, or to accept a dialog offered to them.
    """

    arrivals: tuple[Arrivals, ...] = attrs.field(default=(), converter=to_tuple)
    replay: Replay | None = None
    handle_time: Duration = attrs.field(factory=lambda: Duration(mean=300.0))
    handle_times: Mapping[str, Duration] = attrs.field(default=EMPTY_MAP, converter=to_map)
    patience: Duration | None = None
    pickup: Duration = attrs.field(factory=lambda: Duration(mean=30.0))

    def handle_for(self, topic: str | None) -> Duration:
        """The handle time of a topic."""
        if topic is not None:
            found: Duration | None = self.handle_times.get(topic)
            if found is not None:
                return found
        return self.handle_time


@attrs.frozen(kw_only=True)
class Break:
    """A pause in a shift: from ``at`` (local time) for ``length``, in ``status``."""

    at: time = attrs.field(converter=_to_time)
    length: timedelta = attrs.field(converter=_to_minutes)
    status: str = "away"


@attrs.frozen(kw_only=True)
class Shift:
    """Operators who are online during a weekly window, with breaks.

    Operators named by no shift keep the status the config gives them all along.

    Attributes:
        operators: operator ids.
        window: the days and hours (local to the scenario's time zone); a window whose
            end is not after its start runs into the next day (a night shift).
        breaks: pauses, each starting at a local time within the shift.
    """

    operators: tuple[str, ...] = attrs.field(converter=to_tuple)
    window: Window
    breaks: tuple[Break, ...] = attrs.field(default=(), converter=to_tuple)


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

    def problems(self) -> list[tuple[str, str]]:
        """Every problem found, as ``(path, message)`` pairs; empty when the scenario is sound."""
        from ._load import scenario_problems

        return scenario_problems(self)

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
        from ._load import scenario_from_dict

        return scenario_from_dict(data, base_dir=base_dir)

    @classmethod
    def from_toml(cls, text: str, *, base_dir: str | None = None) -> Scenario:
        """Load a scenario from TOML text (see :meth:`from_dict`)."""
        from ..config import parse_text

        return cls.from_dict(parse_text(text, "toml"), base_dir=base_dir)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scenario:
        """Load a ``.toml`` or ``.json`` scenario file.

        Raises:
            ConfigError: the file cannot be read or has problems.
        """
        from ..config import read_file

        name = os.fspath(path)
        return cls.from_dict(read_file(name), base_dir=os.path.dirname(os.path.abspath(name)))

    @classmethod
    def default(cls) -> Scenario:
        """The embedded scenario: the Callibri article's car dealer on a busy weekday."""
        from importlib.resources import files

        from ..config import parse_text

        text = files("chatroute.simulate").joinpath("default.toml").read_text(encoding="utf-8")
        return cls.from_dict(parse_text(text, "toml"))
