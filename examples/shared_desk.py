"""Four worker processes route into one desk kept in PostgreSQL, as web workers would.

Run it with ``CHATROUTE_DSN`` naming a PostgreSQL database you may create a schema in,
or without: it then starts a throwaway PostgreSQL cluster of its own (PostgreSQL's
server binaries must be installed) and deletes it at the end.

Each worker builds its own :class:`~chatroute.shared.SharedDesk` on the same desk id,
with the batching writer (``batching=True``, what a host should use): a call queues in
the journal, and one of the processes (whichever took the desk's writer seat; another
takes over if it dies) makes the waiting calls in batches, one commit per batch, and
sends every caller its answer. Each worker routes 25 chats. Eight operators with a
limit of five take 40 of the 100 chats; the rest wait. Whatever order the workers'
calls came in, the journal holds every call once, nobody is over their limit, and every
answer a worker got is the one the journal recorded.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import uuid
from typing import Any

from chatroute import Dialog, DialogState, Operator, RoutingConfig
from chatroute.serialize import to_dict
from chatroute.shared import SharedDesk
from chatroute.shared.postgres import PostgresJournal
from chatroute.shared.testing import PostgresUnavailable, TemporaryCluster

WORKERS = 4
CHATS = 25
CONFIG = RoutingConfig(operators=[Operator(id=f"op{n}", status="online", limit=5) for n in range(8)])


def web_worker(dsn: str, schema: str, worker: int) -> dict[str, Any]:
    """What one web worker process does: build its desk, route its chats, return the answers it got."""
    journal = PostgresJournal(dsn, schema=schema)
    # built in the worker process, after the fork: its writer threads belong to this process
    with SharedDesk(journal, "demo", CONFIG, seed=1, batching=True) as desk:
        answers = {}
        for n in range(CHATS):
            request_id = f"worker{worker}-chat{n}"
            decision = desk.route(Dialog(id=f"w{worker}-{n}"), request_id=request_id)
            answers[request_id] = to_dict(decision)
    journal.close()
    return answers


def run(dsn: str) -> None:
    schema = f"example_{uuid.uuid4().hex[:8]}"  # a schema of its own, so runs never mix
    journal = PostgresJournal(dsn, schema=schema)
    journal.install()
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        results = pool.starmap(web_worker, [(dsn, schema, k) for k in range(WORKERS)])
    answers = {rid: answer for result in results for rid, answer in result.items()}

    entries = journal.entries("demo", 0)
    positions = [e.position for e in entries]
    print(f"shared desk 'demo': {WORKERS} worker processes, {CHATS} chats each")
    gapless = positions == list(range(1, len(entries) + 1))
    print(f"journal: {len(entries)} entries, positions 1..{positions[-1]}, no gaps: {gapless}")

    desk = SharedDesk(journal, "demo", CONFIG)  # a new replica: the journal replayed
    assigned = desk.read(lambda r: len(r.dialogs(DialogState.ASSIGNED)))
    queued = desk.read(lambda r: len(r.dialogs(DialogState.QUEUED)))
    over = desk.read(lambda r: [op.id for op in r.operators() if op.load > op.limit])
    routed = assigned + queued
    print(f"dialogs: {routed} routed, {assigned} assigned, {queued} waiting; over their limit: {over}")
    recorded = {e.request_id: e.result for e in entries if e.request_id is not None}
    print(f"every answer a worker got is in the journal: {recorded == answers}")
    events = sum(len(item.events) for item in journal.outbox("demo", 0))
    print(f"outbox: {events} events for the operators' screens")
    journal.close()


def main() -> int:
    dsn = os.environ.get("CHATROUTE_DSN")
    if dsn:
        run(dsn)
        return 0
    try:
        with TemporaryCluster({"fsync": "off"}) as cluster:
            run(cluster.dsn)
    except PostgresUnavailable as exc:
        print(f"cannot run: {exc}; set CHATROUTE_DSN to a PostgreSQL database", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
