"""Errors raised by chatroute.

Every error is a :class:`ChatrouteError`. Subclasses also inherit the built-in
exception that matches what went wrong (``LookupError`` for unknown ids,
``ValueError`` for bad values, values of the wrong type and invalid transitions), and
keep the offending id or field as attributes.

A call that raises leaves the router exactly as it was before the call.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import datetime

__all__ = [
    "AlreadyClaimed",
    "AtLimit",
    "ChatrouteError",
    "ConfigError",
    "DialogClosed",
    "DuplicateDialog",
    "InvalidTransition",
    "InvalidValue",
    "NaiveDatetime",
    "NotEligible",
    "TimeWentBackwards",
    "UnknownChannel",
    "UnknownClient",
    "UnknownDialog",
    "UnknownGroup",
    "UnknownId",
    "UnknownOperator",
    "UnknownStatus",
]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'sales'?)`` when a known name is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ChatrouteError(Exception):
    """Base class of every error chatroute raises."""


class UnknownId(ChatrouteError, LookupError):
    """An id that names nothing the router knows.

    Attributes:
        kind: what the id was supposed to name ("operator", "dialog", ...).
        id: the id as given.
    """

    kind = "object"

    def __init__(self, id: str, *, field: str | None = None) -> None:
        self.id = id
        self.field = field
        where = f"{field}: " if field else ""
        super().__init__(f"{where}unknown {self.kind} {id!r}")


class UnknownOperator(UnknownId):
    """No operator has this id."""

    kind = "operator"


class UnknownDialog(UnknownId):
    """No dialog has this id."""

    kind = "dialog"


class UnknownGroup(UnknownId):
    """No group has this id."""

    kind = "group"


class UnknownChannel(UnknownId):
    """No channel has this name."""

    kind = "channel"


class UnknownClient(UnknownId):
    """No client the router knows has this id."""

    kind = "client"


class UnknownStatus(UnknownId):
    """No status has this key."""

    kind = "status"


class InvalidValue(ChatrouteError, ValueError):
    """A value that is out of range, malformed or of the wrong type.

    Attributes:
        field: the name of the offending field or argument.
        value: the offending value.
        problem: what is wrong with it, without the field name.
    """

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}: {problem} (got {value!r})")


class NaiveDatetime(InvalidValue):
    """A datetime without a time zone where an aware one is required."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(field, value, "a timezone-aware datetime is required")


class TimeWentBackwards(InvalidValue):
    """A ``now`` earlier than the latest time the router has already acted at.

    Every call that changes the router (route, release, accept, decline, replied,
    claim, transfer, handle, set_status, set_limit, tick) refuses it, and the router
    stays as it was. Read-only calls (``explain``, ``estimated_wait``, ``sla_level``,
    ``overdue``, ``available_groups``) take any time: they answer for the time given.

    Attributes:
        field: the argument (``"now"``).
        value: the time given.
        latest: the latest time the router has seen.
    """

    def __init__(self, now: datetime, latest: datetime, *, field: str = "now") -> None:
        super().__init__(field, now, "")
        self.latest = latest
        self.problem = f"time went backwards: {now.isoformat()} is earlier than {latest.isoformat()}"
        self.args = (f"{field}: {self.problem}, the latest time the router has seen",)


class InvalidTransition(ChatrouteError, ValueError):
    """A call that the dialog's current state does not allow.

    Attributes:
        dialog_id: the dialog concerned.
        state: the dialog's state when the call was made.
    """

    def __init__(self, dialog_id: str, state: str, message: str) -> None:
        self.dialog_id = dialog_id
        self.state = state
        super().__init__(f"dialog {dialog_id!r} ({state}): {message}")


class DialogClosed(InvalidTransition):
    """The dialog is already closed."""

    def __init__(self, dialog_id: str) -> None:
        super().__init__(dialog_id, "closed", "the dialog is already closed")


class DuplicateDialog(InvalidTransition):
    """A dialog id the router has already seen."""

    def __init__(self, dialog_id: str, state: str) -> None:
        super().__init__(dialog_id, state, "this dialog id has already been routed")


class AlreadyClaimed(InvalidTransition):
    """A claim on a dialog that someone else has already taken.

    Attributes:
        operator_id: who holds the dialog.
    """

    def __init__(self, dialog_id: str, state: str, operator_id: str | None) -> None:
        self.operator_id = operator_id
        by = f" by {operator_id!r}" if operator_id else ""
        super().__init__(dialog_id, state, f"already claimed{by}")


class NotEligible(ChatrouteError, ValueError):
    """An operator who may not take this dialog (not a member, missing a skill...).

    Attributes:
        operator_id: the operator.
        dialog_id: the dialog.
        reason: a :class:`chatroute.Reason` value naming why.
    """

    def __init__(self, operator_id: str, dialog_id: str, reason: str, detail: str) -> None:
        self.operator_id = operator_id
        self.dialog_id = dialog_id
        self.reason = reason
        super().__init__(f"operator {operator_id!r} cannot take dialog {dialog_id!r}: {detail}")


class AtLimit(NotEligible):
    """An operator already at the limit of concurrent dialogs."""


class ConfigError(ChatrouteError, ValueError):
    """An invalid routing set-up; lists every problem with its path.

    Attributes:
        problems: ``(path, message)`` pairs, e.g.
            ``("groups[2].regions", "give include or exclude, not both")``.
    """

    def __init__(self, problems: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> None:
        self.problems = tuple(problems)
        lines = [f"{path}: {message}" if path else message for path, message in self.problems]
        super().__init__("\n".join(lines))

    @property
    def path(self) -> str:
        """The path of the first problem."""
        return self.problems[0][0] if self.problems else ""
