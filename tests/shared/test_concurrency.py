"""Eight worker processes on one desk: every answer replays, no one over limit, no dialog lost.

The number of calls is ``CHATROUTE_CONCURRENCY_CALLS``, spread evenly over the
workers: 4,000 by default, so that the suite stays within a few minutes on 2 cores;
``CHATROUTE_CONCURRENCY_CALLS=20000`` is the full run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from chatroute import DialogState
from chatroute.shared.postgres import PostgresJournal
from chatroute.shared.testing import TemporaryCluster

from .replay import Reference

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 8
CALLS = int(os.environ.get("CHATROUTE_CONCURRENCY_CALLS", "4000"))
#: Seconds the workers have, together, before the test fails naming those still running.
TIMEOUT = float(os.environ.get("CHATROUTE_CONCURRENCY_TIMEOUT", str(max(240, CALLS // 20))))


def test_eight_workers_on_one_desk_replay_exactly(
    cluster: TemporaryCluster, schema: str, tmp_path: Path
) -> None:
    """8 processes' mixed calls leave a contiguous journal whose replay gives each worker's answers."""
    outs = [tmp_path / f"worker{k}.json" for k in range(WORKERS)]
    command = [sys.executable, "-m", "tests.shared.workers", "mix", cluster.dsn, schema, "busy"]
    procs = [
        subprocess.Popen([*command, str(k), str(CALLS // WORKERS), str(outs[k])], cwd=ROOT)
        for k in range(WORKERS)
    ]
    deadline = time.monotonic() + TIMEOUT
    try:
        codes = [proc.wait(timeout=max(0.1, deadline - time.monotonic())) for proc in procs]
    except subprocess.TimeoutExpired:
        hung = [k for k, proc in enumerate(procs) if proc.poll() is None]
        for proc in procs:
            proc.kill()
        pytest.fail(
            f"workers {hung} (odd: batching) did not finish within {TIMEOUT} s; a call waits forever?"
        )
    assert codes == [0] * WORKERS
    answers: dict[str, dict[str, object]] = {}
    for out in outs:
        answers.update(json.loads(out.read_text()))
    assert len(answers) == CALLS // WORKERS * WORKERS

    journal = PostgresJournal(cluster.dsn, schema=schema)
    entries = journal.entries("busy", 0)
    journal.close()
    assert [e.position for e in entries] == list(range(1, len(entries) + 1))
    done = {rid for rid, answer in answers.items() if "ok" in answer}
    assert {e.request_id for e in entries[1:]} == done
    assert len(entries) == len(done) + 1  # and the desk's opening entry

    reference = Reference()
    routed: list[str] = []
    for entry in entries:
        reference.feed([entry])
        assert reference.router is not None
        result = reference.results[entry.position]
        if entry.request_id is not None:
            assert answers[entry.request_id]["ok"] == result, entry.request_id
        events = result if isinstance(result, list) else (result or {}).get("events", [])
        for event in events:
            if event["kind"] == "dialog_assigned":
                op = reference.router.operator(event["operator_id"])
                assert op.load <= op.limit, (entry.position, op)
        if entry.call == "route":
            routed.append(entry.args["dialog"]["id"])
    assert reference.router is not None
    assert not [d for d, n in Counter(routed).items() if n > 1]
    assert sorted(d.id for d in reference.router.dialogs()) == sorted(routed)
    kinds = Counter(e.call for e in entries)
    assert kinds["route"] > CALLS // 4
    assert kinds["release"] > CALLS // 5
    assert len(reference.router.dialogs(DialogState.ASSIGNED)) <= 40 * 3
