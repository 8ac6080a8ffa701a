"""What a live dialog keeps only for the features that use it (issue 15's speed clause).

Languages, relaxing requirements, holds, resume waits, waits for a preferred operator
and declines that lapse each need a field or two on the live dialog. A dialog that uses
none of them has no :class:`DialogExtra` (``LiveDialog.extra`` is None), so making and
routing it costs one field, and the hot path tests that one field. :class:`ExtraField`
reads a field of the record as if it were the dialog's own, with its default when there
is no record; writers go through ``LiveDialog.need_extra()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, overload

from ._frozen import EMPTY_MAP
from .model import Target
from .requirements import Relax

T = TypeVar("T")


class DialogExtra:
    """The fields only some features use; a dialog gets one when the first of them does."""

    __slots__ = (
        "declines_lapse",
        "held_since",
        "language",
        "preferred_then",
        "preferred_until",
        "relax",
        "relaxed_at",
        "resume_to",
    )

    def __init__(self) -> None:
        self.language: str | None = None  # the language the operator must speak now, if any
        self.relax: tuple[Relax, ...] = ()  # how the requirements relax while it waits
        self.relaxed_at: datetime | None = None  # the last step applied came due then
        self.declines_lapse: Mapping[str, datetime] = EMPTY_MAP  # with a decline_memory: when, by operator
        self.preferred_until: datetime | None = None  # waits for its preferred operator until then
        self.preferred_then: Target | None = None  # and then goes here
        self.held_since: datetime | None = None  # on hold (still assigned) since then
        self.resume_to: Target | None = None  # resumed, waiting for its operator: where it goes next

    def fields(self, names: tuple[str, ...]) -> dict[str, Any]:
        """These fields, by name."""
        return {name: getattr(self, name) for name in names}

    def unused(self) -> bool:
        """Whether every field has its default (no feature needs the record)."""
        return (
            self.language is None
            and not self.relax
            and self.relaxed_at is None
            and not self.declines_lapse
            and self.preferred_until is None
            and self.preferred_then is None
            and self.held_since is None
            and self.resume_to is None
        )


class _HasExtra(Protocol):
    extra: DialogExtra | None


class ExtraField(Generic[T]):
    """A field of the dialog's :class:`DialogExtra`, read on the dialog (its default without one)."""

    __slots__ = ("default", "name")

    def __init__(self, default: T) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, rec: None, owner: type) -> ExtraField[T]: ...
    @overload
    def __get__(self, rec: _HasExtra, owner: type) -> T: ...
    def __get__(self, rec: _HasExtra | None, owner: type) -> ExtraField[T] | T:
        if rec is None:
            return self
        extra = rec.extra
        return self.default if extra is None else getattr(extra, self.name)
