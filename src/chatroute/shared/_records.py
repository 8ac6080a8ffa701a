"""Results and errors of calls the journal answered: a retry's stored result, a writer's error record."""

from __future__ import annotations

import json
from typing import Any

from .. import errors
from ..errors import ChatrouteError, InvalidValue
from ._calls import CallSpec, decode_result
from .journal import Entry

__all__ = ["LostRequest", "error_from", "error_record", "stored_result"]


class LostRequest(RuntimeError):
    """A batched call without a request id left the queue unanswered: it may or may not have been made.

    Also raised when the journal could not be asked about the request several times in
    a row (a server restarting); the driver's error is its ``__cause__``.
    """


def error_record(error: ChatrouteError) -> dict[str, Any]:
    """A ChatrouteError as JSON-able data: its class, arguments and attributes."""

    def as_json(value: Any) -> Any:
        return json.loads(json.dumps(value, default=repr))

    return {
        "type": type(error).__name__,
        "args": as_json(list(error.args)),
        "attributes": as_json(vars(error)),
    }


def error_from(record: Any) -> ChatrouteError:
    """The error :func:`error_record` wrote (values JSON cannot hold come back as their repr)."""
    kind = (
        getattr(errors, str(record.get("type")), ChatrouteError)
        if isinstance(record, dict)
        else ChatrouteError
    )
    if not (isinstance(kind, type) and issubclass(kind, ChatrouteError)):
        kind = ChatrouteError
    error = kind.__new__(kind)
    Exception.__init__(error, *(record or {}).get("args", []))
    error.__dict__.update((record or {}).get("attributes", {}))
    return error


def stored_result(found: Entry, name: str, spec: CallSpec | None, request_id: str) -> Any:
    """The result a retried call gets: the one stored with its entry."""
    if found.call != name:
        raise InvalidValue("request_id", request_id, f"was used for a {found.call} call, not {name}")
    return decode_result(spec, found.result) if spec is not None else None
