"""chatroute.serialize: exact round trips through plain JSON, and path-named errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    SLA,
    Channel,
    Client,
    ConfigError,
    Decision,
    Dialog,
    DialogAssigned,
    DialogQueued,
    DialogReleased,
    DialogRequeued,
    DialogState,
    DialogTransferred,
    Even,
    Event,
    Group,
    InvalidValue,
    LimitChanged,
    LongestIdle,
    ManualPool,
    MostAvailable,
    OfflinePolicy,
    Operator,
    Outcome,
    Predicate,
    RandomWithinLimit,
    Ranked,
    Rating,
    RatingScale,
    RoundRobin,
    Router,
    RoutingConfig,
    Rule,
    RuleContext,
    Schedule,
    SkillBased,
    SlaLevel,
    SlaLevelChanged,
    Snapshot,
    Status,
    StatusChanged,
    Sticky,
    Strategy,
    Target,
    Via,
    Window,
    serialize,
)
from chatroute import rules as ru
from chatroute.rules import (
    always,
    attr,
    channel,
    has_all_tags,
    has_any_tag,
    has_tag,
    language,
    page,
    region,
    time_between,
    topic,
    weekday,
)
from chatroute.strategies import OperatorView
from tests.strategies import aware_datetimes, configs
from tests.test_rules import predicates

T = TypeVar("T")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seconds(n: float) -> datetime:
    """T0 plus ``n`` seconds."""
    return T0 + timedelta(seconds=n)


def through_json(cls: type[T], value: T) -> T:
    """to_dict, then a real JSON text, then from_dict; checks the dict is plain JSON on the way."""
    data = serialize.to_dict(value)
    text = json.dumps(data)
    assert json.loads(text) == data, "to_dict must produce plain JSON types (lists, not tuples)"
    return serialize.from_dict(cls, json.loads(text))


# ------------------------------------------------------------------ predicates

EVERY_PREDICATE_KIND: dict[str, Predicate] = {
    "always": always(),
    "all_of": topic("a") & channel("site") & has_tag("x"),
    "any_of": topic("a") | region("RU"),
    "not": ~has_tag("spam"),
    "topic": topic("billing", "refund"),
    "channel": channel("telegram", "whatsapp"),
    "has_tag": has_tag("vip"),
    "has_any_tag": has_any_tag("vip", "b2b"),
    "has_all_tags": has_all_tags("vip", "b2b"),
    "page": page("*/finance*", "*/credit*"),
    "region": region("RU-MOW", "BY"),
    "language": language("EN", "de"),
    "time_between": time_between("22:00", "06:30", tz="Europe/Berlin"),
    "weekday": weekday("sat", "sun", tz="Europe/Moscow"),
    "attr": attr("amount") >= 1000.5,
}


@pytest.mark.parametrize(("kind", "predicate"), EVERY_PREDICATE_KIND.items(), ids=list(EVERY_PREDICATE_KIND))
def test_every_predicate_kind_round_trips(kind: str, predicate: Predicate) -> None:
    """Each built-in predicate is tagged with its kind and comes back equal."""
    assert serialize.to_dict(predicate)["kind"] == kind
    assert through_json(Predicate, predicate) == predicate


@pytest.mark.parametrize(
    "predicate",
    [
        attr("plan").is_in(["pro", "team"]),
        attr("cart") == [1, {"sku": "A"}],
        attr("meta") == {"utm": ["a", "b"]},
        attr("name") != "x",
        attr("n") < -3,
        attr("flag") == True,  # noqa: E712 - builds a predicate, not a comparison
        attr("missing") == None,  # noqa: E711 - builds a predicate, not a comparison
    ],
    ids=repr,
)
def test_attr_values_of_every_json_shape_round_trip(predicate: Predicate) -> None:
    """Attribute comparisons with lists, dicts, bools, None and negatives round-trip exactly."""
    assert through_json(Predicate, predicate) == predicate


def test_predicate_dict_form_is_documented_shape() -> None:
    """~channel('email') becomes a tagged dict with sorted lists."""
    assert serialize.to_dict(~channel("email")) == {
        "kind": "not",
        "item": {"kind": "channel", "channels": ["email"]},
    }
    assert serialize.to_dict(time_between("09:00", "17:30")) == {
        "kind": "time_between",
        "start": "09:00:00",
        "end": "17:30:00",
        "tz": "UTC",
    }
    assert serialize.to_dict(weekday("sun", "mon")) == {"kind": "weekday", "days": [0, 6], "tz": "UTC"}


@given(predicates)
def test_generated_predicates_round_trip(predicate: Predicate) -> None:
    """Any predicate tree built with &, | and ~ round-trips through JSON to an equal value."""
    back = through_json(Predicate, predicate)
    assert back == predicate
    assert back.describe() == predicate.describe()


# ------------------------------------------------------------------ strategies

EVERY_STRATEGY: list[Strategy] = [
    Even(),
    Even(by_ratio=True),
    LongestIdle(),
    MostAvailable(),
    MostAvailable(by_ratio=True),
    SkillBased(skill="english"),
    RoundRobin(),
    RandomWithinLimit(),
    RandomWithinLimit(seed=42),
    ManualPool(),
    Sticky(),
    Sticky(then=SkillBased(skill="vip")),
]


@pytest.mark.parametrize("strategy", EVERY_STRATEGY, ids=repr)
def test_every_strategy_round_trips(strategy: Strategy) -> None:
    """Each built-in strategy comes back equal, options included."""
    back = through_json(Strategy, strategy)
    assert back == strategy
    assert type(back) is type(strategy)


def test_strategy_dict_form() -> None:
    """Strategies are tagged dicts; Sticky nests its fallback strategy."""
    assert serialize.to_dict(Sticky(then=RandomWithinLimit(seed=3))) == {
        "kind": "sticky",
        "then": {"kind": "random_within_limit", "seed": 3},
    }


def test_by_ratio_is_written_only_when_set() -> None:
    """``Even()`` stays the bare kind in the short form; ``by_ratio`` appears once it is true."""
    assert serialize.to_dict(Even()) == {"kind": "even"}
    assert serialize.to_dict(MostAvailable(by_ratio=True)) == {"kind": "most_available", "by_ratio": True}
    config = RoutingConfig.from_toml('strategy = {kind = "even", by_ratio = true}')
    assert config.strategy == Even(by_ratio=True)
    assert RoutingConfig.from_toml(config.to_toml()) == config


# ---------------------------------------------------------------------- events

EVERY_EVENT: list[Event] = [
    DialogQueued(at=T0, dialog_id="d1", target=Target.group("sales"), pool=True),
    DialogAssigned(at=T0, dialog_id="d1", operator_id="ann", group_id="sales", via=Via.DRAIN),
    DialogAssigned(at=T0, dialog_id="d1", operator_id="ann", group_id=None, via=Via.ROUTE),
    DialogTransferred(at=T0, dialog_id="d1", from_operator_id="ann", to=Target.operator("bob"), by="ann"),
    DialogTransferred(at=T0, dialog_id="d1", from_operator_id=None, to=Target.everyone()),
    DialogRequeued(at=T0, dialog_id="d1", operator_id="ann", reason="offline"),
    DialogReleased(
        at=T0, dialog_id="d1", operator_id="ann", rating=Rating(scale=RatingScale.SMILEYS_3, value=2)
    ),
    DialogReleased(at=T0, dialog_id="d1", operator_id=None),
    StatusChanged(at=T0, operator_id="ann", old="online", new="lunch", comment="back at 14"),
    LimitChanged(at=T0, operator_id="ann", old=5, new=2),
    SlaLevelChanged(at=T0, dialog_id="d1", level=SlaLevel.CRITICAL),
]


@pytest.mark.parametrize("event", EVERY_EVENT, ids=repr)
def test_every_event_round_trips(event: Event) -> None:
    """Each event type comes back equal and of the same class through the Event base."""
    back = through_json(Event, event)
    assert back == event
    assert type(back) is type(event)


def test_event_lists_round_trip_and_keep_order() -> None:
    """A list of mixed events round-trips in order."""
    data = serialize.to_dict(EVERY_EVENT)
    assert [item["kind"] for item in data][:3] == ["dialog_queued", "dialog_assigned", "dialog_assigned"]
    assert serialize.from_dict(list[Event], json.loads(json.dumps(data))) == EVERY_EVENT


def test_event_times_are_iso_strings_in_utc() -> None:
    """Datetimes become ISO 8601 strings with their UTC offset."""
    data = serialize.to_dict(LimitChanged(at=seconds(1.5), operator_id="a", old=1, new=2))
    assert data == {
        "kind": "limit_changed",
        "at": "2026-03-02T09:00:01.500000+00:00",
        "operator_id": "a",
        "old": 1,
        "new": 2,
    }


# ---------------------------------------------------------- targets and values


@pytest.mark.parametrize(
    "target",
    [
        Target.group("sales"),
        Target.operator("ann"),
        Target.everyone(),
        Target.preferred_operator(),
        Target.preferred_operator(otherwise=Target.group("sales")),
        Target.preferred_operator(otherwise=Target.preferred_operator(otherwise=Target.operator("bob"))),
    ],
    ids=str,
)
def test_targets_round_trip(target: Target) -> None:
    """Every kind of target, with nested alternatives, comes back equal."""
    assert through_json(Target, target) == target


def test_target_dict_form() -> None:
    """A target is its kind's value, its id and its alternative."""
    assert serialize.to_dict(Target.preferred_operator(otherwise=Target.group("s"))) == {
        "kind": "preferred_operator",
        "id": None,
        "otherwise": {"kind": "group", "id": "s", "otherwise": None},
    }


def test_dialog_with_attributes_round_trips() -> None:
    """A dialog with every field set and nested attributes comes back equal."""
    d = Dialog(
        id="d1",
        client_id="c1",
        channel="telegram",
        created_at=datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=3))),
        topic="billing",
        tags=["vip", "new"],
        page_url="https://b.ru/finance",
        ip="203.0.113.7",
        region="RU-MOW",
        language="ru",
        priority=-2,
        required_skills={"english": 3},
        chosen_group_id="sales",
        attributes={"amount": 1500.25, "cart": [1, {"sku": "A-1", "qty": 2}], "vip": True, "note": None},
    )
    back = through_json(Dialog, d)
    assert back == d
    assert back.attributes["cart"][1]["sku"] == "A-1"
    assert serialize.to_dict(d)["created_at"] == "2026-03-02T09:00:00+00:00"


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    attributes=st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4),
    created_at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5))]),
    ),
    tags=st.frozensets(st.text(min_size=1, max_size=5), max_size=3),
)
def test_generated_dialogs_round_trip(
    attributes: dict[str, Any], created_at: datetime, tags: frozenset[str]
) -> None:
    """Dialogs with any JSON attributes, aware times and tags round-trip exactly."""
    d = Dialog(id="d1", created_at=created_at, tags=tags, attributes=attributes)
    assert through_json(Dialog, d) == d


# ----------------------------------------------------------------- configs


def full_config() -> RoutingConfig:
    """A config that sets every field to something other than its default."""
    return RoutingConfig(
        channels=[
            Channel(name="site"),
            Channel(name="telegram", priority=2, sla=SLA(warn=20, critical=90.5), carries_ip=False),
            Channel(name="email", priority=3, capacity_weight=2),
        ],
        statuses=[Status(key="lunch", label="Lunch", emoji="🍔", routable=False, order=3)],
        operators=[
            Operator(
                id="ann",
                name="Ann",
                status="online",
                limit=3,
                channel_limits={"telegram": 1},
                skills={"english": 7},
                languages=["en", "ru"],
                tags=["senior"],
            ),
            Operator(id="bob", name="Bob", status="online", skills={"english": 2}),
            Operator(id="cat", name="Cat", status="online", limit=1),
            Operator(id="dan", name="Dan", status="lunch"),
        ],
        groups=[
            Group(
                id="sales",
                name="Sales",
                title="Buy a car",
                operator_ids=["ann", "bob"],
                channels=["site", "telegram"],
                regions_include=["RU"],
                pages_include=["*/buy*"],
                pages_exclude=["*/buy/used*"],
                strategy=RoundRobin(),
                limit=4,
            ),
            Group(id="pool", operator_ids=["cat", "dan"], strategy=ManualPool(), regions_exclude=["US"]),
            Group(id="lottery", operator_ids=["bob", "cat"], strategy=RandomWithinLimit(seed=5)),
            Group(id="off", enabled=False),
        ],
        rules=[
            Rule(name="buyers", when=topic("buy") & ~has_tag("spam"), to=Target.group("sales")),
            Rule(name="mail", when=channel("email"), to=Target.group("pool")),
            Rule(name="promo", when=attr("promo") == True, to=Target.group("lottery")),  # noqa: E712
            Rule(
                name="returning",
                when=has_tag("returning") | language("de"),
                to=Target.preferred_operator(otherwise=Target.group("sales")),
            ),
        ],
        fallback=Target.operator("bob"),
        strategy=Sticky(then=SkillBased(skill="english")),
        default_limit=2,
        offline_policy=OfflinePolicy.REQUEUE,
        default_handle_time=123.5,
        explain=False,
    )


def test_default_routing_config_round_trips() -> None:
    """RoutingConfig() comes back equal."""
    assert through_json(RoutingConfig, RoutingConfig()) == RoutingConfig()


def test_full_routing_config_round_trips() -> None:
    """A config with every field set comes back equal, nested rules and strategies included."""
    config = full_config()
    assert config.problems() == []
    back = through_json(RoutingConfig, config)
    assert back == config
    assert back.groups[2].strategy == RandomWithinLimit(seed=5)
    assert back.default_handle_time == timedelta(seconds=123.5)


@given(configs(departments=True), predicates)
def test_generated_configs_round_trip(config: RoutingConfig, predicate: Predicate) -> None:
    """Any small valid config, with a generated predicate as an extra rule, round-trips exactly."""
    config = attrs.evolve(
        config, rules=[Rule(name="generated", when=predicate, to=Target.everyone()), *config.rules]
    )
    assert through_json(RoutingConfig, config) == config


# --------------------------------------------------------------- snapshots


def busy_router() -> tuple[Router, list[Event]]:
    """A router with assigned, queued, pooled, transferred and closed dialogs, and the events it emitted."""
    config = attrs.evolve(full_config(), explain=True, offline_policy=OfflinePolicy.KEEP)
    router = Router(config, seed=11)
    events: list[Event] = []
    events += router.set_status("dan", "online", seconds(0), comment="after lunch")
    vip = Client(id="c1", tags=["vip", "returning"], preferred_operator_id="ann")
    decisions = [
        router.route(
            Dialog(
                id="buy-1",
                client_id="c1",
                topic="buy",
                region="RU-MOW",
                page_url="https://cars.ru/buy/new",
                attributes={"budget": 2_000_000, "models": ["x5", {"year": 2024}]},
            ),
            seconds(1),
            client=vip,
        ),
        router.route(
            Dialog(id="buy-2", topic="buy", region="RU", page_url="https://cars.ru/buy/1"), seconds(2)
        ),
        router.route(Dialog(id="promo-1", attributes={"promo": True}, priority=-1), seconds(3)),
        router.route(Dialog(id="promo-2", attributes={"promo": True}), seconds(4)),
        router.route(Dialog(id="mail-1", channel="email", client_id="c2"), seconds(5)),
        router.route(Dialog(id="mail-2", channel="email"), seconds(6)),
        router.route(Dialog(id="tg-1", channel="telegram", client_id="c1", language="de"), seconds(7)),
        router.route(Dialog(id="other-1"), seconds(8)),
        router.route(Dialog(id="other-2"), seconds(9)),
        router.route(Dialog(id="other-3"), seconds(10)),
    ]
    for decision in decisions:
        events += decision.events
    events += router.claim("mail-1", "dan", seconds(20))
    events += router.tick(seconds(200))
    events += router.release("buy-1", seconds(300), rating=Rating(scale=RatingScale.TEN, value=9))
    transfer = router.transfer("promo-1", Target.group("sales"), seconds(310), by="bob")
    events += transfer.events
    events += router.set_limit("cat", 2, seconds(320))
    events += router.set_status("bob", "away", seconds(330))
    return router, events


def test_busy_router_has_every_kind_of_state() -> None:
    """The busy router fixture really holds queued, pooled, assigned and closed dialogs."""
    router, events = busy_router()
    snap = router.snapshot()
    states = {rec.state for rec in snap.dialogs}
    assert states >= {DialogState.QUEUED, DialogState.ASSIGNED, DialogState.CLOSED}
    assert any(rec.pool for rec in snap.dialogs)
    assert any(rec.history for rec in snap.dialogs)
    assert any(rec.rating is not None for rec in snap.dialogs)
    assert snap.random_states
    assert snap.last_picks
    assert snap.clients
    kinds = {type(e) for e in events}
    assert {DialogQueued, DialogAssigned, DialogTransferred, DialogReleased, StatusChanged} <= kinds
    assert {LimitChanged, SlaLevelChanged} <= kinds


def test_snapshot_of_a_busy_router_round_trips() -> None:
    """A busy router's snapshot survives JSON exactly, and restoring it gives the same snapshot."""
    router, _ = busy_router()
    snap = router.snapshot()
    back = through_json(Snapshot, snap)
    assert back == snap
    restored = Router.restore(attrs.evolve(full_config(), explain=True), back)
    assert restored.snapshot() == snap


def test_restored_router_decides_like_the_original() -> None:
    """After a JSON round trip of the snapshot, the next decisions are the same."""
    router, _ = busy_router()
    config = attrs.evolve(full_config(), explain=True)
    restored = Router.restore(config, through_json(Snapshot, router.snapshot()))
    for i in range(4):
        dialog = Dialog(id=f"next-{i}", attributes={"promo": True})
        a = router.route(dialog, seconds(400 + i))
        b = restored.route(dialog, seconds(400 + i))
        assert (a.outcome, a.operator_id, a.position) == (b.outcome, b.operator_id, b.position)
    assert router.snapshot() == restored.snapshot()


def test_events_of_a_busy_router_round_trip() -> None:
    """Every event the busy router emitted round-trips as part of one list."""
    _, events = busy_router()
    data = serialize.to_dict(events)
    assert serialize.from_dict(list[Event], json.loads(json.dumps(data))) == events


# ------------------------------------------------------------------- decisions


def test_a_reopening_time_reads_back_in_the_schedules_offset() -> None:
    """A rejected decision's reopens_at (in the schedule's zone) reads back with that offset, not in UTC."""
    nights = Schedule(tz="Europe/Berlin", windows=[Window(days=range(7), start="22:00", end="06:00")])
    config = RoutingConfig(
        operators=[Operator(id="ann")],
        groups=[Group(id="night", operator_ids=["ann"], schedule=nights)],
        fallback=Target.group("night"),
    )
    decision = Router(config).route(Dialog(id="d1"), T0)  # 10:00 in Berlin: closed until 22:00
    assert decision.reopens_at is not None
    assert decision.reopens_at.isoformat() == "2026-03-02T22:00:00+01:00"
    back = through_json(Decision, decision)
    assert back.reopens_at is not None
    assert back.reopens_at.utcoffset() == timedelta(hours=1)
    assert serialize.to_dict(back) == serialize.to_dict(decision)


@given(reopens_at=aware_datetimes())
def test_a_decisions_json_reads_back_to_the_same_json(reopens_at: datetime) -> None:
    """A decision read back from its JSON writes the same JSON again, whatever offset reopens_at has."""
    decision = Decision(dialog_id="d1", outcome=Outcome.REJECTED, reopens_at=reopens_at)
    assert serialize.to_dict(through_json(Decision, decision)) == serialize.to_dict(decision)


def test_other_times_read_back_in_utc() -> None:
    """Times the router keeps in UTC (an event's time, say) read back in UTC whatever offset the text has."""
    data = {"kind": "limit_changed", "at": "2026-03-02T12:00:00+03:00", "operator_id": "a"}
    data |= {"old": 1, "new": 2}
    event = serialize.from_dict(Event, data)
    assert event.at.tzinfo is UTC
    assert event.at == T0


# ------------------------------------------------------------ malformed input


@pytest.mark.parametrize(
    ("cls", "data", "path"),
    [
        (RoutingConfig, {"operators": [{"id": "a"}, {"name": "no id"}]}, "operators[1].id"),
        (RoutingConfig, {"groups": [{"id": "g", "strategy": {"kind": "nope"}}]}, "groups[0].strategy"),
        (RoutingConfig, {"default_limit": "many"}, "default_limit"),
        (
            RoutingConfig,
            {
                "rules": [
                    {"name": "ok", "when": {"kind": "always"}, "to": {"kind": "everyone"}},
                    {"name": "bad", "when": {"kind": "topic"}, "to": {"kind": "everyone"}},
                ]
            },
            "rules[1].when.topics",
        ),
        (Predicate, {"kind": "all_of", "items": [{"kind": "always"}, {"kind": "zzz"}]}, "items[1]"),
        (Dialog, {"id": "d1", "created_at": "2026-03-02T09:00:00"}, "created_at"),
        (Dialog, {"id": "d1", "created_at": "yesterday"}, "created_at"),
        (Target, {"kind": "team", "id": "x"}, "kind"),
    ],
)
def test_malformed_data_raises_config_error_with_a_path(cls: type, data: Any, path: str) -> None:
    """from_dict names where the problem is, in the same path form config problems use."""
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(cls, data)
    paths = [p for p, _ in info.value.problems]
    assert path in paths, paths
    assert path in str(info.value)


@pytest.mark.parametrize(
    ("cls", "data", "field"),
    [
        (Group, {"id": "g", "enabled": "false"}, "enabled"),
        (Channel, {"name": "tg", "carries_ip": "no"}, "carries_ip"),
        (Dialog, {"id": "d1", "priority": 1.7}, "priority"),
        (Dialog, {"id": "d1", "tags": "vip"}, "tags"),
        (RoutingConfig, {"default_limit": 2.9}, "default_limit"),
        (Operator, {"id": 5}, "id"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else repr(v),
)
def test_wrongly_typed_scalars_are_refused_not_coerced(cls: type, data: dict[str, Any], field: str) -> None:
    """A JSON value of the wrong type is a ConfigError naming the field, never silently coerced."""
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(cls, data)
    assert field in str(info.value)


def test_malformed_data_reports_every_problem() -> None:
    """Several missing keys are all reported, each with its own path."""
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(Snapshot, {"seed": 1})
    problems = info.value.problems
    assert len(problems) == 3
    for key in ("operators", "dialogs", "handle_time"):
        assert [m for p, m in problems if p.endswith(key)] == [f"missing key {key!r}"]


def test_out_of_range_values_in_data_name_the_item() -> None:
    """A bad skill level in data names the operator's index and the skill."""
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(RoutingConfig, {"operators": [{"id": "a", "skills": {"english": 11}}]})
    path, message = info.value.problems[0]
    assert "operators[0]" in path
    assert "skills['english']" in f"{path}: {message}"
    assert "1..10" in message


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"topics": ["x"]}, "unknown condition (did you mean 'topic'?)"),
        ({"kind": "zzz"}, "unknown predicate kind 'zzz'"),
        ([1, 2], ""),
        ("topic", ""),
    ],
    ids=repr,
)
def test_untagged_or_unknown_predicates_are_config_errors(data: Any, text: str) -> None:
    """A predicate without a known kind tag is a ConfigError, never a bare exception."""
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(Predicate, data)
    assert text in str(info.value)


def test_extra_keys_are_refused() -> None:
    """A misspelled key is reported rather than silently dropped."""
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(RoutingConfig, {"default_limt": 3})
    assert "default_limt" in str(info.value)


# ---------------------------------------------------------------- register


@attrs.frozen(kw_only=True)
class LongMessage(Predicate):
    """The host's own predicate: the first message has at least ``min_length`` characters."""

    min_length: int

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return len(str(dialog.attributes.get("text", ""))) >= self.min_length

    def describe(self) -> str:
        return f"first message has at least {self.min_length} characters"


@attrs.frozen(kw_only=True)
class FewestToday(Ranked):
    """The host's own ranked strategy: whoever took the fewest dialogs so far."""

    def key(self, op: OperatorView) -> tuple[Any, ...]:
        return (op.assigned_total, op.id)


def test_register_a_host_predicate() -> None:
    """After register(), a host predicate round-trips alone, combined and inside a config."""
    serialize.register(LongMessage, "test_long_message")
    p = LongMessage(min_length=40)
    assert serialize.to_dict(p) == {"kind": "test_long_message", "min_length": 40}
    assert through_json(Predicate, p) == p
    combined = p & ~topic("spam")
    assert through_json(Predicate, combined) == combined
    config = RoutingConfig(
        groups=[Group(id="long", strategy=FewestToday())],
        rules=[Rule(name="long", when=combined, to=Target.group("long"))],
    )
    serialize.register(FewestToday, "test_fewest_today")
    assert through_json(RoutingConfig, config) == config


def test_registered_predicate_keeps_working_after_the_round_trip() -> None:
    """The rebuilt host predicate evaluates like the original."""
    serialize.register(LongMessage, "test_long_message")
    back = through_json(Predicate, LongMessage(min_length=3))
    ctx = RuleContext(now=T0)
    assert back(Dialog(id="d", attributes={"text": "hello"}), ctx) is True
    assert back(Dialog(id="d", attributes={"text": "hi"}), ctx) is False


def test_register_refuses_classes_that_are_not_predicates_strategies_or_events() -> None:
    """Only Predicate, Strategy and Event subclasses can be registered."""
    with pytest.raises(TypeError):
        serialize.register(Dialog, "dialog")


def test_a_registered_class_reads_back_its_own_tagged_form() -> None:
    """from_dict(Even, to_dict(Even())) works: the 'kind' tag a class writes is accepted by that class."""
    assert serialize.from_dict(Even, serialize.to_dict(Even())) == Even()
    weekend = weekday("sat", "sun", tz="Europe/Moscow")
    assert serialize.from_dict(type(weekend), serialize.to_dict(weekend)) == weekend


def test_an_unregistered_custom_strategy_gets_a_clear_error() -> None:
    """to_dict on a config with an unregistered strategy says to register it, instead of recursing."""

    @attrs.frozen
    class Mine(Strategy):
        def choose(self, candidates: Any, dialog: Any, ctx: Any) -> str | None:
            return None

    with pytest.raises(InvalidValue, match=r"Mine is not registered: call serialize.register\(Mine"):
        serialize.to_dict(RoutingConfig(strategy=Mine()))


# ------------------------------------------------------------------ short form


@pytest.mark.parametrize(
    ("data", "predicate"),
    [
        ({"topic": ["order", "price"], "channel": "email"}, topic("order", "price") & channel("email")),
        ({"any": [{"topic": "a"}, {"has_tag": "vip"}]}, topic("a") | has_tag("vip")),
        ({"not": {"page": "*/jobs*"}}, ~page("*/jobs*")),
        ({"all": [{"region": "RU"}]}, ru.AllOf(items=[region("RU")])),
        (
            {"weekday": {"days": ["sat", "sun"], "tz": "Europe/Moscow"}},
            weekday("sat", "sun", tz="Europe/Moscow"),
        ),
        ({"attr": {"name": "amount", "op": ">=", "value": 1000}}, attr("amount") >= 1000),
        ({"attr": {"name": "coupon", "op": "==", "value_json": "null"}}, attr("coupon") == None),  # noqa: E711
        ("always", always()),
    ],
    ids=repr,
)
def test_short_conditions_load(data: Any, predicate: Predicate) -> None:
    """A condition's short form (keys combine with and; any, all, not) is the predicate it names."""
    assert serialize.from_dict(Predicate, data) == predicate


@pytest.mark.parametrize(
    ("data", "target"),
    [
        ({"group": "sales"}, Target.group("sales")),
        ({"operator": "ann"}, Target.operator("ann")),
        ("everyone", Target.everyone()),
        ("preferred", Target.preferred_operator()),
        (
            {"preferred": {"otherwise": {"group": "s"}}},
            Target.preferred_operator(otherwise=Target.group("s")),
        ),
        ({"kind": "group", "id": "sales"}, Target.group("sales")),
    ],
    ids=repr,
)
def test_short_targets_load(data: Any, target: Target) -> None:
    """Targets are {group = id}, {operator = id}, 'everyone' or 'preferred'; the long form loads too."""
    assert serialize.from_dict(Target, data) == target


def test_snapshots_and_events_keep_the_long_form() -> None:
    """Only configs are written short: an event's target keeps its kind tag."""
    event = DialogQueued(at=T0, dialog_id="d1", target=Target.group("sales"))
    assert serialize.to_dict(event)["target"] == {"kind": "group", "id": "sales", "otherwise": None}


@given(predicates)
def test_every_predicate_reads_back_from_its_short_form(predicate: Predicate) -> None:
    """The short form a config writes for any predicate tree reads back to an equal predicate."""
    config = RoutingConfig(rules=[Rule(name="r", when=predicate, to=Target.everyone())])
    when = json.loads(json.dumps(config.to_dict()))["rules"][0]["when"]
    assert serialize.from_dict(Predicate, when) == predicate
