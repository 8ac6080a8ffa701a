"""Durations as people write them in config files: ``"30s"``, ``"5m"``, ``"1h30m"``.

A small strict parser rather than a general one (``pytimeparse`` reads ``"1:30"`` and
returns float seconds): what :func:`format_duration` writes reads back exactly.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

__all__ = ["format_duration", "parse_duration", "to_duration"]

_DURATION = re.compile(r"(-)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)(?:\.(\d{1,6}))?s)?")
_DURATION_HINT = "give seconds or a duration such as '30s', '5m' or '1h30m'"


def parse_duration(text: str) -> timedelta:
    """``"30s"``, ``"5m"``, ``"1h30m"``, ``"1.5s"`` as a timedelta (hours, minutes, seconds).

    Strict on purpose: no spaces, no ``"1:30"`` (minutes or hours?), at most six decimals
    of a second, so every duration written by :func:`format_duration` reads back exactly.

    Raises:
        ValueError: anything else.
    """
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.group(2, 3, 4)):
        raise ValueError(f"{_DURATION_HINT} (got {text!r})")
    sign, hours, minutes, seconds, fraction = match.groups()
    try:
        value = timedelta(
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(seconds or 0),
            microseconds=int((fraction or "0").ljust(6, "0")),
        )
    except OverflowError:
        raise ValueError(f"duration too long (got {text!r})") from None
    return -value if sign else value


def format_duration(value: timedelta) -> str:
    """The shortest :func:`parse_duration` text for ``value``: ``"1h30m"``, ``"2m3.5s"``, ``"0s"``."""
    if value < timedelta(0):
        return "-" + format_duration(-value)
    micro = value // timedelta(microseconds=1)
    hours, micro = divmod(micro, 3_600_000_000)
    minutes, micro = divmod(micro, 60_000_000)
    seconds, micro = divmod(micro, 1_000_000)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    if seconds or micro or not text:
        text += str(seconds) + (f".{micro:06d}".rstrip("0") if micro else "") + "s"
    return text


def to_duration(value: Any) -> timedelta:
    """Seconds (a number) or a duration text, as read from a file.

    Raises:
        ValueError: naming what to give instead.
    """
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{_DURATION_HINT} (got {value!r})")
    try:
        return timedelta(seconds=value)
    except (OverflowError, ValueError):
        raise ValueError(f"{_DURATION_HINT} (got {value!r})") from None
