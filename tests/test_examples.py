"""Every script in examples/ runs with the suite's Python, succeeds and prints what it promises.

New scripts are picked up by the glob; give them expected lines in ``EXPECTED`` to check
more than a clean exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatroute.shared.testing import find_bindir

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

# Script name -> lines (stripped) its output must contain.
EXPECTED: dict[str, list[str]] = {
    "menu_bot.py": [
        "bot: sorry, please send one of 1, 2, 3",
        "routed: maxim in group sales (topic purchase)",
        "resolved by the menu: 1 (33%)",
    ],
    "quickstart.py": [
        "maxim",
        "dialog 'd1': assigned to operator 'maxim' in group 'support'",
        "rule 'returns': matched: topic is 'return': yes (dialog topic: 'return')",
    ],
    "persistence.py": [
        "restored: 7 dialogs, waiting for support: mail-1",
        "next decisions, restored router:",
        "same decisions and same final state: True",
    ],
    "morning.py": [
        "chatroute demo: a morning at the desk, 2026-03-02 09:00-11:00 UTC, seed 20260302",
        "09:00:00  alice is online",
        "rule 'vip': matched: has tag 'vip': yes (tags: 'vip')",
        "no rule applied: fallback to everyone",
        "09:50:00  elena is away (coffee break); keeps 2 open dialog(s), gets no new ones",
        "10:10:00  elena is online",
        "10:20:00  boris transfers d33 to billing: the client asks about an invoice",
        "summary",
        "dialogs arrived:      40",
    ],
    "shared_desk.py": [
        "shared desk 'demo': 4 worker processes, 25 chats each",
        "journal: 101 entries, positions 1..101, no gaps: True",
        "dialogs: 100 routed, 40 assigned, 60 waiting; over their limit: []",
        "every answer a worker got is in the journal: True",
        "outbox: 100 events for the operators' screens",
    ],
    "simulate_desk.py": [
        "Support desk with skills and a night shift: 2026-03-04 00:00 UTC + 24 h, seed 11, warm-up 60 min,"
        " 5 replications (mean ± 95% half-width), 289 dialogs offered a day on average",
        "config         LongestIdle             limit 4",
        "significant differences from config (95% together, paired over 5 shared days): limit 4: service"
        " level +5.4 ± 3.1 points, abandoned -3.5 ± 1.9 points",
        "limit 4: a config of its own",
        "best mean service level: limit 4 (93.5% ± 3.9%)",
        "target: 80% answered within 30 s (strategy: config; the scenario has 7 operators)",
        "simulation: 5 operators reach 86.2%; 4: 66.4%",
        "staffing per 240 min for 80% answered within 30 s (strategy: config; shrinkage 30%;"
        " 2 simulated days, 3 rounds)",
    ],
}


#: Scripts that need PostgreSQL's server binaries (they start a throwaway cluster).
NEEDS_POSTGRES = {"shared_desk.py"}


def run(script: Path, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run one example the way a user would, from an unrelated directory; also return its duration."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    return done, time.perf_counter() - started


def test_the_examples_are_found() -> None:
    """The glob finds the examples this suite knows about, so a renamed script cannot go unnoticed."""
    assert set(EXPECTED) <= {script.name for script in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_an_example_runs_cleanly_and_prints_what_it_promises(script: Path, tmp_path: Path) -> None:
    """The script exits 0 with no errors, prints its expected lines, and prints the same on a second run."""
    if script.name in NEEDS_POSTGRES and find_bindir() is None:
        reason = "no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL 15 to run this example"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    done, _ = run(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip(), "an example should show something"
    lines = {line.strip() for line in done.stdout.splitlines()}
    for expected in EXPECTED.get(script.name, []):
        assert expected in lines, f"{script.name} did not print {expected!r}"
    again, _ = run(script, tmp_path)
    assert again.stdout == done.stdout


def test_the_demo_explains_decisions_and_sla_events_quickly(tmp_path: Path) -> None:
    """``make demo`` prints explained decisions, queue hand-outs, SLA highlights and a summary within 5 s."""
    done, seconds = run(EXAMPLES / "morning.py", tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert seconds < 5
    assert out.count("new dialog d") == 40
    assert out.count("    dialog 'd") >= 40  # each arrival's explain() and the transfer's
    assert "from the queue (waited" in out
    assert "SLA warn (yellow)" in out
    assert "SLA critical (red)" in out
    assert "why: nobody in group 'billing' can take it now (at_limit 1, status 1)" in out
    assert "members 2: eligible 0; excluded: at_limit 1, status 1" in out
    summary = out[out.index("\nsummary\n") :]
    for op_id in ("alice", "boris", "carmen", "dmitri", "elena", "farid", "galina", "hugo"):
        assert f"\n    {op_id}" in summary
