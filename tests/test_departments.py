"""Departments as data: business hours, GeoIP regions, the messenger group, the visitor's menu.

Covers the router side of ``_departments.py``: closed groups take no new dialogs and say
until when, across daylight-saving switches, midnight and the closing instant; a
resolver turns the dialog's IP into a region once and the trace says how (or why not);
dialogs from channels without IP go to the config's messenger group; and
``available_groups`` runs the Callibri checks for a visitor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from chatroute import (
    Channel,
    ConfigError,
    Dialog,
    Group,
    GroupChoice,
    GroupChoices,
    InvalidValue,
    NaiveDatetime,
    Operator,
    Outcome,
    Reason,
    Router,
    RoutingConfig,
    Rule,
    Target,
    UnknownChannel,
    Visitor,
    serialize,
)
from chatroute.geo import GeoLookup, MaxMindResolver, StaticResolver
from chatroute.rules import open_now, region, topic
from chatroute.schedule import Closure, Schedule, Window
from chatroute.snapshot import Snapshot

from .geodata import build_city_db

MOSCOW_HOURS = Schedule.weekdays("09:00", "18:00", tz="Europe/Moscow")
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; Moscow is UTC+3 all year
NETWORKS = {"5.8.0.0/16": "RU-MOW", "5.9.0.0/16": "RU-SPE", "46.0.0.0/8": "DE"}


def moscow(hour: int, minute: int = 0, day: int = 0) -> datetime:
    """Local Moscow time on MONDAY plus ``day`` days, as an aware UTC datetime."""
    return MONDAY + timedelta(days=day, hours=hour - 3, minutes=minute)


def desk(**config: object) -> RoutingConfig:
    """Sales (Moscow office hours, site only) and night (22:00-06:00) desks, everyone online."""
    operators = [Operator(id=op_id, status="online", limit=2) for op_id in ("ann", "bob", "cat")]
    groups = [
        Group(
            id="sales",
            name="Sales desk",
            title="Buy a car",
            operator_ids=["ann", "bob"],
            schedule=MOSCOW_HOURS,
            channels=["site"],
        ),
        Group(
            id="night",
            name="Night desk",
            title="Night help",
            operator_ids=["cat"],
            schedule=Schedule(
                tz="Europe/Moscow", windows=[Window(days=range(7), start="22:00", end="06:00")]
            ),
        ),
    ]
    base = RoutingConfig(
        channels=[Channel(name="site"), Channel(name="telegram", carries_ip=False)],
        operators=operators,
        groups=groups,
        rules=[Rule(name="sales", when=topic("buy"), to=Target.group("sales"))],
    )
    return attrs.evolve(base, **config)


# ------------------------------------------------------------------ business hours


def test_an_open_group_takes_the_dialog() -> None:
    """In office hours the rule's group takes the dialog."""
    decision = Router(desk()).route(Dialog(id="d1", topic="buy"), moscow(10))
    assert (decision.outcome, decision.group_id) == (Outcome.ASSIGNED, "sales")


def test_a_closed_group_is_skipped_and_the_trace_says_until_when() -> None:
    """After hours the rule's group is skipped with reason closed and its opening time."""
    decision = Router(desk()).route(Dialog(id="d1", topic="buy"), moscow(19))
    assert decision.trace is not None
    assert decision.trace.rules[0].skipped == "group 'sales': closed until Tue 09:00 Europe/Moscow"
    assert [(g.group_id, g.reason) for g in decision.trace.groups] == [("sales", Reason.CLOSED)]
    assert decision.target == Target.everyone()  # the fallback took it


def test_a_closed_fallback_rejects_with_the_reopening_time() -> None:
    """With the closed group as fallback, the dialog is rejected and the decision says when it opens."""
    router = Router(desk(fallback=Target.group("sales")))
    before = router.snapshot()
    decision = router.route(Dialog(id="d1"), moscow(7))
    assert decision.outcome is Outcome.REJECTED
    assert (
        decision.reason
        == "the fallback group 'sales' cannot take it: group 'sales': closed until 09:00 Europe/Moscow"
    )
    assert decision.reopens_at == moscow(9)
    assert router.snapshot() == before  # a rejected dialog is not kept


def test_the_closing_instant_is_closed_and_the_opening_instant_open() -> None:
    """[opens, closes): 18:00:00 sharp is closed, 17:59:59.999999 open, 09:00:00 open."""
    router = Router(desk(fallback=Target.group("sales")))
    tick = timedelta(microseconds=1)
    outcomes = [
        router.explain(Dialog(id="d"), t).outcome
        for t in (moscow(9) - tick, moscow(9), moscow(18) - tick, moscow(18))
    ]
    assert outcomes == [Outcome.REJECTED, Outcome.ASSIGNED, Outcome.ASSIGNED, Outcome.REJECTED]


def test_a_window_across_midnight_is_open_on_both_sides() -> None:
    """The night desk (22:00-06:00) is open at 23:30 and 05:59, closed at 06:00."""
    router = Router(desk(fallback=Target.group("night")))
    assert router.explain(Dialog(id="d"), moscow(23, 30)).outcome is Outcome.ASSIGNED
    assert router.explain(Dialog(id="d"), moscow(5, 59, day=1)).outcome is Outcome.ASSIGNED
    closed = router.explain(Dialog(id="d"), moscow(6, 0, day=1))
    assert str(closed.reason).endswith("closed until 22:00 Europe/Moscow")


@pytest.mark.parametrize(
    ("tz", "opening_utc"),
    [
        ("Europe/Berlin", datetime(2026, 3, 27, 8, 0, tzinfo=UTC)),  # CET
        ("Europe/Berlin", datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),  # CEST
        ("America/New_York", datetime(2026, 10, 30, 13, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
    ],
)
def test_groups_open_at_local_nine_on_either_side_of_a_dst_switch(tz: str, opening_utc: datetime) -> None:
    """09:00 local moves by an hour in UTC across the switch weekend; the group follows local time."""
    config = desk(
        groups=[Group(id="g", operator_ids=["ann"], schedule=Schedule.weekdays("09:00", "17:00", tz=tz))],
        rules=[],
        fallback=Target.group("g"),
    )
    router = Router(config)
    assert router.explain(Dialog(id="d"), opening_utc - timedelta(seconds=1)).outcome is Outcome.REJECTED
    assert router.explain(Dialog(id="d"), opening_utc).outcome is Outcome.ASSIGNED
    closed = router.explain(Dialog(id="d"), opening_utc - timedelta(hours=1))
    assert closed.reopens_at == opening_utc
    assert str(closed.reason).endswith(f"closed until 09:00 {tz}")


def test_a_night_window_on_the_spring_forward_night_is_an_hour_shorter() -> None:
    """Berlin 22:00-06:00 over 2026-03-29 closes at 04:00 UTC (06:00 CEST), having opened at 21:00 UTC."""
    night = Schedule(tz="Europe/Berlin", windows=[Window(days=range(7), start="22:00", end="06:00")])
    config = desk(
        groups=[Group(id="g", operator_ids=["ann"], schedule=night)], rules=[], fallback=Target.group("g")
    )
    router = Router(config)
    saturday = datetime(2026, 3, 28, tzinfo=UTC)
    assert router.explain(Dialog(id="d"), saturday + timedelta(hours=21)).outcome is Outcome.ASSIGNED
    assert (
        router.explain(Dialog(id="d"), saturday + timedelta(hours=27, minutes=59)).outcome is Outcome.ASSIGNED
    )
    assert router.explain(Dialog(id="d"), saturday + timedelta(hours=28)).outcome is Outcome.REJECTED


def test_a_holiday_closes_the_group_for_the_day() -> None:
    """A closure date keeps the group shut in what would be office hours, until the next working day."""
    holiday = attrs.evolve(MOSCOW_HOURS, closures=[Closure(dates=["2026-03-09"], note="holiday")])
    config = desk(
        groups=[Group(id="g", operator_ids=["ann"], schedule=holiday)], rules=[], fallback=Target.group("g")
    )
    decision = Router(config).explain(Dialog(id="d"), moscow(11, day=7))
    assert decision.outcome is Outcome.REJECTED
    assert decision.reopens_at == moscow(9, day=8)


def test_dialogs_already_waiting_stay_queued_when_the_group_closes() -> None:
    """Closing only stops new dialogs: a dialog queued in hours is served after closing time."""
    config = desk(rules=[], fallback=Target.group("sales"))
    router = Router(config)
    for i in range(4):
        router.route(Dialog(id=f"busy{i}"), moscow(17, 50))
    waiting = router.route(Dialog(id="late"), moscow(17, 55))
    assert waiting.outcome is Outcome.QUEUED
    events = router.release("busy0", moscow(18, 30))
    assert router.dialog("late").operator_id == "ann"
    assert len(events) == 2


def test_open_now_routes_after_hours_dialogs_to_the_night_desk() -> None:
    """Jivo: a rule `not open_now(office hours)` sends dialogs to the night desk."""
    after_hours = Rule(name="after hours", when=~open_now(MOSCOW_HOURS), to=Target.group("night"))
    router = Router(desk(rules=[after_hours]))
    late = router.route(Dialog(id="d1"), moscow(23))
    assert late.group_id == "night"
    assert late.trace is not None
    assert "closed until Tue 09:00 Europe/Moscow" in late.trace.rules[0].detail
    assert router.route(Dialog(id="d2"), moscow(12, day=1)).group_id is None


# ------------------------------------------------------------------------ GeoIP


def regional(geo: object = None) -> Router:
    """Moscow and St Petersburg desks by region, everyone online, with ``geo`` as resolver."""
    config = desk(
        groups=[
            Group(id="msk", operator_ids=["ann"], regions_include=["RU-MOW"]),
            Group(id="spb", operator_ids=["bob"], regions_include=["RU-SPE"]),
        ],
        rules=[Rule(name="by region", when=region("RU-SPE"), to=Target.group("spb"))],
        fallback=Target.group("msk"),
    )
    return Router(config, geo=geo)  # type: ignore[arg-type]


def test_the_region_comes_from_the_ip_and_is_kept_on_the_dialog() -> None:
    """The resolver places 5.9.1.1 in RU-SPE: the region rule matches and the dialog records the region."""
    router = regional(StaticResolver(NETWORKS))
    decision = router.route(Dialog(id="d1", ip="5.9.1.1"), moscow(10))
    assert (decision.group_id, decision.operator_id) == ("spb", "bob")
    assert router.dialog("d1").dialog.region == "RU-SPE"
    assert decision.trace is not None
    assert "region RU-SPE (5.9.1.1) from GeoIP" in decision.trace.notes


def test_the_resolver_is_asked_once_per_dialog() -> None:
    """A transfer after routing uses the kept region: the resolver sees each IP once."""
    asked: list[str | None] = []

    class Counting:
        def resolve(self, ip: str | None) -> GeoLookup:
            asked.append(ip)
            return StaticResolver(NETWORKS).resolve(ip)

    router = regional(Counting())
    router.route(Dialog(id="d1", ip="5.8.1.1"), moscow(10))
    router.transfer("d1", Target.group("msk"), moscow(10, 5))
    assert asked == ["5.8.1.1"]


@pytest.mark.parametrize(
    ("ip", "why"),
    [
        ("10.1.2.3", "region unknown: private address 10.1.2.3"),
        ("127.0.0.1", "region unknown: loopback address 127.0.0.1"),
        ("999.1.1.1", "region unknown: malformed IP '999.1.1.1'"),
        ("8.8.8.8", "region unknown: not in the table"),
    ],
)
def test_an_unplaceable_ip_leaves_the_region_unknown_and_says_why(ip: str, why: str) -> None:
    """Private, loopback, malformed and unknown addresses never fail routing; the trace gives the reason."""
    router = regional(StaticResolver(NETWORKS))
    decision = router.route(Dialog(id="d1", ip=ip), moscow(10))
    assert decision.outcome is Outcome.REJECTED  # the Moscow-only fallback cannot serve an unknown region
    assert decision.trace is not None
    assert why in decision.trace.notes
    assert "(visitor: unknown)" in (decision.reason or "")


def test_a_missing_database_file_leaves_regions_unknown(tmp_path: Path) -> None:
    """A MaxMind resolver over a file that is not there gives unknown regions with the path in the trace."""
    missing = tmp_path / "GeoLite2-City.mmdb"
    decision = regional(MaxMindResolver(missing)).route(Dialog(id="d1", ip="5.8.1.1"), moscow(10))
    assert decision.outcome is Outcome.REJECTED
    assert decision.trace is not None
    assert any("database unavailable" in note and str(missing) in note for note in decision.trace.notes)


def test_a_maxmind_city_database_places_the_visitor(tmp_path: Path) -> None:
    """With a real (tiny) City database the subdivision drives the region filter."""
    db = build_city_db(tmp_path / "city.mmdb", {"5.8.0.0/16": ("RU", "MOW"), "5.9.0.0/16": ("RU", "SPE")})
    with MaxMindResolver(db) as geo:
        router = regional(geo)
        assert router.route(Dialog(id="d1", ip="5.8.7.7"), moscow(10)).group_id == "msk"
        assert router.route(Dialog(id="d2", ip="5.9.7.7"), moscow(10)).group_id == "spb"


def test_without_a_resolver_the_trace_says_so() -> None:
    """A dialog with an IP and no resolver has an unknown region, and the trace says there is no resolver."""
    decision = regional().route(Dialog(id="d1", ip="5.9.1.1"), moscow(10))
    assert decision.trace is not None
    assert "region unknown: the router has no GeoIP resolver" in decision.trace.notes


def test_a_region_given_by_the_host_wins_over_the_ip() -> None:
    """Dialog.region set: the resolver is not consulted."""
    router = regional(StaticResolver(NETWORKS))
    decision = router.route(Dialog(id="d1", ip="5.9.1.1", region="RU-MOW"), moscow(10))
    assert decision.group_id == "msk"


def test_messenger_ips_are_ignored() -> None:
    """A channel that carries no IP skips GeoIP, and its region filters do not apply."""
    router = regional(StaticResolver(NETWORKS))
    decision = router.route(Dialog(id="d1", channel="telegram", ip="5.9.1.1"), moscow(10))
    assert decision.group_id == "msk"
    assert router.dialog("d1").dialog.region is None


def test_a_bad_resolver_is_refused_and_a_bad_answer_changes_nothing() -> None:
    """Something that is not a resolver fails the constructor; a resolver returning junk fails the call."""
    with pytest.raises(InvalidValue, match="geo"):
        regional("geoip.mmdb")

    class Junk:
        def resolve(self, ip: str | None) -> str:
            return "RU"

    router = regional(Junk())
    before = router.snapshot()
    with pytest.raises(InvalidValue, match="GeoLookup"):
        router.route(Dialog(id="d1", ip="5.9.1.1"), moscow(10))
    assert router.snapshot() == before


def test_restore_keeps_the_resolved_regions() -> None:
    """A restored router without a resolver still sees the region GeoIP found before."""
    router = regional(StaticResolver(NETWORKS))
    router.route(Dialog(id="d1", ip="5.9.1.1"), moscow(10))
    stored = serialize.to_dict(router.snapshot())
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, stored))
    twin.transfer("d1", Target.group("spb"), moscow(10, 1), by="bob")
    assert twin.dialog("d1").dialog.region == "RU-SPE"


# ------------------------------------------------------------------ messengers


def test_messenger_dialogs_go_to_the_messenger_group_when_no_rule_matches() -> None:
    """Callibri: social and messenger dialogs carry no IP, so the config names the group that takes them."""
    router = Router(desk(messenger_group="night"))
    decision = router.route(Dialog(id="m1", channel="telegram"), moscow(23))
    assert decision.group_id == "night"
    assert decision.trace is not None
    assert "no rule applied: channel 'telegram' carries no IP, so to the messenger group 'night'" in (
        decision.trace.notes
    )
    site = router.route(Dialog(id="s1"), moscow(23))
    assert site.target == Target.everyone()


def test_an_unknown_messenger_group_is_a_config_error() -> None:
    """The messenger group must exist; the problem names the field and suggests the near miss."""
    with pytest.raises(ConfigError) as raised:
        Router(desk(messenger_group="nigth"))
    assert list(raised.value.problems) == [
        ("messenger_group", "unknown group 'nigth' (did you mean 'night'?)")
    ]


# ---------------------------------------------------------- available_groups


def showroom(groups_shown: int = 3) -> Router:
    """Four departments filtered by region, page, channel and hours, with a resolver."""
    operators = [Operator(id=f"op{i}", status="online", limit=1) for i in range(5)]
    groups = [
        Group(
            id="new", name="New cars", title="Buy a new car", operator_ids=["op0"], regions_include=["RU-MOW"]
        ),
        Group(
            id="used",
            name="Used",
            title="Used cars",
            operator_ids=["op1"],
            pages_include=["*/used/*", "*/finance*"],
        ),
        Group(
            id="service",
            name="Service",
            title="Service",
            operator_ids=["op2"],
            regions_exclude=["RU-SPE"],
            channels=["site"],
            schedule=MOSCOW_HOURS,
        ),
        Group(id="parts", name="Parts", title="Spare parts", operator_ids=["op3", "op4"]),
        Group(id="old", name="Old desk", operator_ids=["op4"], enabled=False),
    ]
    config = RoutingConfig(
        channels=[Channel(name="site"), Channel(name="telegram", carries_ip=False)],
        operators=operators,
        groups=groups,
        groups_shown=groups_shown,
    )
    return Router(config, geo=StaticResolver(NETWORKS))


def shown(choices: GroupChoices) -> list[str]:
    """The group ids of the departments shown."""
    return [c.id for c in choices]


def test_available_groups_run_region_then_page_then_someone_free() -> None:
    """A Moscow visitor on the finance page in office hours sees new, used and service (three at most)."""
    choices = showroom().available_groups(Visitor(ip="5.8.1.1", url="https://x.example/finance"), moscow(10))
    assert list(choices) == [
        GroupChoice(id="new", title="Buy a new car"),
        GroupChoice(id="used", title="Used cars"),
        GroupChoice(id="service", title="Service"),
    ]
    assert choices.hidden == ("parts",)
    assert choices.direct is None
    assert [(c.group_id, c.reason) for c in choices.excluded] == [("old", Reason.DISABLED)]
    assert choices.notes == ("region RU-MOW (5.8.1.1) from GeoIP",)


def test_a_choice_is_named_by_id_and_the_old_group_id_still_reads_with_a_warning() -> None:
    """GroupChoice.id is the group's id; group_id answers the same but is deprecated; JSON keeps group_id."""
    choice = GroupChoice(id="new", title="Buy a new car")
    with pytest.warns(DeprecationWarning, match="use GroupChoice.id"):
        assert choice.group_id == "new"
    data = serialize.to_dict(choice)
    assert data == {"group_id": "new", "title": "Buy a new car"}
    assert serialize.from_dict(GroupChoice, data) == choice


def test_available_groups_explain_every_filtered_department() -> None:
    """From St Petersburg at night on a car page: region, page and hours each remove one, with reasons."""
    choices = showroom().available_groups(Visitor(ip="5.9.1.1", url="https://x.example/cars/1"), moscow(20))
    assert shown(choices) == ["parts"]
    assert choices.direct == "parts"
    assert choices.explain().splitlines() == [
        "show: 'parts' (Spare parts)",
        "group 'new' filtered out [region]: serves only RU-MOW (visitor: RU-SPE)",
        "group 'used' filtered out [page]: serves only pages */used/*, */finance* (page: 'https://x.example/cars/1')",
        "group 'service' filtered out [closed]: closed until Tue 09:00 Europe/Moscow",
        "group 'old' filtered out [disabled]: the group is disabled",
        "region RU-SPE (5.9.1.1) from GeoIP",
    ]


def test_a_department_with_nobody_free_is_not_shown() -> None:
    """When the only member is at the limit (or away), the department disappears from the choice."""
    router = showroom()
    router.route(Dialog(id="d1", chosen_group_id="new", region="RU-MOW"), moscow(10))
    choices = router.available_groups(Visitor(ip="5.8.1.1", url="https://x.example/finance"), moscow(10))
    assert shown(choices) == ["used", "service", "parts"]
    assert ("new", Reason.NO_OPERATOR) in [(c.group_id, c.reason) for c in choices.excluded]
    router.set_status("op1", "away", moscow(10))
    assert shown(
        router.available_groups(Visitor(ip="5.8.1.1", url="https://x.example/finance"), moscow(10))
    ) == [
        "service",
        "parts",
    ]


def test_messenger_visitors_skip_region_and_page_filters() -> None:
    """A telegram visitor is not filtered by region or page, only by channel, hours and capacity."""
    choices = showroom(groups_shown=4).available_groups(Visitor(channel="telegram"), moscow(10))
    assert shown(choices) == ["new", "used", "parts"]
    assert [(c.group_id, c.reason) for c in choices.excluded] == [
        ("service", Reason.CHANNEL_NOT_ALLOWED),
        ("old", Reason.DISABLED),
    ]


def test_the_number_of_groups_shown_comes_from_the_config() -> None:
    """groups_shown=1 shows the first qualifying group and hides the rest."""
    choices = showroom(groups_shown=1).available_groups(Visitor(ip="5.8.1.1", url="/finance"), moscow(10))
    assert shown(choices) == ["new"]
    assert choices.hidden == ("used", "service", "parts")
    assert choices.direct is None  # others qualified: the visitor may still want to choose


def test_a_visitor_who_picked_a_department_is_routed_inside_it() -> None:
    """The visitor's pick becomes chosen_group_id and routing stays in that group."""
    router = showroom()
    visitor = Visitor(ip="5.8.1.1", url="https://x.example/finance")
    pick = list(router.available_groups(visitor, moscow(10)))[1]
    decision = router.route(visitor.dialog("d1", chosen_group_id=pick.id), moscow(10))
    assert (decision.group_id, decision.operator_id) == ("used", "op1")
    assert router.dialog("d1").dialog.region == "RU-MOW"


def test_available_groups_checks_its_input_and_changes_nothing() -> None:
    """Bad visitors, unknown channels and naive datetimes raise; no call changes the router."""
    router = showroom()
    before = router.snapshot()
    with pytest.raises(InvalidValue, match="visitor"):
        router.available_groups("5.8.1.1", moscow(10))  # type: ignore[arg-type]
    with pytest.raises(UnknownChannel, match="fax"):
        router.available_groups(Visitor(channel="fax"), moscow(10))
    with pytest.raises(NaiveDatetime):
        router.available_groups(Visitor(), datetime(2026, 3, 2, 10, 0))
    router.available_groups(Visitor(ip="5.8.1.1"), moscow(10))
    assert router.snapshot() == before


def test_groups_shown_must_be_positive() -> None:
    """groups_shown below 1 is a config problem with its path."""
    with pytest.raises(ConfigError, match=r"groups_shown: must be at least 1 \(got 0\)"):
        RoutingConfig(groups_shown=0).validate()
