"""TemporaryCluster: a throwaway server that does not outlive the process that started it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatroute.shared.testing import TemporaryCluster, sweep

_OWNER = """
import sys, time
from chatroute.shared.testing import TemporaryCluster
cluster = TemporaryCluster({"fsync": "off"}).start()
print(cluster.data, flush=True)
time.sleep(600)
"""


def _server_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().split()[0])


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def _started_elsewhere() -> tuple[subprocess.Popen[str], Path, int]:
    """A process of its own that starts a cluster and sleeps: the process, its data directory, its server."""
    owner = subprocess.Popen([sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    data = Path(owner.stdout.readline().strip())
    return owner, data, _server_pid(data)


def _wait_gone(pid: int) -> bool:
    for _ in range(200):
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the server's death signal is Linux's")
@pytest.mark.usefixtures("cluster")  # skips without PostgreSQL
def test_a_cluster_whose_owner_was_killed_stops_and_is_swept() -> None:
    """SIGKILL on the owner stops its server (the kernel's death signal); the next sweep deletes it."""
    owner, data, server = _started_elsewhere()
    assert _alive(server)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    assert _wait_gone(server)
    assert data.parent in sweep()
    assert not data.parent.exists()


@pytest.mark.usefixtures("cluster")
def test_a_cluster_whose_owner_is_terminated_is_stopped_and_deleted() -> None:
    """SIGTERM on the owner exits it cleanly: its server stops and its directory is deleted."""
    owner, data, server = _started_elsewhere()
    owner.send_signal(signal.SIGTERM)
    assert owner.wait(60) == 128 + signal.SIGTERM
    assert _wait_gone(server)
    assert not data.parent.exists()


def test_a_sweep_leaves_running_clusters_alone(cluster: TemporaryCluster) -> None:
    """The suite's own cluster, whose owner is this process, survives a sweep."""
    sweep()
    assert cluster.data.exists()
    assert _alive(_server_pid(cluster.data))
