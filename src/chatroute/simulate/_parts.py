"""The parts of a scenario: random durations, arrival streams, transfers, traffic, shifts."""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from datetime import time, timedelta
from typing import Any

import attrs

from .._frozen import EMPTY_MAP, to_frozenset, to_map, to_tuple
from ..errors import InvalidValue, did_you_mean
from ..schedule import Window
from ._log import Replay

__all__ = [
    "PROFILES",
    "Arrivals",
    "Break",
    "Distribution",
    "Duration",
    "Hold",
    "Redial",
    "Shift",
    "Traffic",
    "Transfer",
]

#: The longest mean duration, in seconds (a year): longer ones overflow the simulated clock.
MAX_SECONDS = 365 * 24 * 3600.0
#: The widest lognormal shape: beyond it a draw overflows a float.
MAX_SIGMA = 10.0
#: The largest weight of an hour in a profile.
MAX_WEIGHT = 1000.0
#: The longest span of arrivals, in hours (a year).
MAX_HOURS = 366 * 24.0
#: The longest break, warm-up or drain, in minutes (a year).
MAX_MINUTES = 365 * 24 * 60

#: The largest concurrency factor.
MAX_FACTOR = 10.0

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


def _bounded(limit: float) -> Any:
    """A validator of positive numbers up to ``limit``: beyond it, the draws would overflow."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not 0 < value <= limit:
            raise InvalidValue(attribute.name, value, f"must be a positive number, at most {limit:,g}")

    return check


def _share(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not 0 < value <= 1:
        raise InvalidValue(attribute.name, value, "must be a share in (0, 1]")


def _to_profile(value: str | tuple[float, ...] | list[float]) -> tuple[float, ...]:
    if not isinstance(value, str | tuple | list):
        raise InvalidValue("profile", value, "give a profile name or 24 non-negative weights, one per hour")
    if isinstance(value, str):
        if value not in PROFILES:
            known = ", ".join(sorted(PROFILES))
            raise InvalidValue(
                "profile", value, f"unknown profile{did_you_mean(value, PROFILES)}; known: {known}"
            )
        return PROFILES[value]
    weights = to_tuple(value)
    if len(weights) != 24 or not all(
        isinstance(w, int | float) and not isinstance(w, bool) and 0 <= w <= MAX_WEIGHT for w in weights
    ):
        raise InvalidValue(
            "profile", value, f"give a profile name or 24 weights from 0 to {MAX_WEIGHT:g}, one per hour"
        )
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
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_MINUTES:
        raise InvalidValue("minutes", value, f"must be a positive number of minutes, at most {MAX_MINUTES:,}")
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

    mean: float = attrs.field(validator=_bounded(MAX_SECONDS))
    distribution: Distribution = Distribution.EXPONENTIAL
    sigma: float = attrs.field(default=0.5, validator=_bounded(MAX_SIGMA))

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


def _factor(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not 0 < value <= MAX_FACTOR:
        raise InvalidValue(attribute.name, value, f"must be a positive factor, at most {MAX_FACTOR:g}")


@attrs.frozen(kw_only=True)
class Redial:
    """Clients who gave up and write again: each abandoned dialog comes back with probability ``share``.

    The new dialog arrives ``after`` the abandonment (while dialogs still arrive), with
    the same channel, topic and client, fresh handle time and patience, and counts as
    a redial (:attr:`~chatroute.simulate.Metrics.redials`). It may be abandoned and
    come back again.

    Attributes:
        share: the probability that an abandoned client comes back, in (0, 1].
        after: how long after giving up.
    """

    share: float = attrs.field(validator=_share)
    after: Duration = attrs.field(factory=lambda: Duration(mean=600.0))


@attrs.frozen(kw_only=True)
class Hold:
    """Chats put on hold once (the client went quiet): a share of them, ``after`` into the
    chat, for ``length``; the chat goes on after the resume.

    Attributes:
        share: the probability that a chat is held, in (0, 1].
        after: how long into its handling it is held.
        length: how long it stays on hold.
    """

    share: float = attrs.field(validator=_share)
    after: Duration = attrs.field(factory=lambda: Duration(mean=120.0))
    length: Duration = attrs.field(factory=lambda: Duration(mean=300.0))


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
        concurrency: how much longer a dialog takes for each other dialog its operator
            has open when it is assigned: the handle time is multiplied by
            ``concurrency ** (open - 1)``. 1 (the default) means dialogs do not slow
            each other down; 1.2 means a chat taken as the third open one takes 44%
            longer than alone.
        redial: clients who gave up and come back, if any.
        wrap_up: how long operators actually take for after-chat work before they
            call ``Router.ready``, when the config keeps slots for it (its
            ``wrap_up`` is then the most it lasts); None: the config's timer alone.
        hold: chats put on hold, if any.
    """

    arrivals: tuple[Arrivals, ...] = attrs.field(default=(), converter=to_tuple)
    replay: Replay | None = None
    handle_time: Duration = attrs.field(factory=lambda: Duration(mean=300.0))
    handle_times: Mapping[str, Duration] = attrs.field(default=EMPTY_MAP, converter=to_map)
    patience: Duration | None = None
    pickup: Duration = attrs.field(factory=lambda: Duration(mean=30.0))
    concurrency: float = attrs.field(default=1.0, validator=_factor)
    redial: Redial | None = None
    wrap_up: Duration | None = None
    hold: Hold | None = None

    def handle_for(self, topic: str | None) -> Duration:
        """The handle time of a topic."""
        if topic is not None:
            found: Duration | None = self.handle_times.get(topic)
            if found is not None:
                return found
        return self.handle_time

    @property
    def daily(self) -> float:
        """Synthetic dialogs per day: every stream's rate times the sum of its profile's weights."""
        return sum(stream.daily for stream in self.arrivals)


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
