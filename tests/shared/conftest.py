"""A throwaway PostgreSQL cluster for the shared-desk tests, and a fresh schema per test.

The cluster is made once per session with ``initdb`` and ``pg_ctl`` (as the ``postgres``
user when the suite runs as root) and deleted at the end. Without PostgreSQL binaries
these tests skip, saying why; under ``CI=true`` that is a failure instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from chatroute.shared.postgres import PostgresJournal
from chatroute.shared.testing import TemporaryCluster, find_bindir

#: Settings of the test cluster: no fsync (nothing here survives the machine anyway).
TEST_SETTINGS = {"fsync": "off", "max_connections": "200", "shared_buffers": "64MB"}


@pytest.fixture(scope="session")
def cluster() -> Iterator[TemporaryCluster]:
    """A running PostgreSQL cluster for the whole session."""
    if find_bindir() is None:
        reason = "no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL 15 to run these tests"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    with TemporaryCluster(TEST_SETTINGS) as made:
        yield made


@pytest.fixture
def schema(cluster: TemporaryCluster) -> str:
    """A schema name of the test's own, with the journal's tables installed."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    journal = PostgresJournal(cluster.dsn, schema=name)
    journal.install()
    journal.close()
    return name


@pytest.fixture
def journal(cluster: TemporaryCluster, schema: str) -> Iterator[PostgresJournal]:
    """A PostgresJournal on the test's own schema."""
    made = PostgresJournal(cluster.dsn, schema=schema)
    yield made
    made.close()
