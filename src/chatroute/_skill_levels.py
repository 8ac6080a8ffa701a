"""Who of a target can take a dialog that needs a skill at some level: its available members by level.

When few of a target's available operators meet a dialog's required skill level (a
level-8 printing expert on a desk of thousands), walking the target's index in rank
order checks and skips most of them, and all of them when none of the qualified ones is
free. :class:`SkillLevels` keeps, for one target and one skill, the available members
at each level (1..10) in an index of their own, ranked by the target's strategy like the
target's index. The best operator at level L or more is then the best of the heads of
at most 11 - L indexes: O(levels · log n) instead of O(n), and the same operator, since
the levels split exactly the members the walk would have found qualified.

A target whose strategy has no ranking key keeps each level as flags in id order: the
next in turn (``RoundRobin``) is the first after the last pick among the levels'
answers, and a draw (``RandomWithinLimit``) is made among the levels' members who can
take the dialog, in id order: the candidates, and so the draw, a scan over the target
would have made, found in O(qualified) instead of O(n).

They are built on first use, when a pick of a dialog that requires the skill has walked
past :data:`WALK` operators who could not take it (a draw: when more than :data:`WALK`
of the target's members are available), and kept up to date by
:meth:`chatroute._indexes.Availability.refresh` with the target's other indexes. A desk
whose dialogs require no skill, or whose heads qualify, never builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from heapq import merge

from ._state import IdIndex, RankedIndex, RankKey

__all__ = ["WALK", "SkillLevels", "fewest"]

#: How many unfit operators a pick walks past in the target's index before it asks the
#: skill levels instead.
WALK = 16


class SkillLevels:
    """One target's available members who have one skill, by level, each level ranked.

    For a target whose strategy has no ranking key (``RoundRobin``, ``RandomWithinLimit``)
    each level is kept as flags in id order instead (:attr:`flags`), which answer the next
    in turn and the members in id order.
    """

    __slots__ = ("by_level", "flags")

    def __init__(self) -> None:
        self.by_level: dict[int, RankedIndex] = {}
        self.flags: dict[int, IdIndex] = {}

    def level(self, level: int, rank: Callable[..., RankKey]) -> RankedIndex:
        """The index of the members at ``level`` (made on first use)."""
        index = self.by_level.get(level)
        if index is None:
            index = self.by_level[level] = RankedIndex(rank)
        return index

    def count(self, level: int) -> int:
        """How many available members have the skill at ``level`` or more."""
        ranked = sum(len(index) for at, index in self.by_level.items() if at >= level)
        return ranked + sum(len(flags) for at, flags in self.flags.items() if at >= level)

    def first(self, level: int, fits: Callable[[str], bool]) -> str | None:
        """The best available member at ``level`` or more for whom ``fits`` holds, or None."""
        best: RankKey | None = None
        for at, index in self.by_level.items():
            if at < level:
                continue
            found = index.first(fits)
            if found is not None:
                key = index.key_of(found)
                if best is None or key < best:
                    best = key
        return None if best is None else best[-1]

    def turn(self, level: int, last: str | None, fits: Callable[[str], bool]) -> str | None:
        """The first member at ``level`` or more for whom ``fits`` holds, after ``last`` in id order.

        Wraps round to the first in id order when nobody after ``last`` fits, as a walk over
        the target's flags from ``last`` does.
        """
        flags = [found for at, found in self.flags.items() if at >= level]
        if last is not None:
            after = [next(filter(fits, found.from_rank((last,))), None) for found in flags]
            if any(after):
                return min(op_id for op_id in after if op_id is not None)
        heads = [op_id for op_id in (next(filter(fits, found), None) for found in flags) if op_id is not None]
        return min(heads) if heads else None

    def members(self, level: int, fits: Callable[[str], bool]) -> list[str]:
        """The members at ``level`` or more for whom ``fits`` holds, in id order."""
        flags = [found for at, found in self.flags.items() if at >= level]
        return [op_id for op_id in merge(*flags) if fits(op_id)]


def fewest(needs: Mapping[str, int], levels: Callable[[str], SkillLevels]) -> tuple[SkillLevels, int]:
    """Of the required skills, the one fewest available members meet: its levels, and the level needed."""
    best: tuple[SkillLevels, int] | None = None
    fewest_count = -1
    for skill, level in needs.items():
        found = levels(skill)
        count = found.count(level)
        if best is None or count < fewest_count:
            best, fewest_count = (found, level), count
    assert best is not None
    return best
