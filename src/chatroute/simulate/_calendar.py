"""The kinds of events on the simulator's calendar, in the order they are handled at one instant.

The engine keeps its calendar as a heap of ``(at, kind, seq, kind, item, token)``:
events that fall on the same instant run in the order of their kinds, then in the order
they were scheduled. A ``token`` that no longer matches its record's marks an event
whose dialog has moved on since.
"""

from __future__ import annotations

__all__ = [
    "ABANDON",
    "ACCEPT",
    "CLAIM_DIALOG",
    "CLAIM_OPERATOR",
    "COMPLETE",
    "HOLD",
    "READY",
    "REDIAL",
    "RESUME",
    "STATUS",
    "TRANSFER",
    "WAKE",
]

STATUS, COMPLETE, TRANSFER, ABANDON, CLAIM_DIALOG, CLAIM_OPERATOR, ACCEPT, REDIAL = range(8)
HOLD, RESUME, READY, WAKE = range(8, 12)  # WAKE: only lets the router's timers run
