"""The conversations, as public values: clients, dialogs, visitors, ratings (see :mod:`chatroute.model`)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ._frozen import EMPTY_MAP, EMPTY_SET, non_empty_str, to_deep_map, to_enum
from ._model_fields import (
    MAX_PRIORITY,
    OPTIONAL_TEXT,
    int_in,
    int_map,
    to_avoid,
    to_created_at,
    to_int_map,
    to_tags,
)
from .errors import InvalidValue
from .requirements import NO_RELAX, Relax, to_relaxes

__all__ = ["Client", "Dialog", "DialogState", "Rating", "RatingScale", "Visitor", "trusted_dialog"]


@attrs.frozen(kw_only=True)
class Client:
    """The person on the other side of dialogs.

    Attributes:
        id: unique client id.
        tags: tags on the client (Chat2Desk), seen by tag predicates.
        preferred_operator_id: the client's managing operator, if any.
        last_operator_id: who handled the client last; the router keeps it up to date, and
            a client the host passes to :meth:`Router.route` does not overwrite it (the
            host's value counts only while the router has noted none).
    """

    id: str = attrs.field(validator=non_empty_str)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_tags)
    preferred_operator_id: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    last_operator_id: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)


@attrs.frozen(kw_only=True)
class Dialog:
    """An incoming conversation as the host knows it when asking where it goes.

    Attributes:
        id: unique dialog id.
        client_id: the client, if known.
        channel: channel name.
        created_at: when the client started it (defaults to the routing time).
        topic: a topic chosen by the visitor or a bot.
        tags: dialog tags.
        page_url: the page the widget was opened on.
        ip: visitor IP, when the channel carries one.
        region: ISO 3166 region code, if already known.
        language: language code.
        priority: lower is served sooner within the same channel priority (default 0),
            from ``-MAX_PRIORITY`` to :data:`MAX_PRIORITY` (a million).
        required_skills: skill -> minimum level an operator needs.
        relax: how its requirements (skills, language) relax while it waits
            (:class:`~chatroute.requirements.Relax`); these replace the config's
            ``relax`` for the same requirement.
        chosen_group_id: the department the visitor picked, if any.
        attributes: plain JSON data for ``attr`` predicates: strings, integers within
            ±(2**53 - 1), finite floats, booleans, None, lists and mappings with string
            keys, nested at most 32 deep; anything else raises ``InvalidValue`` naming
            the path (``attributes['amount']``).
        avoid: ids of operators who must not get this dialog (the client complained
            about them, say): the router never assigns, offers or hands it to them,
            whatever its target. Their claim, a transfer to them by name and an adoption
            with them are refused (``NotEligible``, reason ``avoided``); a rule or fallback
            that names them is passed over like a group whose filters refuse the dialog,
            and so is an escalation ring to them; a trigger to them does not fire.
    """

    id: str = attrs.field(validator=non_empty_str)
    client_id: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    channel: str = attrs.field(default="site", validator=non_empty_str)
    created_at: datetime | None = attrs.field(default=None, converter=to_created_at)
    topic: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_tags)
    page_url: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    ip: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    region: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    language: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    priority: int = attrs.field(default=0, validator=int_in(-MAX_PRIORITY, MAX_PRIORITY))
    required_skills: Mapping[str, int] = attrs.field(
        default=EMPTY_MAP, converter=to_int_map, validator=int_map(1, 10)
    )
    chosen_group_id: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    attributes: Mapping[str, Any] = attrs.field(default=EMPTY_MAP, converter=to_deep_map)
    relax: tuple[Relax, ...] = attrs.field(default=NO_RELAX, converter=to_relaxes)
    avoid: frozenset[str] = attrs.field(default=EMPTY_SET, converter=to_avoid)


def _trusted_constructor() -> Callable[..., Dialog]:
    """Build :func:`trusted_dialog`: one straight-line function over every field of :class:`Dialog`.

    Its source is generated from ``attrs.fields(Dialog)``, as attrs generates
    ``__init__``, so a field added to ``Dialog`` is a parameter here too: required
    when the field has no default, else defaulting to what ``Dialog`` makes of its
    default (its converter applied once, here). Factories are refused, since a
    default computed per instance could not be shared.
    """
    params, lines = [], []
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "Dialog": Dialog}
    for field in attrs.fields(Dialog):
        name = field.name
        if field.default is attrs.NOTHING:
            params.append(name)
        else:
            if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                raise TypeError(f"Dialog.{name}: trusted_dialog cannot share a factory default")
            default = field.default if field.converter is None else field.converter(field.default)  # type: ignore[operator]
            namespace[f"_default_{name}"] = default
            params.append(f"{name}=_default_{name}")
        lines.append(f"    _set(dialog, {name!r}, {name})")
    source = "\n".join(
        [
            f"def trusted_dialog(*, {', '.join(params)}):",
            "    dialog = _new(Dialog)",
            *lines,
            "    return dialog",
        ]
    )
    exec(compile(source, "<chatroute trusted_dialog>", "exec"), namespace)
    made: Callable[..., Dialog] = namespace["trusted_dialog"]
    return made


#: A :class:`Dialog` from fields that are already what its converters would make of them
#: and that its validators would accept, without running either: ``trusted_dialog(id=...,
#: channel=..., ...)`` is ``Dialog(id=..., channel=..., ...)`` at less than half the cost.
#:
#: The simulator builds tens of thousands of dialogs per run from parts validated once
#: (each arrival stream's first dialog goes through ``Dialog`` itself); nothing else
#: should call this, since a value it was not meant for (a list of tags, a naive
#: datetime) would slip past every check. The tests hold it to ``Dialog``'s own result.
trusted_dialog = _trusted_constructor()


@attrs.frozen(kw_only=True)
class Visitor:
    """Someone on the site who has not started a dialog yet (the widget's question).

    The widget asks :meth:`Router.available_groups` which departments to show this
    visitor (Callibri), then starts a :class:`Dialog` with :meth:`dialog`.

    Attributes:
        ip: the visitor's IP, when the channel carries one.
        url: the page the widget is open on.
        channel: channel name.
        language: language code.
        region: ISO 3166 region code, when the host knows it already (skips GeoIP).
    """

    ip: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    url: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    channel: str = attrs.field(default="site", validator=non_empty_str)
    language: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    region: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)

    def dialog(self, dialog_id: str, **fields: Any) -> Dialog:
        """A dialog started by this visitor, e.g. after they picked a department.

        Args:
            dialog_id: the new dialog's id.
            **fields: any other :class:`Dialog` field (``chosen_group_id``, ``topic`` ...).

        Example:
            >>> Visitor(ip="203.0.113.9", url="https://shop.example/cars").dialog(
            ...     "d1", chosen_group_id="sales"
            ... ).page_url
            'https://shop.example/cars'
        """
        seen = {"ip": self.ip, "page_url": self.url, "channel": self.channel}
        seen |= {"language": self.language, "region": self.region}
        return Dialog(id=dialog_id, **(seen | fields))


class DialogState(enum.Enum):
    """Where a dialog is: exactly one of these at any time."""

    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class RatingScale(enum.Enum):
    """Rating scales of Jivo and Chat2Desk, with the values each allows."""

    LIKE = "like"  # 0 dislike, 1 like
    SMILEYS_3 = "smileys3"  # 1..3
    SMILEYS_5 = "smileys5"  # 1..5
    TEN = "ten"  # 1..10

    @property
    def bounds(self) -> tuple[int, int]:
        """Lowest and highest allowed value."""
        return {
            RatingScale.LIKE: (0, 1),
            RatingScale.SMILEYS_3: (1, 3),
            RatingScale.SMILEYS_5: (1, 5),
            RatingScale.TEN: (1, 10),
        }[self]


def _to_scale(value: Any) -> RatingScale:
    return to_enum(RatingScale, value, "scale")


@attrs.frozen(kw_only=True)
class Rating:
    """A client's rating of a closed dialog.

    Example:
        >>> Rating(scale=RatingScale.SMILEYS_5, value=4).score
        0.75
    """

    scale: RatingScale = attrs.field(converter=_to_scale)
    value: int

    def __attrs_post_init__(self) -> None:
        low, high = self.scale.bounds
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise InvalidValue("rating.value", self.value, "must be an integer")
        if not low <= self.value <= high:
            raise InvalidValue(
                "rating.value", self.value, f"must be in {low}..{high} on the {self.scale.value} scale"
            )

    @property
    def score(self) -> float:
        """The rating on a 0..1 scale."""
        low, high = self.scale.bounds
        return (self.value - low) / (high - low)

    @property
    def positive(self) -> bool:
        """Whether the rating is in the upper half of its scale."""
        return self.score > 0.5

    @property
    def negative(self) -> bool:
        """Whether the rating is in the lower half of its scale."""
        return self.score < 0.5

    @property
    def sentiment(self) -> str:
        """``"positive"``, ``"negative"`` or ``"neutral"`` (the middle of an odd scale).

        Jivo and Chat2Desk send an automatic reply to good and bad ratings.

        >>> Rating(scale=RatingScale.SMILEYS_3, value=2).sentiment
        'neutral'
        >>> Rating(scale=RatingScale.LIKE, value=0).sentiment
        'negative'
        """
        return "positive" if self.positive else "negative" if self.negative else "neutral"
