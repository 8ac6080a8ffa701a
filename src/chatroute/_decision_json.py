"""A :class:`~chatroute.decision.Decision`'s JSON form around its ``reason_code``
(registered by :mod:`chatroute.serialize`).

``reason_code`` is a property read from the reason, not a field; it is written after the
reason when the decision has one, and a decision read back drops it when it agrees with
the reason (another is left in, for the converter to refuse as an unknown key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .decision import Decision

__all__ = ["reader", "writer"]


def writer(fields: Callable[[Decision], dict[str, Any]]) -> Callable[[Decision], dict[str, Any]]:
    """Write a decision's ``fields``, with its ``reason_code`` after the reason when it has one."""

    def write(decision: Decision) -> dict[str, Any]:
        code = decision.reason_code
        written: dict[str, Any] = {}
        for key, value in fields(decision).items():
            written[key] = value
            if key == "reason" and code is not None:
                written["reason_code"] = code.value
        return written

    return write


def reader(body: Callable[[Any, type], Decision]) -> Callable[[Any, Any], Decision]:
    """Read a decision with ``body``, dropping a ``reason_code`` that agrees with its reason."""

    def read(data: Any, _: Any) -> Decision:
        if isinstance(data, dict) and "reason_code" in data:
            decision = body({k: v for k, v in data.items() if k != "reason_code"}, Decision)
            code = decision.reason_code
            if data["reason_code"] == (None if code is None else code.value):
                return decision
        return body(data, Decision)

    return read
