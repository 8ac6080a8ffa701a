"""The chatroute command line, run through its installed entry point."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatroute import Group, Operator, RoutingConfig, Rule, Target
from chatroute.cli import main
from chatroute.rules import topic
from chatroute.simulate import Scenario


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chatroute", path=str(Path(sys.executable).parent))
    assert exe is not None, "the chatroute entry point is not installed"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)


def test_check_prints_a_summary_of_a_sound_file(tmp_path: Path) -> None:
    """A sound set-up exits 0 with its groups, rules and fallback listed."""
    config = RoutingConfig(
        operators=[Operator(id="natalia"), Operator(id="tatiana")],
        groups=[Group(id="sales", title="Buy a car", operator_ids=["natalia", "tatiana"])],
        rules=[Rule(name="buying", when=topic("price"), to=Target.group("sales"))],
    )
    path = tmp_path / "desk.toml"
    path.write_text(config.to_toml(), encoding="utf-8")
    result = _run("check", str(path))
    assert result.returncode == 0, result.stderr
    assert f"{path}: ok" in result.stdout
    assert "  sales shown as 'Buy a car': 2 operators, Even (least loaded first)" in result.stdout
    assert "  1. buying: if topic is 'price' then group 'sales'" in result.stdout
    assert "fallback: everyone (every routable operator)" in result.stdout


def test_check_lists_every_problem_in_one_pass_with_its_path_and_line(tmp_path: Path) -> None:
    """A negative limit and both region lists do not hide an unknown group: all are listed, with lines."""
    path = tmp_path / "desk.toml"
    path.write_text(
        """
[[operators]]
id = "a"
limit = -1

[[groups]]
id = "sales"
operator_ids = ["a", "ghost"]
regions = { include = ["RU"], exclude = ["DE"] }

[[rules]]
name = "r"
when = { topic = ["x"] }
to = { group = "salez" }
""",
        encoding="utf-8",
    )
    result = _run("check", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: 4 problems",
        f"  {path}:4: operators[0].limit: must be a non-negative integer (got -1)",
        f"  {path}:9: groups[0].regions: give include or exclude, not both",
        f"  {path}:8: groups[0].operator_ids[1]: unknown operator 'ghost'",
        f"  {path}:14: rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)",
    ]
    assert "Traceback" not in result.stderr


def test_check_gives_the_lines_of_a_json_file_too(tmp_path: Path) -> None:
    """Problems in a JSON config carry their lines, as in TOML."""
    path = tmp_path / "desk.json"
    path.write_text(
        """{
  "operators": [{"id": "a", "limit": -1}],
  "groups": [
    {
      "id": "sales",
      "operator_ids": ["a", "ghost"]
    }
  ],
  "rules": [{"name": "r", "when": {"topic": "x"},
             "to": {"group": "salez"}}]
}
""",
        encoding="utf-8",
    )
    result = _run("check", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: 3 problems",
        f"  {path}:2: operators[0].limit: must be a non-negative integer (got -1)",
        f"  {path}:6: groups[0].operator_ids[1]: unknown operator 'ghost'",
        f"  {path}:10: rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)",
    ]


def test_check_finds_problems_in_the_long_form_too(tmp_path: Path) -> None:
    """The serialized {kind = ...} form is checked like the short one."""
    path = tmp_path / "desk.toml"
    path.write_text(
        '[[rules]]\nname = "r"\nwhen = { kind = "topic", topics = ["x"] }\n'
        'to = { kind = "group", id = "s" }\n',
        encoding="utf-8",
    )
    result = _run("check", str(path))
    assert result.stdout.splitlines()[1:] == [f"  {path}:4: rules[0].to.group: unknown group 's'"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name = '\xff\xfe'\n", "not UTF-8 text"),
        (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (
            b"[[rules]]\nname = 'r'\nto = 'everyone'\nwhen = "
            + b"{ not = " * 3000
            + b"'always'"
            + b" }" * 3000,
            "",
        ),
    ],
    ids=["not-utf8", "deep-toml", "deep-condition"],
)
def test_check_reports_broken_files_without_a_traceback(tmp_path: Path, content: bytes, message: str) -> None:
    """A file that is not UTF-8 or nests too deeply is a problem report and exit 1, never a traceback."""
    path = tmp_path / "desk.toml"
    path.write_bytes(content)
    result = _run("check", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stdout


def test_simulate_reports_a_file_that_is_not_utf8_in_one_line(tmp_path: Path) -> None:
    """Any command reading a broken file says so in one line on stderr."""
    path = tmp_path / "scenario.toml"
    path.write_bytes(b"name = '\xff'\n")
    assert "not UTF-8 text" in _one_error_line(_run("simulate", str(path)))


def test_schema_prints_json_schemas_of_both_file_kinds() -> None:
    """`chatroute schema config` and `... scenario` print draft-07 JSON Schemas."""
    for kind in ("config", "scenario"):
        result = _run("schema", kind)
        assert result.returncode == 0, result.stderr
        schema = json.loads(result.stdout)
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        assert kind in schema["definitions"]


def test_init_writes_a_desk_that_checks_and_simulates(tmp_path: Path) -> None:
    """The starter config and scenario pass `check`, and `simulate` runs the scenario."""
    result = _run("init", str(tmp_path / "desk"))
    assert result.returncode == 0, result.stderr
    config, scenario = tmp_path / "desk" / "desk.toml", tmp_path / "desk" / "scenario.toml"
    assert "# " in config.read_text(encoding="utf-8")
    for path in (config, scenario):
        checked = _run("check", str(path))
        assert checked.returncode == 0, checked.stdout
        assert checked.stdout.startswith(f"{path}: ok")
    assert Scenario.load(scenario).config == RoutingConfig.load(config)
    simulated = _run("simulate", str(scenario), "--hours", "1")
    assert simulated.returncode == 0, simulated.stderr
    assert simulated.stdout.startswith("Small desk:")


def test_init_does_not_overwrite_without_force(tmp_path: Path) -> None:
    """A second init in the same place refuses, in one line, unless given --force."""
    assert _run("init", str(tmp_path)).returncode == 0
    assert "give --force" in _one_error_line(_run("init", str(tmp_path)))
    assert _run("init", str(tmp_path), "--force").returncode == 0


@pytest.mark.parametrize("name", ["missing.toml", "desk.yaml"])
def test_check_reports_unreadable_files_in_one_line(tmp_path: Path, name: str) -> None:
    """A missing file or an unsupported suffix is one clear line and exit 1."""
    result = _run("check", str(tmp_path / name))
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 2
    assert "Traceback" not in result.stderr


def test_help_shows_an_example() -> None:
    """`chatroute check --help` shows how it is used."""
    result = _run("check", "--help")
    assert result.returncode == 0
    assert "chatroute check desk.toml" in result.stdout


# ------------------------------------------------------------------ simulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHOP = str(EXAMPLES / "small_shop.toml")
DESK = str(EXAMPLES / "support_desk.toml")


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single error line of a failed run (asserting there is exactly one, and no traceback)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("chatroute: error: ")
    return lines[0].removeprefix("chatroute: error: ")


def test_simulate_without_a_scenario_compares_strategies_on_the_car_dealer() -> None:
    """`chatroute simulate` prints the table of the embedded scenario; no progress bar off a terminal."""
    result = _run("simulate")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Cheshka car dealer: 2026-03-02 08:00-20:00 Europe/Moscow, seed 20260302")
    assert lines[2].split() == ["config", "even", "random", "round-robin"]
    for label in ("abandoned", "wait p99", "service level (SLA)", "fairness (CV, 0 = even)", "max queue"):
        assert any(line.startswith(label) and len(line.split()) >= 5 for line in lines), label
    for group in ("skoda", "tatra", "used", "service"):
        assert any(line.startswith(f"  {group} ") for line in lines), group
    assert "round-robin: RoundRobin (members in turn)" in lines


def test_simulate_json_carries_the_full_report_with_the_overrides() -> None:
    """--json prints the whole report; --compare, --hours and --seed change what is simulated."""
    result = _run("simulate", SHOP, "--compare", "even,random", "--hours", "2", "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [run["name"] for run in data["runs"]] == ["even", "random"]
    assert (data["hours"], data["seed"], data["scenario"]) == (2.0, 3, "Small shop, manual pick-up")
    overall = data["runs"][0]["overall"]
    assert overall["offered"] == data["runs"][1]["overall"]["offered"] > 0
    assert set(data["runs"][0]["channels"]) == {"site", "telegram"}


def test_simulate_plot_writes_a_png(tmp_path: Path) -> None:
    """--plot FILE.png writes a PNG image and says so after the table."""
    target = tmp_path / "waits.png"
    result = _run("simulate", SHOP, "--plot", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 20_000
    assert result.stdout.rstrip().endswith(f"plot written to {target}")


def test_simulate_reports_a_bad_scenario_in_one_line_with_its_path(tmp_path: Path) -> None:
    """A mistake in the scenario is one line naming the file and the path inside it."""
    path = tmp_path / "shop.toml"
    path.write_text(
        Path(SHOP).read_text(encoding="utf-8").replace("rate = 14", "rate = -14"), encoding="utf-8"
    )
    line = _one_error_line(_run("simulate", str(path)))
    assert line == f"{path}: traffic.arrivals[0].rate: must be a positive number"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["simulate", "--compare", "even,evn"], "strategies: unknown strategy (did you mean 'even'?)"),
        (["simulate", "nowhere.toml"], "nowhere.toml: cannot read: No such file or directory"),
        (["explain", SHOP, "--dialog", "{channel: site}"], "--dialog: not valid JSON"),
        (["explain", SHOP, "--dialog", "[1]"], "--dialog: give a JSON object"),
        (["explain", SHOP, "--dialog", '{"channel": "fax"}'], "unknown channel 'fax'"),
        (["explain", SHOP, "--dialog", '{"priority": "high"}'], "--dialog: priority: expected int"),
        (["explain", SHOP, "--dialog", "{}", "--at", "23:30"], "at: must be within the simulated span"),
        (["explain", SHOP, "--dialog", "{}", "--at", "noon"], "--at: give HH:MM or an ISO 8601 time"),
        (["staff", SHOP, "--target", "80"], "target: give percent/seconds, such as 80/30"),
    ],
)
def test_user_mistakes_are_one_clear_line_and_exit_1(args: list[str], expected: str) -> None:
    """Bad strategy names, files, dialogs, times and targets print one line, no traceback."""
    assert expected in _one_error_line(_run(*args))


def test_a_malformed_command_line_exits_2_with_usage() -> None:
    """A negative --hours or a missing --dialog is refused by the argument parser (exit 2)."""
    for args in (["simulate", "--hours", "-2"], ["explain", SHOP]):
        result = _run(*args)
        assert result.returncode == 2
        assert "usage: chatroute" in result.stderr
        assert "Traceback" not in result.stderr


def test_explain_shows_the_decision_at_a_moment_of_the_day() -> None:
    """At 03:00 only the night shift is on: the technical dialog goes to fay, with every operator's reason."""
    dialog = json.dumps({"topic": "tech", "required_skills": {"tech": 6}})
    result = _run("explain", DESK, "--dialog", dialog, "--at", "03:00")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "at 2026-03-04T03:00:00+00:00 in 'Support desk with skills and a night shift':"
    assert lines[1] == "dialog 'explained': assigned to operator 'fay' in group 'tech'"
    assert "  operator 'gus' [missing_skill]: 'tech' 5 < 6" in lines
    assert "  operator 'chen' [status]: status 'offline' is not routable" in lines


def test_check_summarises_a_scenario_and_lists_its_problems(tmp_path: Path) -> None:
    """check reads a scenario as a whole: its config summary plus the traffic; problems have paths."""
    result = _run("check", DESK)
    assert result.returncode == 0, result.stderr
    assert f"{DESK}: ok" in result.stdout
    assert "  fallback: group 'first-line'" in result.stdout
    assert "  arrivals: 5 streams, about 303 dialogs a day" in result.stdout
    assert "    fay, gus: Mon-Sun 20:00-08:00, away at 02:00 for 20 min" in result.stdout
    path = tmp_path / "desk.toml"
    text = Path(DESK).read_text(encoding="utf-8")
    path.write_text(
        text.replace('"fay", "gus"]\nstart', '"fay", "guss"]\nstart').replace("rate = 8", "rate = 0")
    )
    result = _run("check", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: 2 problems",
        f"  {path}:109: traffic.arrivals[0].rate: must be a positive number",
        f"  {path}:153: shifts[2].operators[1]: unknown operator 'guss' (did you mean 'gus'?)",
    ]


def test_staff_finds_the_head_count_beside_erlang_c() -> None:
    """staff prints the simulated head count, the Erlang C estimate and how much concurrency saves."""
    result = _run("staff", DESK, "--target", "80/30")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "target: 80% answered within 30 s (strategy: config; the scenario has 7 operators)"
    assert lines[1].startswith("simulation: ")
    assert lines[2].startswith("Erlang C (one dialog at a time): ")
    assert lines[3].startswith("concurrency (limits 2-3): the simulation needs ")


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("simulate", "chatroute simulate examples/support_desk.toml --compare config,even,random"),
        ("explain", "chatroute explain examples/support_desk.toml --dialog"),
        ("staff", "chatroute staff examples/support_desk.toml --target 80/30"),
        ("check", "chatroute check examples/support_desk.toml"),
    ],
)
def test_every_command_shows_an_example_in_its_help(command: str, example: str) -> None:
    """`chatroute COMMAND --help` exits 0 and shows how the command is used."""
    result = _run(command, "--help")
    assert result.returncode == 0
    assert example in result.stdout


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('timezone = "Europe/Berlin"', f'timezone = "{"A" * 300}"', "timezone: unknown IANA time zone"),
        ('profile = "office"', "profile = true", "traffic.arrivals[0].profile: give a profile name"),
        ("drain = 30", "drain = 1e300", "drain: must be a non-negative number, at most 525,600"),
        ("rate = 14", "rate = 1e7", "traffic.arrivals: about 41,000,000 dialogs in 9 h would need about 41"),
    ],
)
def test_hostile_scenario_files_are_one_line_and_exit_1(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """A huge time-zone name, a boolean profile, a huge drain or 1e7 dialogs an hour: one line, exit 1."""
    path = tmp_path / "shop.toml"
    text = Path(SHOP).read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert expected in _one_error_line(_run("simulate", str(path)))


def test_simulate_replications_give_intervals_and_a_verdict() -> None:
    """--replications 3 --jobs 2: the table shows mean ± half-width, the JSON estimates, and a verdict."""
    result = _run(
        "simulate", SHOP, "--compare", "even,random", "--hours", "2", "--replications", "3", "--jobs", "2"
    )
    assert result.returncode == 0, result.stderr
    assert "3 replications (mean ± 95% half-width)" in result.stdout.splitlines()[0]
    assert any(
        line.startswith(("no significant difference", "significant differences"))
        for line in result.stdout.splitlines()
    )
    data = json.loads(_run("simulate", SHOP, "--hours", "2", "--replications", "3", "--json").stdout)
    assert data["replications"] == 3
    assert "half_width" in data["runs"][0]["estimates"]["overall"]["service_level"]


def test_staff_per_interval_prints_the_table_json_and_plot(tmp_path: Path) -> None:
    """--interval 1h --shrinkage 30%: a row per hour; --json has the intervals; --plot writes a PNG."""
    target = tmp_path / "staffing.png"
    common = [
        "staff",
        SHOP,
        "--interval",
        "1h",
        "--shrinkage",
        "30%",
        "--strategy",
        "even",
        "--replications",
        "2",
    ]
    result = _run(*common, "--plot", str(target))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("staffing per 60 min for 80% answered within 30 s")
    assert lines[3].startswith("10:00-11:00")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(_run(*common, "--json").stdout)
    assert len(data["intervals"]) == 9
    assert data["shrinkage"] == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["staff", SHOP, "--interval", "fortnight"], "interval: give minutes or hours"),
        (["staff", SHOP, "--interval", "1h", "--shrinkage", "lots"], "shrinkage: give a share"),
    ],
)
def test_staff_mistakes_are_one_line(args: list[str], expected: str) -> None:
    """A bad interval or share is one line, exit 1."""
    assert expected in _one_error_line(_run(*args))


HOST_KINDS = """
import attrs
from chatroute.rules import Predicate
from chatroute.serialize import register


@attrs.frozen
class Spends(Predicate):
    amount: int

    def __call__(self, dialog, ctx):
        return False

    def describe(self):
        return f"spent at least {self.amount}"


register(Spends, "cli_test_spends")
"""


def test_schema_and_check_take_the_kinds_a_registered_module_adds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--register imports the host's module first: its condition is in the schema and check loads it."""
    (tmp_path / "cli_host_kinds.py").write_text(HOST_KINDS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = io.StringIO()
    assert main(["schema", "config", "--register", "cli_host_kinds"], out=out) == 0
    assert (
        "cli_test_spends" in json.loads(out.getvalue())["definitions"]["condition"]["anyOf"][1]["properties"]
    )
    desk = tmp_path / "desk.toml"
    desk.write_text('[[rules]]\nname = "big"\nwhen = { cli_test_spends = 100 }\nto = "everyone"\n', "utf-8")
    assert main(["check", str(desk), "--register", "cli_host_kinds"], out=io.StringIO()) == 0


def test_a_module_that_does_not_import_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """--register with a missing module fails in one line, naming it."""
    assert main(["schema", "config", "--register", "no_such_module_here"], out=io.StringIO()) == 1
    assert "--register no_such_module_here: cannot import it" in capsys.readouterr().err
