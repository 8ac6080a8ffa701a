"""Who of a target can take a dialog that needs a skill at some level: its available members by level.

When few of a target's available operators meet a dialog's required skill level (a
level-8 printing expert on a desk of thousands), walking the target's index in rank
order checks and skips most of them, and all of them when none of the qualified ones is
free. :class:`SkillLevels` keeps, for one target and one skill, the available members
at each level (1..10) in an index of their own, ranked by the target's strategy like the
target's index. The best operator at level L or more is then the best of the heads of
at most 11 - L indexes: O(levels · log n) instead of O(n), and the same operator, since
the levels split exactly the members the walk would have found qualified.

They are built on first use, when a pick of a dialog that requires the skill has walked
past :data:`WALK` operators who could not take it, and kept up to date by
:meth:`chatroute._indexes.Availability.refresh` with the target's other indexes. A desk
whose dialogs require no skill, or whose heads qualify, never builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ._state import RankedIndex, RankKey

__all__ = ["WALK", "SkillLevels", "fewest"]

#: How many unfit operators a pick walks past in the target's index before it asks the
#: skill levels instead.
WALK = 16


class SkillLevels:
    """One target's available members who have one skill, by level, each level ranked."""

    __slots__ = ("by_level",)

    def __init__(self) -> None:
        self.by_level: dict[int, RankedIndex] = {}

    def level(self, level: int, rank: Callable[..., RankKey]) -> RankedIndex:
        """The index of the members at ``level`` (made on first use)."""
        index = self.by_level.get(level)
        if index is None:
            index = self.by_level[level] = RankedIndex(rank)
        return index

    def count(self, level: int) -> int:
        """How many available members have the skill at ``level`` or more."""
        return sum(len(index) for at, index in self.by_level.items() if at >= level)

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
