"""RoutingConfig: defaults, and problems() finding every cross-reference problem with its path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatroute import (
    Channel,
    ConfigError,
    Even,
    Group,
    InvalidValue,
    LongestIdle,
    OfflinePolicy,
    Operator,
    Router,
    RoutingConfig,
    Rule,
    Status,
    Target,
    Trigger,
)
from chatroute.rules import always, attr, channel, has_tag, topic


def sound_config(**changes: object) -> RoutingConfig:
    """A small valid config (two channels, two operators, one group, one rule), with changes applied."""
    fields: dict[str, object] = {
        "channels": [Channel(name="site"), Channel(name="telegram", priority=2)],
        "statuses": [Status(key="lunch", label="Lunch")],
        "operators": [Operator(id="ann", status="online"), Operator(id="bob", status="lunch")],
        "groups": [Group(id="sales", operator_ids=["ann", "bob"], channels=["site"])],
        "rules": [Rule(name="buyers", when=topic("buy"), to=Target.group("sales"))],
    }
    fields.update(changes)
    return RoutingConfig(**fields)  # type: ignore[arg-type]


def test_defaults() -> None:
    """The default config has one 'site' channel, Even, limit 5, keep, 5 minutes, fallback everyone."""
    config = RoutingConfig()
    assert [c.name for c in config.channels] == ["site"]
    assert config.strategy == Even()
    assert config.default_limit == 5
    assert config.offline_policy is OfflinePolicy.KEEP
    assert config.default_handle_time == timedelta(minutes=5)
    assert config.fallback == Target.everyone()
    assert config.explain is True
    assert config.problems() == []


def test_containers_become_tuples_and_handle_time_accepts_seconds() -> None:
    """Lists become tuples; default_handle_time may be given in seconds."""
    config = RoutingConfig(operators=[Operator(id="a")], default_handle_time=90)
    assert isinstance(config.operators, tuple)
    assert config.default_handle_time == timedelta(seconds=90)


def test_all_statuses_lists_builtins_first() -> None:
    """all_statuses() is online, away, offline, then the extra ones."""
    assert [s.key for s in sound_config().all_statuses()] == ["online", "away", "offline", "lunch"]


def test_sound_config_has_no_problems() -> None:
    """A consistent config reports nothing and the router accepts it."""
    config = sound_config()
    assert config.problems() == []
    config.validate()
    assert Router(config).operator("ann").status == "online"


# ---------------------------------------------------------------- one at a time


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"operators": [Operator(id="ann"), Operator(id="bob"), Operator(id="ann")]},
            ("operators[2]", "duplicate id 'ann'"),
        ),
        (
            {"groups": [Group(id="sales"), Group(id="sales")], "rules": []},
            ("groups[1]", "duplicate id 'sales'"),
        ),
        ({"channels": [Channel(name="site"), Channel(name="site")]}, ("channels[1]", "duplicate id 'site'")),
        (
            {"statuses": [Status(key="lunch"), Status(key="lunch")]},
            ("statuses[1]", "duplicate id 'lunch'"),
        ),
        (
            {"statuses": [Status(key="lunch"), Status(key="online", routable=True)]},
            ("statuses[1]", "duplicate id 'online'"),
        ),
        (
            {
                "rules": [
                    Rule(name="r", when=always(), to=Target.everyone()),
                    Rule(name="r", when=always(), to=Target.everyone()),
                ]
            },
            ("rules[1]", "duplicate id 'r'"),
        ),
        (
            {"rules": [Rule(name="r", when=always(), to=Target.group("salez"))]},
            ("rules[0].to.group", "unknown group 'salez' (did you mean 'sales'?)"),
        ),
        (
            {"rules": [Rule(name="r", when=always(), to=Target.group("zzz"))]},
            ("rules[0].to.group", "unknown group 'zzz'"),
        ),
        (
            {"rules": [Rule(name="r", when=always(), to=Target.operator("anne"))]},
            ("rules[0].to.operator", "unknown operator 'anne' (did you mean 'ann'?)"),
        ),
        (
            {
                "rules": [
                    Rule(
                        name="r", when=always(), to=Target.preferred_operator(otherwise=Target.group("sale"))
                    )
                ]
            },
            ("rules[0].to.otherwise.group", "unknown group 'sale' (did you mean 'sales'?)"),
        ),
        ({"fallback": Target.group("support")}, ("fallback.group", "unknown group 'support'")),
        (
            {"fallback": Target.operator("bobb")},
            ("fallback.operator", "unknown operator 'bobb' (did you mean 'bob'?)"),
        ),
        (
            {"groups": [Group(id="sales", operator_ids=["ann", "bop"])]},
            ("groups[0].operator_ids[1]", "unknown operator 'bop' (did you mean 'bob'?)"),
        ),
        (
            {"groups": [Group(id="sales", channels=["site", "telegramm"])]},
            ("groups[0].channels", "unknown channel 'telegramm' (did you mean 'telegram'?)"),
        ),
        (
            {"operators": [Operator(id="ann", channel_limits={"whatsapp": 1}), Operator(id="bob")]},
            ("operators[0].channel_limits", "unknown channel 'whatsapp'"),
        ),
        (
            {"operators": [Operator(id="ann"), Operator(id="bob", status="onlien")]},
            ("operators[1].status", "unknown status 'onlien' (did you mean 'online'?)"),
        ),
        ({"default_limit": -1}, ("default_limit", "must not be negative (got -1)")),
        ({"default_limit": "5"}, ("default_limit", "must be an integer")),
        ({"channels": [], "groups": [Group(id="sales")]}, ("channels", "define at least one channel")),
        ({"default_handle_time": 0}, ("default_handle_time", "must be positive")),
    ],
)
def test_each_problem_is_found_with_its_path(changes: dict[str, object], problem: tuple[str, str]) -> None:
    """One problem in an otherwise sound config is reported exactly, with its path."""
    assert sound_config(**changes).problems() == [problem]


def test_default_limit_zero_is_allowed() -> None:
    """A default limit of 0 is valid (operators need their own limits to take dialogs)."""
    assert sound_config(default_limit=0).problems() == []


# ---------------------------------------------------------------- all at once


def broken_config() -> RoutingConfig:
    """A config with one of every kind of problem."""
    return RoutingConfig(
        channels=[Channel(name="site"), Channel(name="telegram")],
        statuses=[Status(key="lunch")],
        operators=[
            Operator(id="ann", status="online", channel_limits={"whatsap": 1}),
            Operator(id="bob", status="lunhc"),
            Operator(id="ann"),
        ],
        groups=[
            Group(id="sales", operator_ids=["ann", "maxim"], channels=["site", "email"]),
            Group(id="sales"),
        ],
        rules=[
            Rule(name="buyers", when=topic("buy"), to=Target.group("salez")),
            Rule(name="vip", when=always(), to=Target.operator("bobb")),
        ],
        fallback=Target.group("support"),
        default_limit=-2,
    )


EXPECTED_PROBLEMS = [
    ("operators[2]", "duplicate id 'ann'"),
    ("groups[1]", "duplicate id 'sales'"),
    ("default_limit", "must not be negative (got -2)"),
    ("operators[0].channel_limits", "unknown channel 'whatsap'"),
    ("operators[1].status", "unknown status 'lunhc' (did you mean 'lunch'?)"),
    ("groups[0].operator_ids[1]", "unknown operator 'maxim'"),
    ("groups[0].channels", "unknown channel 'email'"),
    ("rules[0].to.group", "unknown group 'salez' (did you mean 'sales'?)"),
    ("rules[1].to.operator", "unknown operator 'bobb' (did you mean 'bob'?)"),
    ("fallback.group", "unknown group 'support'"),
]


def test_problems_finds_every_problem_at_once() -> None:
    """problems() reports all problems in one pass, each with its path."""
    assert sorted(broken_config().problems()) == sorted(EXPECTED_PROBLEMS)


def test_validate_raises_config_error_with_every_problem() -> None:
    """validate() raises one ConfigError carrying every problem."""
    with pytest.raises(ConfigError) as info:
        broken_config().validate()
    assert sorted(info.value.problems) == sorted(EXPECTED_PROBLEMS)


def test_router_refuses_a_broken_config_listing_every_problem() -> None:
    """Router(config) raises ConfigError whose message has one 'path: message' line per problem."""
    with pytest.raises(ConfigError) as info:
        Router(broken_config())
    error = info.value
    assert sorted(error.problems) == sorted(EXPECTED_PROBLEMS)
    lines = str(error).splitlines()
    assert sorted(lines) == sorted(f"{path}: {message}" for path, message in EXPECTED_PROBLEMS)
    assert "rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)" in lines
    assert error.path == error.problems[0][0]


# ---------------------------------------------------------------- loading and dumping

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from chatroute import ConfigError as _ConfigError  # noqa: E402

from .strategies import configs  # noqa: E402

_SMALL_TOML = """
default_limit = 3

[[channels]]
name = "site"

[[channels]]
name = "telegram"
priority = 2
carries_ip = false
sla = { warn = 20, critical = 45 }

[[operators]]
id = "natalia"
status = "online"
skills = { en = 7 }

[[operators]]
id = "maxim"
limit = 5

[[groups]]
id = "sales"
name = "Sales desk"
title = "Buy a car"
operator_ids = ["natalia", "maxim"]
regions_include = ["RU-MOW"]
strategy = { kind = "random_within_limit", seed = 7 }

[[rules]]
name = "buying"
when = { kind = "all_of", items = [
    { kind = "topic", topics = ["price", "order"] },
    { kind = "not", item = { kind = "channel", channels = ["email"] } },
] }
to = { kind = "group", id = "sales" }
"""


@given(configs(departments=True))
def test_configs_round_trip_through_dict_json_and_toml(config: RoutingConfig) -> None:
    """load(dump(c)) == c for plain data, JSON text and TOML text."""
    assert RoutingConfig.from_dict(config.to_dict()) == config
    assert RoutingConfig.from_json(config.to_json()) == config
    assert RoutingConfig.from_toml(config.to_toml()) == config


def test_a_hand_written_toml_file_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    """Keys left out take their defaults; inline tables and nested predicates load."""
    path = tmp_path / "desk.toml"
    path.write_text(_SMALL_TOML, encoding="utf-8")
    config = RoutingConfig.load(path)
    assert config.default_limit == 3
    assert [c.name for c in config.channels] == ["site", "telegram"]
    assert config.channels[1].sla.critical == timedelta(seconds=45)
    assert config.groups[0].title == "Buy a car"
    assert config.groups[0].strategy is not None
    assert config.rules[0].when.describe() == "topic is one of 'order', 'price' and not channel is 'email'"
    assert RoutingConfig.load(path) == RoutingConfig.from_toml(config.to_toml())


def test_every_problem_of_a_file_is_reported_with_its_path() -> None:
    """Structural problems are all listed at once, each with its path."""
    data = {
        "operators": [{"id": "a", "limit": -1}, 3],
        "groups": [{"id": "g", "regions_include": ["RU"], "regions_exclude": ["DE"]}],
        "rules": [{"name": "r", "when": {"kind": "topic", "topics": [1]}, "to": {"kind": "everyone"}}],
        "grups": [],
    }
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.from_dict(data)
    assert info.value.problems == (
        ("operators[0].limit", "must be a non-negative integer (got -1)"),
        ("operators[1]", "expected a table (a mapping of keys to values)"),
        ("groups[0].regions", "give include or exclude, not both (got 'g')"),
        ("rules[0].when.topics[0]", "expected str, got 1"),
        ("grups", "unknown key (did you mean 'groups'?)"),
    )


def test_problems_of_shape_do_not_hide_cross_references() -> None:
    """A negative limit and both region lists are reported with the unknown group, in one pass."""
    data = {
        "operators": [{"id": "a", "limit": -1}],
        "groups": [
            {"id": "sales", "operator_ids": ["a"]},
            {
                "id": "north",
                "operator_ids": ["a", "ghost"],
                "regions": {"include": ["RU"], "exclude": ["DE"]},
            },
        ],
        "rules": [{"name": "r", "when": {"topic": "x"}, "to": {"group": "salez"}}],
        "fallback": {"group": "north"},
    }
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.from_dict(data)
    assert info.value.problems == (
        ("operators[0].limit", "must be a non-negative integer (got -1)"),
        ("groups[1].regions", "give include or exclude, not both"),
        ("groups[1].operator_ids[1]", "unknown operator 'ghost'"),
        ("rules[0].to.group", "unknown group 'salez' (did you mean 'sales'?)"),
    )


def test_an_item_that_does_not_load_keeps_its_id_for_the_cross_references() -> None:
    """A broken group is still a known group: rules naming it are not reported as well."""
    data = {
        "groups": [{"id": "sales", "limit": "five"}],
        "rules": [{"name": "r", "when": "always", "to": {"group": "sales"}}],
    }
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.from_dict(data)
    assert info.value.problems == (("groups[0].limit", "expected int, got 'five'"),)


def test_cross_references_are_checked_after_loading() -> None:
    """A loadable file still fails on an unknown group, with a did-you-mean, and unknown regions."""
    data = {
        "groups": [{"id": "sales", "regions_include": ["RU-XYZ"]}],
        "rules": [
            {"name": "r", "when": {"kind": "region", "codes": ["XX"]}, "to": {"kind": "group", "id": "salez"}}
        ],
    }
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.from_dict(data)
    assert info.value.problems == (
        ("groups[0].regions.include[0]", "unknown region code 'RU-XYZ'"),
        ("rules[0].to.group", "unknown group 'salez' (did you mean 'sales'?)"),
        ("rules[0].when[0]", "unknown region code 'XX'"),
    )


def test_a_time_zone_that_does_not_exist_is_named() -> None:
    """A predicate's unknown IANA zone is reported at its path."""
    rule = {
        "name": "evening",
        "when": {"kind": "time_between", "start": "18:00", "end": "23:00", "tz": "Mars/Olympus"},
        "to": {"kind": "everyone"},
    }
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.from_dict({"rules": [rule]})
    assert info.value.problems == (("rules[0].when.tz", "unknown IANA time zone (got 'Mars/Olympus')"),)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.toml", "operators = [", "invalid TOML"),
        ("bad.json", "{", "invalid JSON"),
        ("bad.yaml", "a: 1", "give a .toml or .json file"),
    ],
)
def test_unreadable_files_raise_config_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    """Syntax errors and unsupported suffixes are ConfigErrors, not parser exceptions."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(_ConfigError, match=message):
        RoutingConfig.load(path)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A path that does not exist is reported with that path."""
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.load(tmp_path / "nope.toml")
    assert info.value.path.endswith("nope.toml")


_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "kind",
                    "name",
                    "operators",
                    "groups",
                    "rules",
                    "channels",
                    "when",
                    "to",
                    "items",
                    "topics",
                    "limit",
                    "status",
                    "sla",
                    "warn",
                    "priority",
                    "topic",
                    "channel",
                    "group",
                    "operator",
                    "regions",
                    "pages",
                    "include",
                    "exclude",
                    "any",
                    "not",
                    "offline",
                    "requeue_after",
                    "x",
                ]
            )
            | st.text(max_size=6),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@given(_json_like)
def test_the_loader_either_loads_or_raises_config_error(data: Any) -> None:
    """Arbitrary nested data never escapes as anything but a ConfigError."""
    try:
        config = RoutingConfig.from_dict(data)
    except _ConfigError as exc:
        problems = exc.problems
    else:
        assert RoutingConfig.from_dict(config.to_dict()) == config
        return
    assert problems
    assert all(isinstance(path, str) and message for path, message in problems)


_HOURS_TOML = """
messenger_group = "sales"

[[operators]]
id = "ann"

[[groups]]
id = "sales"
operator_ids = ["ann"]

[groups.schedule]
tz = "Europe/Moscow"
windows = [
    { days = ["mon", "tue", "wed", "thu", "fri"], start = "09:00", end = "18:00" },
    { days = "sat", start = "10:00", end = "24:00" },
]
closures = [{ dates = ["2026-01-01"], note = "New Year" }, { rrule = "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=9" }]
special = [{ dates = "2026-12-31", hours = ["10:00-14:00"] }]

[[rules]]
name = "weekend"
when = { kind = "weekday", days = ["sat", "sun"], tz = "Europe/Moscow" }
to = { kind = "group", id = "sales" }
"""


def test_business_hours_are_written_by_hand_with_day_names_and_ranges() -> None:
    """Day names, a lone day or date, '24:00' and '10:00-14:00' load, and the dump loads back equal."""
    config = RoutingConfig.from_toml(_HOURS_TOML)
    schedule = config.groups[0].schedule
    assert schedule is not None
    assert schedule.describe() == (
        "Mon-Fri 09:00-18:00, Sat 10:00-24:00 Europe/Moscow; closed 2026-01-01 (New Year);"
        " closed FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=9; 2026-12-31 10:00-14:00"
    )
    assert config.messenger_group == "sales"
    assert RoutingConfig.from_toml(config.to_toml()) == config


def test_mistakes_in_business_hours_name_their_paths() -> None:
    """A bad time, a bad recurrence and a bad day name are each reported where they are."""
    bad = (
        _HOURS_TOML.replace('"09:00"', '"9am"')
        .replace("BYMONTHDAY=9", "BYMONTHDAY=x")
        .replace('"sun"', '"sunday-ish"')
    )
    with pytest.raises(ConfigError) as raised:
        RoutingConfig.from_toml(bad)
    assert [path for path, _ in raised.value.problems] == [
        "groups[0].schedule.windows[0].start",
        "groups[0].schedule.closures[1].rrule",
        "rules[0].when.days",
    ]
    assert "give a time such as '09:30' (got '9am')" in str(raised.value)


def test_a_group_schedule_in_an_unknown_zone_names_its_path() -> None:
    """A misspelt IANA zone in a group's hours is a config problem at groups[i].schedule.tz."""
    data = {"groups": [{"id": "g", "schedule": {"tz": "Europe/Moskow"}}]}
    with pytest.raises(ConfigError) as raised:
        RoutingConfig.from_dict(data)
    assert list(raised.value.problems) == [
        ("groups[0].schedule.tz", "unknown IANA time zone (got 'Europe/Moskow')")
    ]


# ------------------------------------------------------------------- short form

_SHORT_TOML = """
strategy = "longest_idle"
offline = { requeue_after = "1m30s" }
fallback = "everyone"
default_handle_time = "4m"

[[channels]]
name = "site"
sla = { warn = "20s", critical = "45s" }

[[channels]]
name = "email"

[[operators]]
id = "natalia"

[[groups]]
id = "sales"
operator_ids = ["natalia"]
regions = { include = ["RU-MOW"] }
pages = { include = ["*/buy*"], exclude = ["*/jobs*"] }

[[rules]]
name = "buying"
when = { topic = ["price", "order"], not = { channel = "email" } }
to = { group = "sales" }
escalate = [{ after = "2m", to = "preferred" }]

[[rules]]
name = "vip"
when = { any = [{ has_tag = "vip" }, { attr = { name = "amount", op = ">", value = 1000 } }] }
to = { preferred = { otherwise = { operator = "natalia" } } }

[[triggers]]
on = "invoice.paid"
to = { group = "sales" }
"""


def test_the_short_form_loads_into_the_same_values_as_the_long_form() -> None:
    """Short conditions, targets, region and page tables, offline and durations mean what they say."""
    config = RoutingConfig.from_toml(_SHORT_TOML)
    group = config.groups[0]
    assert group.regions_include == frozenset({"RU-MOW"})
    assert (group.pages_include, group.pages_exclude) == (("*/buy*",), ("*/jobs*",))
    assert config.rules[0].when == topic("price", "order") & ~channel("email")
    assert config.rules[0].escalate[0].after == timedelta(minutes=2)
    assert config.rules[0].escalate[0].to == Target.preferred_operator()
    assert config.rules[1].when == has_tag("vip") | (attr("amount") > 1000)
    assert config.rules[1].to == Target.preferred_operator(otherwise=Target.operator("natalia"))
    assert config.triggers[0].name == "invoice.paid"
    assert (config.offline_policy, config.requeue_grace) == (OfflinePolicy.REQUEUE, timedelta(seconds=90))
    assert config.channels[0].sla.critical == timedelta(seconds=45)
    assert config.default_handle_time == timedelta(minutes=4)
    assert config.strategy == LongestIdle()
    assert RoutingConfig.from_dict(config.to_dict()) == config


def test_dumps_write_the_short_form_and_leave_out_defaults() -> None:
    """to_dict writes what a person would: short conditions and targets, durations, no defaults."""
    data = RoutingConfig.from_toml(_SHORT_TOML).to_dict()
    assert data["rules"][0] == {
        "name": "buying",
        "when": {"topic": ["order", "price"], "not": {"channel": "email"}},
        "to": {"group": "sales"},
        "escalate": [{"after": "2m", "to": "preferred"}],
    }
    assert data["groups"][0] == {
        "id": "sales",
        "operator_ids": ["natalia"],
        "regions": {"include": ["RU-MOW"]},
        "pages": {"include": ["*/buy*"], "exclude": ["*/jobs*"]},
    }
    assert data["offline"] == {"requeue_after": "1m30s"}
    assert data["triggers"] == [{"on": "invoice.paid", "to": {"group": "sales"}}]
    assert data["channels"] == [
        {"name": "site", "sla": {"warn": "20s", "critical": "45s"}},
        {"name": "email"},
    ]
    assert "fallback" not in data
    assert "explain" not in data
    assert RoutingConfig().to_dict() == {}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"groups": [{"id": "g", "regions": {"inclde": ["RU"]}}]},
            ("groups[0].regions.inclde", "unknown key (did you mean 'include'?)"),
        ),
        (
            {"groups": [{"id": "g", "regions": ["RU"]}]},
            ("groups[0].regions", "expected a table such as {include = [...]} or {exclude = [...]}"),
        ),
        (
            {"groups": [{"id": "g", "pages": {"include": 5}}]},
            ("groups[0].pages.include", "give a list of strings (got 5)"),
        ),
        (
            {"rules": [{"name": "r", "when": {"topik": "x"}, "to": "everyone"}]},
            ("rules[0].when.topik", "unknown condition (did you mean 'topic'?)"),
        ),
        (
            {"rules": [{"name": "r", "when": {"any": [{"channel": 1}]}, "to": "everyone"}]},
            ("rules[0].when.any[0].channel", "expected a list, got 1"),
        ),
        (
            {"rules": [{"name": "r", "when": "always", "to": "everyon"}]},
            (
                "rules[0].to",
                "give 'everyone', 'preferred', {group = ...} or {operator = ...} (did you mean 'everyone'?)",
            ),
        ),
        (
            {"rules": [{"name": "r", "when": "always", "to": {"grup": "s"}}]},
            ("rules[0].to.grup", "unknown key (did you mean 'group'?)"),
        ),
        (
            {"offline": {"requeue_afte": "1m"}},
            ("offline.requeue_afte", "unknown key (did you mean 'requeue_after'?)"),
        ),
        ({"offline": "drop"}, ("offline", "give 'keep', 'requeue' or {requeue_after = '60s'} (got 'drop')")),
        (
            {"offline": "keep", "requeue_grace": 5},
            ("offline", "give offline or offline_policy / requeue_grace, not both"),
        ),
        (
            {"aging": "1:30"},
            ("aging", "give seconds or a duration such as '30s', '5m' or '1h30m' (got '1:30')"),
        ),
    ],
    ids=lambda v: v[0] if isinstance(v, tuple) else None,
)
def test_mistakes_in_the_short_form_name_their_path(data: dict[str, Any], problem: tuple[str, str]) -> None:
    """Each mistake in a short-form entry is reported where it is, with a did-you-mean."""
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.from_dict(data)
    assert problem in info.value.problems


def test_requeue_grace_without_requeue_is_flagged() -> None:
    """A requeue_grace under offline_policy keep does nothing, so the config says so."""
    config = RoutingConfig(requeue_grace=60)
    assert config.problems() == [
        ("requeue_grace", "has no effect while offline_policy is keep: give offline = {requeue_after = ...}")
    ]
    assert RoutingConfig(requeue_grace=60, offline_policy=OfflinePolicy.REQUEUE).problems() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"strategy": None}, "strategy"),
        ({"strategy": "even"}, "strategy"),
        ({"operators": [{"id": "ann"}]}, "operators[0]"),
        ({"fallback": "everyone"}, "fallback"),
        ({"rules": [None]}, "rules[0]"),
    ],
    ids=repr,
)
def test_configs_built_in_python_are_checked_for_type(changes: dict[str, Any], field: str) -> None:
    """A value of the wrong type is refused when the config is built, naming the field."""
    with pytest.raises(InvalidValue) as info:
        RoutingConfig(**changes)
    assert info.value.field == field


@pytest.mark.parametrize(
    "predicate",
    [attr("coupon") == None, attr("plan").is_in(["pro", None]), attr("meta") == {"a": [None]}],  # noqa: E711
    ids=repr,
)
def test_none_in_a_condition_survives_toml(predicate: Any) -> None:
    """TOML has no null: a condition's value holding None is written as JSON text and read back."""
    config = RoutingConfig(rules=[Rule(name="r", when=predicate, to=Target.everyone())])
    assert RoutingConfig.from_toml(config.to_toml()) == config


@pytest.mark.parametrize(
    ("kind", "text"), [("json", "[" * 100_000 + "]" * 100_000), ("toml", "a = " + "[" * 100_000)]
)
def test_deeply_nested_text_is_a_config_error(kind: str, text: str) -> None:
    """Nesting too deep for the parser is a ConfigError, not a RecursionError."""
    load = RoutingConfig.from_json if kind == "json" else RoutingConfig.from_toml
    with pytest.raises(_ConfigError, match="nested too deeply"):
        load(text)


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are reported with the file's name."""
    path = tmp_path / "desk.toml"
    path.write_bytes(b"name = '\xff'")
    with pytest.raises(_ConfigError, match="not UTF-8 text") as info:
        RoutingConfig.load(path)
    assert info.value.path == str(path)


def test_triggers_on_one_event_need_names() -> None:
    """A trigger's name defaults to its event; two unnamed triggers on one event are a problem."""
    paid = Trigger(on="invoice.paid", to=Target.everyone())
    assert paid.name == "invoice.paid"
    assert RoutingConfig(triggers=[paid, paid]).problems() == [
        ("triggers[1]", "duplicate id 'invoice.paid': triggers on one event need a name each")
    ]


def test_a_condition_nested_too_deeply_is_named_where_it_starts() -> None:
    """Hundreds of nested conditions are one problem at the rule, not a RecursionError."""
    when: Any = "always"
    for _ in range(400):
        when = {"not": when}
    with pytest.raises(_ConfigError) as info:
        RoutingConfig.from_dict({"rules": [{"name": "r", "when": when, "to": "everyone"}]})
    assert info.value.problems == (("rules[0].when.not", "nested too deeply"),)


def test_the_config_s_own_durations_take_text_in_python_too() -> None:
    """RoutingConfig(requeue_grace="1m") is 60 s; text that is not a duration names the field."""
    config = RoutingConfig(offline_policy=OfflinePolicy.REQUEUE, requeue_grace="1m", aging="1h30m")
    assert (config.requeue_grace, config.aging) == (timedelta(minutes=1), timedelta(minutes=90))
    with pytest.raises(InvalidValue) as info:
        RoutingConfig(default_handle_time="five minutes")
    assert info.value.field == "default_handle_time"
