"""Immutable values: channels, statuses, operators, groups, clients, dialogs, targets.

All are frozen, slotted attrs classes with keyword-only arguments; change them with
:func:`attrs.evolve`. Containers are converted on the way in to tuples, frozensets and
read-only :class:`~chatroute._frozen.FrozenMap` mappings, so a value can be shared
freely and hashed.

They live by kind of thing: the desk (channels, statuses, operators) in
:mod:`chatroute._model_desk`, where dialogs go (targets, groups, overflows) in
:mod:`chatroute._model_targets`, the conversations (clients, dialogs, visitors,
ratings) in :mod:`chatroute._model_dialogs`, their fields' converters in
:mod:`chatroute._model_fields`; import them from here.
"""

from __future__ import annotations

from ._model_desk import AWAY, BUILTIN_STATUSES, OFFLINE, ONLINE, SLA, Channel, Operator, SlaLevel, Status
from ._model_dialogs import Client, Dialog, DialogState, Rating, RatingScale, Visitor
from ._model_fields import MAX_PRIORITY
from ._model_targets import Group, Overflow, StrategyLike, Target, TargetKind

__all__ = [
    "AWAY",
    "BUILTIN_STATUSES",
    "MAX_PRIORITY",
    "OFFLINE",
    "ONLINE",
    "SLA",
    "Channel",
    "Client",
    "Dialog",
    "DialogState",
    "Group",
    "Operator",
    "Overflow",
    "Rating",
    "RatingScale",
    "SlaLevel",
    "Status",
    "StrategyLike",
    "Target",
    "TargetKind",
    "Visitor",
]
