"""Operators who pick dialogs up themselves: claims from manual pools, accepts of offers.

A dialog in a manual pool waits until someone in its group notices it, and an operator
with room looks at the pools; a dialog offered to several operators rings until one of
them accepts. Each takes a reaction time drawn from the traffic's ``pickup``; then the
least loaded operator who can take the dialog claims or accepts it. The router says
who may: a claim or an accept it refuses goes to the next operator.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..errors import InvalidTransition, NotEligible
from ..events import Event
from ..router import Router
from ._calendar import ACCEPT, CLAIM_DIALOG, CLAIM_OPERATOR
from ._parts import Duration
from ._records import WAITING, DialogRecord, OperatorRecord

__all__ = ["Offer", "Pickups"]

Offer = tuple[DialogRecord, tuple[str, ...]]
"""A standing offer: the dialog's record and the operators it rings for."""


class Pickups:
    """Who picks up a pooled or offered dialog, and when.

    Args:
        router: the router that claims and accepts.
        ops: the simulator's operator records, by id.
        delay: the reaction time before a pick-up.
        seed: seeds the reaction times.
        push: schedules an event on the engine's calendar: ``(at, kind, item, token)``.
        absorb: lets the engine learn from the router's events.
    """

    def __init__(
        self,
        router: Router,
        ops: Mapping[str, OperatorRecord],
        delay: Duration,
        *,
        seed: int,
        push: Callable[[float, int, Any, int], None],
        absorb: Callable[[Sequence[Event]], None],
    ) -> None:
        self.router = router
        self.ops = ops
        self.members = {g.id: g.operator_ids for g in router.config.groups}
        self.delay = delay
        self.draws = random.Random(f"{seed}/pickup")
        self.push = push
        self.absorb = absorb
        self.offers: dict[str, Offer] = {}  # standing offers by dialog id

    def room(self, op: OperatorRecord, now: float) -> None:
        """The operator may have room again: they look at the pools and the offers ringing."""
        if op.manual and op.logged:
            self.want_claim(op, now)
        if self.offers and op.logged:
            self.ring(op, now)

    # ------------------------------------------------------------ manual pools

    def want_claim(self, op: OperatorRecord, now: float) -> None:
        """An operator with room will look at the pools after a reaction time."""
        if not op.claiming and op.load < op.limit:
            op.claiming = True
            self.push(now + self.delay.draw(self.draws), CLAIM_OPERATOR, op, 0)

    def pooled(self, rec: DialogRecord, now: float) -> None:
        """The dialog waits in a manual pool: someone in its group notices it after a reaction time."""
        self.push(now + self.delay.draw(self.draws), CLAIM_DIALOG, rec, 0)

    def claim_dialog(self, rec: DialogRecord, when: datetime) -> None:
        """Someone in the pool's group notices the dialog: the least loaded who can take it claims it."""
        if rec.state != WAITING or not rec.pool:
            return
        members = self.members.get(rec.group or "", tuple(self.ops))
        candidates = sorted(
            (self.ops[m] for m in members if self.ops[m].logged), key=lambda o: (o.load, o.id)
        )
        for op in candidates:
            if self._try_claim(rec.arrival.dialog.id, op, when):
                return

    def claim_for(self, op: OperatorRecord, when: datetime) -> None:
        """An operator with room looks at the pools and claims the oldest dialogs they can take."""
        op.claiming = False
        for dialog_id in self.router.claimable(op.id):
            if not op.logged or op.load >= op.limit:
                return
            self._try_claim(dialog_id, op, when)

    def _try_claim(self, dialog_id: str, op: OperatorRecord, when: datetime) -> bool:
        try:
            events = self.router.claim(dialog_id, op.id, when)
        except (NotEligible, InvalidTransition):
            return False
        self.absorb(events)
        return True

    # ------------------------------------------------------------------ offers

    def offer(self, rec: DialogRecord, operator_ids: tuple[str, ...], now: float) -> None:
        """The dialog rings for some operators: after a reaction time, one of them accepts."""
        self.offers[rec.arrival.dialog.id] = (rec, operator_ids)
        delay = self.delay.draw(self.draws)
        self.push(now + delay, ACCEPT, (rec, operator_ids), rec.token)

    def withdraw(self, dialog_id: str) -> None:
        """The dialog's offer, if one stands, stands no more."""
        self.offers.pop(dialog_id, None)

    def ring(self, op: OperatorRecord, now: float) -> None:
        """An operator with room again notices the oldest offer still ringing for them."""
        ringing = [offer for offer in self.offers.values() if op.id in offer[1]]
        if ringing:
            rec, operator_ids = min(ringing, key=lambda offer: offer[0].arrival.at)
            delay = self.delay.draw(self.draws)
            self.push(now + delay, ACCEPT, (rec, operator_ids), rec.token)

    def accept(self, offer: Offer, token: int, when: datetime) -> None:
        """The least loaded operator the dialog rings for accepts it, if the offer still stands."""
        rec, operator_ids = offer
        if token != rec.token or rec.state != WAITING:
            return
        ringing = sorted(
            (self.ops[o] for o in operator_ids if self.ops[o].logged), key=lambda o: (o.load, o.id)
        )
        for op in ringing:
            try:
                events = self.router.accept(rec.arrival.dialog.id, op.id, when)
            except (NotEligible, InvalidTransition):
                continue
            self.absorb(events)
            return
