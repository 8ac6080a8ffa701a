"""Scenarios from TOML, JSON and CSV: what loads, and every problem named by its path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from chatroute import ConfigError, InvalidValue
from chatroute.schedule import Window
from chatroute.simulate import (
    Arrivals,
    Break,
    Distribution,
    Duration,
    Redial,
    Scenario,
    Shift,
    StatusChange,
    read_log,
    status_changes,
)
from chatroute.simulate.describe import describe_scenario

GOOD = """
name = "desk"
timezone = "Europe/Moscow"
start = 2026-03-02T08:00:00
hours = 10
warmup = 30
seed = 5
compare = ["config", "even"]

[config]
[[config.channels]]
name = "site"
[[config.channels]]
name = "telegram"
priority = 2
carries_ip = false
[[config.operators]]
id = "ann"
limit = 3
[[config.operators]]
id = "bob"
[[config.groups]]
id = "sales"
operator_ids = ["ann", "bob"]

[traffic]
handle_time = 300
patience = { distribution = "lognormal", mean = 200, sigma = 0.5 }
handle_times = { billing = { mean = 600 } }

[[traffic.arrivals]]
rate = 10
topic = "buy"

[[traffic.arrivals]]
channel = "telegram"
rate = 5
profile = "morning-peak"
transfer = { to = "sales", share = 0.2 }

[[shifts]]
operators = ["ann"]
start = "08:00"
end = "17:00"
days = ["mon", "tue"]
breaks = [{ at = "12:00", minutes = 30 }]
"""


def load(text: str) -> Scenario:
    """A scenario from TOML text."""
    return Scenario.from_toml(text)


def problems(text: str) -> list[tuple[str, str]]:
    """The problems loading ``text`` reports."""
    with pytest.raises(ConfigError) as info:
        load(text)
    return list(info.value.problems)


def test_a_full_scenario_loads_with_its_values() -> None:
    """Every table ends up in the frozen Scenario, with times local to the time zone."""
    scenario = load(GOOD)
    assert scenario.name == "desk"
    assert scenario.start == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    assert (scenario.hours, scenario.warmup, scenario.seed) == (10.0, timedelta(minutes=30), 5)
    assert scenario.compare == ("config", "even")
    assert [o.id for o in scenario.config.operators] == ["ann", "bob"]
    traffic = scenario.traffic
    assert traffic.handle_time == Duration(mean=300)
    assert traffic.handle_for("billing") == Duration(mean=600)
    assert traffic.handle_for("other") == Duration(mean=300)
    assert traffic.patience == Duration(mean=200, distribution=Distribution.LOGNORMAL, sigma=0.5)
    first, second = traffic.arrivals
    assert (first.channel, first.topic, first.rate, first.profile) == ("site", "buy", 10.0, (1.0,) * 24)
    assert second.transfer is not None
    assert (second.transfer.to, second.transfer.share) == ("sales", 0.2)
    (shift,) = scenario.shifts
    assert shift.window == Window(days=[0, 1], start="08:00", end="17:00")
    assert shift.breaks == (Break(at=time(12, 0), length=timedelta(minutes=30), status="away"),)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("rate = 5\n", "rate = -5\n", ("traffic.arrivals[1].rate", "must be a positive number")),
        ("rate = 5\n", 'rate = "5"\n', ("traffic.arrivals[1].rate", "must be a positive number")),
        (
            'channel = "telegram"\n',
            'channel = "telegrm"\n',
            ("traffic.arrivals[1].channel", "unknown channel 'telegrm' (did you mean 'telegram'?)"),
        ),
        (
            'to = "sales"',
            'to = "sale"',
            ("traffic.arrivals[1].transfer.to", "unknown group 'sale' (did you mean 'sales'?)"),
        ),
        (
            "share = 0.2",
            "share = 2",
            ("traffic.arrivals[1].transfer.share", "must be a share in (0, 1] (got 2)"),
        ),
        (
            'profile = "morning-peak"',
            'profile = "morning"',
            (
                "traffic.arrivals[1].profile",
                "unknown profile (did you mean 'morning-peak'?); known: evening-peak, flat, morning-peak,"
                " office (got 'morning')",
            ),
        ),
        (
            "rate = 10\n",
            "rate = 10\nrat = 3\n",
            ("traffic.arrivals[0].rat", "unknown key (did you mean 'rate'?)"),
        ),
        (
            "handle_time = 300",
            'handle_time = { distribution = "normal", mean = 300 }',
            (
                "traffic.handle_time.distribution",
                "must be one of exponential, lognormal, fixed (did you mean 'lognormal'?)",
            ),
        ),
        (
            "handle_time = 300",
            "handle_time = { sigma = 1 }",
            ("traffic.handle_time", "missing key 'mean' (seconds)"),
        ),
        (
            'operators = ["ann"]',
            'operators = ["anne"]',
            ("shifts[0].operators[0]", "unknown operator 'anne' (did you mean 'ann'?)"),
        ),
        (
            'start = "08:00"',
            'start = "8 am"',
            ("shifts[0].start", "give a time such as '09:30' (got '8 am')"),
        ),
        (
            "minutes = 30 }",
            'minutes = 30, status = "lunch" }',
            ("shifts[0].breaks[0].status", "unknown status 'lunch'"),
        ),
        (
            'compare = ["config", "even"]',
            'compare = ["config", "evn"]',
            (
                "compare[1]",
                "unknown strategy 'evn' (did you mean 'even'?); known: config, even, random, round-robin,"
                " longest-idle, most-available, even-ratio, sticky, manual, broadcast, skill:NAME,"
                " no-wrap-up, hold-frees-slot, no-overflow, no-queue-cap, no-relax",
            ),
        ),
        (
            'timezone = "Europe/Moscow"',
            'timezone = "Mars/Olympus"',
            ("timezone", "unknown IANA time zone 'Mars/Olympus'"),
        ),
        ("hours = 10", "hours = 0", ("hours", "must be a positive number, at most 8,784")),
        ("warmup = 30", "warmup = 600", ("warmup", "must be shorter than the simulated hours")),
        ("seed = 5", "seed = 5.5", ("seed", "must be an integer")),
        (
            "[config]\n",
            "[config]\ndefault_limit = -1\n",
            ("config.default_limit", "must not be negative (got -1)"),
        ),
        (
            'id = "ann"\nlimit = 3',
            'id = "ann"\nlimit = -3',
            ("config.operators[0].limit", "must be a non-negative integer (got -3)"),
        ),
        ('name = "desk"', 'name = "desk"\nnmae = 1', ("nmae", "unknown key (did you mean 'name'?)")),
    ],
)
def test_each_problem_is_named_by_its_path(old: str, new: str, expected: tuple[str, str]) -> None:
    """A mistake anywhere in the file is reported with its path and a clear message."""
    assert old in GOOD
    assert problems(GOOD.replace(old, new, 1)) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    """Problems in the config, the traffic and the shifts come back together."""
    text = GOOD.replace("rate = 10\n", "rate = 0\n").replace(
        'id = "ann"\nlimit = 3', 'id = "ann"\nlimit = -1'
    )
    text = text.replace("minutes = 30 }", "mins = 30 }")
    found = problems(text)
    assert ("config.operators[0].limit", "must be a non-negative integer (got -1)") in found
    assert ("traffic.arrivals[0].rate", "must be a positive number") in found
    assert ("shifts[0].breaks[0].mins", "unknown key (did you mean 'minutes'?)") in found
    assert ("shifts[0].breaks[0]", "give 'at' (a local time) and 'minutes'") in found


def test_missing_tables_are_named() -> None:
    """Without [config] or [traffic] the problem says what to add."""
    assert problems('name = "x"') == [
        ("config", "missing: give the routing set-up in a [config] table"),
        ("traffic", "missing: give [[traffic.arrivals]] or a [traffic.replay] log"),
    ]
    assert problems("[config]\n[traffic]\nhandle_time = 60\n") == [
        ("traffic", "give [[traffic.arrivals]] or a [traffic.replay] log")
    ]


def test_files_are_read_by_suffix_and_unreadable_ones_reported(tmp_path: Path) -> None:
    """.toml and .json load alike; a missing file or another suffix is one problem naming the file."""
    toml_path = tmp_path / "desk.toml"
    toml_path.write_text(GOOD, encoding="utf-8")
    scenario = Scenario.load(toml_path)
    json_path = tmp_path / "desk.json"
    data = {
        "config": {"operators": [{"id": "ann", "status": "online"}]},
        "traffic": {"arrivals": [{"rate": 3}]},
        "start": "2026-03-02T09:00:00+00:00",
    }
    json_path.write_text(json.dumps(data), encoding="utf-8")
    assert Scenario.load(json_path).traffic.arrivals == (Arrivals(rate=3),)
    assert scenario.name == "desk"
    for name, message in (
        ("missing.toml", "cannot read: No such file or directory"),
        ("x.yaml", "give a .toml or .json file"),
    ):
        with pytest.raises(ConfigError) as info:
            Scenario.load(tmp_path / name)
        assert info.value.problems == ((str(tmp_path / name), message),)
    bad = tmp_path / "bad.toml"
    bad.write_text("rate = = 3", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        Scenario.load(bad)


# ----------------------------------------------------------------- replay logs

REPLAYED = """
start = 2026-03-02T09:00:00+00:00
hours = 1
[config]
[[config.operators]]
id = "ann"
status = "online"
[traffic.replay]
path = "{path}"
"""


def test_a_csv_log_is_replayed_from_the_scenarios_folder(tmp_path: Path) -> None:
    """Rows become dialogs at their own times; rows outside the span are skipped; handle times are kept."""
    (tmp_path / "log.csv").write_text(
        "created_at,channel,topic,tags,handle_time\n"
        "2026-03-02T09:00:10+00:00,site,buy,vip;new,120\n"
        "2026-03-02T12:10:00+03:00,site,help,,\n"
        "2026-03-02T11:00:00+00:00,site,late,,\n",
        encoding="utf-8",
    )
    (tmp_path / "desk.toml").write_text(REPLAYED.format(path="log.csv"), encoding="utf-8")
    scenario = Scenario.load(tmp_path / "desk.toml")
    assert scenario.traffic.replay is not None
    assert len(scenario.traffic.replay.dialogs) == 3
    from chatroute.simulate import generate

    arrivals = generate(scenario, 1)
    assert [(a.at, a.dialog.topic) for a in arrivals] == [(10.0, "buy"), (600.0, "help")]
    assert arrivals[0].handle == 120.0
    assert arrivals[0].dialog.tags == frozenset({"vip", "new"})


def test_bad_log_rows_are_named_with_their_line(tmp_path: Path) -> None:
    """A bad time or number names the row, the column and the file's line."""
    (tmp_path / "log.csv").write_text(
        "created_at,handle_time\n2026-03-02T09:00:00+00:00,60\nyesterday,60\n2026-03-02T09:01:00+00:00,-1\n",
        encoding="utf-8",
    )
    (tmp_path / "desk.toml").write_text(REPLAYED.format(path="log.csv"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Scenario.load(tmp_path / "desk.toml")
    assert info.value.problems == (
        ("traffic.replay.dialogs[1].created_at", "give an ISO 8601 time (got 'yesterday'; log.csv line 3)"),
        ("traffic.replay.dialogs[2].handle_time", "must be a positive number (got '-1'; log.csv line 4)"),
    )


def test_a_json_log_and_a_missing_log(tmp_path: Path) -> None:
    """A JSON list of objects reads like CSV rows; a missing log is a problem at traffic.replay.path."""
    log = tmp_path / "log.json"
    log.write_text(
        json.dumps([{"created_at": "2026-03-02T09:00:00", "channel": "site", "tags": ["a"]}]),
        encoding="utf-8",
    )
    (logged,) = read_log(log, tz="Europe/Moscow")
    assert logged.created_at == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    assert logged.tags == frozenset({"a"})
    (tmp_path / "desk.toml").write_text(REPLAYED.format(path="nope.csv"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Scenario.load(tmp_path / "desk.toml")
    ((path, message),) = info.value.problems
    assert path == "traffic.replay.path"
    assert message.startswith("cannot read ")
    assert "nope.csv" in message


# ------------------------------------------------------------------- shifts


def shifts_scenario(*shifts: Shift, start: str = "2026-03-02T06:00:00+00:00") -> Scenario:
    """A scenario with the given shifts, starting ``start``, in UTC."""
    base = load(GOOD)
    return Scenario(
        config=base.config, traffic=base.traffic, shifts=shifts, start=datetime.fromisoformat(start), hours=24
    )


def test_a_day_shift_with_a_break_becomes_status_changes() -> None:
    """08:00-17:00 with a 12:00 break, seen from 06:00: offline, online, away, online, offline."""
    shift = Shift(
        operators=["ann"],
        window=Window(days=range(7), start="08:00", end="17:00"),
        breaks=[Break(at="12:00", length=30)],
    )
    changes = status_changes(shifts_scenario(shift), 24 * 3600)
    hour = 3600.0
    assert changes == (
        StatusChange(at=0.0, operator_id="ann", status="offline"),
        StatusChange(at=2 * hour, operator_id="ann", status="online"),
        StatusChange(at=6 * hour, operator_id="ann", status="away"),
        StatusChange(at=6.5 * hour, operator_id="ann", status="online"),
        StatusChange(at=11 * hour, operator_id="ann", status="offline"),
    )  # the next day's 08:00 is past the 24 h horizon


def test_a_night_shift_runs_across_midnight_and_starts_the_span_online() -> None:
    """22:00-06:00 seen from 03:00: online at the start, offline at 06:00, online again at 22:00."""
    shift = Shift(operators=["bob"], window=Window(days=range(7), start="22:00", end="06:00"))
    changes = status_changes(shifts_scenario(shift, start="2026-03-02T03:00:00+00:00"), 24 * 3600)
    assert [(c.at / 3600, c.status) for c in changes] == [(0.0, "online"), (3.0, "offline"), (19.0, "online")]


def test_overlapping_shifts_count_as_one_and_others_keep_their_status() -> None:
    """Two overlapping shifts give one online stretch; an operator in no shift gets no changes."""
    early = Shift(operators=["ann"], window=Window(days=range(7), start="08:00", end="12:00"))
    late = Shift(operators=["ann"], window=Window(days=range(7), start="11:00", end="15:00"))
    changes = status_changes(shifts_scenario(early, late), 12 * 3600)
    assert [(c.at / 3600, c.status) for c in changes] == [(0.0, "offline"), (2.0, "online"), (9.0, "offline")]
    assert {c.operator_id for c in changes} == {"ann"}


def test_values_check_themselves() -> None:
    """Durations, arrivals and scenarios refuse bad values with the field's name."""
    with pytest.raises(InvalidValue, match="mean"):
        Duration(mean=0)
    with pytest.raises(InvalidValue, match="profile"):
        Arrivals(rate=1, profile=[1.0] * 23)
    with pytest.raises(InvalidValue, match="profile"):
        Arrivals(rate=1, profile=[0.0] * 24)
    with pytest.raises(InvalidValue, match="clients"):
        Arrivals(rate=1, clients=0)
    with pytest.raises(InvalidValue, match="start"):
        Scenario(config=load(GOOD).config, traffic=load(GOOD).traffic, start=datetime(2026, 3, 2))


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ('timezone = "Europe/Moscow"', f'timezone = "{"A" * 300}"', "timezone", "unknown IANA time zone"),
        ('profile = "morning-peak"', "profile = true", "traffic.arrivals[1].profile", "give a profile name"),
        ("warmup = 30", "warmup = 30\ndrain = 1e300", "drain", "at most 525,600"),
        ("sigma = 0.5", "sigma = 1e200", "traffic.patience.sigma", "at most 10"),
        ("handle_time = 300", "handle_time = 1e300", "traffic.handle_time.mean", "at most"),
        ("hours = 10", "hours = 1e300", "hours", "at most 8,784"),
        ("rate = 10", "rate = 1e7", "traffic.arrivals", "about 100,000,000 dialogs in 10 h"),
        ("start = 2026-03-02T08:00:00", "start = 9999-12-31T20:00:00", "start", "must be between 0021-01-02"),
    ],
)
def test_hostile_values_are_problems_with_a_path(old: str, new: str, path: str, message: str) -> None:
    """A huge or ill-typed value is a problem naming its path, not an OSError, TypeError or OverflowError."""
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert [p for p, _ in found] == [path]
    assert message in found[0][1]


def test_a_refused_run_names_its_estimated_size() -> None:
    """Ten million dialogs an hour are refused before anything is drawn, with the memory they would need."""
    found = problems(GOOD.replace("rate = 10", "rate = 1e7", 1))
    assert found[0][1].startswith("about 100,000,000 dialogs in 10 h would need about 100.0 GB")


def test_the_queue_shortcut_builds_an_m_m_c_desk() -> None:
    """Scenario.queue gives one channel, identical online operators under Even, exponential times."""
    desk = Scenario.queue(arrivals_per_hour=90, handle_time=120, operators=12, patience=60, limit=2, sla=20)
    assert [op.id for op in desk.config.operators][:2] == ["op01", "op02"]
    assert {(op.status, op.limit) for op in desk.config.operators} == {("online", 2)}
    assert desk.config.channels[0].sla.warn == timedelta(seconds=20)
    assert desk.traffic.arrivals[0].rate == 90
    assert desk.traffic.handle_time == Duration(mean=120)
    assert desk.traffic.patience == Duration(mean=60)
    assert desk.name == "M/M/12+M"
    assert desk.problems() == []
    with pytest.raises(InvalidValue) as info:
        Scenario.queue(arrivals_per_hour=90, handle_time=120, operators=0)
    assert info.value.field == "operators"


def test_concurrency_and_redials_load_from_the_traffic_table() -> None:
    """traffic.concurrency and traffic.redial load and are described; bad ones are problems with a path."""
    extra = "handle_time = 300\nconcurrency = 1.2\nredial = { share = 0.3, after = 600 }\n"
    text = GOOD.replace("handle_time = 300\n", extra)
    scenario = load(text)
    assert scenario.traffic.concurrency == 1.2
    assert scenario.traffic.redial == Redial(share=0.3, after=Duration(mean=600))
    lines = describe_scenario(scenario)
    assert "concurrency: each other open chat makes a chat 1.2 times as long" in lines
    assert "redials: 30% of those who gave up come back, exponential, mean 600 s" in lines
    bad = GOOD.replace("handle_time = 300\n", "handle_time = 300\nconcurrency = 0\nredial = { share = 2 }\n")
    assert problems(bad) == [
        ("traffic.concurrency", "must be a positive number, at most 10"),
        ("traffic.redial.share", "must be a share in (0, 1] (got 2)"),
    ]
