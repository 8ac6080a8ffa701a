"""The state's operations on a dialog's requirements as they relax while it waits.

These are :class:`~chatroute._router_state.RouterState`'s operations kept apart from
its core: each takes the state and changes the dialog's record and the deadlines
together. What relaxes, and when, is :mod:`chatroute._relaxing`'s to say.
"""

from __future__ import annotations

from datetime import datetime

from ._relaxing import in_force
from ._router_state import RouterState
from ._state import LiveDialog

__all__ = ["apply_relaxed", "relax"]


def relax(state: RouterState, rec: LiveDialog, due: datetime) -> None:
    """Apply the steps of the dialog's requirements due by ``due``; schedule the next."""
    rec.need_extra().relaxed_at = due
    apply_relaxed(state, rec)
    state.schedule_relax(rec)


def apply_relaxed(state: RouterState, rec: LiveDialog) -> None:
    """Set the requirements in force from the last step applied (``rec.relaxed_at``)."""
    if rec.relaxed_at is None:
        return
    dialog = rec.dialog
    language = dialog.language if state.topology.config.match_language else None
    rec.needs, rec.need_extra().language = in_force(
        rec.relax, rec.relaxed_at - rec.routed_at, dialog.required_skills, language
    )
