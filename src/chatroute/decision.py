"""What the router decided, and why: :class:`Decision` and its :class:`Trace`.

``decision.explain()`` renders the trace as text: the rules tried and why each matched
or not, the groups filtered out, the chosen operator and the runners-up, and the target's
members counted by reason code. It answers "why did this chat go to X / why did nobody
get it?".
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import attrs

from .events import Event
from .model import Target

__all__ = [
    "Decision",
    "GroupCheck",
    "GroupChoice",
    "GroupChoices",
    "OperatorCheck",
    "Outcome",
    "Reason",
    "ReasonCount",
    "RuleCheck",
    "Trace",
    "TraceFacts",
]


class Outcome(enum.Enum):
    """What happened to a routed dialog."""

    ASSIGNED = "assigned"
    QUEUED = "queued"
    OFFERED = "offered"
    REJECTED = "rejected"


class Reason(enum.Enum):
    """Why a group or an operator could not take a dialog."""

    STATUS = "status"  # the operator's status is not routable
    AT_LIMIT = "at_limit"  # the operator has no free capacity
    CHANNEL_LIMIT = "channel_limit"  # the operator is at their limit for this channel
    MISSING_SKILL = "missing_skill"  # below a required skill level
    NOT_MEMBER = "not_member"  # not in the target group
    EXCLUDED = "excluded"  # transferred the dialog away earlier
    CHANNEL_NOT_ALLOWED = "channel_not_allowed"  # the group does not take this channel
    DISABLED = "disabled"  # the group is switched off
    CLOSED = "closed"  # the group is outside its business hours
    REGION = "region"  # the visitor's region is not served by the group
    PAGE = "page"  # the page is not served by the group
    NO_OPERATOR = "no_operator"  # no such operator, or the client has no preferred one
    DECLINED = "declined"  # declined (or let expire) an offer of this dialog
    CAPPED = "capped"  # got as many new dialogs as the intake cap allows in its window
    WRAP_UP = "wrap_up"  # at the limit only because of after-chat work on released dialogs
    LANGUAGE = "language"  # does not speak the dialog's language (``match_language``)
    QUEUE_FULL = "queue_full"  # the group's queue holds as many dialogs as its queue_cap allows
    AVOIDED = "avoided"  # the host asked to keep this dialog from them (``Dialog.avoid``)


@attrs.frozen(kw_only=True)
class RuleCheck:
    """One rule tried: whether it matched, why, and why its target was skipped if it was."""

    rule: str
    matched: bool
    detail: str
    skipped: str | None = None


@attrs.frozen(kw_only=True)
class GroupCheck:
    """A group that could not take the dialog."""

    group_id: str
    reason: Reason
    detail: str


@attrs.frozen(kw_only=True)
class OperatorCheck:
    """An operator of the target: eligible (``reason`` None) or excluded, and why."""

    operator_id: str
    reason: Reason | None
    detail: str


@attrs.frozen
class ReasonCount:
    """How many members of a target cannot take a dialog for one reason.

    Unpacks as a pair: ``for reason, n in trace.counts``.
    """

    reason: Reason
    count: int

    def __iter__(self) -> Iterator[Reason | int]:
        return iter((self.reason, self.count))


class TraceFacts(Protocol):
    """What a decision recorded for its trace, from which the trace's fields are worked out."""

    def fields(self, name: str) -> dict[str, object]:
        """The values of the field ``name`` and of any others worked out with it."""


@attrs.frozen(kw_only=True, slots=False)
class Trace:
    """The reasoning behind a decision.

    A decision's own trace costs O(log n) in the target's size: it lists the chosen
    operator and the first few runners-up in the strategy's order, and counts the other
    members by reason from tallies the router keeps. :meth:`Router.explain` lists every
    member on demand (``full``).

    The router records the facts while it decides (the rules tried as positions in the
    config's rules, the runners-up with their loads, the counts as numbers) and works the
    fields out from them when one is first read (:meth:`recorded`); a trace reads,
    compares, prints and serializes the same either way.

    Attributes:
        rules: the rules tried, in order, up to the one that was used.
        groups: groups filtered out on the way.
        operators: the chosen operator first (if any), then the runners-up in the
            strategy's order, each eligible or with the reason they cannot take the
            dialog; in a full trace, every member of the target.
        members: how many operators the target has.
        eligible: how many of them can take the dialog now.
        counts: how many cannot, by reason (only reasons that occur, by code).
        unchecked: available members not checked for this dialog's own needs (weight,
            channel limits, skills) because there were too many to visit; ``eligible``
            and ``counts`` leave them out, so each is then a lower bound.
        full: whether ``operators`` lists every member.
        target: the target the dialog was placed on.
        strategy: the strategy that picked (or did not pick) an operator.
        notes: anything else worth saying (fallback used, preferred operator away...).
    """

    rules: tuple[RuleCheck, ...] = ()
    groups: tuple[GroupCheck, ...] = ()
    operators: tuple[OperatorCheck, ...] = ()
    members: int = 0
    eligible: int = 0
    counts: tuple[ReasonCount, ...] = ()
    unchecked: int = 0
    full: bool = False
    target: Target | None = None
    strategy: str | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def recorded(cls, facts: TraceFacts) -> Trace:
        """A trace whose fields are worked out from ``facts`` when first read, then kept."""
        trace = object.__new__(cls)
        trace.__dict__["_facts"] = facts
        return trace

    if not TYPE_CHECKING:  # to the type checker, a trace has its fields and nothing else

        def __getattr__(self, name: str) -> object:
            # reached only for a field a recorded trace has not worked out yet
            known = self.__dict__
            if name not in _TRACE_FIELDS:
                raise AttributeError(name)
            facts = known.get("_facts")
            if facts is None:  # another thread has just worked it out
                if name in known:
                    return known[name]
                raise AttributeError(name)
            values = facts.fields(name)
            known.update(values)
            if known.keys() >= _TRACE_FIELDS:
                known.pop("_facts", None)
            return values[name]

    def __getstate__(self) -> dict[str, object]:
        """Every field, worked out (so a copy or a pickle does not carry the recorded facts)."""
        return {name: getattr(self, name) for name in _TRACE_FIELDS}

    def excluded(self) -> dict[str, Reason]:
        """Operator id -> reason, for the operators listed as excluded."""
        return {c.operator_id: c.reason for c in self.operators if c.reason is not None}

    def count(self, reason: Reason) -> int:
        """How many members of the target cannot take the dialog for ``reason``."""
        return self.reasons().get(reason, 0)

    def reasons(self) -> dict[Reason, int]:
        """Reason -> how many members of the target cannot take the dialog for it, by code."""
        return {c.reason: c.count for c in self.counts}

    def summary(self) -> str:
        """The counts by reason as text: ``at_limit 2, status 1``."""
        text = ", ".join(f"{c.reason.value} {c.count}" for c in self.counts)
        if self.unchecked:
            text += f"{', ' if text else ''}{self.unchecked} not checked"
        return text

    def render(self) -> list[str]:
        """The trace as lines of text."""
        lines: list[str] = []
        for check in self.rules:
            mark = "matched" if check.matched else "no match"
            lines.append(f"rule {check.rule!r}: {mark}: {check.detail}")
            if check.skipped:
                lines.append(f"  skipped: {check.skipped}")
        for group in self.groups:
            lines.append(f"group {group.group_id!r} filtered out [{group.reason.value}]: {group.detail}")
        lines.extend(self.notes)
        if self.target is None:
            return lines
        lines.append(f"target: {self.target}" + (f", strategy {self.strategy}" if self.strategy else ""))
        for op in self.operators:
            tag = "eligible" if op.reason is None else op.reason.value
            lines.append(f"  operator {op.operator_id!r} [{tag}]: {op.detail}")
        line = f"  members {self.members}: eligible {self.eligible}"
        if self.counts:
            line += "; excluded: " + ", ".join(f"{c.reason.value} {c.count}" for c in self.counts)
        if self.unchecked:
            line += f"; {self.unchecked} available not checked for this dialog's needs"
        lines.append(line)
        return lines


_TRACE_FIELDS = frozenset(field.name for field in attrs.fields(Trace))


# Without slots: each field is then a store in the instance's dict rather than a call of
# object.__setattr__, and a decision, made on every route and seldom kept, is built in
# about 60% of the time.
@attrs.frozen(kw_only=True, slots=False)
class Decision:
    """The result of routing (or transferring) one dialog.

    Attributes:
        dialog_id: the dialog.
        outcome: assigned, queued, offered or rejected.
        operator_id: who got it, when assigned.
        group_id: the group it was routed to, if any.
        target: the target it was placed on (None when rejected).
        position: 1-based place in its queue, when queued.
        estimated_wait: a rough wait, when queued and someone can serve it.
        pool: True when it waits in a manual pool for an operator to claim it.
        reason: why nobody took it, when queued or rejected.
        reason_code: the reason as a code, when the host may act on it:
            :attr:`Reason.QUEUE_FULL` when rejected because the queue is at its cap
            (offer a message form); None otherwise.
        reopens_at: when rejected because departments were closed, the earliest time
            one of them opens (so the host can offer a leave-a-message form).
        rule: the rule whose target was used, if a rule placed it.
        offered_to: when offered, the operators who may accept it.
        offer_expires_at: when offered, when the offer lapses (None: never).
        events: what the call changed, in order.
        trace: the reasoning; None when the router was built with ``explain=False``.
    """

    dialog_id: str
    outcome: Outcome
    operator_id: str | None = None
    group_id: str | None = None
    target: Target | None = None
    position: int | None = None
    estimated_wait: timedelta | None = None
    pool: bool = False
    reason: str | None = None
    reason_code: Reason | None = None
    reopens_at: datetime | None = None
    rule: str | None = None
    offered_to: tuple[str, ...] = ()
    offer_expires_at: datetime | None = None
    events: tuple[Event, ...] = ()
    trace: Trace | None = None

    def explain(self) -> str:
        """The decision and its reasons as readable text."""
        head = f"dialog {self.dialog_id!r}: {self.outcome.value}"
        if self.operator_id:
            head += f" to operator {self.operator_id!r}"
        if self.group_id:
            head += f" in group {self.group_id!r}"
        if self.position is not None:
            head += f", position {self.position}"
            if self.estimated_wait is not None:
                head += f", about {_duration(self.estimated_wait)}"
        if self.pool:
            head += " (manual pool: waiting for an operator to claim it)"
        if self.offered_to:
            head += f", offered to {', '.join(map(repr, self.offered_to))}"
        lines = [head]
        if self.reason:
            lines.append(f"why: {self.reason}")
        if self.trace is None:
            lines.append("(explanations are off: ask Router.explain(dialog, now) for the full trace)")
        else:
            lines.extend(self.trace.render())
        return "\n".join(lines)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" if not rest else f"{minutes} min {rest} s"


@attrs.frozen(kw_only=True)
class GroupChoice:
    """A department the widget may show a visitor.

    Attributes:
        id: the group's id, for ``Dialog.chosen_group_id``.
        title: what the visitor sees: the group's ``title``, else its ``name`` (which is
            internal), else its id.
    """

    id: str
    title: str

    @property
    def group_id(self) -> str:
        """Deprecated: the old name of :attr:`id` (it warns; the JSON form keeps ``group_id``)."""
        warnings.warn(
            "GroupChoice.group_id is deprecated: use GroupChoice.id", DeprecationWarning, stacklevel=2
        )
        return self.id


@attrs.frozen(kw_only=True)
class GroupChoices:
    """The departments to show a visitor, and why the others are not shown.

    Iterating gives the :class:`GroupChoice` items. With exactly one, the widget can skip
    the choice and route straight into that group (:attr:`direct`); with none, the
    dialog goes through the rules and the fallback.

    Attributes:
        groups: the departments to show, in config order, at most the config's
            ``groups_shown``.
        hidden: departments that qualified but did not fit in ``groups_shown``.
        excluded: departments filtered out, each with its reason.
        notes: how the visitor's region was found.
    """

    groups: tuple[GroupChoice, ...] = ()
    hidden: tuple[str, ...] = ()
    excluded: tuple[GroupCheck, ...] = ()
    notes: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[GroupChoice]:
        return iter(self.groups)

    def __len__(self) -> int:
        return len(self.groups)

    @property
    def direct(self) -> str | None:
        """The one group to route into without asking, when exactly one qualifies."""
        return self.groups[0].id if len(self.groups) == 1 and not self.hidden else None

    def explain(self) -> str:
        """The choice and its reasons as readable text."""
        shown = ", ".join(f"{g.id!r} ({g.title})" for g in self.groups) or "none"
        lines = [f"show: {shown}"]
        if self.hidden:
            lines.append(f"not shown, over the limit of groups shown: {', '.join(map(repr, self.hidden))}")
        for check in self.excluded:
            lines.append(f"group {check.group_id!r} filtered out [{check.reason.value}]: {check.detail}")
        lines.extend(self.notes)
        return "\n".join(lines)
