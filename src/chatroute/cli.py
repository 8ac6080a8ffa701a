"""The ``chatroute`` command line: ``check``, ``simulate``, ``explain`` and ``staff``.

``chatroute check FILE`` validates a routing set-up or a scenario (TOML or JSON): it
prints every problem with its path (and its line in the file) and exits 1, or prints a
one-screen summary and exits 0. ``chatroute simulate`` compares strategies on simulated
traffic (the embedded car-dealer scenario when no file is given), ``chatroute explain``
shows where one dialog would go and why, and ``chatroute staff`` finds the head count
for a service-level target. ``chatroute schema config|scenario`` prints a JSON Schema
for editors, and ``chatroute init`` writes a commented starter desk. A user's mistake
is one line on stderr and exit code 1 (2 for a malformed command line), never a
traceback.

The commands live by group: those about set-up files in :mod:`chatroute._cli_config`,
those that run the simulator in :mod:`chatroute._cli_simulate`; this module builds the
parser from both and runs the command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from . import _cli_config, _cli_simulate
from ._cli_common import Fail, config_line
from ._cli_config import summary
from .errors import ChatrouteError, ConfigError

__all__ = ["main", "main_exit", "summary"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


_Command = Callable[[argparse.Namespace, TextIO], int]


def _parser() -> tuple[argparse.ArgumentParser, dict[str, _Command]]:
    """The parser, and each command's function by name (the commands live by group)."""
    parser = _Parser(prog="chatroute", description="Route customer chats to operators.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help,
            description=help,
            epilog=example,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    return parser, {**_cli_config.add_commands(command), **_cli_simulate.add_commands(command)}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
        out: where results go (default: stdout); errors go to stderr.
    """
    parser, commands = _parser()
    args = parser.parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        for module in getattr(args, "register", ()):
            _register(module)
        return commands[args.command](args, stream)
    except ConfigError as exc:
        _error(config_line(exc))
    except (ChatrouteError, Fail) as exc:
        _error(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        _error("interrupted")
    return 1


def _register(module: str) -> None:
    """Import a host's module, whose import registers its own kinds with chatroute.serialize."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise Fail(f"--register {module}: cannot import it ({exc})") from None


def _error(message: str) -> None:
    sys.stderr.write(f"chatroute: error: {message}\n")


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main_exit()
