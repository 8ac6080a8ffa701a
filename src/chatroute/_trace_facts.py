"""What a decision records for its trace, and how the trace's fields are worked out from it.

A decision records facts, not text: the rules it tried as a count into the config's
rules, the chosen operator and the runners-up as ``(id, load, limit, suffix)`` tuples,
the target's tallies as numbers. :class:`Recorded` turns them into the fields of a
:class:`~chatroute.decision.Trace` when the trace is first read
(:meth:`Trace.recorded <chatroute.decision.Trace.recorded>`), so a decision nobody
reads the trace of pays for no text.

Everything recorded is frozen or copied: the dialog, the rule context and the config's
rules are immutable values, and the loads and tallies are copied numbers, so the fields
come out the same whenever they are read. A rule that did not match is explained again
when read, from the same dialog and context, which gives the same text as long as its
predicate is a function of them: the built-in predicates are (:func:`replayable`); a
rule with a predicate of the host's own is explained while the decision is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._indexes import STANDINGS
from ._predicates import AllOf, AnyOf, Not, Predicate, RuleContext
from .decision import GroupCheck, OperatorCheck, Reason, ReasonCount, RuleCheck
from .model import Dialog, Target
from .rules import Rule

__all__ = ["Leading", "Recorded", "RulesTried", "counts_of_tally", "in_code_order", "replayable"]

#: an eligible operator's line as recorded: id, load, limit, and the line's end
Leading = tuple[str, int, int, str]

_OWN = __name__.rpartition(".")[0] + "."  # the package's modules: "chatroute."


def replayable(predicate: Predicate) -> bool:
    """Whether explaining ``predicate`` later, with the same dialog and context, gives the same text.

    True for the built-in predicates and their combinations, which look at nothing else.
    """
    if isinstance(predicate, AllOf | AnyOf):
        return all(replayable(item) for item in predicate.items)
    if isinstance(predicate, Not):
        return replayable(predicate.item)
    return type(predicate).__module__.startswith(_OWN)


def _by_code(item: tuple[Reason, int]) -> str:
    return item[0].value


def in_code_order(counts: Mapping[Reason, int]) -> tuple[ReasonCount, ...]:
    """The non-zero counts, by reason code."""
    return tuple(
        ReasonCount(r, n) for r, n in sorted([item for item in counts.items() if item[1]], key=_by_code)
    )


def counts_of_tally(tally: Sequence[int]) -> dict[Reason, int]:
    """A target's members who are not available, by the reason their standing gives."""
    return {reason: tally[i] for i, reason in enumerate(STANDINGS) if reason is not None}


class RulesTried:
    """The rules a decision tried: how many of the config's rules, in order, and the few written out.

    ``written``: the checks made while deciding, by position: the rules that matched
    (their target may have been skipped) and those whose predicate is not
    :func:`replayable`. Every other rule tried did not match, and is explained when read.
    """

    __slots__ = ("ctx", "dialog", "rules", "tried", "written")

    def __init__(self, rules: Sequence[Rule], dialog: Dialog, ctx: RuleContext) -> None:
        self.rules = rules
        self.dialog = dialog
        self.ctx = ctx
        self.tried = 0
        self.written: dict[int, RuleCheck] = {}

    def checks(self) -> tuple[RuleCheck, ...]:
        """Each rule tried, as the decision saw it."""
        dialog, ctx, written = self.dialog, self.ctx, self.written
        return tuple(
            written.get(i) or RuleCheck(rule=rule.name, matched=False, detail=rule.when.explain(dialog, ctx))
            for i, rule in enumerate(self.rules[: self.tried])
        )


class Recorded:
    """A decision's facts for its trace (see the module); :meth:`fields` works the fields out.

    ``operators``: each line either written out (an :class:`OperatorCheck`) or recorded
    as a :data:`Leading` tuple of an eligible operator. ``tally``: the target's tallies,
    when they give the counts (``eligible``, ``counts`` and ``unchecked`` are then unused).
    """

    __slots__ = (
        "counts",
        "eligible",
        "full",
        "groups",
        "members",
        "notes",
        "operators",
        "rules",
        "strategy",
        "tally",
        "target",
        "unchecked",
    )

    def __init__(
        self,
        rules: RulesTried | None,
        groups: Sequence[GroupCheck],
        notes: Sequence[str],
        target: Target | None = None,
        strategy: str | None = None,
        members: int = 0,
        operators: Sequence[OperatorCheck | Leading] = (),
        tally: Sequence[int] | None = None,
        counts: tuple[int, tuple[ReasonCount, ...], int] = (0, (), 0),
        full: bool = False,
    ) -> None:
        self.rules = rules
        self.groups = groups
        self.notes = notes
        self.target = target
        self.strategy = strategy
        self.members = members
        self.operators = operators
        self.tally = tally
        self.eligible, self.counts, self.unchecked = counts
        self.full = full

    def fields(self, name: str) -> dict[str, object]:
        """The rules tried (for ``rules``), or every other field (for any other name)."""
        if name == "rules":
            return {"rules": self.rules.checks() if self.rules is not None else ()}
        tally = self.tally
        if tally is None:
            eligible, counts = self.eligible, self.counts
        else:
            eligible = tally[0]
            counts = in_code_order(counts_of_tally(tally)) if any(tally[1:]) else ()
        return {
            "groups": tuple(self.groups),
            "operators": tuple(
                line
                if isinstance(line, OperatorCheck)
                else OperatorCheck(
                    operator_id=line[0], reason=None, detail=f"load {line[1]} of {line[2]}{line[3]}"
                )
                for line in self.operators
            ),
            "members": self.members,
            "eligible": eligible,
            "counts": counts,
            "unchecked": self.unchecked,
            "full": self.full,
            "target": self.target,
            "strategy": self.strategy,
            "notes": tuple(self.notes),
        }
