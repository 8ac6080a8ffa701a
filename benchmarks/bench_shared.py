"""Shared desk on PostgreSQL: calls per second and latency with 1-20 worker processes.

Two writers are measured: ``lock`` (each call takes the desk's lock and commits) and
``batch`` (calls queue for a batching writer: whichever waiting process gets the lock
writes every queued call in one commit).

Set-up: a throwaway PostgreSQL cluster (``chatroute.shared.testing``, durable settings:
fsync on), a desk of 5,000 operators in 50 groups with limit 5, already holding
``--open`` open dialogs (15,000 by default: the journal and a snapshot are written in
bulk, from a MemoryJournal run of the same calls).

Before each row a snapshot of the desk as it is then is stored. Each worker process
builds its :class:`SharedDesk` (a new replica: that snapshot plus the tail, timed as
"warm"), then makes calls for ``--seconds``: new dialogs (30%), releases (25%), first
replies (20%), status changes (10%), transfers (5%) and ticks (10%). Measured per
worker count and ``synchronous_commit`` on and off: calls per second over the desk,
and p50 / p99 latency per call.

Baseline, on the same desk: the snapshot-row pattern of ``docs/how-to/web-app.md``
(load the whole state, restore, call, save with a version check, retry on conflict).

    python benchmarks/bench_shared.py            # the full run
    python benchmarks/bench_shared.py --quick    # a small desk, a few seconds per row
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from _report import machine, write_report
from psycopg.types.json import Json

from chatroute import Dialog, Group, Operator, Router, RoutingConfig, Snapshot, Target
from chatroute.errors import ChatrouteError
from chatroute.serialize import from_dict, to_dict
from chatroute.shared import Entry, MemoryJournal, SharedDesk
from chatroute.shared.postgres import PostgresJournal
from chatroute.shared.testing import TemporaryCluster

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "bench_shared.json"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DESK = "bench"
#: The workers' shared secret signing router images (a new replica starts from one).
IMAGE_KEY = b"bench-image-key-0123456789"


def desk_config(operators: int, groups: int) -> RoutingConfig:
    """``operators`` operators online with limit 5, split evenly over ``groups`` groups."""
    ops = [Operator(id=f"op{n:05d}", status="online", limit=5) for n in range(operators)]
    return RoutingConfig(
        operators=ops,
        groups=[Group(id=f"g{g:02d}", operator_ids=[o.id for o in ops[g::groups]]) for g in range(groups)],
        default_limit=5,
    )


INSERT = (
    "INSERT INTO chatroute.entries (desk_id, position, call, args, now, geo, result, request_id,"
    " nonce, chatroute_version, config_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def entry_row(e: Entry) -> tuple[Any, ...]:
    """An entry as a row of the journal's table."""
    geo, result = Json(list(e.geo)), Json(e.result)
    return (DESK, e.position, e.call, Json(e.args), e.now, geo, result, None, e.nonce, e.chatroute_version, 1)


def prefill(dsn: str, config: RoutingConfig, open_dialogs: int) -> tuple[float, int]:
    """Write ``open_dialogs`` routes to the journal and a snapshot after them; return (seconds, position)."""
    started = time.perf_counter()
    memory = MemoryJournal()
    # one snapshot (with its image), after the last route
    desk = SharedDesk(memory, DESK, config, seed=1, snapshot_every=open_dialogs + 1, image_key=IMAGE_KEY)
    groups = len(config.groups)
    for n in range(open_dialogs):
        desk.route(Dialog(id=f"pre{n}", chosen_group_id=f"g{n % groups:02d}"), now=START)
    entries = memory.entries(DESK, 0)
    stored = memory.latest_snapshot(DESK)
    assert stored is not None
    assert stored.position == entries[-1].position
    journal = PostgresJournal(dsn)
    journal.install()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(INSERT, [entry_row(e) for e in entries])
    journal.store_snapshot(DESK, stored)
    journal.close()
    return time.perf_counter() - started, stored.position


#: The threads of a worker process whose CPU ``--cpu`` shows apart, by name prefix.
THREAD_KINDS = {"MainThread": "calls", "chatroute-writer-": "writer", "chatroute-replies-": "replies"}


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads so far, by kind (see THREAD_KINDS)."""
    kinds = dict.fromkeys(THREAD_KINDS.values(), 0.0)
    for thread in threading.enumerate():
        kind = next((k for prefix, k in THREAD_KINDS.items() if thread.name.startswith(prefix)), None)
        if kind is None or thread.ident is None:
            continue
        try:
            kinds[kind] += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except OSError:  # it ended meanwhile
            continue
    return kinds


#: Entries between two snapshots during the runs (``--snapshot-every``; 0: none).
SNAPSHOT_EVERY = [0]


def worker(
    dsn: str, config: RoutingConfig, index: int, seconds: float, batching: bool, barrier: Any, out: Any
) -> None:
    """One web worker: build the desk (timed), wait for the others, then make calls for ``seconds``."""
    journal = PostgresJournal(dsn)
    started = time.perf_counter()
    desk = SharedDesk(
        journal,
        DESK,
        config,
        seed=1,
        snapshot_every=SNAPSHOT_EVERY[0] or 10**9,
        batching=batching,
        image_key=IMAGE_KEY,
    )
    desk.read(lambda router: None)
    warm = time.perf_counter() - started
    rng = random.Random(index)
    groups = len(config.groups)
    mine = [f"pre{n}" for n in range(index, 10**6, 997)][:50]
    held = set(desk.read(lambda r: [x.id for x in r.dialogs()], fresh=False))
    mine = [d for d in mine if d in held]
    replied: list[str] = list(mine)
    latencies: list[float] = []
    errors = 0
    barrier.wait()
    cpu_began, threads_began = time.process_time(), thread_cpu()
    until = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < until:
        roll = rng.random()
        began = time.perf_counter()
        try:
            if roll < 0.30 or not mine:
                dialog_id = f"w{index}-{n}"
                desk.route(Dialog(id=dialog_id, chosen_group_id=f"g{rng.randrange(groups):02d}"))
                mine.append(dialog_id)
                replied.append(dialog_id)
            elif roll < 0.55:
                desk.release(mine.pop(rng.randrange(len(mine))))
            elif roll < 0.75 and replied:
                desk.replied(replied.pop())
            elif roll < 0.85:
                operator = f"op{rng.randrange(len(config.operators)):05d}"
                desk.set_status(operator, rng.choice(["online", "online", "away"]))
            elif roll < 0.90:
                desk.transfer(rng.choice(mine), Target.group(f"g{rng.randrange(groups):02d}"))
            else:
                desk.tick()
        except ChatrouteError:
            errors += 1  # a reply to a dialog that is queued, say: a real answer, timed too
        latencies.append(time.perf_counter() - began)
        n += 1
    cpu = time.process_time() - cpu_began
    threads = {kind: seconds - threads_began[kind] for kind, seconds in thread_cpu().items()}
    desk.close()
    journal.close()
    out.put({"warm_s": warm, "latencies": latencies, "errors": errors, "cpu_s": cpu, "threads": threads})


def server_processes(cluster: TemporaryCluster) -> dict[int, tuple[str, float]]:
    """The cluster's server processes now (Linux /proc): their kind and CPU seconds so far, by pid.

    Kinds: ``backend`` (a client's: its title names its peer), ``auxiliary`` (the WAL
    writer, checkpointer, autovacuum and the like), and ``postmaster``, whose figure
    holds the time of its children that have exited (its ``cutime`` and ``cstime``).
    """
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            title = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        pid = int(proc.name)
        if pid == postmaster:  # utime, stime, cutime, cstime
            found[pid] = ("postmaster", sum(int(value) for value in fields[11:15]) / tick)
        elif int(fields[1]) == postmaster:  # utime, stime
            kind = "backend" if "(" in title or "[local]" in title else "auxiliary"
            found[pid] = (kind, (int(fields[11]) + int(fields[12])) / tick)
    return found


def server_cpu(began: dict[int, tuple[str, float]], ended: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds of the server between two :func:`server_processes`, by kind.

    ``backends``: the client backends, those that exited meanwhile too (counted from
    the postmaster's children's time, less what they had used before); ``auxiliary``:
    the others (an auxiliary process that exited meanwhile counts as a backend).
    """
    kinds = {"backends": 0.0, "auxiliary": 0.0}
    for pid, (kind, seconds) in ended.items():
        start = began.get(pid, (kind, 0.0))[1]
        kinds["auxiliary" if kind == "auxiliary" else "backends"] += seconds - start
    kinds["backends"] -= sum(seconds for pid, (_, seconds) in began.items() if pid not in ended)
    return kinds


def warm_up(dsn: str, config: RoutingConfig, image: bool) -> dict[str, float]:
    """Seconds (wall and CPU) for a new replica to be ready: the newest snapshot plus the tail."""
    journal = PostgresJournal(dsn)
    wall, cpu = time.perf_counter(), time.process_time()
    desk = SharedDesk(journal, DESK, config, seed=1, image_key=IMAGE_KEY if image else None)
    desk.read(lambda router: None)
    done = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}
    journal.close()
    return done


def fresh_snapshot(dsn: str, config: RoutingConfig) -> None:
    """Store a snapshot (with its image) of the desk as it is now: one tick, stored as it commits.

    Without it, the workers of each row would replay every call of the rows before it
    (no snapshots during the runs by default): 20 workers replaying tens of thousands of
    entries each is what made their warm-up take a minute.
    """
    journal = PostgresJournal(dsn)
    SharedDesk(journal, DESK, config, seed=1, snapshot_every=1, image_key=IMAGE_KEY).tick()
    journal.close()


class WorkerDied(RuntimeError):
    """A worker process of a row exited without reporting: the row fails instead of waiting forever."""


def gather(procs: list[Any], out: Any, what: str) -> list[dict[str, Any]]:
    """Every process's report from ``out``; raises WorkerDied (the others killed) when one died first."""
    results: list[dict[str, Any]] = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=0.5))
        except queue.Empty:
            stop_if_dead(procs, what)
    return results


def stop_if_dead(procs: list[Any], what: str) -> None:
    """Kill the row's processes and raise WorkerDied if one of them exited with an error."""
    dead = [(k, proc.exitcode) for k, proc in enumerate(procs) if proc.exitcode not in (None, 0)]
    if not dead:
        return
    for proc in procs:
        if proc.exitcode is None:
            proc.kill()
        proc.join()
    k, code = dead[0]
    raise WorkerDied(f"{what} worker {k} of {len(procs)} died (exit code {code})")


def meet(barrier: Any, procs: list[Any], what: str) -> None:
    """Join the workers at the barrier once they are all there; raises WorkerDied if one died first."""
    while barrier.n_waiting < len(procs):
        stop_if_dead(procs, what)
        time.sleep(0.05)
    barrier.wait()


def run_shared(
    dsn: str, config: RoutingConfig, workers: int, seconds: float, batching: bool, cluster: TemporaryCluster
) -> dict[str, Any]:
    """Start ``workers`` processes on the desk (from a fresh snapshot); gather their calls and latencies."""
    fresh_snapshot(dsn, config)
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(workers + 1), context.Queue()
    procs = [
        context.Process(target=worker, args=(dsn, config, k, seconds, batching, barrier, out))
        for k in range(workers)
    ]
    for proc in procs:
        proc.start()
    meet(barrier, procs, "desk")
    began, server_began = time.perf_counter(), server_processes(cluster)
    results = gather(procs, out, "desk")
    wall = time.perf_counter() - began
    server = server_cpu(server_began, server_processes(cluster))
    for proc in procs:
        proc.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    workers_cpu = {kind: sum(r["threads"][kind] for r in results) for kind in THREAD_KINDS.values()}
    workers_cpu["rest"] = sum(r["cpu_s"] for r in results) - sum(workers_cpu.values())
    return {
        "workers": workers,
        "calls": len(latencies),
        "calls_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 2),
        "errors": sum(r["errors"] for r in results),
        "warm_s_max": round(max(r["warm_s"] for r in results), 2),
        "load_average": round(os.getloadavg()[0], 1),
        # CPU per call: the workers' (Python: calls, encoding, the writer's replica) and the server's
        "client_cpu_ms_per_call": round(1000 * sum(r["cpu_s"] for r in results) / len(latencies), 3),
        "server_cpu_ms_per_call": round(1000 * sum(server.values()) / len(latencies), 3),
        # the same, by thread of the workers and kind of server process (``--cpu``)
        "cpu_ms_per_call": {
            **{f"workers_{kind}": round(1000 * s / len(latencies), 3) for kind, s in workers_cpu.items()},
            **{f"server_{kind}": round(1000 * s / len(latencies), 3) for kind, s in server.items()},
        },
    }


def baseline(dsn: str, config: RoutingConfig, workers: int, seconds: float, state: str) -> dict[str, Any]:
    """The snapshot-row pattern: load, restore, call, save with a version check; retry on conflict."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS baseline (id text PRIMARY KEY, version int, state text)")
        conn.execute("DELETE FROM baseline")
        conn.execute("INSERT INTO baseline VALUES ('main', 1, %s)", (state,))
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [
        context.Process(target=baseline_worker, args=(dsn, config, k, seconds, out)) for k in range(workers)
    ]
    began = time.perf_counter()
    for proc in procs:
        proc.start()
    results = gather(procs, out, "baseline")
    wall = time.perf_counter() - began
    for proc in procs:
        proc.join()
    done = sum(r["done"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"]) or [float("nan")]
    return {
        "workers": workers,
        "calls": done,
        "calls_per_s": round(done / wall, 2),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "conflicts": sum(r["conflicts"] for r in results),
    }


def baseline_row(dsn: str, config: RoutingConfig, workers: int, seconds: float, state: str) -> dict[str, Any]:
    """A baseline row, or what failed it (a worker died)."""
    try:
        return baseline(dsn, config, workers, seconds, state)
    except WorkerDied as died:
        return {"workers": workers, "failed": str(died)}


def baseline_worker(dsn: str, config: RoutingConfig, index: int, seconds: float, out: Any) -> None:
    latencies: list[float] = []
    conflicts = done = 0
    until = time.perf_counter() + seconds
    with psycopg.connect(dsn, autocommit=True) as conn:
        n = 0
        while time.perf_counter() < until:
            began = time.perf_counter()
            while True:
                row = conn.execute("SELECT version, state FROM baseline WHERE id = 'main'").fetchone()
                assert row is not None
                router = Router.restore(config, from_dict(Snapshot, json.loads(row[1])))
                # the clock, as the desk's workers: the state's time is theirs (and the other
                # baseline workers'), so a fixed start would go back in time
                router.route(Dialog(id=f"b{index}-{n}"), datetime.now(UTC))
                saved = conn.execute(
                    "UPDATE baseline SET state = %s, version = version + 1"
                    " WHERE id = 'main' AND version = %s",
                    (json.dumps(to_dict(router.snapshot())), row[0]),
                )
                if saved.rowcount == 1:
                    break
                conflicts += 1
            latencies.append(time.perf_counter() - began)
            done += 1
            n += 1
    out.put({"latencies": latencies, "conflicts": conflicts, "done": done})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 operators, 1,000 open dialogs, 2 s rows")
    parser.add_argument("--operators", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--open", type=int, default=15000, help="open dialogs before the run")
    parser.add_argument("--seconds", type=float, default=10.0, help="per row")
    parser.add_argument("--workers", type=int, nargs="+", help="worker counts (default 1 4 8 20; quick: 1 4)")
    parser.add_argument(
        "--writers",
        nargs="+",
        choices=["lock", "batch"],
        default=["lock", "batch"],
        help="lock: each call takes the desk's lock; batch: a batching writer",
    )
    parser.add_argument(
        "--baseline", action=argparse.BooleanOptionalAction, default=True, help="measure the snapshot row too"
    )
    parser.add_argument(
        "--snapshot-every", type=int, default=0, help="a snapshot every N entries during the runs (0: none)"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="print each row's CPU per call by the workers' threads (calls, writer, replies, rest)"
        " and the server's processes (backends, auxiliary)",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)
    if args.quick:
        args.operators, args.groups, args.open, args.seconds = 500, 10, 1000, 2.0
    SNAPSHOT_EVERY[0] = args.snapshot_every
    args.workers = args.workers or ([1, 4] if args.quick else [1, 4, 8, 20])
    started = time.perf_counter()
    config = desk_config(args.operators, args.groups)
    report: dict[str, Any] = {
        **machine(),
        "quick": args.quick,
        "settings": vars(args) | {"json": str(args.json)},
    }
    print(
        f"desk: {args.operators:,} operators in {args.groups} groups, limit 5, {args.open:,} open dialogs;"
        f" {args.seconds:g} s per row"
    )
    with TemporaryCluster({"max_connections": "300"}) as cluster:
        prefill_s, position = prefill(cluster.dsn, config, args.open)
        print(f"prefill: {position:,} entries and a snapshot in {prefill_s:.1f} s")
        warm = {way: warm_up(cluster.dsn, config, way == "image") for way in ("image", "json")}
        report["warm"] = warm | {"load_average": round(os.getloadavg()[0], 1)}
        print(
            f"a new replica: {warm['image']['wall_s']:.2f} s from the image"
            f" ({warm['image']['cpu_s']:.2f} s CPU), {warm['json']['wall_s']:.2f} s from the JSON snapshot"
            f" ({warm['json']['cpu_s']:.2f} s CPU); load average {report['warm']['load_average']}"
        )
        rows = []
        failed = False
        heads = (
            "writer",
            "commit",
            "workers",
            "calls/s",
            "p50 ms",
            "p99 ms",
            "warm s",
            "calls",
            "load",
            "CPU ms/call",
        )
        widths = (6, 7, 7, 9, 8, 8, 7, 7, 5, 12)
        print("\n" + " ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True)))
        for writer in args.writers:
            for commit in ("on", "off"):
                dsn = cluster.dsn + (" options='-c synchronous_commit=off'" if commit == "off" else "")
                for workers in args.workers:
                    try:
                        measured = run_shared(
                            dsn, config, workers, args.seconds, batching=writer == "batch", cluster=cluster
                        )
                    except WorkerDied as died:
                        print(f"{writer:>6} {commit:>7} {workers:>7}  failed: {died}")
                        failed = True
                        continue
                    row = {"writer": writer, "synchronous_commit": commit, **measured}
                    rows.append(row)
                    print(
                        f"{writer:>6} {commit:>7} {workers:>7} {row['calls_per_s']:>9,.0f}"
                        f" {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['warm_s_max']:>7.2f}"
                        f" {row['calls']:>7,} {row['load_average']:>5.1f}"
                        f" {row['client_cpu_ms_per_call']:>5.2f}+{row['server_cpu_ms_per_call']:.2f}"
                    )
                    if args.cpu:
                        parts = row["cpu_ms_per_call"].items()
                        print(f"{'':>22} CPU ms/call: " + ", ".join(f"{k} {v:.3f}" for k, v in parts))
        report["shared"] = rows
        if args.baseline:
            state = json.dumps(
                to_dict(SharedDesk(PostgresJournal(cluster.dsn), DESK, config).read(Router.snapshot))
            )
            base = [
                baseline_row(cluster.dsn, config, n, args.seconds, state)
                for n in (1, min(8, max(args.workers)))
            ]
            report["baseline"] = base
            print("\nbaseline: the snapshot-row pattern (web-app.md), routes only, synchronous_commit on")
            for row in base:
                if "failed" in row:
                    print(f"{'':>7} {row['workers']:>7}  failed: {row['failed']}")
                    continue
                print(
                    f"{'':>7} {row['workers']:>7} {row['calls_per_s']:>9,.2f} {row['p50_ms']:>8.0f}"
                    f"  conflicts {row['conflicts']}"
                )
            failed = failed or any("failed" in row for row in base)
            best_shared = max((r["calls_per_s"] for r in rows if r["synchronous_commit"] == "on"), default=0)
            best_base = max((r["calls_per_s"] for r in base if "failed" not in r), default=0) or float("nan")
            report["ratio"] = round(best_shared / best_base, 1)
            print(f"\nshared / baseline (best calls/s, synchronous_commit on): {report['ratio']:,}x")
    report["total_s"] = round(time.perf_counter() - started, 1)
    write_report(report, args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
