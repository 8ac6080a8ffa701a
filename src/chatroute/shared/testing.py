"""A throwaway PostgreSQL cluster for tests, benchmarks and examples: ``initdb`` + ``pg_ctl``.

    with TemporaryCluster() as cluster:
        journal = PostgresJournal(cluster.dsn)

The cluster lives in a temporary directory, listens on 127.0.0.1 at a free port, trusts
local connections (user ``chatroute``) and is stopped and deleted on exit. PostgreSQL
refuses to run as root, so when the caller is root the server runs as the ``postgres``
system user (through ``runuser``), which owns the directory.

The binaries are found through ``$CHATROUTE_PG_BINDIR``, ``pg_config --bindir``, the
Debian layout (``/usr/lib/postgresql/<version>/bin``), then ``PATH``.

A cluster does not outlive the process that started it, however that process ends:

- the server is the process's child, and on Linux the kernel sends it ``SIGQUIT``
  (PostgreSQL's immediate shutdown) when the thread that started it dies, SIGKILL
  included;
- the cluster is also stopped and deleted at interpreter exit (``atexit``), and
  ``SIGTERM`` / ``SIGHUP`` become ``SystemExit`` when the process had no handler for them;
- each cluster records its owner process, and the next :meth:`TemporaryCluster.start`
  (or :func:`sweep`) stops and deletes the clusters whose owner is gone.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

__all__ = ["PostgresUnavailable", "TemporaryCluster", "find_bindir", "sweep"]

_RUN_AS = "postgres"
_PREFIX = "chatroute-pg-"
#: The file of a cluster's directory naming its owner: ``<pid> <start time>``.
_OWNER = "owner"
#: Seconds the server has to start, or to stop.
_PATIENCE = 60.0


def _start_time(pid: int) -> str | None:
    """When the process started (its /proc start time; "" where there is no /proc), or None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        return None
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return ""


def _gone(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the process to end; whether it did."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if _start_time(pid) is None:
            return True
        time.sleep(0.05)
    return _start_time(pid) is None


def _kill_server(data: Path) -> None:
    """Shut the server of ``data`` down at once (SIGQUIT, then SIGKILL), if it runs."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return
    if str(data).encode() not in cmdline:  # the pid is another process's now
        return
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _gone(pid, 5.0):
            return


def sweep(directory: str | None = None) -> list[Path]:
    """Stop and delete the clusters left in ``directory`` (the temporary one) by processes now gone.

    A cluster's owner is the process that started it, with its start time (a pid may be
    used again). Directories without an owner file are left alone.

    Returns:
        The cluster directories deleted.
    """
    deleted = []
    for root in sorted(Path(directory or tempfile.gettempdir()).glob(_PREFIX + "*")):
        try:
            pid, started = (root / _OWNER).read_text().split()
            alive = _start_time(int(pid)) == started
        except (OSError, ValueError):
            continue
        if alive:
            continue
        _kill_server(root / "data")
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            deleted.append(root)
    return deleted


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send the child SIGQUIT when its parent thread dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl = libc.prctl
    set_death_signal = 1  # PR_SET_PDEATHSIG

    def prepare() -> None:
        prctl(set_death_signal, int(signal.SIGQUIT), 0, 0, 0)

    return prepare


def _exit_on(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _exit_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit (so ``with`` blocks and atexit run), if unhandled."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _exit_on)


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
        self._server_process: subprocess.Popen[Any] | None = None
        self._owner = 0

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
        """Delete the clusters of processes now gone, then create the cluster and start the server."""
        sweep()
        self._root = Path(tempfile.mkdtemp(prefix=_PREFIX))
        self._owner = os.getpid()
        (self._root / _OWNER).write_text(f"{self._owner} {_start_time(self._owner)}\n")
        atexit.register(self.stop)
        _exit_on_signals()
        if self._user is not None:
            os.chown(self._root, self._user.pw_uid, self._user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "chatroute", "-A", "trust", "-E", "UTF8")
        self._run("initdb", "--version")  # fails early if the binaries cannot run as this user
        self.port = _free_port()
        self._spawn()
        return self

    def _spawn(self) -> None:
        """Start the server as this process's child (which dies with it), and wait until it is ready."""
        assert self._root is not None
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self._root),
            **self.settings,
        }
        line = [f"-c{name}={value}" for name, value in options.items()]
        user = self._user
        with (self._root / "server.log").open("ab") as log:
            self._server_process = subprocess.Popen(
                [os.path.join(self.bindir, "postgres"), "-D", str(self.data), *line],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self._root,
                start_new_session=True,  # a Ctrl-C in the terminal reaches this process, which stops it
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
                preexec_fn=_die_with_parent(),  # only a prctl call in the child
            )
        until = time.monotonic() + _PATIENCE
        status = self.data / "postmaster.pid"
        while time.monotonic() < until:
            if self._server_process.poll() is not None:
                break
            with contextlib.suppress(OSError):
                lines = status.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            time.sleep(0.05)
        self._server_process.kill()
        tail = (self._root / "server.log").read_text()[-2000:]
        raise PostgresUnavailable(f"the server did not start\n{tail}")

    def _halt(self, mode: str) -> None:
        """Stop the server (``fast`` or ``immediate``) and reap it."""
        assert self._root is not None
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        if self._server_process is not None:
            self._server_process.wait(_PATIENCE)

    def restart(self, *, mode: str = "immediate") -> None:
        """Stop the server (``immediate``: as if it crashed) and start it again on the same port."""
        self._halt(mode)
        self._spawn()

    def stop(self) -> None:
        """Stop the server and delete the cluster (only in the process that started it, not a fork)."""
        if self._root is None or os.getpid() != self._owner:
            return
        atexit.unregister(self.stop)
        with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):  # gone: delete it anyway
            self._halt("immediate")
        _kill_server(self.data)
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
