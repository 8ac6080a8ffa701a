"""Predicates, their algebra (&, |, ~), describe()/explain() texts, and Rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import Client, Dialog, InvalidValue, Predicate, Rule, RuleContext, Target, serialize
from chatroute.rules import (
    AllOf,
    Always,
    AnyOf,
    AttrCompare,
    Not,
    Op,
    always,
    attr,
    channel,
    has_all_tags,
    has_any_tag,
    has_tag,
    language,
    open_now,
    page,
    region,
    time_between,
    topic,
    weekday,
)
from chatroute.schedule import Closure, Schedule

from .strategies import json_values

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 2026-03-02 is a Monday
DST_DAY = datetime(2026, 3, 29, tzinfo=UTC)  # Europe/Berlin: 02:00 CET -> 03:00 CEST at 01:00 UTC


def ctx(now: datetime = MONDAY_9, client: Client | None = None, region: str | None = None) -> RuleContext:
    """A rule context at ``now`` (Monday 09:00 UTC by default)."""
    return RuleContext(now=now, client=client, region=region)


def dialog(**fields: Any) -> Dialog:
    """A dialog with id 'd1' and the given fields."""
    return Dialog(id="d1", **fields)


def at(hour: int, minute: int = 0, second: int = 0, microsecond: int = 0) -> RuleContext:
    """A context on Monday 2026-03-02 at the given UTC time."""
    return ctx(MONDAY_9.replace(hour=hour, minute=minute, second=second, microsecond=microsecond))


# ------------------------------------------------------------- topic, channel


def test_topic_matches_any_of_its_topics_exactly() -> None:
    """topic(...) matches a dialog whose topic is one of them, case-sensitively."""
    p = topic("billing", "refund")
    assert p(dialog(topic="billing"), ctx()) is True
    assert p(dialog(topic="refund"), ctx()) is True
    assert p(dialog(topic="sales"), ctx()) is False
    assert p(dialog(topic="Billing"), ctx()) is False
    assert p(dialog(), ctx()) is False


def test_channel_matches_any_of_its_channels() -> None:
    """channel(...) matches on the dialog's channel name."""
    p = channel("telegram", "whatsapp")
    assert p(dialog(channel="telegram"), ctx()) is True
    assert p(dialog(channel="site"), ctx()) is False


@pytest.mark.parametrize("build", [topic, channel, has_any_tag, has_all_tags, page, region, language])
def test_multi_value_predicates_need_a_non_empty_value(build: Any) -> None:
    """No values, or an empty string, is an InvalidValue."""
    with pytest.raises(InvalidValue):
        build()
    with pytest.raises(InvalidValue):
        build("")


# ------------------------------------------------------------------------ tags


def test_has_tag_looks_at_dialog_and_client_tags() -> None:
    """has_tag matches a tag on the dialog or on the context's client."""
    p = has_tag("vip")
    vip_client = Client(id="c1", tags=["vip"])
    assert p(dialog(tags=["vip"]), ctx()) is True
    assert p(dialog(client_id="c1"), ctx(client=vip_client)) is True
    assert p(dialog(tags=["new"]), ctx(client=Client(id="c1", tags=["b2b"]))) is False
    assert p(dialog(), ctx()) is False


def test_has_any_tag_looks_at_dialog_and_client_tags() -> None:
    """has_any_tag matches when any listed tag is on the dialog or the client."""
    p = has_any_tag("vip", "b2b")
    assert p(dialog(tags=["b2b"]), ctx()) is True
    assert p(dialog(), ctx(client=Client(id="c1", tags=["vip"]))) is True
    assert p(dialog(tags=["spam"]), ctx(client=Client(id="c1", tags=["new"]))) is False


def test_has_all_tags_may_combine_dialog_and_client_tags() -> None:
    """has_all_tags is satisfied by dialog and client tags together."""
    p = has_all_tags("vip", "b2b")
    assert p(dialog(tags=["vip", "b2b", "x"]), ctx()) is True
    assert p(dialog(tags=["vip"]), ctx(client=Client(id="c1", tags=["b2b"]))) is True
    assert p(dialog(tags=["vip"]), ctx()) is False
    assert p(dialog(), ctx(client=Client(id="c1", tags=["vip"]))) is False


def test_has_tag_refuses_an_empty_tag() -> None:
    """has_tag('') is an InvalidValue, like the other predicates' empty values."""
    with pytest.raises(InvalidValue):
        has_tag("")


# ------------------------------------------------------------------------ page


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://bank.ru/finance", True),
        ("https://bank.ru/finance/credit?x=1", True),
        ("https://bank.ru/news/finance-week", False),
        ("https://bank.ru/", False),
        (None, False),
    ],
)
def test_page_matches_url_globs(url: str | None, expected: bool) -> None:
    """page('*.ru/finance*') matches URLs whose path starts with /finance; no URL never matches."""
    p = page("*.ru/finance*")
    assert p(dialog(page_url=url), ctx()) is expected


def test_page_matches_any_of_several_globs() -> None:
    """Any glob matching is enough."""
    p = page("*/credit*", "*/deposit*")
    assert p(dialog(page_url="https://b.ru/deposit/1"), ctx()) is True
    assert p(dialog(page_url="https://b.ru/cards"), ctx()) is False


# ---------------------------------------------------------------------- region


@pytest.mark.parametrize(
    ("codes", "found", "expected"),
    [
        (("RU",), "RU", True),
        (("RU",), "RU-MOW", True),
        (("RU-MOW",), "RU-MOW", True),
        (("RU-MOW",), "RU-SPE", False),
        (("RU-MOW",), "RU", False),
        (("RU",), "RUS", False),
        (("RU",), "US", False),
        (("US", "RU-SPE"), "RU-SPE", True),
        (("RU",), None, False),
    ],
)
def test_region_country_covers_its_subdivisions(
    codes: tuple[str, ...], found: str | None, expected: bool
) -> None:
    """A country code covers its ISO 3166-2 subdivisions; a subdivision covers only itself."""
    assert region(*codes)(dialog(region=found), ctx()) is expected


def test_region_prefers_the_context_region() -> None:
    """The region resolved for the decision (ctx.region) wins over the dialog's own."""
    p = region("RU")
    assert p(dialog(region="US"), ctx(region="RU-MOW")) is True
    assert p(dialog(region="RU"), ctx(region="US")) is False
    assert p(dialog(region="RU-SPE"), ctx()) is True


# -------------------------------------------------------------------- language


@pytest.mark.parametrize(("wanted", "actual"), [("en", "en"), ("EN", "en"), ("en", "EN"), ("En", "eN")])
def test_language_is_case_insensitive(wanted: str, actual: str) -> None:
    """language() compares codes without regard to case."""
    assert language(wanted)(dialog(language=actual), ctx()) is True


def test_language_does_not_match_other_or_missing_languages() -> None:
    """Another language, or none, does not match."""
    p = language("en", "de")
    assert p(dialog(language="ru"), ctx()) is False
    assert p(dialog(), ctx()) is False


# ------------------------------------------------------------------------ time


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at(8, 59, 59, 999_999), False),
        (at(9), True),
        (at(12, 30), True),
        (at(16, 59, 59, 999_999), True),
        (at(17), False),
        (at(23), False),
    ],
)
def test_time_between_is_start_inclusive_end_exclusive(when: RuleContext, expected: bool) -> None:
    """[09:00, 17:00): 09:00 exactly matches, 17:00 exactly does not."""
    assert time_between("09:00", "17:00")(dialog(), when) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at(21, 59, 59), False),
        (at(22), True),
        (at(23, 30), True),
        (at(0), True),
        (at(3), True),
        (at(5, 59, 59, 999_999), True),
        (at(6), False),
        (at(12), False),
    ],
)
def test_time_between_window_crossing_midnight(when: RuleContext, expected: bool) -> None:
    """22:00-06:00 covers the night on both sides of midnight, and not 06:00 itself."""
    assert time_between(time(22), time(6))(dialog(), when) is expected


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (DST_DAY.replace(hour=6, minute=59), False),  # 08:59 CEST
        (DST_DAY.replace(hour=7), True),  # 09:00 CEST (would be 08:00 in winter time)
        (DST_DAY.replace(hour=14, minute=59), True),  # 16:59 CEST
        (DST_DAY.replace(hour=15), False),  # 17:00 CEST
        (DST_DAY - timedelta(days=1) + timedelta(hours=7), False),  # Saturday 08:00 CET
        (DST_DAY - timedelta(days=1) + timedelta(hours=8), True),  # Saturday 09:00 CET
    ],
)
def test_time_between_in_a_named_zone_across_the_dst_switch(utc: datetime, expected: bool) -> None:
    """Europe/Berlin 09:00-17:00 follows local wall time on the day clocks go forward."""
    assert time_between("09:00", "17:00", tz="Europe/Berlin")(dialog(), ctx(utc)) is expected


def test_time_between_over_the_skipped_hour() -> None:
    """On 2026-03-29 Berlin skips 02:00-03:00, so that window never matches that night."""
    p = time_between("02:00", "03:00", tz="Europe/Berlin")
    assert p(dialog(), ctx(DST_DAY.replace(hour=0, minute=59))) is False  # 01:59 CET
    assert p(dialog(), ctx(DST_DAY.replace(hour=1))) is False  # 03:00 CEST
    assert p(dialog(), ctx(DST_DAY + timedelta(days=1, hours=0, minutes=30))) is True  # Monday 02:30 CEST


def test_time_between_accepts_time_objects_and_strings_alike() -> None:
    """'09:30' and time(9, 30) build equal predicates."""
    assert time_between("09:30", "18:00") == time_between(time(9, 30), time(18))


@pytest.mark.parametrize(("start", "field"), [("25:00", "time"), ("nine", "time"), (930, "time")])
def test_time_between_refuses_bad_times(start: Any, field: str) -> None:
    """A time that is not HH:MM is an InvalidValue."""
    with pytest.raises(InvalidValue) as info:
        time_between(start, "18:00")
    assert info.value.field == field


@pytest.mark.parametrize("start", ["09:00+03:00", time(9, tzinfo=UTC)], ids=str)
def test_time_between_refuses_times_with_their_own_offset(start: Any) -> None:
    """An aware start time is refused when built, instead of failing later while routing."""
    with pytest.raises(InvalidValue) as info:
        time_between(start, "17:00", tz="Europe/Moscow")
    assert info.value.field == "time"


def test_time_between_refuses_an_unknown_zone() -> None:
    """An unknown IANA zone is an InvalidValue on 'tz'."""
    with pytest.raises(InvalidValue) as info:
        time_between("09:00", "18:00", tz="Mars/Olympus")
    assert info.value.field == "tz"


# --------------------------------------------------------------------- weekday


@pytest.mark.parametrize("day", ["mon", "Monday", "MON", 0])
def test_weekday_by_name_or_number(day: int | str) -> None:
    """Monday is 0, 'mon', 'Monday' or 'MON'."""
    p = weekday(day)
    assert p(dialog(), ctx(MONDAY_9)) is True
    assert p(dialog(), ctx(MONDAY_9 + timedelta(days=1))) is False


def test_weekday_uses_the_local_day_of_a_named_zone() -> None:
    """Sunday 23:30 UTC is already Monday in Moscow (UTC+3)."""
    sunday_late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert weekday("mon", tz="Europe/Moscow")(dialog(), ctx(sunday_late)) is True
    assert weekday(0, tz="Europe/Moscow")(dialog(), ctx(sunday_late)) is True
    assert weekday("mon")(dialog(), ctx(sunday_late)) is False
    assert weekday("sun", 6)(dialog(), ctx(sunday_late)) is True


def test_weekday_names_and_numbers_are_the_same_days() -> None:
    """weekday('sat', 'sun') equals weekday(5, 6)."""
    assert weekday("sat", "sun") == weekday(5, 6)


@pytest.mark.parametrize("day", ["funday", 7, -1, True, 1.0])
def test_weekday_refuses_unknown_days(day: Any) -> None:
    """A day outside 0..6 or an unknown name is an InvalidValue on 'days'."""
    with pytest.raises(InvalidValue) as info:
        weekday(day)
    assert info.value.field == "days"


def test_weekday_needs_at_least_one_day() -> None:
    """weekday() with no days is an InvalidValue."""
    with pytest.raises(InvalidValue):
        weekday()


# ------------------------------------------------------------------- attributes


@pytest.mark.parametrize(
    ("predicate", "amount", "expected"),
    [
        (attr("amount") > 1000, 1500, True),
        (attr("amount") > 1000, 1000, False),
        (attr("amount") >= 1000, 1000, True),
        (attr("amount") < 1000, 999.5, True),
        (attr("amount") <= 1000, 1001, False),
        (attr("amount") == 1000, 1000, True),
        (attr("amount") == 1000, 1001, False),
        (attr("amount") != 1000, 1001, True),
        (attr("amount").is_in([5, 10]), 10, True),
        (attr("amount").is_in([5, 10]), 7, False),
    ],
)
def test_attr_comparisons(predicate: AttrCompare, amount: float, expected: bool) -> None:
    """attr(name) <op> value compares the dialog attribute with the value."""
    assert predicate(dialog(attributes={"amount": amount}), ctx()) is expected


@pytest.mark.parametrize(
    "predicate",
    [
        attr("amount") > 0,
        attr("amount") < 0,
        attr("amount") == 0,
        attr("amount") != 0,
        attr("amount").is_in([0]),
    ],
)
def test_attr_missing_attribute_never_matches(predicate: AttrCompare) -> None:
    """A dialog without the attribute matches no comparison, != included."""
    assert predicate(dialog(attributes={"other": 1}), ctx()) is False
    assert predicate(dialog(), ctx()) is False


@pytest.mark.parametrize("predicate", [attr("amount") > 1000, attr("amount") <= 1000, attr("amount") == 1000])
def test_attr_type_mismatch_does_not_match_or_raise(predicate: AttrCompare) -> None:
    """Comparing a string attribute with a number is simply no match."""
    assert predicate(dialog(attributes={"amount": "1500"}), ctx()) is False


def test_attr_compares_frozen_lists_and_dicts() -> None:
    """List and dict values compare equal to the frozen attribute data."""
    d = dialog(attributes={"cart": [1, 2], "meta": {"utm": "ads"}})
    assert (attr("cart") == [1, 2])(d, ctx()) is True
    assert (attr("meta") == {"utm": "ads"})(d, ctx()) is True
    assert (attr("cart") == [2, 1])(d, ctx()) is False


def test_attr_builds_attr_compare_values() -> None:
    """attr() operators return AttrCompare values, not booleans."""
    assert (attr("x") > 3) == AttrCompare(name="x", op=Op.GT, value=3)
    assert (attr("x") != "a") == AttrCompare(name="x", op=Op.NE, value="a")
    assert attr("x").is_in(["a", "b"]) == AttrCompare(name="x", op=Op.IN, value=("a", "b"))


def test_always_matches_everything() -> None:
    """always() matches any dialog."""
    assert always()(dialog(), ctx()) is True
    assert always() == Always()


# ------------------------------------------------------------------ describe()


@pytest.mark.parametrize(
    ("predicate", "text"),
    [
        (always(), "always"),
        (topic("billing"), "topic is 'billing'"),
        (topic("refund", "billing"), "topic is one of 'billing', 'refund'"),
        (channel("telegram"), "channel is 'telegram'"),
        (channel("whatsapp", "telegram"), "channel is one of 'telegram', 'whatsapp'"),
        (has_tag("vip"), "has tag 'vip'"),
        (has_any_tag("vip", "b2b"), "has any tag of 'b2b', 'vip'"),
        (has_all_tags("vip", "b2b"), "has all tags 'b2b', 'vip'"),
        (page("*/finance*"), "page matches '*/finance*'"),
        (page("*/credit*", "*/deposit*"), "page matches one of '*/credit*', '*/deposit*'"),
        (region("RU-MOW"), "region is 'RU-MOW'"),
        (region("RU", "BY"), "region is one of 'BY', 'RU'"),
        (language("EN"), "language is 'en'"),
        (time_between("09:00", "17:30", tz="Europe/Berlin"), "time is 09:00-17:30 Europe/Berlin"),
        (time_between("22:00", "06:00"), "time is 22:00-06:00 UTC"),
        (weekday("sun", "mon", tz="Europe/Moscow"), "weekday is Mon, Sun in Europe/Moscow"),
        (attr("amount") >= 1000, "attribute 'amount' >= 1000"),
        (attr("plan").is_in(["pro", "team"]), "attribute 'plan' in ('pro', 'team')"),
        (~has_tag("spam"), "not has tag 'spam'"),
        (topic("a") & channel("site"), "topic is 'a' and channel is 'site'"),
        (topic("a") | channel("site"), "topic is 'a' or channel is 'site'"),
        (topic("a") & (channel("x") | channel("y")), "topic is 'a' and (channel is 'x' or channel is 'y')"),
        (~(topic("a") & has_tag("b")), "not (topic is 'a' and has tag 'b')"),
    ],
)
def test_describe_texts(predicate: Predicate, text: str) -> None:
    """describe() renders each predicate in plain words, grouping nested combinators."""
    assert predicate.describe() == text


def test_rule_describe() -> None:
    """Rule.describe() reads 'name: if condition then target'."""
    rule = Rule(name="vip-billing", when=topic("billing") & has_tag("vip"), to=Target.group("accounting"))
    assert rule.describe() == "vip-billing: if topic is 'billing' and has tag 'vip' then group 'accounting'"
    fallback = Rule(name="any", when=always(), to=Target.preferred_operator(otherwise=Target.everyone()))
    assert fallback.describe() == "any: if always then the client's preferred operator, otherwise everyone"


def test_rule_refuses_non_predicates_and_non_targets() -> None:
    """Rule's when must be a Predicate and to must be a Target."""
    with pytest.raises(InvalidValue) as info:
        Rule(name="r", when=lambda d, c: True, to=Target.everyone())  # type: ignore[arg-type]
    assert info.value.field == "when"
    with pytest.raises(InvalidValue) as info:
        Rule(name="r", when=always(), to="sales")  # type: ignore[arg-type]
    assert info.value.field == "to"


def test_rule_refuses_an_empty_name() -> None:
    """A rule needs a name, refused as InvalidValue when empty."""
    with pytest.raises(InvalidValue):
        Rule(name="", when=always(), to=Target.everyone())


# ------------------------------------------------------------------- explain()


@pytest.mark.parametrize(
    ("predicate", "d", "c", "text"),
    [
        (always(), dialog(), ctx(), "always: yes"),
        (topic("billing"), dialog(topic="sales"), ctx(), "topic is 'billing': no (dialog topic: 'sales')"),
        (topic("billing"), dialog(), ctx(), "topic is 'billing': no (dialog topic: None)"),
        (channel("site"), dialog(), ctx(), "channel is 'site': yes (dialog channel: 'site')"),
        (has_tag("vip"), dialog(), ctx(), "has tag 'vip': no (no tags)"),
        (
            has_tag("vip"),
            dialog(tags=["new"]),
            ctx(client=Client(id="c", tags=["vip"])),
            "has tag 'vip': yes (tags: 'new', 'vip')",
        ),
        (
            page("*/x*"),
            dialog(page_url="https://a/y"),
            ctx(),
            "page matches '*/x*': no (page: 'https://a/y')",
        ),
        (region("RU"), dialog(), ctx(), "region is 'RU': no (region unknown)"),
        (region("RU"), dialog(), ctx(region="RU-MOW"), "region is 'RU': yes (region: 'RU-MOW')"),
        (language("en"), dialog(language="EN"), ctx(), "language is 'en': yes (dialog language: 'EN')"),
        (
            time_between("09:00", "17:00", tz="Europe/Berlin"),
            dialog(),
            ctx(),
            "time is 09:00-17:00 Europe/Berlin: yes (local time 10:00 Mon)",
        ),
        (weekday("sat"), dialog(), ctx(), "weekday is Sat in UTC: no (local day Mon)"),
        (attr("amount") > 10, dialog(), ctx(), "attribute 'amount' > 10: no (no attribute 'amount')"),
        (
            attr("amount") > 10,
            dialog(attributes={"amount": 5}),
            ctx(),
            "attribute 'amount' > 10: no (amount=5)",
        ),
        (~has_tag("spam"), dialog(), ctx(), "not has tag 'spam': yes (no tags)"),
        (
            topic("billing") & channel("telegram"),
            dialog(topic="billing"),
            ctx(),
            "topic is 'billing' and channel is 'telegram': no, because "
            "channel is 'telegram': no (dialog channel: 'site')",
        ),
        (
            topic("billing") & channel("site"),
            dialog(topic="billing"),
            ctx(),
            "topic is 'billing' and channel is 'site': yes",
        ),
        (
            topic("billing") | channel("site"),
            dialog(),
            ctx(),
            "topic is 'billing' or channel is 'site': yes, because "
            "channel is 'site': yes (dialog channel: 'site')",
        ),
        (
            topic("billing") | channel("telegram"),
            dialog(),
            ctx(),
            "topic is 'billing' or channel is 'telegram': no ("
            "topic is 'billing': no (dialog topic: None); "
            "channel is 'telegram': no (dialog channel: 'site'))",
        ),
    ],
)
def test_explain_texts(predicate: Predicate, d: Dialog, c: RuleContext, text: str) -> None:
    """explain() gives the condition, the answer and what the dialog had."""
    assert predicate.explain(d, c) == text


# --------------------------------------------------------------------- algebra


def test_and_flattens_into_one_all_of() -> None:
    """a & b & c is one AllOf of three items."""
    a, b, c = topic("a"), channel("b"), has_tag("c")
    combined = a & b & c
    assert isinstance(combined, AllOf)
    assert combined.items == (a, b, c)
    assert (a & (b & c)).items == (a, b, c)
    assert len(((a & b) & (c & always())).items) == 4


def test_or_flattens_into_one_any_of() -> None:
    """a | b | c is one AnyOf of three items."""
    a, b, c = topic("a"), channel("b"), has_tag("c")
    combined = a | (b | c)
    assert isinstance(combined, AnyOf)
    assert combined.items == (a, b, c)


def test_mixed_combinators_nest_without_flattening_across_kinds() -> None:
    """(a | b) & c keeps the AnyOf as one item of the AllOf."""
    a, b, c = topic("a"), channel("b"), has_tag("c")
    combined = (a | b) & c
    assert isinstance(combined, AllOf)
    assert combined.items == (AnyOf(items=(a, b)), c)


def test_double_negation_returns_the_original() -> None:
    """~~a is a itself, and ~a is Not(a)."""
    a = topic("a")
    assert ~a == Not(item=a)
    assert ~~a is a


def test_combining_with_a_non_predicate_is_refused() -> None:
    """a & 'x' raises InvalidValue instead of building a broken predicate."""
    with pytest.raises(InvalidValue):
        topic("a") & "x"  # type: ignore[operator]
    with pytest.raises(InvalidValue):
        AllOf(items=())


def test_predicates_are_hashable_values() -> None:
    """Equal predicates are equal and hash alike."""
    assert topic("a", "b") == topic("b", "a")
    assert hash(topic("a") & channel("b")) == hash(topic("a") & channel("b"))
    assert len({~has_tag("x"), ~has_tag("x"), has_tag("x")}) == 2


# ---------------------------------------------------------------- open_now


def test_open_now_follows_the_schedule_to_the_closing_instant() -> None:
    """open_now is true from the opening instant up to, not including, the closing instant."""
    hours = open_now(Schedule.weekdays("09:00", "18:00", tz="Europe/Moscow"))
    opening = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 09:00 in Moscow (UTC+3)
    closing = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert not hours(dialog(), ctx(opening - timedelta(microseconds=1)))
    assert hours(dialog(), ctx(opening))
    assert hours(dialog(), ctx(closing - timedelta(microseconds=1)))
    assert not hours(dialog(), ctx(closing))


def test_open_now_explains_until_when() -> None:
    """The explanation says when it opens (closed) or closes (open)."""
    hours = open_now(Schedule.weekdays("09:00", "18:00", tz="Europe/Moscow"))
    friday_evening = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)  # 19:00 in Moscow
    assert hours.explain(dialog(), ctx(friday_evening)) == (
        "open now (Mon-Fri 09:00-18:00 Europe/Moscow): no (closed until Mon 09:00 Europe/Moscow)"
    )
    assert hours.explain(dialog(), ctx(MONDAY_9)).endswith(": yes (open until 18:00 Europe/Moscow)")


def test_open_now_respects_holidays_and_combines_with_other_predicates() -> None:
    """A closure day makes it false, and ~open_now picks the after-hours scenario."""
    hours = Schedule(
        tz="Europe/Berlin",
        windows=Schedule.weekdays("09:00", "17:00").windows,
        closures=[Closure(dates=["2026-03-02"], note="holiday")],
    )
    after_hours = ~open_now(hours) & channel("site")
    assert after_hours(dialog(), ctx(MONDAY_9))
    assert not after_hours(dialog(), ctx(MONDAY_9 + timedelta(days=1)))


def test_open_now_wants_a_schedule() -> None:
    """Anything but a Schedule is refused, naming the field."""
    with pytest.raises(InvalidValue, match="schedule"):
        open_now("Mon-Fri 09:00-18:00")  # type: ignore[arg-type]


# ------------------------------------------------------- Hypothesis properties

LEAVES: tuple[Predicate, ...] = (
    always(),
    topic("billing"),
    topic("sales", "billing"),
    channel("telegram"),
    has_tag("vip"),
    has_any_tag("vip", "spam"),
    has_all_tags("vip", "b2b"),
    page("*/finance*"),
    region("RU"),
    region("RU-MOW"),
    language("EN"),
    time_between("09:00", "18:00", tz="Europe/Berlin"),
    time_between("22:00", "06:00"),
    weekday("sat", "sun", tz="Europe/Moscow"),
    open_now(Schedule.weekdays("09:00", "18:00", tz="Europe/Moscow")),
    attr("amount") > 1000,
    attr("amount").is_in([5, 10]),
)


def _combine(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda ab: ab[0] & ab[1]),
        pairs.map(lambda ab: ab[0] | ab[1]),
        children.map(lambda p: ~p),
    )


leaf_predicates: st.SearchStrategy[Predicate] = st.sampled_from(LEAVES)
#: Any predicate tree built from the built-ins with &, | and ~.
predicates: st.SearchStrategy[Predicate] = st.recursive(leaf_predicates, _combine, max_leaves=8)

TAGS = ("vip", "spam", "b2b", "new")
dialogs: st.SearchStrategy[Dialog] = st.builds(
    Dialog,
    id=st.just("d1"),
    channel=st.sampled_from(("site", "telegram")),
    topic=st.sampled_from((None, "billing", "sales")),
    tags=st.frozensets(st.sampled_from(TAGS)),
    page_url=st.sampled_from((None, "https://b.ru/finance/x", "https://b.ru/")),
    region=st.sampled_from((None, "RU", "RU-MOW", "RU-SPE", "US")),
    language=st.sampled_from((None, "en", "EN", "ru")),
    attributes=st.one_of(
        st.just({}),
        st.fixed_dictionaries({"amount": st.one_of(st.integers(-5, 5000), st.sampled_from(("5", "big")))}),
    ),
)
contexts: st.SearchStrategy[RuleContext] = st.builds(
    RuleContext,
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    client=st.one_of(
        st.none(), st.builds(Client, id=st.just("c1"), tags=st.frozensets(st.sampled_from(TAGS)))
    ),
    region=st.sampled_from((None, "RU-MOW", "US")),
)


@given(predicates, predicates, dialogs, contexts)
def test_and_or_not_agree_with_plain_boolean_logic(
    a: Predicate, b: Predicate, d: Dialog, c: RuleContext
) -> None:
    """&, | and ~ evaluate exactly as Python's and, or and not."""
    assert (a & b)(d, c) == (a(d, c) and b(d, c))
    assert (a | b)(d, c) == (a(d, c) or b(d, c))
    assert (~a)(d, c) == (not a(d, c))


@given(predicates, predicates, dialogs, contexts)
def test_de_morgan_holds(a: Predicate, b: Predicate, d: Dialog, c: RuleContext) -> None:
    """~(a & b) is ~a | ~b and ~(a | b) is ~a & ~b on every dialog."""
    assert (~(a & b))(d, c) == (~a | ~b)(d, c)
    assert (~(a | b))(d, c) == (~a & ~b)(d, c)


def _width(p: Predicate, kind: type[AllOf] | type[AnyOf]) -> int:
    return len(p.items) if isinstance(p, kind) else 1


@given(predicates, predicates, predicates)
def test_nesting_is_always_flattened(a: Predicate, b: Predicate, c: Predicate) -> None:
    """An AllOf (AnyOf) built with & (|) never holds another AllOf (AnyOf), and ~~a equals a."""
    both = a & b & c
    assert isinstance(both, AllOf)
    assert len(both.items) == _width(a, AllOf) + _width(b, AllOf) + _width(c, AllOf)
    assert not any(isinstance(item, AllOf) for item in both.items)
    either = a | b | c
    assert isinstance(either, AnyOf)
    assert len(either.items) == _width(a, AnyOf) + _width(b, AnyOf) + _width(c, AnyOf)
    assert not any(isinstance(item, AnyOf) for item in either.items)
    assert ~~a == a


@given(predicates, dialogs, contexts)
def test_explain_starts_with_describe_and_the_answer(p: Predicate, d: Dialog, c: RuleContext) -> None:
    """explain() is describe(), then ': yes' or ': no' matching the predicate's value."""
    text = p.explain(d, c)
    head = p.describe() + (": yes" if p(d, c) else ": no")
    assert text.startswith(head)


# ------------------------------------------------------------ hostile values


@pytest.mark.parametrize(
    "build",
    [
        lambda: attr("amount") == float("nan"),
        lambda: attr("amount") > float("inf"),
        lambda: attr("amount") < 10**400,
        lambda: attr("amount").is_in([1, float("nan")]),
        lambda: attr("when") == datetime(2026, 3, 2, tzinfo=UTC),
        lambda: attr("blob") == b"x",
        lambda: attr("ids") == {1: "a"},
    ],
)
def test_attr_refuses_values_that_are_not_plain_json(build: Any) -> None:
    """NaN (never equal to itself, so a config was unequal to its own round trip), infinities,
    huge ints, datetimes, bytes and int keys in a comparison raise InvalidValue naming value."""
    with pytest.raises(InvalidValue) as info:
        build()
    assert info.value.field.startswith("value")


@given(st.sampled_from(list(Op)), json_values(max_leaves=4))
def test_attr_comparisons_round_trip_equal(op: Op, value: Any) -> None:
    """Any attr comparison of plain JSON data equals itself after serialize + JSON + deserialize."""
    if op is Op.IN and not isinstance(value, list):
        value = [value]
    rule = Rule(name="r", when=AttrCompare(name="x", op=op, value=value), to=Target.everyone())
    data = json.loads(json.dumps(serialize.to_dict(rule)))
    assert serialize.from_dict(Rule, data) == rule


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: has_any_tag("vip", 42), "tags"),
        (lambda: topic("billing", None), "topics"),
        (lambda: language("en", 1), "languages"),
        (lambda: region(643), "codes"),
    ],
)
def test_predicates_refuse_values_that_are_not_strings(build: Any, field: str) -> None:
    """Non-string tags, topics, languages and regions in a predicate raise InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as info:
        build()
    assert info.value.field == field
