"""A dialog's record from its arrival to its forgetting: the checks around keeping it.

:func:`check_new` is what :meth:`~chatroute.Router.route`,
:meth:`~chatroute.Router.explain` and the adoption calls run first: it checks the
dialog (a new id, a known channel and chosen group) and the client the host passed,
resolves the dialog's region once (GeoIP), and builds the live record, not yet kept;
:func:`as_told` merges a client the host passed with what the router keeps of them.
:func:`forget` and :func:`forget_client` check that what they drop is closed.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ._departments import locate
from ._router_state import RouterState
from ._state import LiveDialog
from ._topology import Topology, check_id
from .errors import (
    DuplicateDialog,
    InvalidTransition,
    InvalidValue,
    UnknownChannel,
    UnknownClient,
    UnknownGroup,
)
from .model import Client, Dialog, DialogState

__all__ = ["as_told", "check_new", "forget", "forget_client"]


def check_new(
    topology: Topology,
    state: RouterState,
    dialog: Dialog,
    client: Client | None,
    now: datetime,
    *,
    known_ok: bool = False,
) -> tuple[LiveDialog, Client | None]:
    """The new dialog's live record, and its client: the host's (with what the router keeps of
    them), the one known, or a new one.

    Raises:
        InvalidValue: not a Dialog, or a client that is not the dialog's.
        DuplicateDialog: the id is known (unless ``known_ok``).
        UnknownChannel / UnknownGroup: the dialog names something the config lacks.
    """
    if not isinstance(dialog, Dialog):
        raise InvalidValue("dialog", dialog, "must be a Dialog")
    known = state.dialogs.get(dialog.id)
    if known is not None and not known_ok:
        raise DuplicateDialog(dialog.id, known.state.value)
    channel = topology.channels.get(dialog.channel)
    if channel is None:
        raise UnknownChannel(dialog.channel, field="dialog.channel")
    if dialog.chosen_group_id is not None and dialog.chosen_group_id not in topology.groups:
        raise UnknownGroup(dialog.chosen_group_id, field="dialog.chosen_group_id")
    if client is not None:
        if not isinstance(client, Client):
            raise InvalidValue("client", client, "must be a Client")
        if client.id != dialog.client_id:
            raise InvalidValue("client.id", client.id, f"differs from dialog.client_id {dialog.client_id!r}")
    ctx_client = state.client_of(dialog) if client is None else as_told(state, client)
    located, note = locate(dialog, channel, topology.geo)
    rec = state.live(located, channel, now, region_note=note)
    return rec, ctx_client


def as_told(state: RouterState, told: Client) -> Client:
    """The client the host passed (their tags, preferred operator), with what the router keeps
    of them: the last operator it noted; the host's only where it noted none."""
    known = state.clients.get(told.id)
    last = known.last_operator_id if known is not None else None
    if last is None or last == told.last_operator_id:
        return told
    return attrs.evolve(told, last_operator_id=last)


def forget(state: RouterState, dialog_id: str, keep_client: bool) -> None:
    """Drop a closed dialog's record; see :meth:`chatroute.Router.forget`."""
    rec = state.dialog(dialog_id)
    if not isinstance(keep_client, bool):
        raise InvalidValue("keep_client", keep_client, "must be True or False")
    if rec.state is not DialogState.CLOSED:
        raise InvalidTransition(rec.id, rec.state.value, "only closed dialogs can be forgotten")
    state.forget(rec, keep_client=keep_client)


def forget_client(state: RouterState, client_id: str) -> None:
    """Drop what the router knows of a client; see :meth:`chatroute.Router.forget_client`."""
    check_id(client_id, "client_id")
    if client_id not in state.clients:
        raise UnknownClient(client_id, field="client_id")
    still_open = state.open_dialogs_of(client_id)
    if still_open:
        raise InvalidValue(
            "client_id", client_id, f"the client still has open dialogs: {', '.join(still_open)}"
        )
    state.forget_client(client_id)
