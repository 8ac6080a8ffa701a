"""A desk's snapshots as the journal stores them, and back."""

from __future__ import annotations

from typing import Any

from ..serialize import from_dict, to_dict
from ..snapshot import Snapshot

__all__ = ["decode_snapshot", "encode_snapshot"]


def encode_snapshot(snapshot: Snapshot) -> Any:
    """A router snapshot as JSON-able data."""
    return to_dict(snapshot)


def decode_snapshot(data: Any) -> Snapshot:
    """The snapshot :func:`encode_snapshot` wrote."""
    return from_dict(Snapshot, data)
