"""Distribution strategies: which eligible operator gets a dialog.

A strategy has one required method, :meth:`Strategy.choose`, which picks among the
eligible candidates (members of the target who are routable, under their limit, have
the required skills and may take the channel). That simple protocol costs O(n) per
decision and is what a custom strategy implements.

The built-ins that rank operators (least load, longest idle, highest skill, most free
capacity) subclass :class:`Ranked` and define only :meth:`Ranked.key`; the router keeps
per-group indexes sorted by that key and picks without a scan. ``choose`` on a ranked
strategy is the plain reference, ``min(candidates, key=key)``, and the two always agree.

How a strategy picks is its own business: :meth:`Strategy.index_key` says how the
router should order a target's available operators for it (by a ranking key, or by
id), and :meth:`Strategy.pick` picks through a :class:`Picker`, the router's view of
that index. The default ``pick`` scans every candidate with ``choose``; the built-ins
read the index instead. A subclass that overrides ``choose`` is picked for by its
``choose``.

    >>> class FewestToday(Ranked):
    ...     '''Whoever has taken the fewest dialogs so far.'''
    ...     def key(self, op):
    ...         return (op.assigned_total, op.id)
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Protocol

import attrs

from ._durations import parse_duration
from ._frozen import non_empty_str, of_type, to_timedelta
from .errors import InvalidValue
from .model import Client, Dialog

__all__ = [
    "Broadcast",
    "Even",
    "LongestIdle",
    "ManualPool",
    "MostAvailable",
    "OperatorView",
    "Picker",
    "RandomWithinLimit",
    "Ranked",
    "RoundRobin",
    "SkillBased",
    "Sticky",
    "Strategy",
    "StrategyContext",
]


class OperatorView(Protocol):
    """What a strategy may read about an operator."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def load(self) -> int: ...
    @property
    def limit(self) -> int: ...
    @property
    def skills(self) -> Mapping[str, int]: ...
    @property
    def assigned_total(self) -> int: ...
    @property
    def last_assigned_seq(self) -> int: ...


@attrs.frozen(kw_only=True)
class StrategyContext:
    """What a strategy may use besides the candidates.

    Attributes:
        now: the decision time.
        rng: the seeded random source of this target (never the global one).
        client: the dialog's client, if known.
        last_pick: the operator this target's strategy picked last, if any.
    """

    now: datetime
    rng: random.Random
    client: Client | None = None
    last_pick: str | None = None


#: An operator's place in a ranked index: lowest first, ending with the operator's id.
RankKey = tuple[Any, ...]


class Picker(Protocol):
    """The router's view of one target's available operators, for :meth:`Strategy.pick`.

    Each answer is an operator who can take the dialog now, or None when there is none.
    The router keeps the index in the order :meth:`Strategy.index_key` asked for.
    """

    @property
    def client(self) -> Client | None:
        """The dialog's client, if known."""

    def first(self) -> str | None:
        """The best ranked operator (a ranked index)."""

    def turn(self) -> str | None:
        """The next operator in id order after the one this target picked last, wrapping round."""

    def draw(self, strategy: Strategy) -> str | None:
        """One operator uniformly at random, from the target's seeded random source."""

    def favourite(self, operator_ids: Sequence[str]) -> str | None:
        """The first of these operators who is available and can take the dialog."""

    def scan(self, strategy: Strategy) -> str | None:
        """``strategy.choose`` over every candidate: the plain O(n) protocol."""


class Strategy(abc.ABC):
    """Picks one operator among eligible candidates. Subclasses are frozen attrs classes."""

    __slots__ = ()

    #: A manual strategy assigns nobody: dialogs wait in the pool until claimed.
    manual: bool = False
    #: A broadcast strategy offers each dialog to every eligible operator at once.
    broadcast: bool = False

    @abc.abstractmethod
    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        """The id of the chosen candidate, or None to leave the dialog waiting.

        Args:
            candidates: eligible operators, sorted by id; never empty.
            dialog: the dialog being routed.
            ctx: time, a seeded random source, the client and the last pick.
        """

    def describe(self) -> str:
        """The strategy in words."""
        return type(self).__name__

    def index_key(self) -> Callable[[OperatorView], RankKey] | None:
        """How the router orders a target's available operators for this strategy.

        A ranking key (lowest first, ending with the operator's id), or None for id order.
        """
        return None

    def pick(self, picker: Picker) -> str | None:
        """The operator this strategy picks from a target's available operators, or None.

        The default is the plain protocol, :meth:`choose` over every candidate.
        """
        return picker.scan(self)

    def random_seed(self) -> int | None:
        """The seed of this strategy's own random source; None derives it from the router's."""
        return None

    def favourites(self, client: Client | None) -> tuple[str, ...]:
        """The operators this strategy favours for the client's dialogs, first choice first."""
        return ()

    def patience(self) -> timedelta | None:
        """How long a dialog waits for its first favourite who is routable but busy, though
        others are free (None: it never waits for them)."""
        return None


class Ranked(Strategy):
    """A strategy that ranks operators by a key; the lowest key wins.

    The router keeps each group's available operators sorted by this key, so a
    decision reads the head of an index instead of scanning.
    """

    __slots__ = ()

    @abc.abstractmethod
    def key(self, op: OperatorView) -> tuple[Any, ...]:
        """The operator's rank; must end with ``op.id`` so ties are broken by id."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return min(candidates, key=self.key).id

    def index_key(self) -> Callable[[OperatorView], RankKey] | None:
        return self.key if type(self).choose is Ranked.choose else None

    def pick(self, picker: Picker) -> str | None:
        return picker.first() if type(self).choose is Ranked.choose else picker.scan(self)


def load_ratio(op: OperatorView) -> Fraction:
    """The share of the operator's limit in use (exact; a zero limit counts as full)."""
    return Fraction(op.load, op.limit) if op.limit > 0 else Fraction(1)


def _by_load(op: OperatorView) -> tuple[Any, ...]:
    """:class:`Even`'s key: least loaded, then longest idle, then id."""
    return (op.load, op.last_assigned_seq, op.id)


def _by_load_ratio(op: OperatorView) -> tuple[Any, ...]:
    """:class:`Even`'s key ``by_ratio``: lowest share of the limit in use, then longest idle, then id."""
    return (load_ratio(op), op.last_assigned_seq, op.id)


@attrs.frozen(kw_only=True)
class Even(Ranked):
    """Least loaded wins; ties go to the longest idle, then the smallest id (LiveTex).

    With limit 5 and loads Natalia 1, Tatiana 3, Maxim 5, Natalia gets the dialog.

    Attributes:
        by_ratio: rank by load divided by limit instead of load (Azure's load ratio,
            Salesforce's percentage capacity), for desks whose operators have
            different limits: load 2 of 8 (25 %) beats load 1 of 2 (50 %).
    """

    by_ratio: bool = attrs.field(default=False, validator=of_type(bool))

    def key(self, op: OperatorView) -> tuple[Any, ...]:
        return _by_load_ratio(op) if self.by_ratio else _by_load(op)

    def index_key(self) -> Callable[[OperatorView], RankKey] | None:
        # the key for by_ratio chosen once, not on each of the index's calls (unless a subclass
        # ranks its own way)
        found = super().index_key()
        if found is None or type(self).key is not Even.key:
            return found
        return _by_load_ratio if self.by_ratio else _by_load

    def describe(self) -> str:
        if self.by_ratio:
            return "Even (lowest share of the limit in use first)"
        return "Even (least loaded first)"


@attrs.frozen(kw_only=True)
class LongestIdle(Ranked):
    """Whoever received a dialog least recently wins, whatever their load."""

    def key(self, op: OperatorView) -> tuple[Any, ...]:
        return (op.last_assigned_seq, op.id)

    def describe(self) -> str:
        return "LongestIdle (least recently assigned first)"


@attrs.frozen(kw_only=True)
class MostAvailable(Ranked):
    """Largest free capacity (limit minus load) wins; unlike Even, a bigger limit counts.

    Attributes:
        by_ratio: rank by the free share of the limit instead (Salesforce's percentage
            capacity): 3 free of 4 (75 %) beats 5 free of 10 (50 %). With it,
            MostAvailable and ``Even(by_ratio=True)`` rank alike.
    """

    by_ratio: bool = attrs.field(default=False, validator=of_type(bool))

    def key(self, op: OperatorView) -> tuple[Any, ...]:
        if self.by_ratio:
            return (load_ratio(op), op.last_assigned_seq, op.id)
        return (op.load - op.limit, op.last_assigned_seq, op.id)

    def describe(self) -> str:
        if self.by_ratio:
            return "MostAvailable (largest free share of the limit first)"
        return "MostAvailable (most free capacity first)"


@attrs.frozen  # one option, so it may be given by position: SkillBased(...)
class SkillBased(Ranked):
    """Highest level in ``skill`` wins, then least loaded (Chat2Desk "qualification")."""

    skill: str = attrs.field(validator=non_empty_str)

    def key(self, op: OperatorView) -> tuple[Any, ...]:
        return (-op.skills.get(self.skill, 0), op.load, op.last_assigned_seq, op.id)

    def describe(self) -> str:
        return f"SkillBased (highest {self.skill!r} level first)"


@attrs.frozen(kw_only=True)
class RoundRobin(Strategy):
    """Members take turns in id order, starting after whoever this target picked last.

    Unlike LongestIdle, the turn order is per group: a dialog from another group does
    not move an operator to the back of this group's line.
    """

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        ids = [c.id for c in candidates]
        if ctx.last_pick is not None:
            for op_id in ids:
                if op_id > ctx.last_pick:
                    return op_id
        return ids[0]

    def pick(self, picker: Picker) -> str | None:
        return picker.turn() if type(self).choose is RoundRobin.choose else picker.scan(self)

    def describe(self) -> str:
        return "RoundRobin (members in turn)"


@attrs.frozen  # one option, so it may be given by position: RandomWithinLimit(...)
class RandomWithinLimit(Strategy):
    """Uniformly random among operators under their limit (LiveTex).

    Attributes:
        seed: seeds this strategy's random source; None derives it from the router seed.
    """

    seed: int | None = None

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return candidates[ctx.rng.randrange(len(candidates))].id

    def pick(self, picker: Picker) -> str | None:
        return picker.draw(self) if type(self).choose is RandomWithinLimit.choose else picker.scan(self)

    def random_seed(self) -> int | None:
        return self.seed

    def describe(self) -> str:
        return "RandomWithinLimit (uniform among those under their limit)"


@attrs.frozen(kw_only=True)
class ManualPool(Strategy):
    """Assigns nobody: dialogs wait in the group's pool and operators claim them (LiveTex)."""

    manual = True

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return None

    def describe(self) -> str:
        return "ManualPool (operators claim dialogs)"


@attrs.frozen(kw_only=True)
class Broadcast(Strategy):
    """Offers the dialog to every eligible operator at once; the first to accept wins (Jivo).

    The router records the offer (outcome ``offered``, with ``offered_to``); operators
    answer with :meth:`Router.accept` or :meth:`Router.decline`. An offer nobody accepts
    within the config's ``accept_timeout`` rings everyone eligible again (without an
    ``accept_timeout`` it never lapses). A dialog that had to wait is offered to the
    operator who frees up first.
    """

    broadcast = True

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return None

    def describe(self) -> str:
        return "Broadcast (offered to every eligible operator; the first to accept gets it)"


def _strategy(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Strategy) or isinstance(value, Sticky | ManualPool | Broadcast):
        raise InvalidValue(attribute.name, value, "must be a non-manual, non-sticky strategy")


def _to_wait(value: Any) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = parse_duration(value)
        except ValueError as exc:
            raise InvalidValue("wait", value, str(exc).split(" (got")[0]) from None
    wait = to_timedelta(value, "wait")
    if wait <= timedelta(0):
        raise InvalidValue("wait", wait, "must be positive")
    return wait


@attrs.frozen  # one option by position, the wait by name: Sticky(RoundRobin(), wait=60)
class Sticky(Strategy):
    """The client's preferred operator, else their last one, when eligible; else ``then``.

    Callibri and Chat2Desk: a returning client gets "their" operator when that operator
    can take the dialog now.

    Attributes:
        then: how the others are picked when the client's own operator cannot take it.
        wait: when the client's own operator is routable but busy (at their limit, in
            wrap-up, capped), the dialog waits for them up to this long (seconds, a
            timedelta or ``"1m"``), though others are free, then ``then`` picks
            (TaskRouter known-agent routing, Genesys preferred agent). None: only
            when they are free now, as ``Target.preferred_operator(wait=...)`` does.
    """

    then: Strategy = attrs.field(factory=Even, validator=_strategy)
    wait: timedelta | None = attrs.field(default=None, converter=_to_wait, kw_only=True)

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        favourite = self.favourite(candidates, ctx.client)
        return favourite if favourite is not None else self.then.choose(candidates, dialog, ctx)

    def index_key(self) -> Callable[[OperatorView], RankKey] | None:
        return self.then.index_key() if type(self).choose is Sticky.choose else None

    def pick(self, picker: Picker) -> str | None:
        if type(self).choose is not Sticky.choose:
            return picker.scan(self)
        favourite = picker.favourite(self.favourites(picker.client))
        return favourite if favourite is not None else self.then.pick(picker)

    def favourites(self, client: Client | None) -> tuple[str, ...]:
        """The operators this client sticks to, in order of preference."""
        if client is None:
            return ()
        found = (client.preferred_operator_id, client.last_operator_id)
        return tuple(op_id for op_id in found if op_id is not None)

    def patience(self) -> timedelta | None:
        return self.wait

    def favourite(self, candidates: Sequence[OperatorView], client: Client | None) -> str | None:
        """The first of the client's favourites among the candidates."""
        ids = {c.id for c in candidates}
        return next((f for f in self.favourites(client) if f in ids), None)

    def describe(self) -> str:
        waits = "" if self.wait is None else f", waited for up to {self.wait.total_seconds():g} s when busy"
        return f"Sticky (the client's own operator{waits}, else {self.then.describe()})"
