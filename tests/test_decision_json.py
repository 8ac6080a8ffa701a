"""A decision's JSON form around ``reason_code`` (``chatroute._decision_json``): written after
the reason when there is one, read back when it agrees with the reason."""

from __future__ import annotations

import json

import pytest

from chatroute import ConfigError, Decision, Outcome, serialize

QUEUE_FULL = "queue_full: group 'sales': 1 dialog waits, its queue_cap is 1"


def test_a_queue_full_decision_is_written_with_its_reason_code_after_the_reason() -> None:
    """A refusal at a queue cap is written with ``reason_code`` right after its reason, and
    reads back from JSON to the same decision."""
    decision = Decision(dialog_id="d1", outcome=Outcome.REJECTED, reason=QUEUE_FULL)
    written = serialize.to_dict(decision)
    keys = list(written)
    assert keys[keys.index("reason") + 1] == "reason_code"
    assert written["reason_code"] == "queue_full"
    assert serialize.from_dict(Decision, json.loads(json.dumps(written))) == decision


def test_a_decision_without_a_code_is_written_without_one() -> None:
    """A decision whose reason has no code has no ``reason_code`` key."""
    assert "reason_code" not in serialize.to_dict(Decision(dialog_id="d2", outcome=Outcome.QUEUED))


def test_the_code_may_be_left_out_but_never_contradict_the_reason() -> None:
    """Read without its ``reason_code`` the decision is the same; with one the reason does not
    give, it is refused naming the key."""
    decision = Decision(dialog_id="d1", outcome=Outcome.REJECTED, reason=QUEUE_FULL)
    written = serialize.to_dict(decision)
    assert serialize.from_dict(Decision, {k: v for k, v in written.items() if k != "reason_code"}) == decision
    with pytest.raises(ConfigError, match="reason_code"):
        serialize.from_dict(Decision, {**written, "reason": "no operator is free"})
