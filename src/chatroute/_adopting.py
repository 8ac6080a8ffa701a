"""Bringing in dialogs that are already open when a host switches to chatroute.

:func:`adopt_many` is the public call's work: each dialog checked as a new one, then
:func:`plan` checks a whole batch before anything changes (a group the operator is
not in, and every limit: the operator's, the channel's, counting each dialog's capacity
weight and the dialogs adopted before it in the batch); :func:`carry_out` then holds each
dialog as assigned to its operator (through the state's operations) and says so in a
:class:`~chatroute.events.DialogAdopted` event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from . import _state_operators as operator_state
from ._eligibility import AVOIDED
from ._records import check_new
from ._router_state import RouterState
from ._state import LiveDialog, LiveOperator
from ._topology import Topology
from .decision import Reason
from .errors import AtLimit, InvalidValue, NotEligible
from .events import DialogAdopted, Event
from .model import Client, Dialog, Target, TargetKind

__all__ = ["Adoption", "adopt_many", "carry_out", "pairs_of", "plan"]


class Adoption(NamedTuple):
    """One dialog to adopt: who holds it, on which target, and whether past a limit."""

    rec: LiveDialog
    op: LiveOperator
    client: Client | None
    target: Target
    over_limit: bool


def adopt_many(
    topology: Topology,
    state: RouterState,
    pairs: Iterable[tuple[Dialog, str]],
    now: datetime,
    over_limit: bool,
) -> tuple[Event, ...]:
    """Check the whole batch, then keep each dialog as assigned; see :meth:`chatroute.Router.adopt_many`."""
    if not isinstance(over_limit, bool):
        raise InvalidValue("over_limit", over_limit, "must be True or False")
    batch = []
    given: set[str] = set()
    for i, (dialog, operator_id) in enumerate(pairs_of(pairs)):
        rec, client = check_new(topology, state, dialog, None, now)
        if rec.id in given:
            raise InvalidValue(f"pairs[{i}]", rec.id, "adopts this dialog a second time")
        given.add(rec.id)
        batch.append((rec, state.operator(operator_id), client))
    return carry_out(state, plan(topology, batch, over_limit=over_limit), now)


def pairs_of(pairs: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The ``(dialog, operator_id)`` pairs of a bulk adoption, as a list.

    Raises:
        InvalidValue: not an iterable of pairs (the path names the item).
    """
    if isinstance(pairs, str | bytes) or not isinstance(pairs, Iterable):
        raise InvalidValue("pairs", pairs, "must be an iterable of (dialog, operator_id) pairs")
    found = list(pairs)
    for i, pair in enumerate(found):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidValue(f"pairs[{i}]", pair, "must be a (dialog, operator_id) pair")
    return found


def plan(
    topology: Topology, batch: list[tuple[LiveDialog, LiveOperator, Client | None]], *, over_limit: bool
) -> list[Adoption]:
    """Where each dialog goes, checked for the whole batch; changes nothing.

    A dialog with a ``chosen_group_id`` is adopted in that group (the operator must be a
    member), any other on the operator's own target.

    Raises:
        NotEligible: the operator is one the dialog avoids, or not in its group, or (unless
            ``over_limit``) is at their limit for its channel.
        AtLimit: unless ``over_limit``, the dialog's weight would take the operator
            past their limit.
    """
    loads: dict[str, int] = {}
    counts: dict[tuple[str, str], int] = {}
    found = []
    for rec, op, client in batch:
        if op.id in rec.dialog.avoid:
            raise NotEligible(op.id, rec.id, AVOIDED[0].value, AVOIDED[1])
        group_id = rec.dialog.chosen_group_id
        if group_id is None:
            target = Target.operator(op.id)
        elif op.id in topology.groups[group_id].operator_ids:
            target = topology.group_targets[group_id]
        else:
            raise NotEligible(op.id, rec.id, Reason.NOT_MEMBER.value, f"not a member of group {group_id!r}")
        channel = rec.dialog.channel
        before = loads.get(op.id, op.load)
        count = counts.get((op.id, channel), op.channel_loads.get(channel, 0))
        cap = op.operator.channel_limits.get(channel)
        if not over_limit and before + rec.weight > op.limit:
            detail = f"{before} of {op.limit} in use, and the dialog weighs {rec.weight}"
            raise AtLimit(op.id, rec.id, Reason.AT_LIMIT.value, detail)
        if not over_limit and cap is not None and count >= cap:
            raise NotEligible(op.id, rec.id, Reason.CHANNEL_LIMIT.value, f"{cap} {channel!r} dialogs already")
        loads[op.id] = before + rec.weight
        counts[op.id, channel] = count + 1
        over = before + rec.weight > op.limit or (cap is not None and count >= cap)
        found.append(Adoption(rec, op, client, target, over))
    return found


def carry_out(state: RouterState, adoptions: list[Adoption], now: datetime) -> tuple[Event, ...]:
    """Hold each planned dialog as assigned to its operator; one event each."""
    events: list[Event] = []
    for rec, op, client, target, over in adoptions:
        _adopt(state, rec, op, client, target, now)
        events.append(
            DialogAdopted(at=now, dialog_id=rec.id, operator_id=op.id, group_id=rec.group_id, over_limit=over)
        )
    return tuple(events)


def _adopt(
    state: RouterState,
    rec: LiveDialog,
    op: LiveOperator,
    client: Client | None,
    target: Target,
    now: datetime,
) -> None:
    """Keep a dialog already open with the operator: on ``target``, assigned, replied to.

    Its requirements relax from now on (should it wait), as a routed dialog's do from
    when it was routed. An operator offline under the re-queue policy loses it when
    their grace runs out (at the next tick, if it has run out already), as a restored
    router holds.
    """
    group_id = target.id if target.kind is TargetKind.GROUP else None
    state.keep(rec, client)
    state.retarget(rec, target, state.topology.target_key(target), group_id, False, None, 0)
    state.take_slot(rec, op, now, new=False)
    state.assigned(rec, op, now)
    state.note_reply(rec, now)
    operator_state.resume_grace(state, op)
