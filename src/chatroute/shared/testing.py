"""A throwaway PostgreSQL cluster for tests, benchmarks and examples: ``initdb`` + ``pg_ctl``.

    with TemporaryCluster() as cluster:
        journal = PostgresJournal(cluster.dsn)

The cluster lives in a temporary directory, listens on 127.0.0.1 at a free port, trusts
local connections (user ``chatroute``) and is stopped and deleted on exit. PostgreSQL
refuses to run as root, so when the caller is root the server runs as the ``postgres``
system user (through ``runuser``), which owns the directory.

The binaries are found through ``$CHATROUTE_PG_BINDIR``, ``pg_config --bindir``, the
Debian layout (``/usr/lib/postgresql/<version>/bin``), then ``PATH``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["PostgresUnavailable", "TemporaryCluster", "find_bindir"]

_RUN_AS = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries were found, or the cluster could not start."""


def _has_initdb(bindir: str | None) -> bool:
    return bool(bindir) and os.access(os.path.join(str(bindir), "initdb"), os.X_OK)


def find_bindir() -> str | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    candidates: list[str | None] = [os.environ.get("CHATROUTE_PG_BINDIR")]
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(done.stdout.strip() if done.returncode == 0 else None)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    candidates += debian
    initdb = shutil.which("initdb")
    candidates.append(os.path.dirname(os.path.realpath(initdb)) if initdb else None)
    return next((c for c in candidates if _has_initdb(c)), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TemporaryCluster:
    """A PostgreSQL cluster made for the duration of a ``with`` block.

    Args:
        settings: server settings (``postgresql.conf`` names); ``fsync=off`` makes a
            test cluster faster, at no cost while the machine stays up.
        bindir: where the binaries are; found by :func:`find_bindir` when None.
    """

    def __init__(self, settings: Mapping[str, str] | None = None, *, bindir: str | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found")
        self.bindir = found
        self.settings = dict(settings or {})
        self.port = 0
        self._root: Path | None = None
        self._prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                self._user: pwd.struct_passwd | None = pwd.getpwnam(_RUN_AS)
            except KeyError as exc:
                raise PostgresUnavailable(f"running as root and there is no {_RUN_AS!r} user") from exc
            self._prefix = ["runuser", "-u", _RUN_AS, "--"]
        else:
            self._user = None

    @property
    def dsn(self) -> str:
        """The connection string of the cluster's ``postgres`` database."""
        return f"host=127.0.0.1 port={self.port} user=chatroute dbname=postgres"

    @property
    def data(self) -> Path:
        """The data directory."""
        if self._root is None:
            raise PostgresUnavailable("the cluster is not running")
        return self._root / "data"

    def _run(self, *args: str) -> None:
        assert self._root is not None
        done = subprocess.run(
            [*self._prefix, os.path.join(self.bindir, args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self._root,
            check=False,
        )
        if done.returncode != 0:
            log = self._root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{args[0]} failed: {done.stderr.strip()}\n{tail}")

    def start(self) -> Self:
        """Create the cluster and start the server."""
        self._root = Path(tempfile.mkdtemp(prefix="chatroute-pg-"))
        if self._user is not None:
            os.chown(self._root, self._user.pw_uid, self._user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "chatroute", "-A", "trust", "-E", "UTF8")
        self._run("initdb", "--version")  # fails early if the binaries cannot run as this user
        self.port = _free_port()
        self._server("start")
        return self

    def _server(self, action: str, mode: str = "fast") -> None:
        assert self._root is not None
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self._root),
            **self.settings,
        }
        line = " ".join(f"-c {name}={value}" for name, value in options.items())
        log = str(self._root / "server.log")
        if action == "start":
            self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", line, "start")
        else:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, *, mode: str = "immediate") -> None:
        """Stop the server (``immediate``: as if it crashed) and start it again on the same port."""
        self._server("stop", mode)
        self._server("start")

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        if self._root is None:
            return
        with contextlib.suppress(PostgresUnavailable):  # never started, or gone: delete it anyway
            self._server("stop", "immediate")
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
