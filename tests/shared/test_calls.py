"""The desk's calls as journal data: adopting open dialogs goes through the journal and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chatroute import Dialog, InvalidValue, Operator, Router, RoutingConfig
from chatroute.shared._calls import CALLS, decode_args, decode_result, encode_args, encode_result, run_call

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONFIG = RoutingConfig(operators=[Operator(id="ann", status="online", limit=1)])


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("adopt", {"dialog": Dialog(id="a1", topic="order"), "operator_id": "ann"}),
        ("adopt_many", {"pairs": [(Dialog(id="a1"), "ann"), (Dialog(id="a2"), "ann")], "over_limit": True}),
    ],
)
def test_an_adoption_replays_from_its_journal_entry(name: str, values: dict[str, object]) -> None:
    """The arguments survive JSON text, and the replayed call gives the live call's events."""
    spec = CALLS[name]
    encoded = json.loads(json.dumps(encode_args(spec, values)))
    live = run_call(Router(CONFIG), spec, values, T0)
    replayed = run_call(Router(CONFIG), spec, decode_args(spec, encoded), T0)
    assert replayed == live
    assert decode_result(spec, json.loads(json.dumps(encode_result(live)))) == live


@pytest.mark.parametrize(
    ("pairs", "path"),
    [([("a1", "ann")], r"pairs\[0\]"), ([(Dialog(id="a1"),)], r"pairs\[0\]"), (5, "pairs")],
)
def test_pairs_that_are_not_dialogs_and_operators_are_refused_before_the_journal(
    pairs: object, path: str
) -> None:
    """encode_args names the bad pair instead of writing it."""
    with pytest.raises(InvalidValue, match=path):
        encode_args(CALLS["adopt_many"], {"pairs": pairs})
