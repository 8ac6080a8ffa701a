"""Moving an open dialog: a transfer, and the host's events whose triggers move it.

:class:`Handoffs` checks each call (an open dialog, a known target, plain data) and
hands the move to :meth:`~chatroute._applying.Effects.transfer`; which trigger fires is
the :class:`~chatroute._placement.Decider`'s to say. The public
:class:`~chatroute.Router` checks the time and delegates to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._applying import Effects
from ._eligibility import AVOIDED
from ._frozen import json_value
from ._placement import Decider
from ._router_state import RouterState
from ._topology import Topology, check_id
from .decision import Decision
from .errors import InvalidTransition, InvalidValue, NotEligible
from .model import Target, TargetKind

__all__ = ["Handoffs"]


class Handoffs:
    """Transfers and the host's events, each checked before anything changes."""

    __slots__ = ("decider", "effects", "state", "topology")

    def __init__(self, topology: Topology, state: RouterState, decider: Decider, effects: Effects) -> None:
        self.topology = topology
        self.state = state
        self.decider = decider
        self.effects = effects

    def transfer(self, dialog_id: str, to: Target, now: datetime, by: str | None) -> Decision:
        """Move the open dialog to ``to``; see :meth:`chatroute.Router.transfer`."""
        rec = self.state.open_dialog(dialog_id)
        if not isinstance(to, Target):
            raise InvalidValue("to", to, "must be a Target")
        self.topology.check_target(to, "to")
        if by is not None:
            self.state.operator(by, field="by")
        if to.kind is TargetKind.OPERATOR and to.id == rec.operator_id:
            raise InvalidTransition(rec.id, rec.state.value, f"already with operator {to.id!r}")
        if to.kind is TargetKind.OPERATOR and to.id in rec.dialog.avoid:
            raise NotEligible(str(to.id), rec.id, AVOIDED[0].value, AVOIDED[1])
        return self.effects.transfer(rec, to, now, by=by, trigger=None)

    def handle(
        self, dialog_id: str, event: str, now: datetime, data: Mapping[str, Any] | None
    ) -> Decision | None:
        """Merge ``data`` into the dialog, then fire the first matching trigger; see
        :meth:`chatroute.Router.handle`."""
        rec = self.state.open_dialog(dialog_id)
        check_id(event, "event")
        dialog = rec.dialog
        if data is not None:
            if not isinstance(data, Mapping):
                raise InvalidValue("data", data, "must be a mapping")
            data = json_value(data, "data")
            dialog = attrs.evolve(dialog, attributes={**dialog.attributes, **data})
        fired = self.decider.trigger_for(rec, dialog, event, now)
        decision = self.effects.transfer(rec, fired.to, now, by=None, trigger=fired.name) if fired else None
        self.state.update_dialog(rec, dialog)
        return decision
