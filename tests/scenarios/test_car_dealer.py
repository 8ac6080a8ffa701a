"""Callibri MultiChat: the "Cheshka" car dealer and its departments (seeds/002).

The dealer sells new Skoda and Tatra cars and used cars, and runs a warranty service.
Each department is a group limited by the visitor's region (include XOR exclude), by the
site's pages (the finance page is shared by all), and by whether it takes social and
messenger chats (which carry no IP, so region filters cannot apply: they go to the
biggest department, "new Skoda"). A started dialog stays with its operator; a dialog can
be moved to another operator or to a whole group.

The widget asks ``router.available_groups(visitor, now)`` which departments to show: the
router finds the visitor's region from their IP (a static table stands in for a MaxMind
database here), then applies the region, page and channel filters, then keeps the
departments with someone online and free. Dialogs here mostly carry their region
directly (``Dialog.region``), as a host that resolved it itself would send them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from chatroute import (
    Channel,
    Client,
    Dialog,
    DialogState,
    DuplicateDialog,
    Even,
    Group,
    Operator,
    Outcome,
    Reason,
    Router,
    RoutingConfig,
    Rule,
    Sticky,
    Target,
    TransferRecord,
    Visitor,
)
from chatroute.geo import StaticResolver
from chatroute.rules import channel, page

T0 = datetime(2026, 4, 6, 7, 0, tzinfo=UTC)  # Monday, 10:00 in Moscow
SITE = "https://cheshka.example"
PAGES = {
    "skoda": f"{SITE}/skoda/new/octavia",
    "tatra": f"{SITE}/tatra/new/t815",
    "used": f"{SITE}/used/kodiaq-2019",
    "service": f"{SITE}/service/warranty",
    "finance": f"{SITE}/finance/credit",
    "contacts": f"{SITE}/contacts",
}
OTHERS_PAGES = ("*/tatra/*", "*/used/*", "*/service/*")
GROUP_IDS = ("skoda", "tatra", "used", "service")
MOSCOW, MOSCOW_OBLAST, ST_PETERSBURG, NOVOSIBIRSK = "RU-MOW", "RU-MOS", "RU-SPE", "RU-NVS"
#: One documentation-range address per region, and the table that places them.
IPS = {MOSCOW: "5.8.1.1", MOSCOW_OBLAST: "5.9.1.1", ST_PETERSBURG: "5.10.1.1", NOVOSIBIRSK: "5.11.1.1"}
GEO = StaticResolver({f"{ip.rsplit('.', 2)[0]}.0.0/16": code for code, ip in IPS.items()})


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def dealer_config() -> RoutingConfig:
    """Four departments with region, page and channel filters, as set up in the article."""
    operators = [
        Operator(id=op_id, name=op_id.title(), limit=3)
        for op_id in ("anna", "boris", "vera", "gleb", "dmitry", "egor", "zhanna", "ivan")
    ]
    groups = [
        Group(
            id="skoda",
            name="Skoda new",
            title="New Skoda",
            operator_ids=["anna", "boris", "vera"],
            regions_include=[MOSCOW, MOSCOW_OBLAST],
            pages_exclude=OTHERS_PAGES,
            strategy=Sticky(then=Even()),
        ),
        Group(
            id="tatra",
            name="Tatra new",
            title="New Tatra",
            operator_ids=["gleb"],
            channels=["site"],
            pages_include=["*/tatra/*", "*/finance/*"],
        ),
        Group(
            id="used",
            name="Used cars",
            title="Trade-in and used cars",
            operator_ids=["dmitry", "egor"],
            channels=["site"],
            pages_include=["*/used/*", "*/finance/*"],
        ),
        Group(
            id="service",
            name="Service centre",
            title="Warranty service",
            operator_ids=["zhanna", "ivan"],
            channels=["site"],
            regions_exclude=[ST_PETERSBURG],  # a partner's service centre works there
            pages_include=["*/service/*", "*/finance/*"],
        ),
    ]
    rules = [
        Rule(name="messengers", when=channel("vk", "telegram", "whatsapp"), to=Target.group("skoda")),
        Rule(name="skoda pages", when=page("*/skoda/*"), to=Target.group("skoda")),
        Rule(name="tatra pages", when=page("*/tatra/*"), to=Target.group("tatra")),
        Rule(name="used pages", when=page("*/used/*"), to=Target.group("used")),
        Rule(name="service pages", when=page("*/service/*"), to=Target.group("service")),
    ]
    return RoutingConfig(
        channels=[
            Channel(name="site"),
            Channel(name="vk", carries_ip=False),
            Channel(name="telegram", carries_ip=False),
            Channel(name="whatsapp", carries_ip=False),
        ],
        operators=operators,
        groups=groups,
        rules=rules,
        groups_shown=4,  # on the finance page all four departments are offered
    )


def dealer(config: RoutingConfig | None = None) -> Router:
    """The dealer's router, with GeoIP, and every manager online at T0."""
    config = config or dealer_config()
    router = Router(config, geo=GEO)
    for op in config.operators:
        router.set_status(op.id, "online", T0)
    return router


def offered_groups(router: Router, page_key: str, region: str | None) -> list[str]:
    """The departments the widget offers a visitor from ``region`` (by IP) on a page."""
    visitor = Visitor(ip=IPS[region] if region else None, url=PAGES[page_key])
    return [choice.id for choice in router.available_groups(visitor, T0)]


# --------------------------------------------------------------- what the visitor sees


@pytest.mark.parametrize(
    ("page_key", "region", "expected"),
    [
        ("finance", MOSCOW, ["skoda", "tatra", "used", "service"]),
        ("finance", MOSCOW_OBLAST, ["skoda", "tatra", "used", "service"]),
        ("finance", ST_PETERSBURG, ["tatra", "used"]),
        ("finance", NOVOSIBIRSK, ["tatra", "used", "service"]),
        ("skoda", MOSCOW, ["skoda"]),
        ("skoda", ST_PETERSBURG, []),
        ("tatra", MOSCOW, ["tatra"]),
        ("tatra", NOVOSIBIRSK, ["tatra"]),
        ("used", MOSCOW, ["used"]),
        ("used", ST_PETERSBURG, ["used"]),
        ("service", MOSCOW, ["service"]),
        ("service", ST_PETERSBURG, []),
        ("service", NOVOSIBIRSK, ["service"]),
        ("contacts", MOSCOW, ["skoda"]),
        ("contacts", NOVOSIBIRSK, []),
        ("service", None, ["service"]),
        ("skoda", None, []),
    ],
)
def test_the_widget_offers_only_departments_whose_region_and_pages_fit(
    page_key: str, region: str | None, expected: list[str]
) -> None:
    """Region filters (Moscow only, everywhere, all but St Petersburg) and page filters pick departments."""
    router = dealer()
    assert offered_groups(router, page_key, region) == expected


def test_a_visitor_sees_titles_and_the_departments_left_out_with_reasons() -> None:
    """From St Petersburg on the finance page: the visitor-facing titles, and why two are missing."""
    choices = dealer().available_groups(Visitor(ip=IPS[ST_PETERSBURG], url=PAGES["finance"]), T0)
    assert [(c.id, c.title) for c in choices] == [
        ("tatra", "New Tatra"),
        ("used", "Trade-in and used cars"),
    ]
    assert choices.explain().splitlines()[1:] == [
        "group 'skoda' filtered out [region]: serves only RU-MOS, RU-MOW (visitor: RU-SPE)",
        "group 'service' filtered out [region]: does not serve RU-SPE",
        "region RU-SPE (5.10.1.1) from GeoIP",
    ]


def test_with_one_department_left_the_visitor_goes_straight_to_its_operator() -> None:
    """The ideal set-up: one group qualifies, so the widget routes into it without asking."""
    router = dealer()
    visitor = Visitor(ip=IPS[MOSCOW], url=PAGES["skoda"])
    choices = router.available_groups(visitor, T0)
    assert choices.direct == "skoda"
    decision = router.route(visitor.dialog("d1", chosen_group_id=choices.direct), at(1))
    assert decision.operator_id in {"anna", "boris", "vera"}
    assert router.dialog("d1").dialog.region == MOSCOW


def test_a_department_with_nobody_online_is_not_offered() -> None:
    """Gleb, the only Tatra manager, goes offline: Tatra disappears from the finance page."""
    router = dealer()
    router.set_status("gleb", "offline", at(1))
    choices = router.available_groups(Visitor(ip=IPS[NOVOSIBIRSK], url=PAGES["finance"]), at(2))
    assert [c.id for c in choices] == ["used", "service"]
    assert [(c.group_id, c.reason) for c in choices.excluded] == [
        ("skoda", Reason.REGION),
        ("tatra", Reason.NO_OPERATOR),
    ]


def test_a_refused_department_is_explained_by_region_and_by_page() -> None:
    """New Skoda picked on the used-cars page is refused by region from St Petersburg, by page from Moscow."""
    router = dealer()
    probe = Dialog(id="p", page_url=PAGES["used"], region=ST_PETERSBURG, chosen_group_id="skoda")
    decision = router.explain(probe, T0)
    assert decision.trace is not None
    assert decision.trace.groups[0].reason is Reason.REGION
    assert decision.group_id == "used"
    text = decision.explain()
    assert "group 'skoda' filtered out [region]: serves only RU-MOS, RU-MOW (visitor: RU-SPE)" in text
    moscow = router.explain(
        Dialog(id="p", page_url=PAGES["used"], region=MOSCOW, chosen_group_id="skoda"), T0
    )
    assert moscow.trace is not None
    assert (moscow.trace.groups[0].group_id, moscow.trace.groups[0].reason) == ("skoda", Reason.PAGE)


# ------------------------------------------------------------- where a dialog goes


@pytest.mark.parametrize(
    ("page_key", "region", "group"),
    [
        ("skoda", MOSCOW, "skoda"),
        ("skoda", MOSCOW_OBLAST, "skoda"),
        ("skoda", ST_PETERSBURG, None),
        ("tatra", MOSCOW, "tatra"),
        ("tatra", ST_PETERSBURG, "tatra"),
        ("used", MOSCOW, "used"),
        ("used", NOVOSIBIRSK, "used"),
        ("service", MOSCOW, "service"),
        ("service", ST_PETERSBURG, None),
        ("service", NOVOSIBIRSK, "service"),
        ("finance", MOSCOW, None),
        ("finance", ST_PETERSBURG, None),
        ("contacts", MOSCOW, None),
    ],
)
def test_a_site_dialog_without_a_pick_goes_by_page_then_to_everyone(
    page_key: str, region: str, group: str | None
) -> None:
    """Page rules send a dialog to its department when that department serves the region; else everyone."""
    router = dealer()
    decision = router.route(Dialog(id="d1", page_url=PAGES[page_key], region=region), at(1))
    assert decision.outcome is Outcome.ASSIGNED
    assert decision.group_id == group
    if group is None:
        assert decision.target == Target.everyone()
    else:
        assert decision.operator_id in dealer_config().groups[GROUP_IDS.index(group)].operator_ids


def test_a_page_rule_whose_department_refuses_the_region_is_skipped() -> None:
    """From St Petersburg the Skoda page rule matches but is skipped, and the trace says why."""
    router = dealer()
    decision = router.route(Dialog(id="d1", page_url=PAGES["skoda"], region=ST_PETERSBURG), at(1))
    assert decision.trace is not None
    check = decision.trace.rules[1]
    assert (check.rule, check.matched) == ("skoda pages", True)
    assert check.skipped == "group 'skoda': serves only RU-MOS, RU-MOW (visitor: RU-SPE)"
    assert "no rule applied: fallback to everyone" in decision.trace.notes


@pytest.mark.parametrize("group_id", GROUP_IDS)
def test_on_the_finance_page_a_moscow_visitor_reaches_the_department_they_pick(group_id: str) -> None:
    """The finance page is shared by all four departments: the visitor's pick decides."""
    router = dealer()
    decision = router.route(
        Dialog(id="d1", page_url=PAGES["finance"], region=MOSCOW, chosen_group_id=group_id), at(1)
    )
    assert decision.group_id == group_id
    members = {group.id: group.operator_ids for group in dealer_config().groups}[group_id]
    assert decision.operator_id in members


# ----------------------------------------------------------------- social / messengers


@pytest.mark.parametrize("messenger", ["vk", "telegram", "whatsapp"])
def test_messenger_dialogs_go_to_new_skoda_whatever_the_region(messenger: str) -> None:
    """Messengers carry no IP: region and page filters do not apply, and the rule sends them to new Skoda."""
    router = dealer()
    decision = router.route(Dialog(id="m1", channel=messenger, client_id="c-m"), at(1))
    assert decision.group_id == "skoda"
    assert decision.operator_id in {"anna", "boris", "vera"}
    from_spb = router.route(Dialog(id="m2", channel=messenger, region=ST_PETERSBURG), at(2))
    assert from_spb.group_id == "skoda"


@pytest.mark.parametrize("messenger", ["vk", "telegram", "whatsapp"])
def test_the_messenger_group_setting_replaces_the_messenger_rule(messenger: str) -> None:
    """Naming new Skoda as the messenger group does what the rule did, and the trace says so."""
    config = dealer_config()
    config = attrs.evolve(config, rules=config.rules[1:], messenger_group="skoda")
    decision = dealer(config).route(Dialog(id="m1", channel=messenger), at(1))
    assert decision.group_id == "skoda"
    assert decision.trace is not None
    assert f"no rule applied: channel {messenger!r} carries no IP, so to the messenger group 'skoda'" in (
        decision.trace.notes
    )


def test_site_only_departments_refuse_messenger_dialogs() -> None:
    """A telegram client picking "New Tatra" is refused (site only) and lands in new Skoda."""
    router = dealer()
    decision = router.route(Dialog(id="m1", channel="telegram", chosen_group_id="tatra"), at(1))
    assert decision.trace is not None
    assert [(g.group_id, g.reason) for g in decision.trace.groups] == [("tatra", Reason.CHANNEL_NOT_ALLOWED)]
    assert decision.group_id == "skoda"


# ----------------------------------------------------------------------- stickiness


def test_a_started_dialog_stays_with_its_operator() -> None:
    """Once Anna has the dialog, it stays hers while loads change and the visitor browses other pages."""
    router = dealer()
    first = router.route(Dialog(id="d1", client_id="c1", page_url=PAGES["skoda"], region=MOSCOW), at(1))
    assert first.operator_id == "anna"
    for i in range(4):
        router.route(Dialog(id=f"other-{i}", page_url=PAGES["skoda"], region=MOSCOW), at(2 + i))
    router.release("other-0", at(10))
    before = router.snapshot()
    with pytest.raises(DuplicateDialog):
        router.route(Dialog(id="d1", client_id="c1", page_url=PAGES["tatra"], region=MOSCOW), at(20))
    assert router.snapshot() == before
    router.set_status("anna", "offline", at(30))
    assert (router.dialog("d1").state, router.dialog("d1").operator_id) == (DialogState.ASSIGNED, "anna")


def test_a_returning_client_gets_the_operator_they_talked_to() -> None:
    """Sticky in new Skoda: the client's next dialog goes back to Anna although Boris is free."""
    router = dealer()
    router.route(Dialog(id="d1", client_id="c1", page_url=PAGES["skoda"], region=MOSCOW), at(1))
    router.release("d1", at(600))
    for i in range(3):
        router.route(Dialog(id=f"x{i}", page_url=PAGES["skoda"], region=MOSCOW), at(601 + i))
    assert [router.dialog(f"x{i}").operator_id for i in range(3)] == ["boris", "vera", "anna"]
    router.release("x0", at(650))
    again = router.route(Dialog(id="d2", client_id="c1", page_url=PAGES["skoda"], region=MOSCOW), at(700))
    assert again.operator_id == "anna"
    assert {op: router.operator(op).load for op in ("anna", "boris", "vera")} == {
        "anna": 2,
        "boris": 0,
        "vera": 1,
    }


def test_a_returning_client_whose_operator_is_away_gets_the_next_by_load() -> None:
    """When the client's own operator is away, Sticky falls back to Even inside the group."""
    router = dealer()
    client = Client(id="c1", preferred_operator_id="vera")
    decision = router.route(
        Dialog(id="d1", client_id="c1", page_url=PAGES["skoda"], region=MOSCOW), at(1), client=client
    )
    assert decision.operator_id == "vera"
    router.set_status("vera", "away", at(2))
    later = router.route(
        Dialog(id="d2", client_id="c1", page_url=PAGES["skoda"], region=MOSCOW), at(3), client=client
    )
    assert later.operator_id == "anna"


# ------------------------------------------------------------------------- transfers


def test_a_dialog_is_transferred_to_a_named_operator() -> None:
    """Anna hands a Skoda dialog that is really about a used car to Dmitry by name."""
    router = dealer()
    router.route(Dialog(id="d1", page_url=PAGES["skoda"], region=MOSCOW), at(1))
    assert router.dialog("d1").operator_id == "anna"
    decision = router.transfer("d1", Target.operator("dmitry"), at(60), by="anna")
    assert (decision.outcome, decision.operator_id, decision.group_id) == (Outcome.ASSIGNED, "dmitry", None)
    assert router.dialog("d1").history == (
        TransferRecord(
            at=at(60), from_operator_id="anna", from_group_id="skoda", to=Target.operator("dmitry"), by="anna"
        ),
    )
    assert (router.operator("anna").load, router.operator("dmitry").load) == (0, 1)


def test_a_dialog_transferred_to_a_busy_operator_waits_for_them() -> None:
    """Gleb is at his limit: a dialog moved to him waits in his own queue and reaches him when he frees up."""
    router = dealer()
    for i in range(3):
        router.route(Dialog(id=f"t{i}", page_url=PAGES["tatra"], region=MOSCOW), at(i))
    router.route(Dialog(id="d1", page_url=PAGES["skoda"], region=MOSCOW), at(10))
    decision = router.transfer("d1", Target.operator("gleb"), at(20), by="anna")
    assert (decision.outcome, decision.position) == (Outcome.QUEUED, 1)
    assert router.queue(Target.operator("gleb")) == ("d1",)
    router.release("t0", at(30))
    assert router.dialog("d1").operator_id == "gleb"


def test_a_dialog_transferred_to_a_whole_group_goes_to_one_of_its_members() -> None:
    """Moved to the service centre, a dialog goes to its least loaded member, never back to the sender."""
    router = dealer()
    router.route(Dialog(id="s0", page_url=PAGES["service"], region=MOSCOW), at(0))
    assert router.dialog("s0").operator_id == "ivan"
    router.route(Dialog(id="d1", page_url=PAGES["skoda"], region=MOSCOW), at(1))
    decision = router.transfer("d1", Target.group("service"), at(30), by="anna")
    assert (decision.group_id, decision.operator_id) == ("service", "zhanna")
    back = router.transfer("d1", Target.group("skoda"), at(60), by="zhanna")
    assert back.group_id == "skoda"
    assert back.operator_id in {"boris", "vera"}
    assert [record.to for record in router.dialog("d1").history] == [
        Target.group("service"),
        Target.group("skoda"),
    ]


# ---------------------------------------------------------------- operator views


def test_each_manager_sees_mine_and_others_tabs() -> None:
    """Callibri's tabs: Gleb sees his dialog and Tatra's waiting one as his; Skoda's dialogs under others."""
    router = dealer()
    router.route(Dialog(id="t1", page_url=PAGES["tatra"], region=MOSCOW), at(1))  # gleb
    router.route(Dialog(id="t2", page_url=PAGES["tatra"], region=MOSCOW), at(2))
    router.route(Dialog(id="t3", page_url=PAGES["tatra"], region=MOSCOW), at(3))
    router.route(Dialog(id="t4", page_url=PAGES["tatra"], region=MOSCOW), at(4))  # gleb full (3): waits
    router.route(Dialog(id="s1", page_url=PAGES["skoda"], region=MOSCOW), at(5))
    router.release("t3", at(6))
    router.route(Dialog(id="t5", page_url=PAGES["tatra"], region=MOSCOW), at(7))  # waits: t4 took t3's place
    views = router.views("gleb")
    assert [(e.dialog_id, e.unassigned) for e in views.mine] == [
        ("t1", False),
        ("t2", False),
        ("t4", False),
        ("t5", True),
    ]
    assert [e.dialog_id for e in views.others] == ["s1"]
    assert [e.dialog_id for e in router.views("anna").others if e.unassigned] == ["t5"]
