"""Quickstart: two departments, one rule, one dialog routed and explained."""

from datetime import UTC, datetime

from chatroute import Dialog, Group, Operator, Router, RoutingConfig, Rule, Target
from chatroute.rules import topic

config = RoutingConfig(
    operators=[Operator(id="natalia", status="online"), Operator(id="maxim", status="online")],
    groups=[
        Group(id="sales", name="Sales", operator_ids=["natalia"]),
        Group(id="support", name="Support", operator_ids=["maxim"]),
    ],
    rules=[Rule(name="returns", when=topic("return"), to=Target.group("support"))],
)
router = Router(config, seed=1)
decision = router.route(Dialog(id="d1", topic="return"), now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
print(decision.operator_id)
print(decision.explain())
