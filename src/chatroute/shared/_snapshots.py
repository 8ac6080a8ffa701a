"""A desk's snapshots as the journal stores them, and back: JSON, and a signed image for a fast start.

The JSON snapshot (:class:`~chatroute.snapshot.Snapshot` through ``chatroute.serialize``)
is the durable form: any later chatroute version reads it. Building a router from it
at 15,000 open dialogs takes seconds, most of it in decoding and restoring each dialog.

An *image* is the replica's router pickled, signed with HMAC-SHA256 under a key the
host's workers share (``SharedDesk(image_key=...)``). A new replica loads it instead
when it was written by the same chatroute version and its signature holds: unpickling
runs code, so an image is only read when signed with the host's key, and a desk
without a key neither writes nor reads them. The GeoIP resolver is left out of the
image: the loading process puts its own in.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import pickle
from typing import Any

from ..geo import GeoResolver
from ..router import Router
from ..serialize import from_dict, to_dict
from ..snapshot import Snapshot

__all__ = ["decode_image", "decode_snapshot", "encode_image", "encode_snapshot"]

_GEO = "geo"
_DIGEST = hashlib.sha256().digest_size


def encode_snapshot(snapshot: Snapshot) -> Any:
    """A router snapshot as JSON-able data."""
    return to_dict(snapshot)


def decode_snapshot(data: Any) -> Snapshot:
    """The snapshot :func:`encode_snapshot` wrote, as data or as its JSON text."""
    return from_dict(Snapshot, json.loads(data) if isinstance(data, str) else data)


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, geo: object) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._geo = geo

    def persistent_id(self, obj: object) -> str | None:
        return _GEO if obj is self._geo else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, geo: object) -> None:
        super().__init__(file)
        self._geo = geo

    def persistent_load(self, pid: object) -> object:
        if pid != _GEO:
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self._geo


def encode_image(router: Router, geo: GeoResolver | None, key: bytes) -> bytes | None:
    """The router as a signed image (``geo``, its resolver, left out); None if it cannot be pickled."""
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, geo).dump(router)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None  # a host's class or function pickle cannot name: the JSON snapshot will do
    body = buffer.getvalue()
    return hmac.new(key, body, hashlib.sha256).digest() + body


def decode_image(image: bytes, geo: GeoResolver | None, key: bytes) -> Router | None:
    """The router :func:`encode_image` wrote, with ``geo`` as resolver; None unless signed with ``key``."""
    signature, body = image[:_DIGEST], image[_DIGEST:]
    if not hmac.compare_digest(signature, hmac.new(key, body, hashlib.sha256).digest()):
        return None
    router = _Unpickler(io.BytesIO(body), geo).load()
    return router if isinstance(router, Router) else None
