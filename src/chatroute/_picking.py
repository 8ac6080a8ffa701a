"""How a strategy sees one target's available operators when it picks.

:class:`IndexPicker` answers a strategy's questions (the first by rank, the next in
turn, a draw, a favourite, a scan) from the target's index in the state, and every
answer is an operator who can take the dialog. It reads and changes nothing but the
target's random source, kept only for a real pick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from itertools import chain, islice

from ._eligibility import constrained, ineligible
from ._router_state import RouterState
from ._skill_levels import WALK, SkillLevels, fewest
from ._state import AvailableIndex, IdIndex, LiveDialog, RankedIndex
from .errors import InvalidValue
from .model import Client
from .strategies import Strategy, StrategyContext

__all__ = ["IndexPicker", "LanePicker", "fitter", "fitting"]


def fitter(state: RouterState, rec: LiveDialog) -> Callable[[str], bool]:
    """Whether an available operator can take this dialog (skills, channel limits...)."""
    ops = state.ops
    config = state.topology.config
    return lambda op_id: ineligible(ops[op_id], rec, config) is None


def fitting(state: RouterState, rec: LiveDialog, ids: Iterator[str] | AvailableIndex) -> Iterator[str]:
    """The operators of ``ids`` who can take this dialog, in order."""
    ops = state.ops
    config = state.topology.config
    return (op_id for op_id in ids if ineligible(ops[op_id], rec, config) is None)


class IndexPicker:
    """One target's available operators as a strategy sees them when it picks (see :class:`Picker`).

    Every answer is an operator who can take the dialog: when some available operators
    may not (``constrained``: skills, weights, channel limits, exclusions), each
    candidate is checked.
    """

    __slots__ = ("_client", "_dry", "_index", "_key", "_now", "_rec", "_state", "constrained")

    def __init__(
        self,
        state: RouterState,
        rec: LiveDialog,
        key: str,
        index: AvailableIndex,
        client: Client | None,
        now: datetime,
        dry: bool,
        constrained_: bool | None,
    ) -> None:
        self._state = state
        self._rec = rec
        self._key = key
        self._index = index
        self._client = client
        self._now = now
        self._dry = dry
        self.constrained = constrained(rec) if constrained_ is None else constrained_

    @property
    def client(self) -> Client | None:
        return self._client

    def first(self) -> str | None:
        index = self._index
        assert isinstance(index, RankedIndex)
        if not self.constrained:
            return index.first()
        rec = self._rec
        fits = fitter(self._state, rec)
        if not rec.needs:
            return index.first(fits)
        available, key = self._state.available, self._key
        if not available.has_levels(key, rec.needs):
            found, complete = index.walk(fits, WALK)
            if complete:
                return found
        # many of the best ranked lack a required skill: read the skill's levels instead
        levels, level = self._rarest()
        return levels.first(level, fits)

    def _rarest(self) -> tuple[SkillLevels, int]:
        """The target's members by the level of the dialog's rarest required skill, and the level needed."""
        available, key = self._state.available, self._key
        return fewest(self._rec.needs, lambda skill: available.skill_levels(key, skill))

    def turn(self) -> str | None:
        index = self._index
        assert isinstance(index, IdIndex)
        last = self._state.last_picks.get(self._key)
        if not self.constrained:
            return index.next_after(last)
        rec = self._rec
        fits = fitter(self._state, rec)
        available, key = self._state.available, self._key
        if not rec.needs or not available.has_levels(key, rec.needs):
            after = index.from_rank((last,)) if last is not None else iter(())
            turn = chain(after, index)
            if not rec.needs:
                return next(filter(fits, turn), None)
            for op_id in islice(turn, WALK):
                if fits(op_id):
                    return op_id
            if len(index) <= WALK:
                return None  # the walk saw everyone
        # many in turn lack a required skill: read the skill's levels instead
        levels, level = self._rarest()
        return levels.turn(level, last, fits)

    def draw(self, strategy: Strategy) -> str | None:
        index = self._index
        assert isinstance(index, IdIndex)
        if self.constrained:
            rec, available, key = self._rec, self._state.available, self._key
            if rec.needs and (len(index) > WALK or available.has_levels(key, rec.needs)):
                # draw among those who meet the rarest required skill, the candidates a scan finds
                levels, level = self._rarest()
                return self.scan(strategy, levels.members(level, fitter(self._state, rec)))
            return self.scan(strategy)
        return index.at(self._state.rng(self._key, strategy, self._dry).randrange(len(index)))

    def favourite(self, operator_ids: Sequence[str]) -> str | None:
        state, index = self._state, self._index
        for op_id in operator_ids:
            op = state.ops.get(op_id)
            if op is not None and op_id in index and ineligible(op, self._rec, state.topology.config) is None:
                return op_id
        return None

    def scan(self, strategy: Strategy, among: Sequence[str] | None = None) -> str | None:
        """The strategy's choice among those who can take the dialog (``among``: they, in index order)."""
        state, key, rec = self._state, self._key, self._rec
        if among is None:
            among = list(fitting(state, rec, self._index))
        candidates = [state.ops[op_id] for op_id in among]
        if not candidates:
            return None
        # The strategy draws from a copy, kept only once its choice is known to be sound,
        # so a faulty custom strategy leaves the router as it was.
        rng = state.rng(key, strategy, dry=True)
        last = state.last_picks.get(key)
        ctx = StrategyContext(now=self._now, rng=rng, client=self._client, last_pick=last)
        chosen = strategy.choose(candidates, rec.dialog, ctx)
        if chosen is not None and chosen not in {c.id for c in candidates}:
            raise InvalidValue("strategy", chosen, f"{strategy!r} chose an operator who is not a candidate")
        if not self._dry:
            state.keep_rng(key, rng)
        return chosen


class LanePicker(IndexPicker):
    """The picker of one express lane, kept with the lane and aimed at each plain dialog.

    An express dialog needs only a free slot (it is not :func:`constrained`) and its pick
    is real (not dry), so a pick here is the general path's :meth:`Decider.pick
    <chatroute._placement.Decider.pick>` without building a picker each time.
    """

    __slots__ = ("_strategy",)

    def __init__(self, state: RouterState, key: str, strategy: Strategy) -> None:
        # not IndexPicker's: the index, the dialog, its client and the time come with each pick
        self._state = state
        self._key = key
        self._strategy = strategy
        self._dry = False
        self.constrained = False

    def pick(self, rec: LiveDialog, client: Client | None, now: datetime) -> str | None:
        """The operator the lane's strategy picks for this plain dialog, or None."""
        index = self._state.available.indexes.get(self._key)
        if index is None:
            index = self._state.available.index(self._key)
        if not index:
            return None
        self._index, self._rec, self._client, self._now = index, rec, client, now
        try:
            return self._strategy.pick(self)
        finally:
            del self._rec, self._client  # nothing of the dialog stays once it is picked for
