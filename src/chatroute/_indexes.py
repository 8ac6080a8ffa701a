"""Who can take a dialog now, per target: the indexes of available operators and capacities.

:class:`Availability` keeps, for each target with a strategy, the index that answers
"who of this target can take a dialog now, best first?" (ranked by the strategy's
:meth:`~chatroute.strategies.Strategy.index_key`, or flags in id order), and each
target's capacity (the limits of its routable members), for wait estimates, and its
*tally*: how many of its members stand where, for the reasons about an operator alone
(available, status not routable, capped, at the limit), so a trace counts the members
by reason without visiting them. The tallies are counted from the first trace on: a
router nobody asks to explain (``explain=False`` and no :meth:`Router.explain`) keeps
none. It is part of the router's state and changes only through
:class:`~chatroute._router_state.RouterState`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from ._eligibility import available
from ._skill_levels import SkillLevels
from ._state import AvailableIndex, IdIndex, LiveOperator, RankedIndex, RankKey
from ._topology import EVERYONE, Topology
from .decision import Reason

__all__ = ["STANDINGS", "Availability"]

#: A tuple of the indexes an operator is in (:attr:`LiveOperator.ranked_in`, ``flagged_in``).
_Shape = TypeVar("_Shape", bound=tuple[Any, ...])

#: What a tally counts, by an operator's standing (its position in the tally): available,
#: then the reasons about an operator alone, in the order :func:`ineligible` checks them.
#: An operator at their limit only because of slots kept for wrap-up stands under wrap-up.
STANDINGS: tuple[Reason | None, ...] = (
    None,
    Reason.STATUS,
    Reason.CAPPED,
    Reason.AT_LIMIT,
    Reason.WRAP_UP,
)


class Availability:
    """The per-target indexes of available operators, and the targets' capacities."""

    __slots__ = ("_ops", "_shapes", "_topology", "capacity", "indexes", "levels", "tallies")

    def __init__(self, topology: Topology, ops: dict[str, LiveOperator]) -> None:
        self._topology = topology
        self._ops = ops
        self.indexes: dict[str, AvailableIndex] = {}
        # per (target, skill), built on first use: the target's available members by level
        self.levels: dict[tuple[str, str], SkillLevels] = {}
        self.capacity: dict[str, int] = {}
        # per target with a strategy (groups, everyone): members by standing (see STANDINGS);
        # None until the first trace asks for them (see counted)
        self.tallies: dict[str, list[int]] | None = None
        # each distinct tuple of indexes an operator is in, kept once: the operators who
        # serve the same targets share one
        self._shapes: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def rebuild(self, ops: Iterable[LiveOperator]) -> None:
        """Recompute indexes and capacities from the operators' states.

        Everyone's index (every operator, the largest) is built on first use: when no
        rule, fallback or transfer sends dialogs to everyone, nobody pays to keep it.
        """
        self.indexes = {}
        self.levels = {}
        self._shapes = {}
        self.tallies = None
        ops = tuple(ops)
        for op in ops:
            op.ranked_in, op.flagged_in = (), ()
        for key in self._topology.strategies:
            if key != EVERYONE:
                self._install(key)
        self.capacity = {}
        for op in ops:
            if op.routable:
                self.add_capacity(op, op.limit)
            self.refresh(op)

    def index(self, key: str) -> AvailableIndex:
        """Who of the target can take a dialog now, best first (built on first use)."""
        index = self.indexes.get(key)
        if index is None:
            index = self._install(key)
            for op_id in self._topology.members[key]:
                self.refresh(self._ops[op_id])  # the new index learns them; the others stay as they are
        return index

    def has_levels(self, key: str, skills: Iterable[str]) -> bool:
        """Whether the target's members are kept by level for every one of these skills."""
        levels = self.levels
        return bool(levels) and all((key, skill) in levels for skill in skills)

    def skill_levels(self, key: str, skill: str) -> SkillLevels:
        """The target's available members who have ``skill``, by level (built on first use).

        Each level is ranked like the target's index, or flags in id order.
        """
        found = self.levels.get((key, skill))
        if found is None:
            found = self.levels[key, skill] = SkillLevels()
            rank = self._topology.ranks[key]
            members = self._topology.members[key]
            if rank is None:
                by_level: dict[int, list[str]] = {}
                for op_id in members:  # in id order, as the target's flags
                    level = self._ops[op_id].skills.get(skill, 0)
                    if level > 0:
                        by_level.setdefault(level, []).append(op_id)
                for level, ids in by_level.items():
                    flags = found.flags[level] = IdIndex(tuple(ids))
                    for op_id in ids:
                        op = self._ops[op_id]
                        op.flagged_in = self._shared((*op.flagged_in, flags))
                        flags.mark(op_id, available(op))
                return found
            for op_id in members:
                op = self._ops[op_id]
                level = op.skills.get(skill, 0)
                if level > 0:
                    index = found.level(level, rank)
                    op.ranked_in = self._shared((*op.ranked_in, index))
                    index.put(op.id, rank(op) if available(op) else None)
        return found

    def _install(self, key: str) -> AvailableIndex:
        """A new, empty index for the target, known to each of its members.

        Ranked by the strategy's key, or flags over the members in id order.
        """
        rank = self._topology.ranks[key]
        members = self._topology.members[key]
        index = self.indexes[key] = IdIndex(members) if rank is None else RankedIndex(rank)
        for op_id in members:
            op = self._ops[op_id]
            if isinstance(index, IdIndex):
                op.flagged_in = self._shared((*op.flagged_in, index))
            else:
                op.ranked_in = self._shared((*op.ranked_in, index))
        return index

    def _shared(self, shape: _Shape) -> _Shape:
        """The one kept tuple equal to ``shape`` (the indexes of an operator)."""
        return cast(_Shape, self._shapes.setdefault(shape, shape))

    def counted(self) -> dict[str, list[int]]:
        """The tallies of the targets with a strategy, counted on first use (O(operators) once)."""
        tallies = self.tallies
        if tallies is None:
            tallies = self.tallies = {key: [0] * len(STANDINGS) for key in self._topology.strategies}
            for op in self._ops.values():
                op.standing = -1  # counted nowhere yet
                self.refresh(op)  # counts them; their indexes hold them already, so stay as they are
        return tallies

    def refresh(self, op: LiveOperator) -> None:
        """Re-rank the operator in every index they are in (their key computed once per rank).

        Moves them in their targets' tallies too, once there are tallies, when their
        standing changed.
        """
        is_available = available(op)
        tallies = self.tallies
        if tallies is not None:
            if is_available:
                standing = 0
            elif not op.routable:
                standing = 1
            elif op.capped_until is not None:
                standing = 2
            elif op.wrap_ups and op.load - sum(w.weight for w in op.wrap_ups) + 1 <= op.limit:
                standing = 4  # at their limit for a slot kept for wrap-up, as ineligible() says
            else:
                standing = 3
            if standing != op.standing:
                self._recount(op, standing, tallies)
        rank = None
        key: RankKey | None = None
        for index in op.ranked_in:
            if index.rank is not rank:
                rank = index.rank
                key = rank(op) if is_available else None
            index.put(op.id, key)
        for flags in op.flagged_in:
            flags.mark(op.id, is_available)

    @staticmethod
    def _recount(op: LiveOperator, standing: int, tallies: dict[str, list[int]]) -> None:
        """Move the operator to ``standing`` in the tallies of every target they serve."""
        was = op.standing
        for tally in map(tallies.get, op.targets):  # the tally of each target they serve, if any
            if tally is not None:
                tally[standing] += 1
                if was >= 0:
                    tally[was] -= 1
        op.standing = standing

    def add_capacity(self, op: LiveOperator, delta: int) -> None:
        """Add ``delta`` to the capacity of every target the operator serves."""
        capacity = self.capacity
        for key in op.targets:
            capacity[key] = capacity.get(key, 0) + delta
