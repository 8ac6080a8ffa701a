"""Statistics over closed dialogs and menu sessions: quality ratings, self-service results.

:class:`RatingStats` aggregates clients' ratings (Jivo, Chat2Desk) per operator and per
group, from the router's closed dialog records or from the events a host persisted;
:class:`BestRated` is a strategy that sends dialogs to better-rated operators first;
:class:`MenuStats` counts what a self-service menu resolved without an operator.

    >>> from chatroute.model import Rating, RatingScale
    >>> from chatroute.events import DialogAssigned, DialogReleased, Via
    >>> from datetime import datetime, UTC
    >>> t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    >>> stats = RatingStats.from_events([
    ...     DialogAssigned(at=t, dialog_id="d1", operator_id="ann", group_id="sales", via=Via.ROUTE),
    ...     DialogReleased(at=t, dialog_id="d1", operator_id="ann",
    ...                    rating=Rating(scale=RatingScale.SMILEYS_5, value=4)),
    ... ])
    >>> stats.operator("ann")
    RatingSummary(key='ann', count=1, positive=1, negative=0, mean_score=0.75)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._frozen import EMPTY_MAP, FrozenMap, to_map, to_tuple
from .errors import InvalidValue
from .events import DialogAssigned, DialogReleased, Event
from .menu import Menu, MenuOutcome, MenuState
from .model import Dialog, DialogState, Rating
from .snapshot import DialogRecord
from .strategies import Even, ManualPool, OperatorView, Strategy, StrategyContext

__all__ = ["BestRated", "MenuStats", "RatingStats", "RatingSummary"]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


# ---------------------------------------------------------------------------- ratings


@attrs.frozen(kw_only=True)
class RatingSummary:
    """Ratings of one operator or group (or of all dialogs), on a common 0..1 scale.

    Attributes:
        key: the operator or group id (``""`` for a total).
        count: rated dialogs.
        positive: ratings in the upper half of their scale (:attr:`Rating.positive`).
        negative: ratings in the lower half; the rest sit exactly in the middle.
        mean_score: mean :attr:`Rating.score`, 0 (worst) .. 1 (best).
    """

    key: str
    count: int
    positive: int
    negative: int
    mean_score: float

    @property
    def share_positive(self) -> float:
        """Positive ratings as a share of all (0..1)."""
        return self.positive / self.count

    @property
    def neutral(self) -> int:
        """Ratings exactly in the middle of their scale."""
        return self.count - self.positive - self.negative

    @classmethod
    def of(cls, key: str, ratings: Sequence[Rating]) -> RatingSummary:
        """The summary of some ratings (at least one)."""
        scores = [r.score for r in ratings]
        return cls(
            key=key,
            count=len(scores),
            positive=sum(1 for s in scores if s > 0.5),
            negative=sum(1 for s in scores if s < 0.5),
            mean_score=math.fsum(scores) / len(scores),
        )


def _summaries(by_key: Mapping[str, list[Rating]]) -> tuple[RatingSummary, ...]:
    return tuple(RatingSummary.of(key, by_key[key]) for key in sorted(by_key))


@attrs.frozen(kw_only=True)
class RatingStats:
    """Clients' ratings per operator and per group; every order is by id.

    Attributes:
        by_operator: one summary per operator with at least one rated dialog.
        by_group: one summary per group with at least one rated dialog (a dialog counts
            for the group it closed in).
        unassigned: rated dialogs that closed with no operator (the client left while
            waiting), counted apart from every operator; None when there are none.
        total: all rated dialogs, assigned or not; None when there are none.
        unrated: closed dialogs without a rating.
    """

    by_operator: tuple[RatingSummary, ...] = attrs.field(default=(), converter=to_tuple)
    by_group: tuple[RatingSummary, ...] = attrs.field(default=(), converter=to_tuple)
    unassigned: RatingSummary | None = None
    total: RatingSummary | None = None
    unrated: int = 0

    @classmethod
    def from_records(cls, records: Iterable[DialogRecord]) -> RatingStats:
        """Aggregate closed dialog records, e.g. ``router.dialogs(DialogState.CLOSED)``.

        Records not yet closed are skipped.
        """
        closed = []
        for record in records:
            if not isinstance(record, DialogRecord):
                raise InvalidValue("records", record, "must be DialogRecord values")
            if record.state is DialogState.CLOSED:
                closed.append((record.operator_id, record.group_id, record.rating))
        return cls._build(closed)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> RatingStats:
        """Aggregate :class:`DialogReleased` events, in the order the router returned them.

        A dialog's group is the one of its last :class:`DialogAssigned` event before it
        was released (None if it was never assigned, or assigned outside a group).
        """
        groups: dict[str, str | None] = {}
        closed = []
        for event in events:
            if not isinstance(event, Event):
                raise InvalidValue("events", event, "must be Event values")
            if isinstance(event, DialogAssigned):
                groups[event.dialog_id] = event.group_id
            elif isinstance(event, DialogReleased):
                group = groups.pop(event.dialog_id, None)
                closed.append((event.operator_id, group, event.rating))
        return cls._build(closed)

    @classmethod
    def _build(cls, closed: Iterable[tuple[str | None, str | None, Rating | None]]) -> RatingStats:
        operators: dict[str, list[Rating]] = defaultdict(list)
        groups: dict[str, list[Rating]] = defaultdict(list)
        unassigned: list[Rating] = []
        every: list[Rating] = []
        unrated = 0
        for operator_id, group_id, rating in closed:
            if rating is None:
                unrated += 1
                continue
            every.append(rating)
            if operator_id is None:
                unassigned.append(rating)
                continue
            operators[operator_id].append(rating)
            if group_id is not None:
                groups[group_id].append(rating)
        return cls(
            by_operator=_summaries(operators),
            by_group=_summaries(groups),
            unassigned=RatingSummary.of("", unassigned) if unassigned else None,
            total=RatingSummary.of("", every) if every else None,
            unrated=unrated,
        )

    def operator(self, operator_id: str) -> RatingSummary | None:
        """The operator's summary; None when none of their dialogs was rated."""
        return next((s for s in self.by_operator if s.key == operator_id), None)

    def group(self, group_id: str) -> RatingSummary | None:
        """The group's summary; None when none of its dialogs was rated."""
        return next((s for s in self.by_group if s.key == group_id), None)

    def scores(self, *, min_count: int = 1) -> FrozenMap[str, float]:
        """Each operator's mean score, for operators with at least ``min_count`` ratings.

        This is what :class:`BestRated` ranks by.
        """
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise InvalidValue("min_count", min_count, "must be an integer of at least 1")
        return FrozenMap((s.key, s.mean_score) for s in self.by_operator if s.count >= min_count)

    def render(self) -> str:
        """A plain-text table: per operator, per group, unassigned and total."""
        width = max([len(s.key) for s in (*self.by_operator, *self.by_group)] + [24])
        header = f"{'':<{width}}  {'rated':>5}  {'positive':>8}  {'mean':>5}"

        def row(label: str, summary: RatingSummary) -> str:
            return (
                f"{label:<{width}}  {summary.count:>5}  "
                f"{_percent(summary.share_positive):>8}  {summary.mean_score:>5.2f}"
            )

        lines = ["ratings by operator", header]
        lines += [row("  " + s.key, s) for s in self.by_operator] or ["  (none)"]
        lines += ["ratings by group", header]
        lines += [row("  " + s.key, s) for s in self.by_group] or ["  (none)"]
        if self.unassigned is not None:
            lines.append(row("no operator (abandoned)", self.unassigned))
        if self.total is not None:
            lines.append(row("all rated dialogs", self.total))
        lines.append(f"closed without a rating: {self.unrated}")
        return "\n".join(lines)


# ----------------------------------------------------------------- better rated first


def _to_scores(value: RatingStats | Mapping[str, float]) -> FrozenMap[str, float]:
    if isinstance(value, RatingStats):
        return value.scores()
    if not isinstance(value, Mapping):
        raise InvalidValue("scores", value, "must be a RatingStats or a mapping of operator id to score")
    return to_map(value)


def _score_values(instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    for key, score in value.items():
        number = isinstance(score, int | float) and not isinstance(score, bool)
        if not isinstance(key, str) or not number or not math.isfinite(score):
            raise InvalidValue(f"scores[{key!r}]", score, "must be a finite number")


def _optional_score(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue(attribute.name, value, "must be a finite number or None")


def _then(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Strategy) or isinstance(value, ManualPool):
        raise InvalidValue(attribute.name, value, "must be a non-manual strategy")


@attrs.frozen  # the scores may be given by position: BestRated(stats)
class BestRated(Strategy):
    """The best-rated eligible operator wins; ties and the unrated go by ``then``.

    A custom strategy (O(n) per decision) on top of :class:`RatingStats`:

        >>> BestRated(scores={"ann": 0.9, "bob": 0.4}).describe()
        'BestRated (highest rating first, then Even (least loaded first))'

    Attributes:
        scores: operator id -> score (higher is better), or a :class:`RatingStats`
            whose :meth:`RatingStats.scores` are used.
        then: picks among the candidates tied on the best score, or among all of them
            when none is rated.
        unrated: the score of an operator missing from ``scores``; None ranks them
            after every rated operator.
    """

    scores: Mapping[str, float] = attrs.field(
        default=EMPTY_MAP, converter=_to_scores, validator=_score_values
    )
    then: Strategy = attrs.field(factory=Even, validator=_then, kw_only=True)
    unrated: float | None = attrs.field(default=None, validator=_optional_score, kw_only=True)

    def score(self, operator_id: str) -> float | None:
        """The score the strategy ranks this operator by (None: unrated)."""
        found: float | None = self.scores.get(operator_id, self.unrated)
        return found

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        ranked = [(self.score(c.id), c) for c in candidates]
        rated = [score for score, _ in ranked if score is not None]
        if not rated:
            return self.then.choose(candidates, dialog, ctx)
        best = max(rated)
        top = [c for score, c in ranked if score == best]
        return top[0].id if len(top) == 1 else self.then.choose(top, dialog, ctx)

    def describe(self) -> str:
        return f"BestRated (highest rating first, then {self.then.describe()})"


# ----------------------------------------------------------------------------- menus


@attrs.frozen(kw_only=True)
class MenuStats:
    """What a self-service menu did with its sessions (Chat2Desk).

    Attributes:
        started: sessions counted.
        resolved: ended in an answer, without an operator.
        handed_over: ended in a handover to an operator.
        abandoned: not finished (the client stopped answering).
        by_leaf: finished sessions per leaf id, by id.
        abandoned_at: unfinished sessions per node they stopped at, by id.
    """

    started: int = 0
    resolved: int = 0
    handed_over: int = 0
    abandoned: int = 0
    by_leaf: Mapping[str, int] = attrs.field(default=EMPTY_MAP, converter=to_map)
    abandoned_at: Mapping[str, int] = attrs.field(default=EMPTY_MAP, converter=to_map)

    @property
    def share_resolved(self) -> float | None:
        """Sessions the menu resolved without an operator, as a share of all started (None: no sessions)."""
        return _share(self.resolved, self.started)

    @property
    def share_handed_over(self) -> float | None:
        """Sessions handed to an operator, as a share of all started (None: no sessions)."""
        return _share(self.handed_over, self.started)

    @classmethod
    def from_states(cls, states: Iterable[MenuState], menu: Menu | None = None) -> MenuStats:
        """Count final session states, one per session.

        Args:
            states: the last state of each session.
            menu: when given, every leaf appears in ``by_leaf`` (zero if unused) and each
                state's node must belong to it.

        Raises:
            UnknownNode: a state names a node ``menu`` does not have.
            InvalidValue: an item is not a MenuState.
        """
        outcomes = dict.fromkeys(MenuOutcome, 0)
        leaves: dict[str, int] = {leaf.id: 0 for leaf in menu.leaves()} if menu is not None else {}
        stopped: dict[str, int] = defaultdict(int)
        for state in states:
            if not isinstance(state, MenuState):
                raise InvalidValue("states", state, "must be MenuState values")
            if menu is not None:
                menu.node(state.node_id)
            outcomes[state.outcome] += 1
            if state.finished:
                leaves[state.node_id] = leaves.get(state.node_id, 0) + 1
            else:
                stopped[state.node_id] += 1
        return cls(
            started=sum(outcomes.values()),
            resolved=outcomes[MenuOutcome.ANSWERED],
            handed_over=outcomes[MenuOutcome.HANDED_OVER],
            abandoned=outcomes[MenuOutcome.OPEN],
            by_leaf={key: leaves[key] for key in sorted(leaves)},
            abandoned_at={key: stopped[key] for key in sorted(stopped)},
        )

    def render(self) -> str:
        """A plain-text summary with one line per leaf and per node where clients stopped."""
        lines = [
            f"menu sessions:        {self.started}",
            f"resolved by the menu: {self.resolved} ({_percent(self.share_resolved)})",
            f"handed to operators:  {self.handed_over} ({_percent(self.share_handed_over)})",
            f"abandoned:            {self.abandoned} ({_percent(_share(self.abandoned, self.started))})",
        ]
        if self.by_leaf:
            lines.append("ended at")
            lines += [f"  {key:<20} {count:>5}" for key, count in self.by_leaf.items()]
        if self.abandoned_at:
            lines.append("abandoned at")
            lines += [f"  {key:<20} {count:>5}" for key, count in self.abandoned_at.items()]
        return "\n".join(lines)
