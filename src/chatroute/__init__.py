"""chatroute: route incoming customer chat dialogs to operators and departments.

Everything public is re-exported here; see ``DESIGN.md`` for the architecture. The
documented submodules (``chatroute.serialize``, ``chatroute.simulate``, ...) are
reachable as attributes after ``import chatroute``; those that pull in heavy
dependencies load on first use, so the import itself stays cheap.
"""

import importlib

from .config import OfflinePolicy, RoutingConfig
from .decision import (
    Decision,
    GroupCheck,
    GroupChoice,
    GroupChoices,
    OperatorCheck,
    Outcome,
    Reason,
    RuleCheck,
    Trace,
)
from .errors import (
    AlreadyClaimed,
    AtLimit,
    ChatrouteError,
    ConfigError,
    DialogClosed,
    DuplicateDialog,
    InvalidTransition,
    InvalidValue,
    NaiveDatetime,
    NotEligible,
    UnknownChannel,
    UnknownDialog,
    UnknownGroup,
    UnknownId,
    UnknownOperator,
    UnknownStatus,
)
from .events import (
    DialogAssigned,
    DialogEscalated,
    DialogOffered,
    DialogQueued,
    DialogReleased,
    DialogRequeued,
    DialogTransferred,
    Event,
    LimitChanged,
    OfferWithdrawn,
    SlaLevelChanged,
    StatusChanged,
    Via,
)
from .geo import GeoLookup, GeoResolver, MaxMindResolver, StaticResolver
from .menu import Handover, Menu, MenuFinished, MenuOutcome, MenuState, UnknownChoice, UnknownNode
from .model import (
    AWAY,
    BUILTIN_STATUSES,
    OFFLINE,
    ONLINE,
    SLA,
    Channel,
    Client,
    Dialog,
    DialogState,
    Group,
    Operator,
    Rating,
    RatingScale,
    SlaLevel,
    Status,
    Target,
    TargetKind,
    Visitor,
)
from .queue import ChannelPriorityQueue
from .router import Router
from .rules import Predicate, Ring, Rule, RuleContext, Trigger
from .schedule import HORIZON_DAYS, Closure, Hours, Schedule, SpecialHours, Window
from .snapshot import DialogRecord, OperatorState, Snapshot, TransferRecord, ViewEntry, Views
from .stats import BestRated, MenuStats, RatingStats, RatingSummary
from .strategies import (
    Broadcast,
    Even,
    LongestIdle,
    ManualPool,
    MostAvailable,
    RandomWithinLimit,
    Ranked,
    RoundRobin,
    SkillBased,
    Sticky,
    Strategy,
    StrategyContext,
)

__version__ = "0.1.0.dev0"

_SUBMODULES = frozenset(
    {
        "cli",
        "config",
        "decision",
        "errors",
        "events",
        "geo",
        "menu",
        "model",
        "queue",
        "router",
        "rules",
        "schedule",
        "serialize",
        "shared",
        "simulate",
        "snapshot",
        "stats",
        "strategies",
    }
)


def __getattr__(name: str) -> object:
    """A documented submodule, imported on first use (``chatroute.simulate.simulate``)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AWAY",
    "BUILTIN_STATUSES",
    "HORIZON_DAYS",
    "OFFLINE",
    "ONLINE",
    "SLA",
    "AlreadyClaimed",
    "AtLimit",
    "BestRated",
    "Broadcast",
    "Channel",
    "ChannelPriorityQueue",
    "ChatrouteError",
    "Client",
    "Closure",
    "ConfigError",
    "Decision",
    "Dialog",
    "DialogAssigned",
    "DialogClosed",
    "DialogEscalated",
    "DialogOffered",
    "DialogQueued",
    "DialogRecord",
    "DialogReleased",
    "DialogRequeued",
    "DialogState",
    "DialogTransferred",
    "DuplicateDialog",
    "Even",
    "Event",
    "GeoLookup",
    "GeoResolver",
    "Group",
    "GroupCheck",
    "GroupChoice",
    "GroupChoices",
    "Handover",
    "Hours",
    "InvalidTransition",
    "InvalidValue",
    "LimitChanged",
    "LongestIdle",
    "ManualPool",
    "MaxMindResolver",
    "Menu",
    "MenuFinished",
    "MenuOutcome",
    "MenuState",
    "MenuStats",
    "MostAvailable",
    "NaiveDatetime",
    "NotEligible",
    "OfferWithdrawn",
    "OfflinePolicy",
    "Operator",
    "OperatorCheck",
    "OperatorState",
    "Outcome",
    "Predicate",
    "RandomWithinLimit",
    "Ranked",
    "Rating",
    "RatingScale",
    "RatingStats",
    "RatingSummary",
    "Reason",
    "Ring",
    "RoundRobin",
    "Router",
    "RoutingConfig",
    "Rule",
    "RuleCheck",
    "RuleContext",
    "Schedule",
    "SkillBased",
    "SlaLevel",
    "SlaLevelChanged",
    "Snapshot",
    "SpecialHours",
    "StaticResolver",
    "Status",
    "StatusChanged",
    "Sticky",
    "Strategy",
    "StrategyContext",
    "Target",
    "TargetKind",
    "Trace",
    "TransferRecord",
    "Trigger",
    "UnknownChannel",
    "UnknownChoice",
    "UnknownDialog",
    "UnknownGroup",
    "UnknownId",
    "UnknownNode",
    "UnknownOperator",
    "UnknownStatus",
    "Via",
    "ViewEntry",
    "Views",
    "Visitor",
    "Window",
    "__version__",
]
