"""The golden corpus: recorded call sequences that pin the router's behaviour exactly.

Each case in ``tests/golden/cases/`` is one JSON file holding a config (as
:func:`chatroute.serialize.to_dict` writes it), a seed and a list of concrete calls,
each with its ``now``, together with what the router answered when it was recorded:
every decision (its trace as the explanation text, which renders all of it), every
event, every error (class and message), ``next_tick()`` after each call, and the final
snapshot.

:func:`replay` plays a case's calls on a fresh router and returns the same structure,
so a test compares the two for equality. The inputs are stored, so replaying never
depends on Hypothesis or on ``tests/strategies.py``. ``python -m tests.golden.record``
regenerates the corpus.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from chatroute import (
    ChatrouteError,
    Client,
    Decision,
    Dialog,
    Rating,
    Router,
    RoutingConfig,
    Target,
    Visitor,
    serialize,
)

__all__ = ["CASES", "case_files", "load_case", "perform", "replay"]

#: Where the recorded cases live, one JSON file each.
CASES = Path(__file__).parent / "cases"


def _now(call: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(call["now"])
    return moment.replace(tzinfo=None) if call.get("naive") else moment


def _answer(result: Any) -> dict[str, Any]:
    """A call's result as plain data: a decision with its text, events, or a query's value."""
    if isinstance(result, Decision):  # the trace, rendered in full, is the explanation text
        decision = serialize.to_dict(result)
        decision["trace"] = decision["trace"] is not None
        return {"decision": decision, "explain": result.explain().splitlines()}
    if isinstance(result, tuple) and all(hasattr(e, "at") for e in result):
        return {"events": serialize.to_dict(list(result))}
    if hasattr(result, "explain") and hasattr(result, "groups"):  # GroupChoices
        return {"value": serialize.to_dict(result), "explain": result.explain().splitlines()}
    return {"value": serialize.to_dict(result)}


def _call(router: Router, call: dict[str, Any]) -> Any:
    kind = call["call"]
    now = _now(call)
    dialog_id = call.get("dialog_id")
    operator_id = call.get("operator_id")
    if kind == "route":
        client = call.get("client")
        made = serialize.from_dict(Client, client) if client is not None else None
        return router.route(serialize.from_dict(Dialog, call["dialog"]), now, client=made)
    if kind == "explain":
        return router.explain(serialize.from_dict(Dialog, call["dialog"]), now)
    if kind == "release":
        rating = call.get("rating")
        return router.release(
            dialog_id, now, rating=serialize.from_dict(Rating, rating) if rating is not None else None
        )
    if kind == "accept":
        return router.accept(dialog_id, operator_id, now)
    if kind == "decline":
        return router.decline(dialog_id, operator_id, now)
    if kind == "replied":
        return router.replied(dialog_id, now)
    if kind == "claim":
        return router.claim(dialog_id, operator_id, now)
    if kind == "transfer":
        return router.transfer(dialog_id, serialize.from_dict(Target, call["to"]), now, by=call.get("by"))
    if kind == "handle":
        return router.handle(dialog_id, call["event"], now, data=call.get("data"))
    if kind == "forget":
        return router.forget(dialog_id)
    if kind == "set_status":
        return router.set_status(operator_id, call["status"], now, comment=call.get("comment"))
    if kind == "set_limit":
        return router.set_limit(operator_id, call["limit"], now)
    if kind == "tick":
        return router.tick(now)
    if kind == "views":
        return router.views(operator_id)
    if kind == "available_groups":
        return router.available_groups(serialize.from_dict(Visitor, call["visitor"]), now)
    if kind == "queue":
        return router.queue(serialize.from_dict(Target, call["target"]))
    if kind == "position":
        return router.position(dialog_id)
    if kind == "estimated_wait":
        return router.estimated_wait(dialog_id, now)
    if kind == "sla_level":
        return router.sla_level(dialog_id, now)
    if kind == "overdue":
        return router.overdue(now)
    if kind == "claimable":
        return router.claimable(operator_id)
    if kind == "operators":
        return router.operators()
    raise AssertionError(f"unknown call {kind!r}")


def perform(router: Router, call: dict[str, Any]) -> dict[str, Any]:
    """Make one recorded call; returns its answer (or error) and ``next_tick()`` after it."""
    try:
        answer = _answer(_call(router, call))
    except ChatrouteError as error:
        answer = {"error": type(error).__name__, "message": str(error)}
    next_tick = router.next_tick()
    answer["next_tick"] = next_tick.isoformat() if next_tick is not None else None
    return answer


def router_for(case: dict[str, Any]) -> Router:
    """A fresh router for the case's config and seed."""
    return Router(serialize.from_dict(RoutingConfig, case["config"]), seed=case["seed"])


def replay(case: dict[str, Any]) -> dict[str, Any]:
    """Play the case's calls on a fresh router: the answers and the final snapshot."""
    router = router_for(case)
    steps = [{"call": step["call"], "answer": perform(router, step["call"])} for step in case["steps"]]
    return {
        "config": case["config"],
        "seed": case["seed"],
        "steps": steps,
        "snapshot": serialize.to_dict(router.snapshot()),
    }


def case_files() -> list[Path]:
    """The recorded cases, in name order."""
    return sorted(CASES.glob("*.json"))


def load_case(path: Path) -> dict[str, Any]:
    """One recorded case, as plain data."""
    with path.open(encoding="utf-8") as stream:
        data: dict[str, Any] = json.load(stream)
    return data


def iter_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, case) for every recorded case."""
    for path in case_files():
        yield path.stem, load_case(path)
