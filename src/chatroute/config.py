"""The routing set-up as one immutable value: channels, statuses, operators, groups, rules.

:meth:`RoutingConfig.problems` lists every cross-reference problem with its path
(``rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)``); the router refuses
a config that has any. :meth:`RoutingConfig.from_dict` reports the problems of a file's
shape and its cross-references together, in one pass.

Files are written in the short form (see :mod:`chatroute._config_form`):

    >>> config = RoutingConfig.from_toml('''
    ... offline = {requeue_after = "1m"}
    ... [[groups]]
    ... id = "sales"
    ... regions = {include = ["RU-MOW"]}
    ... [[rules]]
    ... name = "orders"
    ... when = {topic = ["order", "price"], channel = "site"}
    ... to = {group = "sales"}
    ... ''')
    >>> config.rules[0].describe()
    "orders: if topic is one of 'order', 'price' and channel is 'site' then group 'sales'"
    >>> config.requeue_grace
    datetime.timedelta(seconds=60)
    >>> config.to_dict()["rules"][0]["when"]
    {'topic': ['order', 'price'], 'channel': 'site'}
"""

from __future__ import annotations

import enum
import json
import os
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs
import tomli_w

from ._config_problems import config_problems
from ._durations import parse_duration
from ._frozen import to_enum, to_timedelta, to_tuple
from .errors import ConfigError, InvalidValue
from .model import BUILTIN_STATUSES, Channel, Group, Operator, Status, Target
from .requirements import NO_RELAX, Relax, to_relaxes
from .rules import Rule, Trigger
from .strategies import Even, Strategy

__all__ = ["AllDeclined", "OfflinePolicy", "RoutingConfig"]


def _to_offline_policy(value: Any) -> OfflinePolicy:
    return to_enum(OfflinePolicy, value, "offline_policy")


def _duration(value: Any, field: str) -> timedelta:
    """Seconds, a timedelta, or a duration text such as ``"1h30m"``, for the field ``field``."""
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise InvalidValue(field, value, str(exc).split(" (got")[0]) from None
    return to_timedelta(value, field)


def _to_intake_window(value: Any) -> timedelta:
    return _duration(value, "intake_window")


def _to_aging(value: Any) -> timedelta | None:
    return None if value is None else _duration(value, "aging")


def _to_requeue_grace(value: Any) -> timedelta:
    return _duration(value, "requeue_grace")


def _to_reply_timeout(value: Any) -> timedelta | None:
    return None if value is None else _duration(value, "reply_timeout")


def _to_accept_timeout(value: Any) -> timedelta | None:
    return None if value is None else _duration(value, "accept_timeout")


def _to_resume_wait(value: Any) -> timedelta:
    return _duration(value, "resume_wait")


def _to_decline_memory(value: Any) -> timedelta | None:
    return None if value is None else _duration(value, "decline_memory")


def _to_all_declined(value: Any) -> AllDeclined:
    return to_enum(AllDeclined, value, "all_declined")


def _to_offer_memory(value: Any) -> timedelta | None:
    return None if value is None else _duration(value, "offer_memory")


def _to_default_handle_time(value: Any) -> timedelta:
    return _duration(value, "default_handle_time")


def _items_of(kind: type) -> Any:
    """A validator: every item of the tuple is a ``kind`` (a group's strategy, if any, a Strategy)."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                raise InvalidValue(f"{attribute.name}[{i}]", item, f"must be a {kind.__name__}")
            strategy = getattr(item, "strategy", None) if kind is Group else None
            if strategy is not None and not isinstance(strategy, Strategy):
                raise InvalidValue(
                    f"{attribute.name}[{i}].strategy", strategy, "must be a Strategy, such as Even(), or None"
                )

    return check


def _instance_of(kind: type, example: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise InvalidValue(attribute.name, value, f"must be a {kind.__name__}, such as {example}")

    return check


class OfflinePolicy(enum.Enum):
    """What happens to an operator's open dialogs when they go offline."""

    KEEP = "keep"  # the dialogs stay with the operator
    REQUEUE = "requeue"  # the dialogs go back to their target and are routed again


class AllDeclined(enum.Enum):
    """What happens to a dialog once every operator of its target who could take it declined it."""

    WAIT = "wait"  # it waits (until a decline lapses, with ``decline_memory``, and traces say why)
    NOTIFY = "notify"  # it waits, and a DialogDeclinedByAll event tells the host
    RETRY = "retry"  # the event, then the declines are forgotten and it is offered again


@attrs.frozen(kw_only=True)
class RoutingConfig:
    """Everything the router needs to know that does not change with traffic.

    Attributes:
        channels: the channels dialogs may arrive on, with priorities and SLA thresholds.
        statuses: extra statuses besides the built-in online / away / offline.
        operators: every operator.
        groups: departments.
        rules: tried in order; the first match whose target can take the dialog wins.
        triggers: what :meth:`Router.handle` does on the host's events (Chat2Desk:
            "invoice paid" moves the dialog to logistics).
        fallback: where a dialog goes when no rule sends it anywhere.
        messenger_group: the group that takes dialogs from channels that carry no IP
            (social networks, messengers: Callibri) when no rule sends them anywhere;
            None sends them to ``fallback`` like the rest.
        groups_shown: at most this many departments are offered to a visitor by
            :meth:`Router.available_groups` (Callibri: ideally one, three at most).
        strategy: the default distribution strategy.
        default_limit: concurrent-dialog limit of operators and groups that set none.
        offline_policy: what happens to an operator's dialogs when they go offline.
        aging: None serves waiting dialogs strictly by channel priority (LiveTex); a
            duration lets waiting time outweigh priority, each priority step being worth
            that much waiting, so low-priority channels cannot starve.
        requeue_grace: under :attr:`OfflinePolicy.REQUEUE`, how long an operator may stay
            offline before their dialogs go back to be routed again (a flapping mobile
            connection does not reshuffle chats); zero re-queues at once.
        reply_timeout: when set, an assigned dialog whose operator has not replied
            (:meth:`Router.replied`) within this time goes to another operator.
        intake_cap: at most this many new dialogs per operator within ``intake_window``
            (a fairness cap on top of the concurrent limit); None for no cap. A capped
            operator gets nothing new until :meth:`Router.tick` sees the window move on.
        intake_window: the window of ``intake_cap``.
        max_extra_statuses: how many statuses an account may add to the built-in
            online / away / offline (Jivo: three).
        default_handle_time: the handle time assumed for wait estimates until the router
            has seen dialogs close.
        accept_timeout: when set, operators must accept each dialog: routing offers it
            (outcome ``offered``) and an offer not accepted in time goes to the next
            eligible operator. None assigns dialogs directly.
        missed_offers_limit: after this many offers in a row let expire, the operator is
            set to ``missed_offers_status`` (None: never).
        missed_offers_status: the status for operators who keep missing offers.
        offer_memory: how long the router remembers how each target's offers ended
            (accepted, declined, lapsed), for :meth:`Router.queue_stats`; None keeps
            nothing and those counts stay zero.
        explain: collect a full trace on every decision; turn off for speed and ask
            :meth:`Router.explain` when needed.
        hold_counts: whether dialogs on hold (:meth:`Router.hold`) still count toward
            their operator's limit (the default, conservative); False frees the slot
            while the dialog is held.
        resume_wait: when a resumed dialog's operator has no room for it, how long it
            waits for them first (in their own queue) before it is routed again within
            the target it was placed on; zero routes it again at once.
        match_language: a dialog with a ``language`` goes only to operators who list it
            in their ``languages`` (reason ``language`` in traces); it can relax like a
            skill (:class:`~chatroute.requirements.Relax`).
        relax: how requirements relax while a dialog waits, for every dialog that has
            them (a dialog's own ``relax`` for the same requirement wins): e.g. skill
            ``billing`` down to level 5 after 30 s, dropped after 90 s.
        decline_memory: how long a decline (or a lapsed offer, or a reply timeout) keeps
            the operator from being offered that dialog again; None: for good.
        all_declined: what happens once every operator of a dialog's target who could
            take it declined it (:class:`AllDeclined`).
    """

    channels: tuple[Channel, ...] = attrs.field(
        factory=lambda: (Channel(name="site"),), converter=to_tuple, validator=_items_of(Channel)
    )
    statuses: tuple[Status, ...] = attrs.field(default=(), converter=to_tuple, validator=_items_of(Status))
    operators: tuple[Operator, ...] = attrs.field(
        default=(), converter=to_tuple, validator=_items_of(Operator)
    )
    groups: tuple[Group, ...] = attrs.field(default=(), converter=to_tuple, validator=_items_of(Group))
    rules: tuple[Rule, ...] = attrs.field(default=(), converter=to_tuple, validator=_items_of(Rule))
    triggers: tuple[Trigger, ...] = attrs.field(default=(), converter=to_tuple, validator=_items_of(Trigger))
    fallback: Target = attrs.field(
        factory=Target.everyone, validator=_instance_of(Target, "Target.everyone()")
    )
    messenger_group: str | None = None
    groups_shown: int = 3
    strategy: Strategy = attrs.field(factory=Even, validator=_instance_of(Strategy, "Even()"))
    default_limit: int = 5
    offline_policy: OfflinePolicy = attrs.field(default=OfflinePolicy.KEEP, converter=_to_offline_policy)
    aging: timedelta | None = attrs.field(default=None, converter=_to_aging)
    requeue_grace: timedelta = attrs.field(default=timedelta(0), converter=_to_requeue_grace)
    reply_timeout: timedelta | None = attrs.field(default=None, converter=_to_reply_timeout)
    intake_cap: int | None = None
    intake_window: timedelta = attrs.field(default=timedelta(hours=1), converter=_to_intake_window)
    max_extra_statuses: int = 3
    default_handle_time: timedelta = attrs.field(
        default=timedelta(minutes=5), converter=_to_default_handle_time
    )
    accept_timeout: timedelta | None = attrs.field(default=None, converter=_to_accept_timeout)
    missed_offers_limit: int | None = None
    missed_offers_status: str = "away"
    offer_memory: timedelta | None = attrs.field(default=None, converter=_to_offer_memory)
    explain: bool = True
    hold_counts: bool = True
    resume_wait: timedelta = attrs.field(default=timedelta(0), converter=_to_resume_wait)
    match_language: bool = False
    relax: tuple[Relax, ...] = attrs.field(default=NO_RELAX, converter=to_relaxes)
    decline_memory: timedelta | None = attrs.field(default=None, converter=_to_decline_memory)
    all_declined: AllDeclined = attrs.field(default=AllDeclined.WAIT, converter=_to_all_declined)

    def all_statuses(self) -> tuple[Status, ...]:
        """Built-in statuses followed by the extra ones."""
        return BUILTIN_STATUSES + self.statuses

    def strategy_of(self, group: Group) -> Strategy:
        """The strategy that picks for ``group``: its own, else the config's."""
        own = group.strategy
        return own if isinstance(own, Strategy) else self.strategy

    def problems(self) -> list[tuple[str, str]]:
        """Every problem found, as ``(path, message)`` pairs; empty when the config is sound."""
        return config_problems(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingConfig:
        """Load a config from plain data (the short form people write, or the long form) and check it.

        Raises:
            ConfigError: listing every problem with its path, the file's shape and its
                cross-references together, e.g. ``groups[2].regions: give include or
                exclude, not both`` and ``rules[0].to.group: unknown group 'salez'``.
        """
        from ._config_load import load_config  # with cattrs, on first use: import chatroute stays cheap

        config: RoutingConfig = load_config(data)
        config.validate()
        return config

    @classmethod
    def from_json(cls, text: str) -> RoutingConfig:
        """Load a config from JSON text (see :meth:`from_dict`)."""
        return cls.from_dict(parse_text(text, "json"))

    @classmethod
    def from_toml(cls, text: str) -> RoutingConfig:
        """Load a config from TOML text (see :meth:`from_dict`)."""
        return cls.from_dict(parse_text(text, "toml"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RoutingConfig:
        """Load a ``.toml`` or ``.json`` file.

        Raises:
            ConfigError: the file cannot be read, is not TOML or JSON, or has problems.
        """
        return cls.from_dict(read_file(os.fspath(path)))

    def to_dict(self) -> dict[str, Any]:
        """The config as plain, JSON-able data in the short form; ``from_dict(c.to_dict()) == c``."""
        from .serialize import to_dict  # with cattrs, on first use: import chatroute stays cheap

        data: dict[str, Any] = to_dict(self)
        return data

    def to_json(self) -> str:
        """The config as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_toml(self) -> str:
        """The config as TOML.

        Keys whose value is None are left out (they are the defaults); a condition's value
        that holds None (``attr("coupon") == None``) is written as JSON text in
        ``value_json``, since TOML has no null.
        """
        return tomli_w.dumps(_for_toml(self.to_dict()))

    def validate(self) -> None:
        """Raise :class:`ConfigError` listing every problem, if there is any."""
        problems = self.problems()
        if problems:
            raise ConfigError(problems)


def _for_toml(value: Any) -> Any:
    """Plain data without None (TOML has no null); None inside a condition's value is kept
    by writing the value as JSON text."""
    if isinstance(value, dict):
        attr = value.get(_ATTR)
        if isinstance(attr, dict) and _has_none(attr.get("value")):
            return {
                _ATTR: {k: v for k, v in attr.items() if k != "value"}
                | {"value_json": json.dumps(attr["value"])}
            }
        return {k: _for_toml(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_for_toml(v) for v in value]
    return value


_ATTR = "attr"


def _has_none(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_none(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_none(v) for v in value)
    return value is None


def parse_text(text: str, kind: str) -> dict[str, Any]:
    """TOML or JSON text as tables.

    Raises:
        ConfigError: the text does not parse, nests too deeply, or is not a table at the top.
    """
    try:
        data = tomllib.loads(text) if kind == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError([("", f"invalid {kind.upper()}: {exc}")]) from None
    except RecursionError:
        raise ConfigError([("", f"invalid {kind.upper()}: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise ConfigError([("", "expected a table at the top")])
    return data


def read_text(name: str) -> tuple[str, str]:
    """The text of a ``.toml`` or ``.json`` file, and which of the two it is.

    Raises:
        ConfigError: wrong suffix, unreadable, or not UTF-8; the path is the file name.
    """
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in (".toml", ".json"):
        raise ConfigError([(name, "give a .toml or .json file")])
    try:
        with open(name, encoding="utf-8") as file:
            return file.read(), suffix[1:]
    except OSError as exc:
        raise ConfigError([(name, f"cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [(name, f"not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x})")]
        ) from None


def read_file(name: str) -> dict[str, Any]:
    """The tables of a ``.toml`` or ``.json`` file.

    Raises:
        ConfigError: wrong suffix, unreadable, not UTF-8, or not parseable; the path is
            the file name.
    """
    return parse_text(*read_text(name))
