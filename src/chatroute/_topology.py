"""What the router builds once from its config and never changes: the topology.

For each target (a group, one operator, everyone) the :class:`Topology` knows its key
(the name of its queue and index), its strategy, its members and the key its index
ranks by; for each operator the keys of every target they serve and their starting
limit; and the config's channels, statuses, groups and rules by name. Nothing here
changes while the router runs; the live state is in :mod:`chatroute._router_state`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from .config import AllDeclined, RoutingConfig
from .errors import InvalidValue, UnknownGroup, UnknownOperator
from .geo import GeoResolver
from .model import Channel, Group, Status, Target, TargetKind
from .rules import Rule
from .strategies import OperatorView, RankKey, Strategy

__all__ = ["EVERYONE", "Topology", "check_id", "narrowed_targets", "pool_key"]

EVERYONE = "everyone"

#: How a target's index ranks an available operator; None: in id order.
Rank = Callable[[OperatorView], RankKey] | None


def check_id(value: object, field: str) -> None:
    """Refuse an id that is not a string, naming the field."""
    if not isinstance(value, str):
        raise InvalidValue(field, value, "an id must be a string")


def pool_key(target_key: str) -> str:
    """The internal name of a target's manual pool."""
    return "pool:" + target_key


def narrowed_targets(config: RoutingConfig) -> list[Target]:
    """The targets narrowed by tags that the config names (rules, rings, triggers, fallback)."""
    found: list[Target] = []
    pending = [config.fallback]
    for rule in config.rules:
        pending += [rule.to, *(ring.to for ring in rule.escalate)]
    pending += [trigger.to for trigger in config.triggers]
    while pending:
        target = pending.pop(0)
        if target.tags:
            found.append(target)
        if target.otherwise is not None:
            pending.append(target.otherwise)
    return found


class Topology:
    """The router's fixed set-up, read by every part and written by none after it is built.

    Args:
        config: the routing set-up, checked.
        seed: the router's seed.
        geo: the router's GeoIP resolver, if any.

    Attributes:
        members: by target key, the target's operators in id order (an operator's own
            target: them alone).
        strategies / ranks: by target key (a group's, ``everyone``); an operator's own
            target has neither strategy nor index.
        served: by operator, the keys of every target they serve, their own first and
            ``everyone`` last.
        narrowed: the key of each target narrowed by tags that the config names; such a
            target has members (the tagged ones), an index and a queue of its own.
        limits: by operator, their starting limit (their own, else the smallest of their
            groups', else the config's default).
        wrap_ups: by (operator, channel), the after-chat time that keeps a released
            dialog's slot taken (the operator's own, else the channel's); only the
            non-zero ones, so an empty mapping means no wrap-up anywhere.
        spills: by target key, the groups with an overflow or a queue cap.
    """

    __slots__ = (
        "broadcast_keys",
        "channels",
        "config",
        "declines_managed",
        "geo",
        "group_keys",
        "group_targets",
        "groups",
        "limits",
        "members",
        "narrowed",
        "picky_channels",
        "ranks",
        "rules",
        "seed",
        "served",
        "spills",
        "statuses",
        "strategies",
        "wrap_ups",
    )

    def __init__(self, config: RoutingConfig, seed: int, geo: GeoResolver | None) -> None:
        self.config = config
        self.seed = seed
        self.geo = geo
        self.statuses: Mapping[str, Status] = {s.key: s for s in config.all_statuses()}
        self.channels: Mapping[str, Channel] = {c.name: c for c in config.channels}
        self.groups: Mapping[str, Group] = {g.id: g for g in config.groups}
        self.group_targets = {g.id: Target.group(g.id) for g in config.groups}
        self.group_keys = {g.id: f"group:{g.id}" for g in config.groups}
        self.rules: Mapping[str, Rule] = {rule.name: rule for rule in config.rules}
        self.strategies: dict[str, Strategy] = {EVERYONE: config.strategy}
        self.members: dict[str, tuple[str, ...]] = {EVERYONE: tuple(sorted(o.id for o in config.operators))}
        served: dict[str, list[str]] = {o.id: [f"operator:{o.id}"] for o in config.operators}
        for op_id, (own,) in served.items():
            self.members[own] = (op_id,)
        group_limits: dict[str, list[int]] = {o.id: [] for o in config.operators}
        for group in config.groups:
            key = self.group_keys[group.id]
            self.strategies[key] = config.strategy_of(group)
            self.members[key] = tuple(sorted(group.operator_ids))
            for op_id in group.operator_ids:
                served[op_id].append(key)
                if group.limit is not None:
                    group_limits[op_id].append(group.limit)
        self.narrowed: dict[Target, str] = {}
        for target in narrowed_targets(config):
            self._narrow(target, served)
        # One rank function per strategy, shared by its indexes, so re-ranking an operator
        # computes their key once for all the indexes that rank alike.
        ranks: dict[int, Rank] = {}
        self.ranks: dict[str, Rank] = {
            key: ranks.setdefault(id(strategy), strategy.index_key())
            for key, strategy in self.strategies.items()
        }
        self.served = {op_id: (*keys, EVERYONE) for op_id, keys in served.items()}
        self.limits = {
            op.id: op.limit
            if op.limit is not None
            else min(group_limits[op.id], default=config.default_limit)
            for op in config.operators
        }
        # the channels whose dialogs need more than a free slot: a weight over 1, or some
        # operator's limit on the channel (see _eligibility.picky)
        self.picky_channels = frozenset(ch for op in config.operators for ch in op.channel_limits) | {
            channel.name for channel in config.channels if channel.capacity_weight > 1
        }
        # by (operator, channel), the after-chat time of a released dialog; empty when none has any
        self.wrap_ups: dict[tuple[str, str], timedelta] = {}
        for op in config.operators:
            for channel in config.channels:
                wrap_up = channel.wrap_up if op.wrap_up is None else op.wrap_up
                if wrap_up:
                    self.wrap_ups[op.id, channel.name] = wrap_up
        # declines expire or everyone declining is acted on: traces say when everyone declined
        self.declines_managed = (
            config.decline_memory is not None or config.all_declined is not AllDeclined.WAIT
        )
        # groups whose waiting dialogs may overflow or be refused at a queue cap
        self.spills: Mapping[str, Group] = {
            self.group_keys[g.id]: g
            for g in config.groups
            if g.overflow is not None or g.queue_cap is not None
        }
        # the targets whose dialogs are always offered, never assigned outright (broadcasts)
        self.broadcast_keys = frozenset(key for key, s in self.strategies.items() if s.broadcast)

    def _narrow(self, target: Target, served: dict[str, list[str]]) -> None:
        """Give a narrowed target (a group or everyone, with tags) its key, members and strategy."""
        if target in self.narrowed:
            return
        whole = Target(kind=target.kind, id=target.id)
        base = self.target_key(whole)
        key = self.narrowed[target] = f"{base}#{','.join(sorted(target.tags))}"
        tagged = {op.id for op in self.config.operators if target.tags <= op.tags}
        self.members[key] = tuple(op_id for op_id in self.members[base] if op_id in tagged)
        self.strategies[key] = self.strategies[base]
        for op_id in self.members[key]:
            served[op_id].append(key)

    def target_key(self, target: Target) -> str:
        """The target's key, shared by every dialog placed on it (one string per target)."""
        if target.tags:
            return self.narrowed[target]
        if target.kind is TargetKind.GROUP:
            return self.group_keys[str(target.id)]
        if target.kind is TargetKind.OPERATOR:
            return self.served[str(target.id)][0]  # an operator's own key comes first
        return EVERYONE

    def offer_expiry(self, now: datetime) -> datetime | None:
        """When an offer made now lapses (None: never)."""
        timeout = self.config.accept_timeout
        return None if timeout is None else now + timeout

    def check_target(self, target: Target, field: str) -> None:
        """Refuse a target that names a group or operator the config lacks, or a narrowed one it
        does not name."""
        if target.kind is TargetKind.GROUP and target.id not in self.groups:
            raise UnknownGroup(str(target.id), field=f"{field}.group")
        if target.tags and target not in self.narrowed:
            raise InvalidValue(
                f"{field}.tags",
                sorted(target.tags),
                f"{target} is not in the config: name it in a rule, ring, trigger or the fallback",
            )
        if target.kind is TargetKind.OPERATOR and target.id not in self.served:
            raise UnknownOperator(str(target.id), field=f"{field}.operator")
        if target.otherwise is not None:
            self.check_target(target.otherwise, f"{field}.otherwise")
