"""Validators and converters of the immutable values in chatroute.model."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    AWAY,
    BUILTIN_STATUSES,
    OFFLINE,
    ONLINE,
    SLA,
    Channel,
    Client,
    Dialog,
    Even,
    Group,
    InvalidValue,
    NaiveDatetime,
    Operator,
    Rating,
    RatingScale,
    RoundRobin,
    SlaLevel,
    Status,
    Target,
    TargetKind,
    Visitor,
    serialize,
)
from chatroute._frozen import EARLIEST, EMPTY_SET, LATEST, FrozenMap
from chatroute._model_dialogs import trusted_dialog
from chatroute.model import MAX_PRIORITY

from .strategies import edge_datetimes, hostile_attributes, huge_numbers, json_values

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Names a repr may mention; eval(repr(x), REPR_NAMESPACE) must rebuild x.
REPR_NAMESPACE: dict[str, Any] = {
    "datetime": dt,
    "FrozenMap": FrozenMap,
    "SLA": SLA,
    "Channel": Channel,
    "Status": Status,
    "Operator": Operator,
    "Group": Group,
    "Client": Client,
    "Dialog": Dialog,
    "Target": Target,
    "TargetKind": TargetKind,
    "Rating": Rating,
    "RatingScale": RatingScale,
    "Even": Even,
    "RoundRobin": RoundRobin,
}


def rebuilt(value: object) -> object:
    """Evaluate a value's repr in a namespace of chatroute names.

    Enum members print as ``<RatingScale.TEN: 'ten'>`` (Python's standard enum repr);
    they are read back as ``RatingScale.TEN``.
    """
    text = re.sub(r"<(\w+\.\w+): [^>]*>", r"\1", repr(value))
    return eval(text, dict(REPR_NAMESPACE))


# --------------------------------------------------------------------------- SLA


def test_sla_defaults_are_livetex_30_and_60_seconds() -> None:
    """SLA() warns after 30 s and turns critical after 60 s."""
    sla = SLA()
    assert sla.warn == timedelta(seconds=30)
    assert sla.critical == timedelta(seconds=60)


def test_sla_converts_seconds_to_timedelta() -> None:
    """Integer and float seconds become timedeltas."""
    sla = SLA(warn=10, critical=12.5)
    assert sla.warn == timedelta(seconds=10)
    assert sla.critical == timedelta(seconds=12.5)


@pytest.mark.parametrize(
    ("waited", "level"),
    [
        (timedelta(0), SlaLevel.OK),
        (timedelta(seconds=29, microseconds=999_999), SlaLevel.OK),
        (timedelta(seconds=30), SlaLevel.WARN),
        (timedelta(seconds=59, microseconds=999_999), SlaLevel.WARN),
        (timedelta(seconds=60), SlaLevel.CRITICAL),
        (timedelta(hours=5), SlaLevel.CRITICAL),
        (timedelta(seconds=-5), SlaLevel.OK),
    ],
)
def test_sla_level_at_the_exact_boundaries(waited: timedelta, level: SlaLevel) -> None:
    """Warn starts at exactly 30 s and critical at exactly 60 s (inclusive)."""
    assert SLA().level(waited) is level


def test_sla_with_equal_thresholds_goes_straight_to_critical() -> None:
    """critical == warn is allowed and the dialog jumps from ok to critical."""
    sla = SLA(warn=45, critical=45)
    assert sla.level(timedelta(seconds=44)) is SlaLevel.OK
    assert sla.level(timedelta(seconds=45)) is SlaLevel.CRITICAL


def test_sla_refuses_critical_shorter_than_warn() -> None:
    """A critical threshold below the warn threshold is an InvalidValue on 'critical'."""
    with pytest.raises(InvalidValue) as info:
        SLA(warn=60, critical=30)
    assert info.value.field == "critical"
    assert "warn" in str(info.value)


@pytest.mark.parametrize("warn", [0, -1, timedelta(0), timedelta(seconds=-3)])
def test_sla_refuses_a_non_positive_warn(warn: Any) -> None:
    """warn must be strictly positive."""
    with pytest.raises(InvalidValue) as info:
        SLA(warn=warn, critical=60)
    assert info.value.field == "warn"


@pytest.mark.parametrize("bad", ["30", None, True, [30]], ids=repr)
def test_sla_refuses_durations_of_the_wrong_type(bad: Any) -> None:
    """A duration that is neither seconds nor a timedelta is an InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as info:
        SLA(warn=bad)
    assert "warn" in str(info.value)


# ----------------------------------------------------------------------- Channel


def test_channel_defaults() -> None:
    """A channel defaults to priority 1, the default SLA, carrying an IP, weight 1."""
    ch = Channel(name="site")
    assert (ch.priority, ch.sla, ch.carries_ip, ch.capacity_weight) == (1, SLA(), True, 1)


@pytest.mark.parametrize("name", ["", None, 5])
def test_channel_name_must_be_a_non_empty_string(name: Any) -> None:
    """An empty or non-string channel name is refused."""
    with pytest.raises(InvalidValue) as info:
        Channel(name=name)
    assert info.value.field == "name"


@pytest.mark.parametrize("field", ["priority", "capacity_weight"])
@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_channel_priority_and_weight_are_positive_integers(field: str, bad: Any) -> None:
    """priority and capacity_weight must be integers of at least 1 (bools refused)."""
    with pytest.raises(InvalidValue) as info:
        Channel(name="site", **{field: bad})
    assert info.value.field == field
    assert info.value.value == bad


def test_channel_accepts_large_priority_and_weight() -> None:
    """Any integer of at least 1 is a valid priority and weight."""
    ch = Channel(name="email", priority=7, capacity_weight=3, carries_ip=False)
    assert (ch.priority, ch.capacity_weight, ch.carries_ip) == (7, 3, False)


# ------------------------------------------------------------------------ Status


def test_builtin_statuses() -> None:
    """online is the only routable built-in; they are ordered online, away, offline."""
    assert BUILTIN_STATUSES == (ONLINE, AWAY, OFFLINE)
    assert [s.key for s in BUILTIN_STATUSES] == ["online", "away", "offline"]
    assert [s.routable for s in BUILTIN_STATUSES] == [True, False, False]
    assert [s.order for s in BUILTIN_STATUSES] == [0, 1, 2]


def test_status_defaults_to_not_routable() -> None:
    """An extra status receives no dialogs unless it says so."""
    lunch = Status(key="lunch", label="Lunch")
    assert lunch.routable is False
    assert (lunch.emoji, lunch.order) == ("", 0)


@pytest.mark.parametrize("key", ["", None])
def test_status_key_must_be_non_empty(key: Any) -> None:
    """A status without a key is refused."""
    with pytest.raises(InvalidValue) as info:
        Status(key=key)
    assert info.value.field == "key"


# ---------------------------------------------------------------------- Operator


def test_operator_defaults_and_container_conversion() -> None:
    """An operator starts offline, with frozen containers; a lone string is one item."""
    op = Operator(id="natalia", languages=["ru", "en", "ru"], tags="senior", skills={"billing": 3})
    assert op.status == "offline"
    assert op.limit is None
    assert op.languages == frozenset({"ru", "en"})
    assert op.tags == frozenset({"senior"})
    assert isinstance(op.skills, FrozenMap)
    assert dict(op.skills) == {"billing": 3}
    assert isinstance(op.channel_limits, FrozenMap)
    assert dict(op.channel_limits) == {}


@pytest.mark.parametrize("level", [1, 5, 10])
def test_operator_skill_levels_within_1_to_10_are_kept(level: int) -> None:
    """Skill levels 1..10 inclusive are accepted."""
    assert Operator(id="a", skills={"english": level}).skills["english"] == level


@pytest.mark.parametrize("level", [0, 11, -1, True, 2.5, "5", None])
def test_operator_skill_levels_outside_1_to_10_are_refused(level: Any) -> None:
    """A skill level outside 1..10, or not an integer, names the skill in the error."""
    with pytest.raises(InvalidValue) as info:
        Operator(id="a", skills={"english": level})
    assert info.value.field == "skills['english']"
    assert "1..10" in str(info.value)


def test_operator_skill_names_must_be_strings() -> None:
    """A non-string skill name is refused."""
    with pytest.raises(InvalidValue) as info:
        Operator(id="a", skills={1: 5})
    assert info.value.field == "skills[1]"


@pytest.mark.parametrize("limit", [None, 0, 1, 50])
def test_operator_limit_may_be_none_or_non_negative(limit: int | None) -> None:
    """limit is None (inherit) or any non-negative integer, 0 included."""
    assert Operator(id="a", limit=limit).limit == limit


@pytest.mark.parametrize("limit", [-1, True, 2.0, "3"])
def test_operator_limit_refuses_negatives_and_non_integers(limit: Any) -> None:
    """A negative, boolean, float or string limit is refused."""
    with pytest.raises(InvalidValue) as info:
        Operator(id="a", limit=limit)
    assert info.value.field == "limit"


def test_operator_channel_limits_allow_zero_but_not_negative() -> None:
    """A per-channel limit may be 0 (channel closed to them) but never negative."""
    op = Operator(id="a", channel_limits={"telegram": 0, "site": 3})
    assert dict(op.channel_limits) == {"telegram": 0, "site": 3}
    with pytest.raises(InvalidValue) as info:
        Operator(id="a", channel_limits={"telegram": -1})
    assert info.value.field == "channel_limits['telegram']"


@pytest.mark.parametrize("op_id", ["", None])
def test_operator_id_must_be_non_empty(op_id: Any) -> None:
    """An operator needs a non-empty string id."""
    with pytest.raises(InvalidValue) as info:
        Operator(id=op_id)
    assert info.value.field == "id"


def test_operator_containers_do_not_alias_the_input() -> None:
    """Mutating the dict or list passed in does not change the operator."""
    skills = {"billing": 3}
    langs = ["ru"]
    op = Operator(id="a", skills=skills, languages=langs)
    skills["billing"] = 9
    langs.append("en")
    assert op.skills["billing"] == 3
    assert op.languages == frozenset({"ru"})


def test_operator_skills_are_read_only() -> None:
    """The skills mapping cannot be assigned to."""
    op = Operator(id="a", skills={"billing": 3})
    with pytest.raises(TypeError):
        op.skills["billing"] = 4  # type: ignore[index]


# ------------------------------------------------------------------------- Group


def test_group_converts_containers_and_defaults() -> None:
    """Members become a tuple, channels a frozenset (None: all), pages tuples; enabled by default."""
    g = Group(id="sales", operator_ids=["ann", "bob"], channels=["site"], pages_include="*/buy*")
    assert g.operator_ids == ("ann", "bob")
    assert g.channels == frozenset({"site"})
    assert g.pages_include == ("*/buy*",)
    assert g.enabled is True
    assert Group(id="x").channels is None


def test_group_keeps_member_order() -> None:
    """operator_ids keeps the order given."""
    assert Group(id="g", operator_ids=("zoe", "ann", "max")).operator_ids == ("zoe", "ann", "max")


def test_group_refuses_both_region_include_and_exclude() -> None:
    """regions_include and regions_exclude are mutually exclusive."""
    with pytest.raises(InvalidValue) as info:
        Group(id="g", regions_include=["RU"], regions_exclude=["RU-MOW"])
    assert info.value.field == "regions"
    assert "not both" in str(info.value)


def test_group_accepts_either_region_list_alone() -> None:
    """Only include, or only exclude, is fine."""
    assert Group(id="g", regions_include=["RU"]).regions_include == frozenset({"RU"})
    assert Group(id="g", regions_exclude=["RU-MOW"]).regions_exclude == frozenset({"RU-MOW"})


def test_group_refuses_a_member_listed_twice() -> None:
    """A duplicate member is refused, naming operator_ids."""
    with pytest.raises(InvalidValue) as info:
        Group(id="g", operator_ids=["ann", "bob", "ann"])
    assert info.value.field == "operator_ids"
    assert "twice" in str(info.value)


@pytest.mark.parametrize("limit", [-1, True])
def test_group_limit_must_be_non_negative(limit: Any) -> None:
    """A group's default limit follows the operator limit rules."""
    with pytest.raises(InvalidValue) as info:
        Group(id="g", limit=limit)
    assert info.value.field == "limit"


def test_group_display_title_falls_back_to_name_then_id() -> None:
    """display_title is title, else name, else id."""
    assert Group(id="g", name="Sales", title="Buy a car").display_title == "Buy a car"
    assert Group(id="g", name="Sales").display_title == "Sales"
    assert Group(id="g").display_title == "g"


def test_group_evolve_rechecks_region_exclusivity() -> None:
    """attrs.evolve runs the same checks as construction."""
    g = Group(id="g", regions_include=["RU"])
    with pytest.raises(InvalidValue):
        attrs.evolve(g, regions_exclude=["US"])


# ------------------------------------------------------------------------ Client


def test_client_defaults_and_tags() -> None:
    """A client has frozen tags and no favourite operators by default."""
    c = Client(id="c1", tags=["vip", "vip", "b2b"])
    assert c.tags == frozenset({"vip", "b2b"})
    assert c.preferred_operator_id is None
    assert c.last_operator_id is None


def test_client_id_must_be_non_empty() -> None:
    """A client needs a non-empty id."""
    with pytest.raises(InvalidValue) as info:
        Client(id="")
    assert info.value.field == "id"


# ------------------------------------------------------------------------ Dialog


def test_dialog_defaults() -> None:
    """A dialog defaults to the site channel, priority 0 and empty frozen containers."""
    d = Dialog(id="d1")
    assert d.channel == "site"
    assert d.priority == 0
    assert d.created_at is None
    assert d.tags == frozenset()
    assert dict(d.required_skills) == {}
    assert dict(d.attributes) == {}


def test_dialog_created_at_is_normalised_to_utc() -> None:
    """An aware created_at in another zone is stored as the same instant in UTC."""
    moscow = timezone(timedelta(hours=3))
    d = Dialog(id="d1", created_at=datetime(2026, 3, 2, 12, 0, tzinfo=moscow))
    assert d.created_at == T0
    assert d.created_at is not None
    assert d.created_at.utcoffset() == timedelta(0)


def test_dialog_refuses_a_naive_created_at() -> None:
    """A naive created_at raises NaiveDatetime whose message names created_at."""
    with pytest.raises(NaiveDatetime) as info:
        Dialog(id="d1", created_at=datetime(2026, 3, 2, 9, 0))
    assert isinstance(info.value, InvalidValue)
    assert "created_at" in str(info.value)


def test_dialog_refuses_a_created_at_that_is_not_a_datetime() -> None:
    """A string created_at is an InvalidValue, not silently kept."""
    with pytest.raises(InvalidValue):
        Dialog(id="d1", created_at="2026-03-02T09:00:00+00:00")


@pytest.mark.parametrize("priority", [-3, 0, 7])
def test_dialog_priority_accepts_any_integer(priority: int) -> None:
    """Negative, zero and positive priorities are all valid (lower is served sooner)."""
    assert Dialog(id="d1", priority=priority).priority == priority


@pytest.mark.parametrize("priority", ["high", 1.5, None, True], ids=repr)
def test_dialog_priority_must_be_an_integer(priority: Any) -> None:
    """A non-integer priority is refused when the dialog is built, not when it is queued."""
    with pytest.raises(InvalidValue) as info:
        Dialog(id="d1", priority=priority)
    assert info.value.field == "priority"


@pytest.mark.parametrize(
    "field", ["client_id", "topic", "page_url", "ip", "region", "language", "chosen_group_id"]
)
@pytest.mark.parametrize("value", [["sales"], 7, b"sales"], ids=repr)
def test_dialog_text_fields_must_be_strings(field: str, value: Any) -> None:
    """An optional text field that is not a string (a list, say) is refused, naming the field."""
    with pytest.raises(InvalidValue) as info:
        Dialog(id="d1", **{field: value})
    assert info.value.field == field
    assert getattr(Dialog(id="d1", **{field: None}), field) is None


@pytest.mark.parametrize("channel", ["", None, ["site"]], ids=repr)
def test_dialog_channel_must_be_a_non_empty_string(channel: Any) -> None:
    """The channel names a configured channel, so it is a non-empty string."""
    with pytest.raises(InvalidValue) as info:
        Dialog(id="d1", channel=channel)
    assert info.value.field == "channel"


@pytest.mark.parametrize("level", [0, 11, "3"])
def test_dialog_required_skills_are_levels_1_to_10(level: Any) -> None:
    """Required skill levels follow the operator skill range."""
    with pytest.raises(InvalidValue) as info:
        Dialog(id="d1", required_skills={"english": level})
    assert info.value.field == "required_skills['english']"


def test_dialog_containers_are_frozen() -> None:
    """Tags become a frozenset and mappings are read-only."""
    d = Dialog(id="d1", tags=["vip", "new"], required_skills={"en": 2}, attributes={"amount": 5})
    assert d.tags == frozenset({"vip", "new"})
    assert isinstance(d.required_skills, FrozenMap)
    with pytest.raises(TypeError):
        d.attributes["amount"] = 6  # type: ignore[index]
    with pytest.raises(TypeError):
        d.required_skills["en"] = 3  # type: ignore[index]


def test_dialog_attributes_are_frozen_deeply() -> None:
    """Nested lists become tuples and nested dicts become FrozenMaps."""
    source: dict[str, Any] = {"cart": [1, {"sku": "A-1", "sizes": [40, 41]}], "meta": {"utm": "x"}}
    d = Dialog(id="d1", attributes=source)
    cart = d.attributes["cart"]
    assert isinstance(cart, tuple)
    assert isinstance(cart[1], FrozenMap)
    assert cart[1]["sizes"] == (40, 41)
    assert isinstance(d.attributes["meta"], FrozenMap)
    source["cart"][1]["sku"] = "changed"
    assert d.attributes["cart"][1]["sku"] == "A-1"


def test_dialog_is_hashable_and_equal_by_value() -> None:
    """Two dialogs built from equal data are equal and hash alike, attributes included."""
    a = Dialog(id="d1", created_at=T0, tags=["a"], attributes={"x": [1, {"y": 2}]})
    b = Dialog(id="d1", created_at=T0, tags=("a",), attributes={"x": (1, {"y": 2})})
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != attrs.evolve(a, priority=1)


def test_dialog_fields_cannot_be_reassigned() -> None:
    """Dialog is frozen: setting an attribute raises."""
    d = Dialog(id="d1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.topic = "billing"  # type: ignore[misc]


# ------------------------------------------------------------------------ Target


def test_target_class_methods() -> None:
    """Each class method builds the matching kind and id."""
    assert (Target.group("sales").kind, Target.group("sales").id) == (TargetKind.GROUP, "sales")
    assert (Target.operator("ann").kind, Target.operator("ann").id) == (TargetKind.OPERATOR, "ann")
    assert Target.everyone() == Target(kind=TargetKind.EVERYONE)
    pref = Target.preferred_operator(otherwise=Target.group("sales"))
    assert pref.kind is TargetKind.PREFERRED_OPERATOR
    assert pref.id is None
    assert pref.otherwise == Target.group("sales")
    assert Target.preferred_operator().otherwise is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": TargetKind.GROUP}, "id"),
        ({"kind": TargetKind.GROUP, "id": ""}, "id"),
        ({"kind": TargetKind.OPERATOR}, "id"),
        ({"kind": TargetKind.EVERYONE, "id": "x"}, "id"),
        ({"kind": TargetKind.PREFERRED_OPERATOR, "id": "ann"}, "id"),
        ({"kind": TargetKind.GROUP, "id": "g", "otherwise": Target.everyone()}, "otherwise"),
        ({"kind": TargetKind.EVERYONE, "otherwise": Target.everyone()}, "otherwise"),
    ],
)
def test_target_refuses_invalid_combinations(kwargs: dict[str, Any], field: str) -> None:
    """Group/operator need an id, everyone/preferred take none, only preferred has otherwise."""
    with pytest.raises(InvalidValue) as info:
        Target(**kwargs)
    assert info.value.field == field


@pytest.mark.parametrize("kind", ["group", "everyone", None])
def test_target_refuses_a_kind_that_is_not_a_target_kind(kind: Any) -> None:
    """A plain string kind is refused with InvalidValue rather than falling through."""
    with pytest.raises(InvalidValue) as info:
        Target(kind=kind, id="sales" if kind == "group" else None)
    assert info.value.field == "kind"


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (Target.group("sales"), "group 'sales'"),
        (Target.operator("ann"), "operator 'ann'"),
        (Target.everyone(), "everyone"),
        (Target.preferred_operator(), "the client's preferred operator"),
        (
            Target.preferred_operator(otherwise=Target.group("sales")),
            "the client's preferred operator, otherwise group 'sales'",
        ),
        (
            Target.preferred_operator(otherwise=Target.everyone()),
            "the client's preferred operator, otherwise everyone",
        ),
    ],
)
def test_target_str(target: Target, text: str) -> None:
    """str(target) reads as plain English."""
    assert str(target) == text


def test_targets_are_hashable_values() -> None:
    """Equal targets are equal and hash alike, so they can key dicts."""
    assert Target.group("a") == Target.group("a")
    assert {Target.group("a"): 1}[Target.group("a")] == 1
    assert Target.group("a") != Target.operator("a")


# ------------------------------------------------------------------------ Rating


@pytest.mark.parametrize(
    ("scale", "low", "high"),
    [
        (RatingScale.LIKE, 0, 1),
        (RatingScale.SMILEYS_3, 1, 3),
        (RatingScale.SMILEYS_5, 1, 5),
        (RatingScale.TEN, 1, 10),
    ],
)
def test_rating_scale_bounds_are_enforced(scale: RatingScale, low: int, high: int) -> None:
    """Each scale accepts exactly its bounds and refuses one step outside them."""
    assert scale.bounds == (low, high)
    assert Rating(scale=scale, value=low).score == 0.0
    assert Rating(scale=scale, value=high).score == 1.0
    for bad in (low - 1, high + 1):
        with pytest.raises(InvalidValue) as info:
            Rating(scale=scale, value=bad)
        assert info.value.field == "rating.value"
        assert f"{low}..{high}" in str(info.value)


@pytest.mark.parametrize("value", [True, 1.0, "1", None])
def test_rating_value_must_be_an_integer(value: Any) -> None:
    """Booleans, floats and strings are not ratings."""
    with pytest.raises(InvalidValue):
        Rating(scale=RatingScale.TEN, value=value)


def test_rating_refuses_a_scale_that_is_not_a_rating_scale() -> None:
    """A plain string scale is refused with InvalidValue."""
    with pytest.raises(InvalidValue):
        Rating(scale="like", value=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scale", "value", "score", "positive"),
    [
        (RatingScale.LIKE, 0, 0.0, False),
        (RatingScale.LIKE, 1, 1.0, True),
        (RatingScale.SMILEYS_3, 2, 0.5, False),
        (RatingScale.SMILEYS_3, 3, 1.0, True),
        (RatingScale.SMILEYS_5, 3, 0.5, False),
        (RatingScale.SMILEYS_5, 4, 0.75, True),
        (RatingScale.TEN, 5, 4 / 9, False),
        (RatingScale.TEN, 6, 5 / 9, True),
    ],
)
def test_rating_score_and_positive(scale: RatingScale, value: int, score: float, positive: bool) -> None:
    """score maps the value onto 0..1; positive means strictly above the middle."""
    rating = Rating(scale=scale, value=value)
    assert rating.score == pytest.approx(score)
    assert rating.positive is positive


# ------------------------------------------------------------- evolve and repr


def test_evolve_applies_converters_and_validators() -> None:
    """attrs.evolve converts new container values and re-runs validators."""
    op = Operator(id="ann", skills={"en": 2})
    changed = attrs.evolve(op, status="online", tags=["lead"], skills={"en": 7})
    assert changed.status == "online"
    assert changed.tags == frozenset({"lead"})
    assert changed.skills == {"en": 7}
    assert op.status == "offline"
    with pytest.raises(InvalidValue):
        attrs.evolve(op, skills={"en": 11})
    with pytest.raises(InvalidValue):
        attrs.evolve(SLA(), critical=5)


def test_evolve_on_a_dialog_keeps_other_fields() -> None:
    """Evolving one field of a dialog keeps every other field."""
    d = Dialog(id="d1", created_at=T0, topic="billing", attributes={"a": 1})
    e = attrs.evolve(d, priority=-1)
    assert e.priority == -1
    assert (e.id, e.created_at, e.topic, e.attributes) == (d.id, d.created_at, d.topic, d.attributes)


@pytest.mark.parametrize(
    "value",
    [
        SLA(warn=10, critical=20),
        Channel(name="telegram", priority=2, carries_ip=False, capacity_weight=2),
        Status(key="lunch", label="Lunch", emoji="🍔", routable=False, order=3),
        Operator(id="ann", status="online", limit=3, channel_limits={"site": 2}, skills={"en": 5}, tags="a"),
        Group(
            id="sales",
            name="Sales",
            operator_ids=["ann"],
            channels=["site"],
            regions_include=["RU"],
            strategy=RoundRobin(),
            limit=2,
        ),
        Client(id="c1", tags=["vip"], preferred_operator_id="ann"),
        Dialog(
            id="d1", created_at=T0, tags=["x"], required_skills={"en": 2}, attributes={"a": [1, {"b": 2}]}
        ),
        Target.preferred_operator(otherwise=Target.group("sales")),
        Rating(scale=RatingScale.SMILEYS_5, value=4),
    ],
    ids=lambda value: type(value).__name__,
)
def test_repr_is_valid_python_that_rebuilds_the_value(value: object) -> None:
    """repr() names the class and its fields, and evaluates back to an equal value."""
    text = repr(value)
    assert text.startswith(type(value).__name__ + "(")
    assert rebuilt(value) == value


# ------------------------------------------------------------ hostile inputs


@given(hostile_attributes())
def test_dialog_attributes_refuse_what_json_would_not_carry(case: tuple[dict[str, Any], str]) -> None:
    """Decimal, bytes, datetimes, int keys, NaN, huge ints or deep nesting anywhere in the
    attributes raise InvalidValue naming the path to the value (they broke every later save,
    or changed through the JSON round trip)."""
    attributes, path = case
    with pytest.raises(InvalidValue) as info:
        Dialog(id="d1", attributes=attributes)
    assert info.value.field.startswith(path)


@given(st.dictionaries(st.text(max_size=4), json_values(max_leaves=6), max_size=3))
def test_dialog_attributes_of_plain_json_round_trip_exactly(attributes: dict[str, Any]) -> None:
    """Plain JSON attributes survive serialize + JSON + deserialize, equal to the original."""
    dialog = Dialog(id="d1", attributes=attributes)
    data = json.loads(json.dumps(serialize.to_dict(dialog)))
    assert serialize.from_dict(Dialog, data) == dialog


def test_dialog_attributes_must_be_a_mapping() -> None:
    """A list of attributes is refused naming the field."""
    with pytest.raises(InvalidValue) as info:
        Dialog(id="d1", attributes=[("a", 1)])  # type: ignore[arg-type]
    assert info.value.field == "attributes"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Dialog(id="d1", tags=[42]), "tags"),
        (lambda: Dialog(id="d1", tags=[42, "vip"]), "tags"),
        (lambda: Dialog(id="d1", tags=5), "tags"),
        (lambda: Client(id="c1", tags=[7]), "tags"),
        (lambda: Client(id="c1", tags=[b"vip"]), "tags"),
        (lambda: Client(id="c1", preferred_operator_id=5), "preferred_operator_id"),
        (lambda: Operator(id="a", tags=[None]), "tags"),
        (lambda: Operator(id="a", languages=["en", 1]), "languages"),
        (lambda: Operator(id="a", skills=5), "skills"),
        (lambda: Operator(id="a", status=1), "status"),
        (lambda: Operator(id="a", name=None), "name"),
        (lambda: Group(id="g", operator_ids=["a", 2]), "operator_ids[1]"),
        (lambda: Group(id="g", channels=[1]), "channels"),
        (lambda: Group(id="g", regions_include=[643]), "regions_include"),
        (lambda: Group(id="g", regions_exclude=[643]), "regions_exclude"),
        (lambda: Group(id="g", pages_include=[None]), "pages_include[0]"),
        (lambda: Group(id="g", pages_exclude=3), "pages_exclude"),
        (lambda: Group(id="g", strategy="even"), "strategy"),
        (lambda: Group(id="g", enabled="no"), "enabled"),
        (lambda: Status(key="x", routable="yes"), "routable"),
        (lambda: Status(key="x", order="1"), "order"),
        (lambda: Status(key="x", label=None), "label"),
        (lambda: Channel(name="site", carries_ip=1), "carries_ip"),
        (lambda: Channel(name="site", sla=30), "sla"),
        (lambda: Target.group(5), "id"),  # type: ignore[arg-type]
        (lambda: Visitor(url=5), "url"),
        (lambda: Visitor(channel=None), "channel"),
    ],
)
def test_values_of_the_wrong_type_are_refused_naming_the_field(build: Any, field: str) -> None:
    """Non-string tags, ids, languages and the like raise InvalidValue naming the field
    (Dialog(tags=[42]) routed, and its saved state could not be loaded)."""
    with pytest.raises(InvalidValue) as info:
        build()
    assert info.value.field == field


@given(huge_numbers())
def test_huge_numbers_are_refused_wherever_the_model_takes_a_number(number: Any) -> None:
    """Priorities, weights, limits, orders and durations beyond their range are refused
    naming the field, never OverflowError ("Python int too large to convert to C int")."""
    builds = {
        "priority": lambda: Dialog(id="d1", priority=number),
        "capacity_weight": lambda: Channel(name="site", capacity_weight=number),
        "limit": lambda: Operator(id="a", limit=number),
        "channel_limits['site']": lambda: Operator(id="a", channel_limits={"site": number}),
        "order": lambda: Status(key="x", order=number),
        "warn": lambda: SLA(warn=number, critical=number),
    }
    for field, build in builds.items():
        if isinstance(number, float) and field != "warn":
            continue  # not an integer at all: refused for that, tested elsewhere
        with pytest.raises(InvalidValue) as info:
            build()
        assert info.value.field == field


def test_priorities_are_bounded_by_max_priority() -> None:
    """Dialog priorities run from -MAX_PRIORITY to MAX_PRIORITY, channel priorities from 1;
    Dialog(priority=10**400), which overflowed queue aging, is refused."""
    assert Dialog(id="d1", priority=MAX_PRIORITY).priority == MAX_PRIORITY
    assert Dialog(id="d1", priority=-MAX_PRIORITY).priority == -MAX_PRIORITY
    assert Channel(name="site", priority=MAX_PRIORITY).priority == MAX_PRIORITY
    for bad in (MAX_PRIORITY + 1, -MAX_PRIORITY - 1, 10**400):
        with pytest.raises(InvalidValue) as info:
            Dialog(id="d1", priority=bad)
        assert info.value.field == "priority"
        assert str(MAX_PRIORITY) in str(info.value)
    with pytest.raises(InvalidValue):
        Channel(name="site", priority=MAX_PRIORITY + 1)


def test_counts_up_to_the_largest_json_integer_are_accepted() -> None:
    """Limits and weights up to 2**53 - 1 are valid; one more is refused."""
    top = 2**53 - 1
    assert Operator(id="a", limit=top).limit == top
    assert Channel(name="site", capacity_weight=top).capacity_weight == top
    with pytest.raises(InvalidValue, match="2\\*\\*53 - 1"):
        Operator(id="a", limit=top + 1)


@given(edge_datetimes())
def test_created_at_near_the_ends_of_the_range_is_refused_or_kept(moment: datetime) -> None:
    """A created_at too close to datetime.min / max for deadline arithmetic is refused naming
    created_at; any other is kept as the same instant."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        with pytest.raises(InvalidValue) as info:
            Dialog(id="d1", created_at=moment)
        assert info.value.field == "created_at"
    else:
        assert Dialog(id="d1", created_at=moment).created_at == utc


def test_empty_string_tags_are_still_tags() -> None:
    """An empty string tag (a host splitting an empty field) is kept, as before."""
    assert Dialog(id="d1", tags=[""]).tags == frozenset({""})


def test_trusted_dialog_takes_every_field_of_dialog_with_dialogs_defaults() -> None:
    """trusted_dialog has one keyword per Dialog field, required where Dialog's is, with the same defaults."""
    parameters = inspect.signature(trusted_dialog).parameters
    assert list(parameters) == [field.name for field in attrs.fields(Dialog)]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    required = [name for name, p in parameters.items() if p.default is inspect.Parameter.empty]
    assert required == [f.name for f in attrs.fields(Dialog) if f.default is attrs.NOTHING]
    made, expected = trusted_dialog(id="d1"), Dialog(id="d1")
    assert made == expected
    for field in attrs.fields(Dialog):
        assert getattr(made, field.name) is getattr(expected, field.name), field.name


@given(
    st.text(min_size=1),
    st.none() | st.text(),
    st.frozensets(st.text(), max_size=3),
    st.integers(-1_000_000, 1_000_000),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_trusted_dialog_of_canonical_fields_equals_dialog(
    dialog_id: str, topic: str | None, tags: frozenset[str], priority: int, created: datetime
) -> None:
    """Given values Dialog's converters leave as they are, trusted_dialog builds the equal dialog."""
    fields = {"id": dialog_id, "topic": topic, "tags": tags or EMPTY_SET, "priority": priority}
    fields |= {"created_at": created, "required_skills": FrozenMap({"cars": 3})}
    assert trusted_dialog(**fields) == Dialog(**fields)
