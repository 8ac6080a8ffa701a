"""One desk, many processes: a router shared through a journal of its calls.

:class:`SharedDesk` runs each state-changing call under the desk's lock, on a local
replica brought up to date from the journal, and appends the call to the journal;
every process's replica holds the same state because the router decides from its
calls alone (no hidden clock, no hidden randomness).

:class:`MemoryJournal` keeps the journal in the process (tests, one-process hosts);
``chatroute.shared.postgres.PostgresJournal`` keeps it in PostgreSQL (install
``chatroute[postgres]``). Importing this package does not import psycopg.
"""

from ._geo import ReplayMismatch
from .desk import LostRequest, SharedDesk
from .journal import Entry, Journal, MemoryJournal, OutboxItem, StoredSnapshot, Transaction

__all__ = [
    "Entry",
    "Journal",
    "LostRequest",
    "MemoryJournal",
    "OutboxItem",
    "ReplayMismatch",
    "SharedDesk",
    "StoredSnapshot",
    "Transaction",
]
