"""RoutingConfig: defaults, and problems() finding every cross-reference problem with its path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatroute import (
    Channel,
    ConfigError,
    Even,
    Group,
    OfflinePolicy,
    Operator,
    Router,
    RoutingConfig,
    Rule,
    Status,
    Target,
)
from chatroute.rules import always, topic


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
