"""The command line's commands about set-up files: ``check``, ``schema`` and ``init``.

They start without loading the simulator (it loads only to check a scenario file).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from typing import TextIO

from . import _starter
from ._cli_common import Fail
from ._locate import json_lines, line_of, toml_lines
from ._schema import config_schema, scenario_schema
from .config import RoutingConfig, parse_text, read_text
from .errors import ConfigError
from .model import TargetKind

__all__ = ["add_commands", "summary"]

_CHECK_EXAMPLE = """example:
  chatroute check desk.toml
  desk.toml: 2 problems
  desk.toml:14: operators[3].limit: must be a non-negative integer (got -1)
  desk.toml:31: rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)

Every problem is listed in one pass, with its line in the file (TOML or JSON). A scenario file
(one with [config] and [traffic] tables) is checked as a whole:
  chatroute check examples/support_desk.toml
"""
_SCHEMA_EXAMPLE = """examples:
  chatroute schema config > chatroute-config.schema.json
  chatroute schema scenario > chatroute-scenario.schema.json

Point your editor at them: in a TOML file, a first line such as
  #:schema ./chatroute-config.schema.json
lets Even Better TOML (Taplo) complete keys and flag mistakes as you type.
Conditions and strategies of your own are in the schema once the module that
registers them (chatroute.serialize.register) is imported:
  chatroute schema config --register myapp.routing > chatroute-config.schema.json
"""
_INIT_EXAMPLE = """example:
  chatroute init my-desk
  chatroute check my-desk/desk.toml
  chatroute simulate my-desk/scenario.toml
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


def add_commands(
    command: Callable[[str, str, str], argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace, TextIO], int]]:
    """Add ``check``, ``schema`` and ``init`` with ``command``; their functions by name."""
    check = command("check", "validate a routing set-up or a scenario (TOML or JSON)", _CHECK_EXAMPLE)
    check.add_argument("file", help="a .toml or .json routing config or scenario")
    schema = command("schema", "print the JSON Schema of config or scenario files", _SCHEMA_EXAMPLE)
    schema.add_argument("kind", choices=["config", "scenario"], help="which kind of file")
    for registers in (check, schema):
        registers.add_argument(
            "--register",
            action="append",
            default=[],
            metavar="MODULE",
            help="import a module that registers your own condition or strategy kinds first",
        )
    init = command("init", "write a commented starter config and scenario for a small desk", _INIT_EXAMPLE)
    init.add_argument("dir", nargs="?", default=".", help="where to write them (default: here)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    return {"check": _check, "schema": _schema, "init": _init}


def _check(args: argparse.Namespace, out: TextIO) -> int:
    path = args.file
    text, kind = "", ""
    try:
        text, kind = read_text(path)
        data = parse_text(text, kind)
        if "config" in data or "traffic" in data:
            from .simulate import Scenario
            from .simulate.describe import describe_scenario

            scenario = Scenario.load(path)
            lines = summary(scenario.config) + describe_scenario(scenario)
        else:
            lines = summary(RoutingConfig.from_dict(data))
    except ConfigError as exc:
        count = len(exc.problems)
        out.write(f"{path}: {count} problem{'s' if count != 1 else ''}\n")
        out.writelines(_problem_lines(path, text, kind, exc.problems))
        return 1
    out.write(f"{path}: ok\n")
    out.writelines(f"  {line}\n" for line in lines)
    return 0


def _problem_lines(path: str, text: str, kind: str, problems: Sequence[tuple[str, str]]) -> list[str]:
    """Each problem on its own line, ``file:line: path: message`` where the line is known."""
    positions = {}
    if kind == "toml":
        positions = toml_lines(text)
    elif kind == "json":
        try:
            positions = json_lines(text)
        except (ValueError, IndexError, RecursionError):  # not JSON: the problem says so, without a line
            positions = {}
    lines = []
    for where, message in problems:
        number = line_of(where, positions) if where else None
        text = f"{where}: {message}" if where else message
        lines.append(f"  {path}:{number}: {text}\n" if number else f"  {text}\n")
    return lines


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    schema = config_schema() if args.kind == "config" else scenario_schema()
    out.write(json.dumps(schema, indent=2) + "\n")
    return 0


def _init(args: argparse.Namespace, out: TextIO) -> int:
    files = {
        os.path.join(args.dir, "desk.toml"): _starter.CONFIG,
        os.path.join(args.dir, "scenario.toml"): _starter.scenario(),
    }
    there = [name for name in files if os.path.exists(name)]
    if there and not args.force:
        raise Fail(f"{there[0]} exists: give --force to overwrite it")
    os.makedirs(args.dir, exist_ok=True)
    for name, text in files.items():
        with open(name, "w", encoding="utf-8") as file:
            file.write(text)
        out.write(f"wrote {name}\n")
    config, scenario_file = files
    out.write(f"next: chatroute check {config}\n      chatroute simulate {scenario_file}\n")
    return 0
