"""The desk's public values: channels and their SLA, statuses, operators (see :mod:`chatroute.model`)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import timedelta

import attrs

from ._frozen import EMPTY_MAP, MAX_SAFE_INT, non_empty_str, of_type
from ._model_fields import (
    FLAG,
    MAX_PRIORITY,
    TEXT,
    int_in,
    int_map,
    optional_count,
    positive_int,
    to_channel_wrap_up,
    to_critical,
    to_int_map,
    to_languages,
    to_operator_wrap_up,
    to_tags,
    to_warn,
)
from .errors import InvalidValue

__all__ = [
    "AWAY",
    "BUILTIN_STATUSES",
    "OFFLINE",
    "ONLINE",
    "SLA",
    "Channel",
    "Operator",
    "SlaLevel",
    "Status",
]


class SlaLevel(enum.Enum):
    """How long a dialog has waited, against its channel's thresholds (LiveTex)."""

    OK = "ok"
    WARN = "warn"
    CRITICAL = "critical"


@attrs.frozen(kw_only=True)
class SLA:
    """Highlight thresholds for a waiting dialog: yellow after ``warn``, red after ``critical``.

    Seconds are accepted for both and converted to :class:`~datetime.timedelta`.
    """

    warn: timedelta = attrs.field(default=timedelta(seconds=30), converter=to_warn)
    critical: timedelta = attrs.field(default=timedelta(seconds=60), converter=to_critical)

    def __attrs_post_init__(self) -> None:
        if self.warn <= timedelta(0):
            raise InvalidValue("warn", self.warn, "must be positive")
        if self.critical < self.warn:
            raise InvalidValue("critical", self.critical, "must not be shorter than warn")

    def level(self, waited: timedelta) -> SlaLevel:
        """The SLA level after waiting ``waited``."""
        if waited >= self.critical:
            return SlaLevel.CRITICAL
        if waited >= self.warn:
            return SlaLevel.WARN
        return SlaLevel.OK


@attrs.frozen(kw_only=True)
class Channel:
    """A way a dialog reaches the business: site widget, telegram, email...

    Attributes:
        name: the key dialogs use in ``Dialog.channel``.
        priority: 1 is served first; a higher number waits behind lower ones (LiveTex);
            at most :data:`MAX_PRIORITY`.
        sla: thresholds for highlighting a dialog nobody has taken.
        carries_ip: False for social and messenger channels, whose dialogs have no IP.
        capacity_weight: how many units of an operator's limit one dialog takes.
        wrap_up: after-chat work: how long a released dialog's slot stays taken before
            it frees (or until ``Router.ready``); zero for none. Seconds, a timedelta or
            a text such as ``"30s"``.
    """

    name: str = attrs.field(validator=non_empty_str)
    priority: int = attrs.field(default=1, validator=int_in(1, MAX_PRIORITY))
    sla: SLA = attrs.field(factory=SLA, validator=of_type(SLA))
    carries_ip: bool = attrs.field(default=True, validator=FLAG)
    capacity_weight: int = attrs.field(default=1, validator=positive_int)
    wrap_up: timedelta = attrs.field(default=timedelta(0), converter=to_channel_wrap_up)


@attrs.frozen(kw_only=True)
class Status:
    """An operator status (Jivo): only routable statuses receive new dialogs.

    Attributes:
        key: the id used in calls (``"online"``).
        label: text shown to colleagues.
        emoji: an optional emoji shown beside the label.
        routable: whether an operator in this status receives new dialogs.
        order: where the status sits in the status menu.
    """

    key: str = attrs.field(validator=non_empty_str)
    label: str = attrs.field(default="", validator=TEXT)
    emoji: str = attrs.field(default="", validator=TEXT)
    routable: bool = attrs.field(default=False, validator=FLAG)
    order: int = attrs.field(default=0, validator=int_in(-MAX_SAFE_INT, MAX_SAFE_INT))


ONLINE = Status(key="online", label="Online", emoji="🟢", routable=True, order=0)
AWAY = Status(key="away", label="Away", emoji="🟡", routable=False, order=1)
OFFLINE = Status(key="offline", label="Offline", emoji="⚪", routable=False, order=2)
BUILTIN_STATUSES = (ONLINE, AWAY, OFFLINE)


@attrs.frozen(kw_only=True)
class Operator:
    """A person who answers dialogs.

    Attributes:
        id: unique operator id.
        name: display name.
        status: key of the status the operator starts in.
        limit: maximum concurrent dialogs; None takes the group's or the config's default.
        channel_limits: optional maximum concurrent dialogs per channel name.
        skills: skill name -> level 1..10.
        languages: language codes the operator speaks.
        tags: free-form tags.
        wrap_up: the operator's own after-chat time, overriding their dialogs' channels'
            (None: the channel's applies).
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(default="", validator=TEXT)
    status: str = attrs.field(default="offline", validator=non_empty_str)
    limit: int | None = attrs.field(default=None, validator=optional_count)
    channel_limits: Mapping[str, int] = attrs.field(
        default=EMPTY_MAP, converter=to_int_map, validator=int_map(0, MAX_SAFE_INT)
    )
    skills: Mapping[str, int] = attrs.field(default=EMPTY_MAP, converter=to_int_map, validator=int_map(1, 10))
    languages: frozenset[str] = attrs.field(default=frozenset(), converter=to_languages)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_tags)
    wrap_up: timedelta | None = attrs.field(default=None, converter=to_operator_wrap_up)
