"""The chatroute command line, run through its installed entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatroute import Group, Operator, RoutingConfig, Rule, Target
from chatroute.rules import topic


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


def test_check_lists_every_problem_with_its_path_and_exits_1(tmp_path: Path) -> None:
    """Each problem gets its own line with its path; no traceback."""
    path = tmp_path / "desk.toml"
    path.write_text(
        """
[[operators]]
id = "a"
limit = -1

[[groups]]
id = "sales"
operator_ids = ["a", "ghost"]

[[rules]]
name = "r"
when = { kind = "topic", topics = ["x"] }
to = { kind = "group", id = "salez" }
""",
        encoding="utf-8",
    )
    result = _run("check", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: 1 problem",
        "  operators[0].limit: must be a non-negative integer (got -1)",
    ]
    path.write_text(path.read_text(encoding="utf-8").replace("limit = -1", "limit = 2"), encoding="utf-8")
    result = _run("check", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: 2 problems",
        "  groups[0].operator_ids[1]: unknown operator 'ghost'",
        "  rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)",
    ]
    assert "Traceback" not in result.stderr


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
