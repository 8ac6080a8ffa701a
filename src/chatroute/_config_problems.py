"""What can be wrong with a routing config: cross-references, ranges, settings that do nothing.

:func:`config_problems` is :meth:`RoutingConfig.problems`: every problem with its path
(``rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)``).
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Protocol

from .errors import did_you_mean
from .model import Channel, Group, Operator, Status, Target, TargetKind
from .rules import AllOf, AnyOf, InRegion, Not, Predicate, Rule, Trigger

__all__ = ["ConfigView", "config_problems"]


class ConfigView(Protocol):
    """What the checks read of a :class:`~chatroute.config.RoutingConfig`.

    Named here, not imported, because the config calls these checks: a new check that
    reads a new setting adds it below.
    """

    @property
    def channels(self) -> tuple[Channel, ...]: ...
    @property
    def statuses(self) -> tuple[Status, ...]: ...
    @property
    def operators(self) -> tuple[Operator, ...]: ...
    @property
    def groups(self) -> tuple[Group, ...]: ...
    @property
    def rules(self) -> tuple[Rule, ...]: ...
    @property
    def triggers(self) -> tuple[Trigger, ...]: ...
    @property
    def fallback(self) -> Target: ...
    @property
    def messenger_group(self) -> str | None: ...
    @property
    def groups_shown(self) -> int: ...
    @property
    def default_limit(self) -> int: ...
    @property
    def offline_policy(self) -> enum.Enum: ...
    @property
    def aging(self) -> timedelta | None: ...
    @property
    def requeue_grace(self) -> timedelta: ...
    @property
    def hold_counts(self) -> bool: ...
    @property
    def offer_memory(self) -> timedelta | None: ...
    @property
    def resume_wait(self) -> timedelta: ...
    @property
    def reply_timeout(self) -> timedelta | None: ...
    @property
    def intake_cap(self) -> int | None: ...
    @property
    def intake_window(self) -> timedelta: ...
    @property
    def max_extra_statuses(self) -> int: ...
    @property
    def default_handle_time(self) -> timedelta: ...
    @property
    def accept_timeout(self) -> timedelta | None: ...
    @property
    def missed_offers_limit(self) -> int | None: ...
    @property
    def missed_offers_status(self) -> str: ...
    def all_statuses(self) -> tuple[Status, ...]: ...


def config_problems(config: ConfigView) -> list[tuple[str, str]]:
    """Every problem of ``config``, as ``(path, message)`` pairs; empty when it is sound."""
    found: list[tuple[str, str]] = []
    found += _duplicates("channels", [c.name for c in config.channels])
    found += _duplicates("statuses", [s.key for s in config.all_statuses()], skip=3)
    found += _duplicates("operators", [o.id for o in config.operators])
    found += _duplicates("groups", [g.id for g in config.groups])
    found += _duplicates("rules", [r.name for r in config.rules])
    found += [
        (path, message + ": triggers on one event need a name each")
        for path, message in _duplicates("triggers", [t.name for t in config.triggers])
    ]
    channels = {c.name for c in config.channels}
    statuses = {s.key for s in config.all_statuses()}
    operators = {o.id for o in config.operators}
    groups = {g.id for g in config.groups}
    if isinstance(config.default_limit, bool) or not isinstance(config.default_limit, int):
        found.append(("default_limit", "must be an integer"))
    elif config.default_limit < 0:
        found.append(("default_limit", f"must not be negative (got {config.default_limit})"))
    if isinstance(config.groups_shown, bool) or not isinstance(config.groups_shown, int):
        found.append(("groups_shown", "must be an integer"))
    elif config.groups_shown < 1:
        found.append(("groups_shown", f"must be at least 1 (got {config.groups_shown})"))
    found += _offer_problems(config, statuses)
    if config.messenger_group is not None and config.messenger_group not in groups:
        found.append(
            (
                "messenger_group",
                f"unknown group {config.messenger_group!r}" + did_you_mean(config.messenger_group, groups),
            )
        )
    if not config.channels:
        found.append(("channels", "define at least one channel"))
    if config.default_handle_time <= timedelta(0):
        found.append(("default_handle_time", "must be positive"))
    for i, op in enumerate(config.operators):
        if op.status not in statuses:
            found.append(
                (
                    f"operators[{i}].status",
                    f"unknown status {op.status!r}" + did_you_mean(op.status, statuses),
                )
            )
        for name in op.channel_limits:
            if name not in channels:
                found.append(
                    (
                        f"operators[{i}].channel_limits",
                        f"unknown channel {name!r}" + did_you_mean(name, channels),
                    )
                )
    for i, group in enumerate(config.groups):
        for j, op_id in enumerate(group.operator_ids):
            if op_id not in operators:
                found.append(
                    (
                        f"groups[{i}].operator_ids[{j}]",
                        f"unknown operator {op_id!r}" + did_you_mean(op_id, operators),
                    )
                )
        for name in sorted(group.channels or ()):
            if name not in channels:
                found.append(
                    (f"groups[{i}].channels", f"unknown channel {name!r}" + did_you_mean(name, channels))
                )
    for i, group in enumerate(config.groups):
        if group.overflow is not None:
            to = group.overflow.to
            found += _target_problems(f"groups[{i}].overflow.to", to, groups, operators)
            if to.kind is TargetKind.GROUP and to.id == group.id:
                found.append((f"groups[{i}].overflow.to", "a group cannot overflow to itself"))
        for side in ("include", "exclude"):
            codes = sorted(getattr(group, f"regions_{side}"))
            found += _region_problems(f"groups[{i}].regions.{side}", codes)
    for i, rule in enumerate(config.rules):
        found += _target_problems(f"rules[{i}].to", rule.to, groups, operators)
        for j, ring in enumerate(rule.escalate):
            found += _target_problems(f"rules[{i}].escalate[{j}].to", ring.to, groups, operators)
        found += _region_problems(f"rules[{i}].when", _predicate_regions(rule.when))
    for i, trigger in enumerate(config.triggers):
        found += _target_problems(f"triggers[{i}].to", trigger.to, groups, operators)
        found += _region_problems(f"triggers[{i}].when", _predicate_regions(trigger.when))
    found += _target_problems("fallback", config.fallback, groups, operators)
    return found


def _offer_problems(config: ConfigView, statuses: set[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    cap = config.intake_cap
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        found.append(("intake_cap", f"must be a whole number of at least 1 (got {cap!r})"))
    if config.intake_window <= timedelta(0):
        found.append(("intake_window", "must be positive"))
    if config.aging is not None and config.aging <= timedelta(0):
        found.append(("aging", "must be positive"))
    if config.requeue_grace < timedelta(0):
        found.append(("requeue_grace", "must not be negative"))
    elif config.requeue_grace and config.offline_policy.value == "keep":
        found.append(
            (
                "requeue_grace",
                "has no effect while offline_policy is keep: give offline = {requeue_after = ...}",
            )
        )
    if not isinstance(config.hold_counts, bool):
        found.append(("hold_counts", f"must be true or false (got {config.hold_counts!r})"))
    if config.resume_wait < timedelta(0):
        found.append(("resume_wait", "must not be negative"))
    if config.reply_timeout is not None and config.reply_timeout <= timedelta(0):
        found.append(("reply_timeout", "must be positive"))
    most = config.max_extra_statuses
    if isinstance(most, bool) or not isinstance(most, int) or most < 0:
        found.append(("max_extra_statuses", f"must be a whole number of at least 0 (got {most!r})"))
    elif len(config.statuses) > most:
        found.append(("statuses", f"at most {most} extra statuses (got {len(config.statuses)})"))
    if config.accept_timeout is not None and config.accept_timeout <= timedelta(0):
        found.append(("accept_timeout", "must be positive"))
    if config.offer_memory is not None and config.offer_memory <= timedelta(0):
        found.append(("offer_memory", "must be positive"))
    limit = config.missed_offers_limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        found.append(("missed_offers_limit", f"must be a whole number of at least 1 (got {limit!r})"))
    status = config.missed_offers_status
    if status not in statuses:
        unknown = f"unknown status {status!r}" + did_you_mean(status, statuses)
        found.append(("missed_offers_status", unknown))
    elif any(s.routable for s in config.all_statuses() if s.key == status):
        found.append(("missed_offers_status", f"status {status!r} is routable: it would not stop offers"))
    return found


def _predicate_regions(predicate: Predicate) -> list[str]:
    """Every region code named anywhere in a predicate tree."""
    if isinstance(predicate, AllOf | AnyOf):
        return [code for item in predicate.items for code in _predicate_regions(item)]
    if isinstance(predicate, Not):
        return _predicate_regions(predicate.item)
    return sorted(predicate.codes) if isinstance(predicate, InRegion) else []


def _region_problems(path: str, codes: list[str]) -> list[tuple[str, str]]:
    """Codes that are neither an ISO 3166-1 country nor an ISO 3166-2 subdivision."""
    if not codes:
        return []
    import pycountry  # loaded only when a config names regions

    found = []
    for j, code in enumerate(codes):
        if "-" in code:
            known = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
        else:
            known = pycountry.countries.get(alpha_2=code)
        if known is None:
            found.append((f"{path}[{j}]", f"unknown region code {code!r}"))
    return found


def _duplicates(path: str, names: list[str], skip: int = 0) -> list[tuple[str, str]]:
    seen: set[str] = set()
    found = []
    for i, name in enumerate(names):
        if name in seen:
            found.append((f"{path}[{i - skip}]", f"duplicate id {name!r}"))
        seen.add(name)
    return found


def _target_problems(
    path: str, target: Target, groups: set[str], operators: set[str]
) -> list[tuple[str, str]]:
    if target.kind is TargetKind.GROUP and target.id not in groups:
        assert target.id is not None
        return [(f"{path}.group", f"unknown group {target.id!r}" + did_you_mean(target.id, groups))]
    if target.kind is TargetKind.OPERATOR and target.id not in operators:
        assert target.id is not None
        return [(f"{path}.operator", f"unknown operator {target.id!r}" + did_you_mean(target.id, operators))]
    if target.otherwise is not None:
        return _target_problems(f"{path}.otherwise", target.otherwise, groups, operators)
    return []
