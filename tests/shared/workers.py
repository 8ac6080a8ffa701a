"""Worker processes for the concurrency and crash tests: ``python -m tests.shared.workers MODE ...``.

``mix DSN SCHEMA DESK WORKER CALLS OUT``: make ``CALLS`` mixed calls on the desk and
write, for each request id, what the call returned (as JSON) or the error it raised.
Odd-numbered workers queue their calls for the batching writer; even ones take the lock.

``crash DSN SCHEMA DESK REQUEST_ID``: route one dialog with that request id; the test
sets ``CHATROUTE_SHARED_PAUSE`` so the worker stops at a point of the call, then kills it.

``lead DSN SCHEMA DESK REQUEST_ID``: the same through the batching writer, which this
worker becomes (the test starts it first), so it stops in the middle of its batch.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

from chatroute import ChatrouteError, Dialog, Group, Operator, RoutingConfig, Target
from chatroute.serialize import to_dict
from chatroute.shared import SharedDesk
from chatroute.shared.postgres import PostgresJournal

OPERATORS = 40
GROUPS = 4


def desk_config() -> RoutingConfig:
    """A busy little desk: 40 operators with limit 3 in 4 groups; more dialogs than room."""
    operators = [Operator(id=f"op{n:02d}", status="online", limit=3) for n in range(OPERATORS)]
    groups = [Group(id=f"g{g}", operator_ids=[o.id for o in operators[g::GROUPS]]) for g in range(GROUPS)]
    return RoutingConfig(operators=operators, groups=groups)


def encode(result: Any) -> Any:
    return to_dict(list(result) if isinstance(result, tuple) else result)


def mix(dsn: str, schema: str, desk_id: str, worker: int, calls: int, out: str) -> None:
    """Make ``calls`` mixed calls; write every answer by request id."""
    journal = PostgresJournal(dsn, schema=schema)
    desk = SharedDesk(journal, desk_id, desk_config(), seed=1, batching=worker % 2 == 1)
    rng = random.Random(worker)
    mine: list[str] = []
    answers: dict[str, Any] = {}
    routed = 0
    for n in range(calls):
        request_id = f"w{worker}-{n}"
        roll = rng.random()
        try:
            if roll < 0.40 or not mine:
                dialog = Dialog(id=f"w{worker}-d{routed}", chosen_group_id=f"g{rng.randrange(GROUPS)}")
                routed += 1
                result: Any = desk.route(dialog, request_id=request_id)
                mine.append(dialog.id)
            elif roll < 0.72:
                result = desk.release(mine.pop(rng.randrange(len(mine))), request_id=request_id)
            elif roll < 0.80:
                operator = f"op{rng.randrange(OPERATORS):02d}"
                status = rng.choice(["online", "online", "away"])
                result = desk.set_status(operator, status, request_id=request_id)
            elif roll < 0.85:
                to = Target.group(f"g{rng.randrange(GROUPS)}")
                result = desk.transfer(rng.choice(mine), to, request_id=request_id)
            elif roll < 0.90:
                group = rng.randrange(GROUPS)
                waiting = desk.read(lambda r, g=group: r.queue(Target.group(f"g{g}")), fresh=False)
                dialog_id = waiting[0] if waiting else rng.choice(mine)
                operator = f"op{rng.randrange(OPERATORS // GROUPS) * GROUPS + group:02d}"
                result = desk.claim(dialog_id, operator, request_id=request_id)
            else:
                result = desk.tick(request_id=request_id)
            answers[request_id] = {"ok": encode(result)}
        except ChatrouteError as error:
            answers[request_id] = {"error": type(error).__name__}
    desk.close()
    journal.close()
    with open(out, "w") as file:
        json.dump(answers, file)


def crash(dsn: str, schema: str, desk_id: str, request_id: str, batching: bool = False) -> None:
    """Route one dialog; the pause set in the environment stops the call part-way."""
    journal = PostgresJournal(dsn, schema=schema)
    desk = SharedDesk(journal, desk_id, desk_config(), seed=1, batching=batching)
    desk.route(Dialog(id=f"dialog-{request_id}"), request_id=request_id)
    print("done", flush=True)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "mix":
        mix(args[0], args[1], args[2], int(args[3]), int(args[4]), args[5])
    else:
        crash(*args, batching=mode == "lead")
