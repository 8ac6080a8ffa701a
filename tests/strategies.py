"""Shared Hypothesis strategies for chatroute tests: small configs, dialogs, times and call sequences.

Everything is kept small (a handful of operators, groups, channels and calls) so that
examples run fast and shrink to readable counterexamples. Names are fixed, short and
sorted the way the router sorts them (``op0`` < ``op1`` < ...), so a failing example
reads like a scenario.

    >>> from hypothesis import given
    >>> @given(configs())
    ... def test_something(config): ...
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import strategies as st

from chatroute import (
    SLA,
    AllDeclined,
    Channel,
    Client,
    Dialog,
    Group,
    OfflinePolicy,
    Operator,
    Overflow,
    Relax,
    RoutingConfig,
    Status,
    Target,
)
from chatroute.rules import Ring, Rule, channel, has_tag, topic
from chatroute.schedule import Closure, Hours, Schedule, SpecialHours, Window
from chatroute.strategies import (
    Broadcast,
    Even,
    LongestIdle,
    ManualPool,
    MostAvailable,
    RandomWithinLimit,
    RoundRobin,
    SkillBased,
    Sticky,
    Strategy,
)

__all__ = [
    "CHANNEL_NAMES",
    "CLIENT_IDS",
    "EXPRESS_STRATEGIES",
    "SKILLS",
    "START",
    "STATUS_KEYS",
    "TAGS",
    "TOPICS",
    "ZONES",
    "Call",
    "all_strategies",
    "aware_datetimes",
    "call_sequences",
    "channels",
    "clients",
    "configs",
    "dialogs",
    "edge_datetimes",
    "hostile_attributes",
    "huge_numbers",
    "indexed_strategies",
    "json_values",
    "non_json_values",
    "routing_strategies",
    "seconds",
]

#: A fixed Monday morning, the default start of every scenario.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

CHANNEL_NAMES = ("site", "telegram", "email")
TOPICS = ("billing", "delivery", "returns")
TAGS = ("vip", "spam", "new")
SKILLS = ("english", "tech")
LANGUAGES = ("en", "de")
CLIENT_IDS = ("c0", "c1", "c2")
#: Extra statuses a config may define besides online / away / offline.
EXTRA_STATUSES = (
    Status(key="lunch", label="Lunch", routable=False, order=3),
    Status(key="overtime", label="Overtime", routable=True, order=4),
)
STATUS_KEYS = ("online", "away", "offline", "lunch", "overtime")


#: The built-ins the express route picks for (from an index alone: no client, pool or offers).
EXPRESS_STRATEGIES: tuple[Strategy, ...] = (
    Even(),
    Even(by_ratio=True),
    LongestIdle(),
    MostAvailable(),
    MostAvailable(by_ratio=True),
    SkillBased(skill="tech"),
    RoundRobin(),
    RandomWithinLimit(),
)


def routing_strategies(*, manual: bool = True) -> st.SearchStrategy[Strategy]:
    """Every built-in strategy (ManualPool only when ``manual``), with small parameters."""
    options: list[Strategy] = [
        *EXPRESS_STRATEGIES,
        RandomWithinLimit(seed=7),
        Sticky(),
        Sticky(then=RoundRobin()),
    ]
    if manual:
        options.append(ManualPool())
    return st.sampled_from(options)


def all_strategies() -> st.SearchStrategy[Strategy]:
    """Every built-in strategy, ManualPool included."""
    return routing_strategies(manual=True)


def indexed_strategies() -> st.SearchStrategy[Strategy]:
    """The strategies the router picks for through its indexes rather than ``choose``."""
    return st.sampled_from(
        [
            Even(),
            Even(by_ratio=True),
            LongestIdle(),
            MostAvailable(),
            MostAvailable(by_ratio=True),
            SkillBased(skill="tech"),
            RoundRobin(),
            Sticky(),
        ]
    )


#: Time zones scenarios run in: UTC and two fixed offsets (Moscow, New York in winter).
ZONES = (UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5)))
_EARLIEST = datetime(2020, 1, 1)
_LATEST = datetime(2030, 1, 1)


def aware_datetimes(
    min_value: datetime = _EARLIEST, max_value: datetime = _LATEST
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes in UTC or a fixed offset; the bounds are naive, as Hypothesis wants."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=st.sampled_from(ZONES))


def seconds(max_value: int = 45) -> st.SearchStrategy[int]:
    """A time step in whole seconds; 0 is common so several calls share a timestamp."""
    return st.one_of(st.just(0), st.integers(min_value=1, max_value=max_value))


@st.composite
def channels(draw: st.DrawFn, *, weights: bool = True) -> tuple[Channel, ...]:
    """1-3 channels from ``site``, ``telegram``, ``email`` with priorities 1-3.

    With ``weights``, a channel sometimes takes 2 capacity units per dialog.
    """
    names = draw(
        st.lists(st.sampled_from(CHANNEL_NAMES), min_size=1, max_size=3, unique=True).map(
            lambda found: sorted(found, key=CHANNEL_NAMES.index)
        )
    )
    made = []
    for name in names:
        weight = draw(st.sampled_from([1, 1, 1, 2])) if weights else 1
        made.append(
            Channel(
                name=name,
                priority=draw(st.integers(min_value=1, max_value=3)),
                sla=SLA(warn=30, critical=60),
                carries_ip=name == "site",
                capacity_weight=weight,
            )
        )
    return tuple(made)


@st.composite
def _skills(draw: st.DrawFn) -> dict[str, int]:
    found = draw(st.lists(st.sampled_from(SKILLS), max_size=len(SKILLS), unique=True))
    return {skill: draw(st.integers(min_value=1, max_value=4)) for skill in sorted(found)}


@st.composite
def configs(
    draw: st.DrawFn,
    *,
    min_operators: int = 2,
    max_operators: int = 8,
    strategy: st.SearchStrategy[Strategy] | None = None,
    weights: bool = True,
    channel_limits: bool = True,
    skills: bool = True,
    rules: bool = True,
    statuses: bool = True,
    limits: st.SearchStrategy[int | None] | None = None,
    departments: bool = False,
    offers: bool = False,
    requirements: bool = False,
    spills: bool = False,
) -> RoutingConfig:
    """A small, valid routing config.

    2-8 operators ``op0``.. with limits 0-4 (sometimes none, taking a group's or the
    default), skills and sometimes per-channel limits; 1-3 groups ``g0``.. with random
    members, channels and strategies; 1-3 channels; 0-3 rules by topic, channel or tag
    sending dialogs to a group, an operator or the client's preferred operator (otherwise
    everyone or a group that takes every channel); the fallback is everyone; an operator
    offline policy of keep or requeue; traces are sometimes switched off.

    Args:
        strategy: draws every strategy (groups' and the default); all built-ins by default.
        weights: let channels take 2 capacity units per dialog.
        channel_limits: let operators have per-channel limits.
        skills: give operators skills.
        rules: add routing rules (otherwise everything goes to the fallback).
        statuses: start operators in random statuses and add the extra statuses;
            otherwise everyone starts online.
        limits: draws operator limits; 0-4 or None by default.
        departments: give groups business hours, region and page filters, sometimes
            disable one, draw the messenger group and the number of groups shown, give
            rules escalation rings and the queue aging.
        offers: make operators accept dialogs (an accept timeout, sometimes a missed-offers
            limit), let groups broadcast, and draw reply timeouts, re-queue grace periods,
            intake caps, decline memories and what happens once everyone declined.
        requirements: give operators languages and tags, sometimes match languages,
            sometimes relax skills and the language while dialogs wait (see
            :func:`relaxations`), and let rules send dialogs to a group's tagged members.
        spills: give groups overflows (to another group or everyone) and queue caps, and
            preferred-operator targets a wait; the fallback may wait for the preferred
            operator, then go to everyone.
    """
    chans = draw(channels(weights=weights))
    names = [c.name for c in chans]
    pick_strategy = strategy if strategy is not None else all_strategies()
    limit_strategy = limits if limits is not None else st.one_of(st.none(), st.integers(0, 4))
    count = draw(st.integers(min_value=min_operators, max_value=max_operators))
    ops = []
    for i in range(count):
        status = draw(st.sampled_from(["online", "online", "away", "offline"])) if statuses else "online"
        per_channel: dict[str, int] = {}
        if channel_limits and draw(st.integers(0, 3)) == 0:
            per_channel = {draw(st.sampled_from(names)): draw(st.integers(min_value=0, max_value=2))}
        ops.append(
            Operator(
                id=f"op{i}",
                name=f"Operator {i}",
                status=status,
                limit=draw(limit_strategy),
                channel_limits=per_channel,
                skills=draw(_skills()) if skills else {},
                languages=draw(st.lists(st.sampled_from(LANGUAGES), unique=True)) if requirements else (),
                tags=draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)) if requirements else (),
            )
        )
    op_ids = [op.id for op in ops]
    groups = []
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        members = draw(st.lists(st.sampled_from(op_ids), max_size=len(op_ids), unique=True))
        allowed = draw(st.one_of(st.none(), st.lists(st.sampled_from(names), min_size=1, unique=True)))
        groups.append(
            Group(
                id=f"g{i}",
                name=f"group {i}",
                operator_ids=sorted(members),
                channels=allowed,
                strategy=draw(st.one_of(pick_strategy, st.just(Broadcast())) if offers else pick_strategy),
                limit=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=4))),
                **(draw(_department_filters()) if departments else {}),
            )
        )
    if spills:
        groups = [
            attrs.evolve(
                group,
                overflow=draw(_overflows([g.id for g in groups if g.id != group.id])),
                queue_cap=draw(st.one_of(st.none(), st.integers(0, 3))),
            )
            for group in groups
        ]
    made_rules = []
    if rules:
        for i in range(draw(st.integers(min_value=0, max_value=3))):
            when = draw(
                st.one_of(
                    st.sampled_from(TOPICS).map(topic),
                    st.sampled_from(names).map(channel),
                    st.sampled_from(TAGS).map(has_tag),
                )
            )
            # a preferred-operator target falls back to everyone or to a group that takes any channel
            otherwise = [None, Target.everyone()]
            otherwise += [Target.group(g.id) for g in groups if g.channels is None]
            narrowed = st.tuples(st.sampled_from([g.id for g in groups]), st.sampled_from(TAGS)).map(
                lambda pair: Target.group(pair[0], tags=[pair[1]])
            )
            preferred = st.sampled_from(otherwise).map(lambda o: Target.preferred_operator(otherwise=o))
            if spills:  # sometimes waiting for a busy preferred operator
                waits = st.one_of(st.none(), st.integers(5, 60).map(_seconds))
                preferred = st.builds(
                    Target.preferred_operator, otherwise=st.sampled_from(otherwise), wait=waits
                )
            to = draw(
                st.one_of(
                    *([narrowed] if requirements else []),
                    st.sampled_from([g.id for g in groups]).map(Target.group),
                    st.sampled_from(op_ids).map(Target.operator),
                    preferred,
                )
            )
            rings = []
            if departments and draw(st.booleans()):  # widen to a group, then to everyone
                rings = [
                    Ring(after=draw(st.integers(5, 40)), to=Target.group(draw(st.sampled_from(groups)).id)),
                    Ring(after=draw(st.integers(41, 90)), to=Target.everyone()),
                ]
            made_rules.append(Rule(name=f"r{i}", when=when, to=to, escalate=rings))
    policy = draw(st.sampled_from(OfflinePolicy))
    return RoutingConfig(
        channels=chans,
        statuses=EXTRA_STATUSES if statuses else (),
        operators=ops,
        groups=groups,
        rules=made_rules,
        fallback=draw(_spill_fallbacks()) if spills else Target.everyone(),
        strategy=draw(pick_strategy),
        default_limit=draw(st.integers(min_value=1, max_value=4)),
        offline_policy=policy,
        default_handle_time=300,
        explain=draw(st.sampled_from([True, True, False])),
        **(
            {"match_language": draw(st.booleans()), "relax": draw(relaxations(language=True))}
            if requirements
            else {}
        ),
        **(
            {
                "messenger_group": draw(st.one_of(st.none(), st.sampled_from([g.id for g in groups]))),
                "groups_shown": draw(st.integers(1, 4)),
                "aging": draw(st.one_of(st.none(), st.integers(10, 120))),
            }
            if departments
            else {}
        ),
        **(
            {
                "accept_timeout": draw(st.integers(5, 60)),
                "missed_offers_limit": draw(st.one_of(st.none(), st.integers(1, 3))),
                "reply_timeout": draw(st.one_of(st.none(), st.integers(20, 90))),
                # a grace only means something when dialogs are re-queued
                "requeue_grace": draw(st.sampled_from([0, 0, 30])) if policy is OfflinePolicy.REQUEUE else 0,
                "intake_cap": draw(st.one_of(st.none(), st.integers(1, 3))),
                "intake_window": draw(st.integers(30, 300)),
                "decline_memory": draw(st.one_of(st.none(), st.integers(10, 120))),
                "all_declined": draw(st.sampled_from(AllDeclined)),
            }
            if offers
            else {}
        ),
    )


def _seconds(n: int) -> timedelta:
    return timedelta(seconds=n)


def _spill_fallbacks() -> st.SearchStrategy[Target]:
    """Everyone, or the client's preferred operator waited for a while, then everyone."""
    waited = st.integers(5, 60).map(lambda n: Target.preferred_operator(Target.everyone(), _seconds(n)))
    return st.one_of(st.just(Target.everyone()), waited)


def _overflows(others: list[str]) -> st.SearchStrategy[Overflow | None]:
    """No overflow, or one to another group or everyone, on any mix of the three conditions."""
    to = st.sampled_from([Target.everyone(), *map(Target.group, others)])
    made = st.tuples(
        to,
        st.one_of(st.none(), st.integers(0, 3)),
        st.one_of(st.none(), st.integers(0, 900).map(_seconds)),
        st.booleans(),
    ).map(lambda t: Overflow(to=t[0], queue=t[1], wait=t[2], nobody=t[3] or (t[1] is None and t[2] is None)))
    return st.one_of(st.none(), made)


SCHEDULES = [
    Schedule.weekdays("09:00", "18:00", tz="Europe/Moscow"),
    Schedule.always(tz="America/New_York"),
    Schedule(
        tz="Europe/Berlin",
        windows=[Window(days=range(7), start="22:00", end="06:00")],
        closures=[Closure(dates=["2026-12-25"], note="Christmas")],
        special=[
            SpecialHours(
                rrule="FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", hours=[Hours(start="10:00", end="14:00")]
            )
        ],
    ),
]


@st.composite
def _department_filters(draw: st.DrawFn) -> dict[str, Any]:
    """Callibri filters for one group: hours, regions (include or exclude), pages, enabled."""
    regions = st.frozensets(st.sampled_from(["RU", "RU-MOW", "RU-SPE", "DE", "US-NY"]), max_size=2)
    side = draw(st.sampled_from(["regions_include", "regions_exclude"]))
    return {
        "schedule": draw(st.one_of(st.none(), st.sampled_from(SCHEDULES))),
        side: draw(regions),
        "pages_include": draw(st.lists(st.sampled_from(["*/cars*", "*/service*"]), max_size=1)),
        "pages_exclude": draw(st.lists(st.sampled_from(["*/jobs*"]), max_size=1)),
        "enabled": draw(st.sampled_from([True, True, True, False])),
    }


@st.composite
def dialogs(
    draw: st.DrawFn,
    config: RoutingConfig,
    *,
    dialog_id: str | st.SearchStrategy[str] | None = None,
    skills: bool = True,
    chosen_group: bool = False,
    requirements: bool = False,
) -> Dialog:
    """A dialog on one of the config's channels, with a topic, tags, a priority and a client.

    Args:
        config: the config whose channels (and groups, with ``chosen_group``) it uses.
        dialog_id: the dialog id, or a strategy for it; ``d`` followed by digits by default.
        skills: sometimes require a skill level.
        chosen_group: sometimes name a group the visitor picked.
        requirements: sometimes give a language and the dialog's own relaxations.
    """
    if dialog_id is None:
        dialog_id = draw(st.integers(min_value=0, max_value=999).map(lambda n: f"d{n}"))
    elif not isinstance(dialog_id, str):
        dialog_id = draw(dialog_id)
    required: dict[str, int] = {}
    if skills and draw(st.integers(0, 1 if requirements else 3)) == 0:
        required = {draw(st.sampled_from(SKILLS)): draw(st.integers(min_value=1, max_value=3))}
    chosen = None
    if chosen_group and config.groups:
        chosen = draw(st.one_of(st.none(), st.sampled_from([g.id for g in config.groups])))
    return Dialog(
        id=dialog_id,
        client_id=draw(st.one_of(st.none(), st.sampled_from(CLIENT_IDS))),
        channel=draw(st.sampled_from([c.name for c in config.channels])),
        topic=draw(st.one_of(st.none(), st.sampled_from(TOPICS))),
        tags=draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)),
        priority=draw(st.integers(min_value=0, max_value=2)),
        required_skills=required,
        chosen_group_id=chosen,
        **(
            {
                "language": draw(st.one_of(st.none(), st.sampled_from(LANGUAGES))),
                "relax": draw(relaxations(language=True)) if draw(st.booleans()) else (),
            }
            if requirements
            else {}
        ),
    )


@st.composite
def relaxations(draw: st.DrawFn, *, language: bool) -> tuple[Relax, ...]:
    """Up to one relaxation per skill (a level after 5-40 s, sometimes dropped after 41-90 s)
    and, with ``language``, sometimes one dropping the language after 5-90 s."""
    found = []
    for skill in draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=len(SKILLS))):
        steps: list[tuple[int, int | None]] = [(draw(st.integers(5, 40)), 1)]
        if draw(st.booleans()):
            steps.append((draw(st.integers(41, 90)), None))
        found.append(Relax(skill=skill, steps=steps))
    if language and draw(st.booleans()):
        found.append(Relax.language(after=draw(st.integers(5, 90))))
    return tuple(found)


def clients(config: RoutingConfig, dialog: Dialog) -> st.SearchStrategy[Client | None]:
    """Usually None (the router uses what it knows); sometimes the dialog's client with a
    preferred operator or none. Never with tags, so tag rules see only the dialog's tags."""
    if dialog.client_id is None:
        return st.none()
    preferred = st.one_of(st.none(), st.sampled_from([o.id for o in config.operators]))
    made = preferred.map(lambda op_id: Client(id=str(dialog.client_id), preferred_operator_id=op_id))
    return st.one_of(st.none(), made)


@attrs.frozen(kw_only=True)
class Call:
    """One call to make on a router, ``dt`` seconds after the previous one.

    Attributes:
        kind: ``route``, ``release``, ``set_status``, ``set_limit``, ``transfer``,
            ``claim``, ``accept``, ``decline``, ``replied`` or ``tick``.
        dt: seconds to move the clock forward before the call.
        dialog: the new dialog, for ``route``.
        client: the client passed along with it, if any.
        pick: which known dialog the call is about (index modulo the number routed so
            far, in routing order), for ``release``, ``transfer`` and ``claim``.
        operator_id: the operator, for ``set_status``, ``set_limit``, ``claim``, ``accept``
            and ``decline`` (for the last two, None means whoever the dialog is offered to).
        status: the new status key, for ``set_status``.
        limit: the new limit, for ``set_limit``.
        to: the transfer target, for ``transfer``.
    """

    kind: str
    dt: int = 0
    dialog: Dialog | None = None
    client: Client | None = None
    pick: int = 0
    operator_id: str | None = None
    status: str | None = None
    limit: int | None = None
    to: Target | None = None


def _targets(config: RoutingConfig) -> st.SearchStrategy[Target]:
    return st.one_of(
        st.just(Target.everyone()),
        st.sampled_from([g.id for g in config.groups]).map(Target.group),
        st.sampled_from([o.id for o in config.operators]).map(Target.operator),
    )


@st.composite
def call_sequences(
    draw: st.DrawFn,
    config: RoutingConfig,
    *,
    min_size: int = 0,
    max_size: int = 25,
    kinds: Sequence[str] = (
        "route",
        "release",
        "set_status",
        "set_limit",
        "transfer",
        "claim",
        "accept",
        "decline",
        "replied",
        "tick",
    ),
    skills: bool = True,
    chosen_group: bool = False,
    id_prefix: str = "d",
) -> list[Call]:
    """A random sequence of router calls for ``config``; routed dialogs are numbered in order.

    Routing is drawn about twice as often as any other call so that state builds up.
    Status keys come from the config's statuses; limits are 0-4.

    Args:
        config: the config the calls are made against.
        kinds: the call kinds to draw from.
        skills / chosen_group: passed to :func:`dialogs`.
        id_prefix: prefix of the routed dialogs' ids (``d0``, ``d1``...).
    """
    op_ids = [o.id for o in config.operators]
    status_keys = [s.key for s in config.all_statuses()]
    weighted = [k for k in kinds for _ in range(2 if k == "route" else 1)]
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    calls: list[Call] = []
    routed = 0
    for _ in range(size):
        kind = draw(st.sampled_from(weighted))
        dt = draw(seconds())
        args: dict[str, Any] = {}
        if kind == "route":
            dialog_id = f"{id_prefix}{routed}"
            args["dialog"] = draw(
                dialogs(
                    config,
                    dialog_id=dialog_id,
                    skills=skills,
                    chosen_group=chosen_group,
                    requirements=config.match_language or bool(config.relax),
                )
            )
            args["client"] = draw(clients(config, args["dialog"]))
            routed += 1
        elif kind in ("release", "transfer", "claim", "accept", "decline", "replied"):
            args["pick"] = draw(st.integers(min_value=0, max_value=30))
        if kind in ("accept", "decline"):  # None: whoever the dialog is offered to
            args["operator_id"] = draw(st.one_of(st.none(), st.none(), st.sampled_from(op_ids)))
        if kind in ("set_status", "set_limit", "claim"):
            args["operator_id"] = draw(st.sampled_from(op_ids))
        if kind == "set_status":
            args["status"] = draw(st.sampled_from(status_keys))
        elif kind == "set_limit":
            args["limit"] = draw(st.integers(min_value=0, max_value=4))
        elif kind == "transfer":
            args["to"] = draw(_targets(config))
        calls.append(Call(kind=kind, dt=dt, **args))
    return calls


# --------------------------------------------------------------- hostile inputs


def json_values(*, max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Plain JSON data, as a host's ``attributes`` hold it: every value survives a JSON round trip."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.text(max_size=5), inner, max_size=3),
        ),
        max_leaves=max_leaves,
    )


def huge_numbers() -> st.SearchStrategy[int | float]:
    """Numbers no setting or JSON reader can take: beyond 2**53, 10**400, NaN and the infinities."""
    return st.one_of(
        st.integers(min_value=2**53, max_value=10**30),
        st.integers(min_value=-(10**30), max_value=-(2**53)),
        st.sampled_from([10**400, -(10**400), float("nan"), float("inf"), float("-inf"), 1e20, 1e308]),
    )


class _Level(enum.Enum):
    LOW = 1


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def non_json_values() -> st.SearchStrategy[Any]:
    """Values that are not plain JSON: they fail to serialize, or change through a JSON round trip."""
    return st.one_of(
        st.integers(min_value=2**53, max_value=10**30),
        st.sampled_from([-(2**53), 10**400, float("nan"), float("inf"), float("-inf")]),
        st.decimals(allow_nan=False, allow_infinity=False, places=2),
        st.binary(max_size=4),
        st.datetimes(timezones=st.sampled_from(ZONES)),
        st.dates(),
        st.just(timedelta(seconds=1)),
        st.frozensets(st.integers(0, 3), max_size=2),
        st.sets(st.text(max_size=2), max_size=2),
        st.complex_numbers(allow_nan=False, allow_infinity=False),
        st.just(_Level.LOW),
        st.dictionaries(st.integers(0, 9), st.integers(0, 9), min_size=1, max_size=2),
        st.integers(33, 60).map(_nested),
        st.sampled_from(["\ud800", "a\udfff"]),
        st.builds(object),
    )


@st.composite
def hostile_attributes(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """Attributes with one value that is not plain JSON, somewhere inside, and the path to it.

    The path is the one an ``InvalidValue`` names, e.g. ``attributes['cart'][1]``.
    """
    bad = draw(non_json_values(), label="bad value")
    key = draw(st.text(min_size=1, max_size=4), label="key")
    where = draw(st.sampled_from(["top", "list", "map"]), label="where")
    path = f"attributes[{key!r}]"
    value: Any = bad
    if where == "list":
        value, path = ["ok", bad], f"{path}[1]"
    elif where == "map":
        value, path = {"inner": bad}, f"{path}['inner']"
    extra = draw(st.dictionaries(st.text(max_size=3), json_values(max_leaves=3), max_size=2))
    extra.pop(key, None)
    return {**extra, key: value}, path


#: The ends of the datetime range, as aware UTC datetimes.
_RANGE_START = datetime.min.replace(tzinfo=UTC)
_RANGE_END = datetime.max.replace(tzinfo=UTC)


def edge_datetimes() -> st.SearchStrategy[datetime]:
    """Aware datetimes within 30 years of ``datetime.min`` or ``datetime.max``, in UTC or an offset.

    Adding a deadline to them, or converting them to another zone, can leave the datetime range.
    """
    early = st.datetimes(max_value=datetime(31, 1, 1), timezones=st.sampled_from(ZONES))
    late = st.datetimes(min_value=datetime(9970, 1, 1), timezones=st.sampled_from(ZONES))
    ends = st.sampled_from([_RANGE_START, _RANGE_END, datetime(1, 1, 1, tzinfo=ZONES[1])])
    return st.one_of(early, late, ends)
