"""Random sources as plain integers, for snapshots: :func:`pack_rng` and :func:`unpack_rng`.

Snapshots keep each target's random source (``Snapshot.random_states``) so that a
restored router draws exactly what the original would have; taking a snapshot and
restoring one are :meth:`RouterState.snapshot` and :meth:`RouterState.restore`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

__all__ = ["pack_rng", "unpack_rng"]


def pack_rng(rng: random.Random) -> tuple[int, ...]:
    """A random source's state as plain integers."""
    version, internal, _ = rng.getstate()
    return (version, *internal)


def unpack_rng(state: Iterable[int]) -> random.Random:
    """The random source :func:`pack_rng` packed."""
    values = tuple(state)
    rng = random.Random()
    rng.setstate((values[0], values[1:], None))
    return rng
