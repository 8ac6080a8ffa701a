"""Replayed logs: the dialogs of a CSV or JSON log, read with every problem named by its row."""

from __future__ import annotations

import csv
import json
import math
import os
import zoneinfo
from datetime import datetime
from typing import Any

import attrs

from .._frozen import aware, to_frozenset, to_tuple
from ..errors import ConfigError

__all__ = ["LoggedDialog", "Replay", "read_log"]

_LOG_FIELDS = (
    "created_at",
    "channel",
    "topic",
    "page_url",
    "region",
    "language",
    "tags",
    "client_id",
    "priority",
    "handle_time",
    "patience",
)


def _to_start(value: datetime) -> datetime:
    return aware(value, "created_at")


@attrs.frozen(kw_only=True)
class LoggedDialog:
    """One dialog of a replayed log: when it arrived, and optionally how long it lasted.

    Attributes:
        created_at: when the client wrote (aware).
        channel: as on :class:`chatroute.Dialog`, like the next seven.
        topic: the topic.
        page_url: the page.
        region: the visitor's region.
        language: the language.
        tags: dialog tags.
        client_id: the client.
        priority: the dialog priority.
        handle_time: seconds of handling, when the log knows it; else drawn.
        patience: seconds the client waited before leaving unanswered, when the log
            knows it; else drawn from the scenario's patience.
    """

    created_at: datetime = attrs.field(converter=_to_start)
    channel: str = "site"
    topic: str | None = None
    page_url: str | None = None
    region: str | None = None
    language: str | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)
    client_id: str | None = None
    priority: int = 0
    handle_time: float | None = None
    patience: float | None = None


@attrs.frozen(kw_only=True)
class Replay:
    """Dialogs replayed from a log instead of (or besides) synthetic arrivals.

    Attributes:
        path: where the log came from (shown in reports).
        dialogs: the logged dialogs; those outside the simulated span are skipped.
    """

    path: str
    dialogs: tuple[LoggedDialog, ...] = attrs.field(converter=to_tuple)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, tz: str = "UTC") -> Replay:
        """Read a CSV or JSON log (see :func:`read_log`).

        Raises:
            ConfigError: the file cannot be read or has problems, each with its line.
        """
        return cls(path=os.fspath(path), dialogs=read_log(path, tz=tz))


def read_log(path: str | os.PathLike[str], *, tz: str = "UTC") -> tuple[LoggedDialog, ...]:
    """Dialogs from a CSV (header row) or JSON (a list of objects) log.

    Columns: ``created_at`` (ISO 8601; without an offset it is read in ``tz``), and
    optionally ``channel``, ``topic``, ``page_url``, ``region``, ``language``, ``tags``
    (``;``-separated in CSV), ``client_id``, ``priority``, ``handle_time`` and
    ``patience`` (seconds).

    Raises:
        ConfigError: the file cannot be read, or rows have problems, each named
            ``dialogs[i].column`` with the file's line.
    """
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in (".csv", ".json"):
        raise ConfigError([("path", f"{name}: give a .csv or .json log")])
    try:
        with open(name, encoding="utf-8", newline="") as file:
            rows, lines = _rows(file.read(), suffix, name)
    except OSError as exc:
        raise ConfigError([("path", f"cannot read {name}: {exc.strerror or exc}")]) from None
    problems: list[tuple[str, str]] = []
    found = []
    zone = zoneinfo.ZoneInfo(tz)
    for i, row in enumerate(rows):
        where = f"; {os.path.basename(name)} line {lines[i]}" if lines else ""
        logged = _logged(row, f"dialogs[{i}]", where, zone, problems)
        if logged is not None:
            found.append(logged)
    if problems:
        raise ConfigError(problems)
    return tuple(sorted(found, key=lambda d: d.created_at))


def _rows(text: str, suffix: str, name: str) -> tuple[list[Any], list[int]]:
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError([("path", f"{name}: invalid JSON: {exc}")]) from None
        if isinstance(data, dict):
            data = data.get("dialogs")
        if not isinstance(data, list):
            raise ConfigError([("path", f"{name}: expected a list of dialogs")])
        return data, []
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or "created_at" not in reader.fieldnames:
        raise ConfigError([("path", f"{name}: the header row needs a created_at column")])
    rows = [{k: v for k, v in row.items() if v not in ("", None)} for row in reader]
    return rows, list(range(2, len(rows) + 2))


def _logged(
    row: Any, path: str, where: str, zone: zoneinfo.ZoneInfo, problems: list[tuple[str, str]]
) -> LoggedDialog | None:
    if not isinstance(row, dict):
        problems.append((path, f"expected an object{where}"))
        return None
    before = len(problems)
    fields: dict[str, Any] = {}
    for key, value in row.items():
        if key not in _LOG_FIELDS:
            problems.append((f"{path}.{key}", f"unknown column{where}"))
        elif key == "created_at":
            fields[key] = _moment(value, zone)
            if fields[key] is None:
                problems.append((f"{path}.created_at", f"give an ISO 8601 time (got {value!r}{where})"))
        elif key in ("handle_time", "patience", "priority"):
            number = _number(value, integer=key == "priority")
            if number is None or (key != "priority" and number <= 0):
                problems.append((f"{path}.{key}", f"must be a positive number (got {value!r}{where})"))
            fields[key] = number
        elif key == "tags":
            fields[key] = (
                [t.strip() for t in value.split(";") if t.strip()] if isinstance(value, str) else value
            )
        else:
            fields[key] = value if isinstance(value, str) else str(value)
    if "created_at" not in row:
        problems.append((f"{path}.created_at", f"missing{where}"))
    if len(problems) > before:
        return None
    return LoggedDialog(**fields)


def _moment(value: Any, zone: zoneinfo.ZoneInfo) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _number(value: Any, *, integer: bool) -> float | None:
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if integer and not isinstance(value, int):
        return None
    return value
