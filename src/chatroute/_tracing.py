"""A decision's trace: who was chosen, who came next, and the target's members by reason.

The decision path (:class:`~chatroute._placement.Decider` and the express lane) builds
each trace here, once per decision, in O(log n) in the target's size: the chosen
operator, the first few runners-up in the strategy's order (read off the target's index
of available operators), and the members counted by reason. The reasons about an
operator alone (status, intake cap, limit) come from the tallies that
:class:`~chatroute._indexes.Availability` keeps; the operators the dialog holds back
(transferred away, declined) are few and are looked up one by one; the dialog's own
needs (weight, channel limits, skills) are checked for at most :data:`SCAN` available
members, and the trace says how many it did not check.

A full trace (:meth:`Router.explain`) lists every member instead, in O(n).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ._eligibility import constrained, ineligible
from ._indexes import STANDINGS
from ._router_state import RouterState
from ._state import LiveDialog, RankedIndex
from ._topology import Topology
from ._trace_facts import Leading, Recorded, RulesTried, counts_of_tally, in_code_order
from .decision import GroupCheck, OperatorCheck, Reason, ReasonCount, Trace
from .model import Target
from .strategies import Strategy

__all__ = ["RUNNERS_UP", "SCAN", "Tracer"]

RUNNERS_UP = 3  # runners-up listed after the chosen operator
SCAN = 64  # available members checked one by one for a dialog's own needs, at most


class Tracer:
    """Builds decisions' traces from the topology and the state, changing neither.

    A trace is recorded as facts (:mod:`chatroute._trace_facts`) and written out as text
    only when it is read.
    """

    __slots__ = ("_chosen", "state", "topology")

    def __init__(self, topology: Topology, state: RouterState) -> None:
        self.topology = topology
        self.state = state
        self._chosen: dict[str | None, str] = {}  # "chosen by <strategy>", by strategy

    def trace(
        self,
        rec: LiveDialog,
        target: Target | None,
        strategy: Strategy | None,
        picked: str | None,
        *,
        rules: RulesTried | None = None,
        groups: Sequence[GroupCheck] = (),
        notes: Sequence[str] = (),
        full: bool = False,
        key: str | None = None,
    ) -> Trace:
        """The trace of a decision that placed the dialog on ``target`` (None: rejected).

        ``picked``: the operator chosen (or offered the dialog alone), if any; ``key``:
        the target's key, when the caller has it at hand.
        """
        if target is None:
            return Trace.recorded(Recorded(rules, groups, notes))
        if key is None:
            key = self.topology.target_key(target)
        described = strategy.describe() if strategy is not None else None
        tally = None if full else self.state.available.counted().get(key)
        members = len(self.topology.members[key])
        if tally is None:  # a full trace, or an operator's own target (one member)
            checks = self._every_member(key, rec, picked, described)
            eligible = sum(1 for check in checks if check.reason is None)
            counts = in_code_order(Counter(check.reason for check in checks if check.reason is not None))
            found = (eligible, counts, 0)
            return Trace.recorded(
                Recorded(rules, groups, notes, target, described, members, checks, counts=found, full=full)
            )
        leading = self._leading(key, rec, picked, described)
        if rec.picky or rec.excluded or rec.declined:
            found = self._counts(key, rec)
            return Trace.recorded(
                Recorded(rules, groups, notes, target, described, members, leading, counts=found)
            )
        # the tallies say it all
        return Trace.recorded(Recorded(rules, groups, notes, target, described, members, leading, tally[:]))

    @staticmethod
    def busy(target: Target, trace: Trace | None) -> str:
        """Why a dialog waits: nobody in the target can take it, with the counts when traced."""
        summary = trace.summary() if trace is not None else ""
        return f"nobody in {target} can take it now" + (f" ({summary})" if summary else "")

    def _check(self, op_id: str, rec: LiveDialog, suffix: str, *, fits: bool = False) -> OperatorCheck:
        """One operator's line: eligible with their load (and ``suffix``), or why they cannot take it.

        ``fits``: known to be able to take the dialog (no need to check again).
        """
        op = self.state.ops[op_id]
        problem = None if fits else ineligible(op, rec, self.topology.config)
        if problem is not None:
            return OperatorCheck(operator_id=op_id, reason=problem[0], detail=problem[1])
        return OperatorCheck(operator_id=op_id, reason=None, detail=f"load {op.load} of {op.limit}{suffix}")

    def _chosen_by(self, described: str | None) -> str:
        """The chosen operator's line's end, made once per strategy."""
        text = self._chosen.get(described)
        if text is None:
            text = self._chosen[described] = ": chosen" + (f" by {described}" if described else "")
        return text

    def _leading(
        self, key: str, rec: LiveDialog, picked: str | None, described: str | None
    ) -> list[OperatorCheck | Leading]:
        """The chosen operator, then the first few others in the strategy's order."""
        index = self.state.available.index(key)
        if isinstance(index, RankedIndex):
            ahead = [op_id for op_id in index.leading(RUNNERS_UP + 1) if op_id != picked][:RUNNERS_UP]
            after = f": ranked after {picked!r}" if ahead else ""
        else:
            last = picked if picked is not None else self.state.last_picks.get(key)
            ahead = index.following(last, RUNNERS_UP)
            after = f": in id order after {picked!r}" if ahead else ""
        ops = self.state.ops
        lines: list[OperatorCheck | Leading] = []
        if picked is not None:
            op = ops[picked]
            lines.append((picked, op.load, op.limit, self._chosen_by(described)))
        else:
            after = ""
        if constrained(rec):
            lines.extend(self._check(op_id, rec, after) for op_id in ahead)
        else:  # every available operator fits a dialog that needs only a slot
            for op_id in ahead:
                op = ops[op_id]
                lines.append((op_id, op.load, op.limit, after))
        return lines

    def _counts(self, key: str, rec: LiveDialog) -> tuple[int, tuple[ReasonCount, ...], int]:
        """Eligible members, the others by reason, and the available ones left unchecked.

        For a dialog that holds operators back or asks for more than a slot.
        """
        tally = self.state.available.counted()[key]
        rest = tally[0]  # available, before what the dialog itself asks
        counts = counts_of_tally(tally)
        held_back = rec.excluded | rec.declined
        ops = self.state.ops
        for op_id in held_back:
            op = ops.get(op_id)
            if op is None or key not in op.targets or not op.routable:
                continue  # not a member, or counted under status, which is checked first
            was = STANDINGS[op.standing]
            if was is None:
                rest -= 1
            else:
                counts[was] -= 1
            held = Reason.EXCLUDED if op_id in rec.excluded else Reason.DECLINED
            counts[held] = counts.get(held, 0) + 1
        if not rec.picky or not rest:
            return rest, in_code_order(counts), 0
        config, eligible, checked = self.topology.config, 0, 0
        for op_id in self.state.available.index(key).some(SCAN + len(held_back)):
            if op_id in held_back:
                continue
            if checked == SCAN:
                break
            checked += 1
            problem = ineligible(ops[op_id], rec, config)
            if problem is None:
                eligible += 1
            else:
                counts[problem[0]] = counts.get(problem[0], 0) + 1
        return eligible, in_code_order(counts), rest - checked

    def _every_member(
        self, key: str, rec: LiveDialog, picked: str | None, described: str | None
    ) -> tuple[OperatorCheck, ...]:
        """Every member of the target with their eligibility.

        The chosen one (or else the first eligible) first, then the excluded, then the
        other eligible ones.
        """
        chosen = self._chosen_by(described)
        checks = [
            self._check(op_id, rec, chosen if op_id == picked else "") for op_id in self.topology.members[key]
        ]
        eligible = sorted((c for c in checks if c.reason is None), key=lambda c: c.operator_id != picked)
        excluded = [check for check in checks if check.reason is not None]
        return (*eligible[:1], *excluded, *eligible[1:])
