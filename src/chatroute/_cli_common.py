"""What the command line's commands share: a user's mistake, and a config error as one line."""

from __future__ import annotations

from .errors import ConfigError

__all__ = ["Fail", "config_line"]


class Fail(Exception):
    """A user's mistake, reported as one line."""


def config_line(exc: ConfigError) -> str:
    """The first problem of a config error, with a count of the others."""
    path, message = exc.problems[0] if exc.problems else ("", str(exc))
    more = len(exc.problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''}: run chatroute check)" if more > 0 else ""
    return (f"{path}: {message}" if path else message) + tail
