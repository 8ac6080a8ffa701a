"""Workers killed part-way through a call, and a server killed under a held lock.

A worker routes one dialog with a request id and stops at a point of the call (the
test-only ``CHATROUTE_SHARED_PAUSE``); the test kills it with SIGKILL there. The call is
in the journal if and only if it committed, and a retry with the same request id
returns one result, however often it is retried.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from chatroute import Dialog
from chatroute.shared import LostRequest, SharedDesk
from chatroute.shared.postgres import PostgresJournal
from chatroute.shared.testing import TemporaryCluster

from .workers import desk_config

ROOT = Path(__file__).resolve().parents[2]


def start_paused(
    cluster: TemporaryCluster, schema: str, desk_id: str, request_id: str, point: str, mode: str = "crash"
) -> subprocess.Popen[str]:
    """A worker routing one dialog, stopped at ``point``; returns once it says it is there."""
    env = {**os.environ, "CHATROUTE_SHARED_PAUSE": point}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.shared.workers", mode, cluster.dsn, schema, desk_id, request_id],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready, f"the worker did not reach {point}"
    assert proc.stdout.readline().strip() == f"paused at {point}"
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.stdout is not None
    proc.stdout.close()


@pytest.mark.parametrize("point", ["locked", "called", "appended", "committed"])
def test_a_worker_killed_mid_call_leaves_the_call_present_iff_committed(
    cluster: TemporaryCluster, schema: str, journal: PostgresJournal, point: str
) -> None:
    """After SIGKILL at each point the call is present only if it committed; retries return one result."""
    desk = SharedDesk(journal, "crashy", desk_config(), seed=1)
    desk.route(Dialog(id="before"))
    kill(start_paused(cluster, schema, "crashy", "req-crash", point))
    present = [e for e in journal.entries("crashy", 0) if e.request_id == "req-crash"]
    assert len(present) == (1 if point == "committed" else 0)
    retried = desk.route(Dialog(id="dialog-req-crash"), request_id="req-crash")
    again = SharedDesk(journal, "crashy", desk_config()).route(
        Dialog(id="dialog-req-crash"), request_id="req-crash"
    )
    assert retried == again
    assert retried.dialog_id == "dialog-req-crash"
    entries = journal.entries("crashy", 0)
    assert [e.request_id for e in entries].count("req-crash") == 1
    assert [e.position for e in entries] == list(range(1, len(entries) + 1))
    desk.route(Dialog(id="after"))
    assert [d.id for d in desk.read(lambda r: r.dialogs())] == ["after", "before", "dialog-req-crash"]


@pytest.mark.parametrize("point", ["batch", "batched"])
def test_a_batching_writer_killed_mid_batch_hands_over_and_loses_nothing_committed(
    cluster: TemporaryCluster, schema: str, journal: PostgresJournal, point: str
) -> None:
    """SIGKILL the writer before or after its commit: another process takes over; every call is made once."""
    kill_me = start_paused(cluster, schema, "sticky", "req-writer", point, mode="lead")
    before = [e.request_id for e in journal.entries("sticky", 0)]
    assert before == ([None, "req-writer"] if point == "batched" else [])  # nothing uncommitted
    with SharedDesk(journal, "sticky", desk_config(), seed=1, batching=True) as follower:
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(follower.route, Dialog(id="follower"), request_id="req-follower")
            time.sleep(0.5)
            assert not waiting.done()  # queued behind the paused writer
            assert not follower.leading
            kill(kill_me)
            decision = waiting.result(timeout=60)
        assert decision.dialog_id == "follower"
        assert follower.leading  # the seat passed to this process
        # the dead writer's request, still queued when it was uncommitted, is served once
        assert follower.route(Dialog(id="dialog-req-writer"), request_id="req-writer").dialog_id
        entries = journal.entries("sticky", 0)
        assert [e.position for e in entries] == list(range(1, len(entries) + 1))
        ids = [e.request_id for e in entries]
        assert ids.count("req-writer") == ids.count("req-follower") == 1
        assert [d.id for d in follower.read(lambda r: r.dialogs())] == ["dialog-req-writer", "follower"]


def retry(call: object, attempts: int = 5) -> object:
    """Make a call, retrying while the connection to a restarting server fails."""
    for attempt in range(attempts):
        try:
            return call()  # type: ignore[operator]
        except psycopg.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def test_a_backend_terminated_under_the_lock_then_a_server_crash_loses_nothing_committed(
    cluster: TemporaryCluster, schema: str, journal: PostgresJournal
) -> None:
    """The lock holder terminated, then an immediate restart: committed calls stay and the desk carries on."""
    desk = SharedDesk(journal, "restart", desk_config(), seed=1)
    for n in range(20):
        desk.route(Dialog(id=f"kept-{n}"), request_id=f"kept-{n}")
    proc = start_paused(cluster, schema, "restart", "req-lost", "appended")
    with psycopg.connect(cluster.dsn, autocommit=True) as admin:
        holders = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
        ).fetchall()
        assert len(holders) == 1
        assert admin.execute("SELECT pg_terminate_backend(%s)", holders[0]).fetchone() == (True,)
    cluster.restart(mode="immediate")
    kill(proc)
    retry(lambda: desk.route(Dialog(id="after-restart"), request_id="after-restart"))
    entries = journal.entries("restart", 0)
    assert [e.request_id for e in entries] == [None, *(f"kept-{n}" for n in range(20)), "after-restart"]
    fresh = SharedDesk(journal, "restart", desk_config())
    assert fresh.read(lambda r: r.snapshot()) == desk.read(lambda r: r.snapshot())


def test_requests_queued_when_the_server_crashes_are_retried_or_raise_never_reported_done(
    cluster: TemporaryCluster, schema: str, journal: PostgresJournal
) -> None:
    """A server crash empties the unlogged queue: a call with a request id is made once, others raise."""
    writer = start_paused(cluster, schema, "emptied", "req-writer", "batch", mode="lead")
    with SharedDesk(journal, "emptied", desk_config(), seed=1, batching=True) as follower:
        with ThreadPoolExecutor(2) as pool:
            kept = pool.submit(retry, lambda: follower.route(Dialog(id="kept"), request_id="req-kept"))
            anonymous = pool.submit(follower.route, Dialog(id="anonymous"))
            time.sleep(0.5)
            assert not kept.done()  # queued behind the paused writer
            assert not anonymous.done()
            cluster.restart(mode="immediate")  # the queue (unlogged) is emptied
            kill(writer)
            assert kept.result(timeout=60).dialog_id == "kept"
            with pytest.raises(LostRequest):
                anonymous.result(timeout=60)  # it may or may not have been made: never a hang
        entries = journal.entries("emptied", 0)
        ids = [e.request_id for e in entries]
        assert ids.count("req-kept") == 1
        assert "req-writer" not in ids  # the dead writer's call was lost before its commit: absent
        assert [e.position for e in entries] == list(range(1, len(entries) + 1))
        assert retry(lambda: follower.route(Dialog(id="kept"), request_id="req-kept")).dialog_id == "kept"
