"""The ``chatroute`` command line.

``chatroute check FILE`` validates a routing set-up (TOML or JSON): it prints every
problem with its path and exits 1, or prints a one-screen summary and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from .config import RoutingConfig
from .errors import ConfigError
from .model import TargetKind

__all__ = ["main", "main_exit", "summary"]

_CHECK_EXAMPLE = """example:
  chatroute check desk.toml
  desk.toml: 2 problems
    rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)
    operators[3].limit: must be a non-negative integer (got -1)
"""


def summary(config: RoutingConfig) -> list[str]:
    """A one-screen description of a set-up."""
    lines = []
    channels = ", ".join(
        f"{c.name} (priority {c.priority}, SLA {c.sla.warn.total_seconds():g}"
        f"/{c.sla.critical.total_seconds():g} s)"
        for c in config.channels
    )
    lines.append(f"channels: {channels}")
    extra = ", ".join(f"{s.key}{'' if s.routable else ' (not routable)'}" for s in config.statuses)
    lines.append(f"statuses: online, away, offline{', ' + extra if extra else ''}")
    lines.append(f"operators: {len(config.operators)}, default limit {config.default_limit}")
    lines.append(f"groups: {len(config.groups)}")
    for group in config.groups:
        strategy = (group.strategy or config.strategy).describe()
        title = f" shown as {group.display_title!r}" if group.title else ""
        state = "" if group.enabled else " [disabled]"
        lines.append(f"  {group.id}{title}: {len(group.operator_ids)} operators, {strategy}{state}")
    lines.append(f"rules: {len(config.rules)}")
    lines.extend(f"  {i + 1}. {rule.describe()}" for i, rule in enumerate(config.rules))
    fallback = config.fallback
    everyone = " (every routable operator)" if fallback.kind is TargetKind.EVERYONE else ""
    lines.append(f"fallback: {fallback}{everyone}")
    lines.append(f"default strategy: {config.strategy.describe()}")
    lines.append(f"when an operator goes offline: {config.offline_policy.value} their dialogs")
    return lines


def _check(path: str, out: TextIO) -> int:
    try:
        config = RoutingConfig.load(path)
    except ConfigError as exc:
        count = len(exc.problems)
        out.write(f"{path}: {count} problem{'s' if count != 1 else ''}\n")
        for where, message in exc.problems:
            out.write(f"  {where}: {message}\n" if where else f"  {message}\n")
        return 1
    out.write(f"{path}: ok\n")
    out.writelines(f"  {line}\n" for line in summary(config))
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="chatroute", description="Route customer chats to operators.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="validate a routing set-up (TOML or JSON)",
        epilog=_CHECK_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("file", help="a .toml or .json routing config")
    args = parser.parse_args(argv)
    stream = out if out is not None else sys.stdout
    if args.command == "check":
        return _check(args.file, stream)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse refuses first
    return 2  # pragma: no cover


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main_exit()
