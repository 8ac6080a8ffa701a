"""Persistence: snapshot the router, store it as JSON, restore it, and decide the same.

The host owns persistence. ``router.snapshot()`` is an immutable value;
``chatroute.serialize.to_dict`` turns it (and the config) into plain JSON-able data and
``from_dict`` back. ``Router.restore(config, snapshot)`` carries on exactly where the
original was: the same queue, loads, SLA timers and random state, so the same next
calls give the same decisions, bit for bit.

Run: ``python examples/persistence.py``
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chatroute import (
    SLA,
    Channel,
    Dialog,
    Group,
    Operator,
    RandomWithinLimit,
    Router,
    RoutingConfig,
    Rule,
    Snapshot,
    Target,
)
from chatroute.rules import topic
from chatroute.serialize import from_dict, to_dict

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


def build_config() -> RoutingConfig:
    """A small desk: random distribution in sales, Maxim alone in support, email served last."""
    return RoutingConfig(
        channels=[
            Channel(name="site"),
            Channel(name="email", priority=3, sla=SLA(warn=300, critical=900)),
        ],
        operators=[
            Operator(id="natalia", status="online", limit=3),
            Operator(id="tatiana", status="online", limit=3),
            Operator(id="maxim", status="online", limit=2),
        ],
        groups=[
            Group(
                id="sales", name="Sales", operator_ids=["natalia", "tatiana"], strategy=RandomWithinLimit()
            ),
            Group(id="support", name="Support", operator_ids=["maxim"]),
        ],
        rules=[Rule(name="orders", when=topic("order"), to=Target.group("sales"))],
        fallback=Target.group("support"),
    )


def morning(router: Router) -> None:
    """What happened before the snapshot: Maxim is full, an email waits, sales is busy."""
    router.route(Dialog(id="help-1"), at(0))
    router.route(Dialog(id="help-2"), at(1))
    router.route(Dialog(id="mail-1", channel="email"), at(2))
    for i in range(4):
        router.route(Dialog(id=f"order-{i}", topic="order"), at(3 + i))
    router.release("order-1", at(8))


def carry_on(router: Router) -> list[str]:
    """The same next calls, made on any router; returns one line per decision or event."""
    lines = []
    picks = []
    for i in range(4, 12):
        decision = router.route(Dialog(id=f"order-{i}", topic="order"), at(6 + i))
        picks.append(decision.operator_id or "queued")
        router.release(f"order-{i - 2}", at(6.5 + i))
    lines.append("sales picks (random within the limit): " + ", ".join(picks))
    events = router.tick(at(18)) + router.release("help-1", at(20))
    lines.extend(f"{type(event).__name__}: {to_dict(event)}" for event in events)
    return lines


def main() -> None:
    """Snapshot, serialize, restore, and compare the next decisions of both routers."""
    config = build_config()
    original = Router(config, seed=42)
    morning(original)

    stored_config = json.dumps(to_dict(config), sort_keys=True)
    stored_state = json.dumps(to_dict(original.snapshot()), sort_keys=True)
    print(
        f"config as JSON: {len(stored_config)} characters; snapshot as JSON: {len(stored_state)} characters"
    )

    loaded_config = from_dict(RoutingConfig, json.loads(stored_config))
    loaded_state = from_dict(Snapshot, json.loads(stored_state))
    assert loaded_config == config, "the config round trip is exact"
    assert loaded_state == original.snapshot(), "the snapshot round trip is exact"
    restored = Router.restore(loaded_config, loaded_state)
    waiting = restored.queue(Target.group("support"))
    print(f"restored: {len(restored.dialogs())} dialogs, waiting for support: {', '.join(waiting)}")

    print("\nnext decisions, original router:")
    first = carry_on(original)
    print("\n".join(f"  {line}" for line in first))
    print("\nnext decisions, restored router:")
    second = carry_on(restored)
    print("\n".join(f"  {line}" for line in second))

    same = first == second and original.snapshot() == restored.snapshot()
    print(f"\nsame decisions and same final state: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
