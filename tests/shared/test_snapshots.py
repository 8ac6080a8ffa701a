"""Router images: a signed pickle of the replica's router, loaded instead of the JSON snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatroute import Dialog, Router
from chatroute.errors import InvalidValue
from chatroute.shared import MemoryJournal, SharedDesk
from chatroute.shared._geo import GeoRecorder
from chatroute.shared._snapshots import decode_image, decode_snapshot, encode_image, encode_snapshot

from ..strategies import START, call_sequences, configs
from ..test_router_properties import end_time, play, play_all
from .test_desk import CONFIG

KEY = b"k" * 32


@settings(max_examples=40)
@given(data=st.data())
def test_an_image_round_trips_to_the_router_the_json_snapshot_restores(data: st.DataObject) -> None:
    """A router loaded from its image has the JSON path's snapshot and makes the same next calls."""
    config = data.draw(configs(offers=True), label="config")
    geo = GeoRecorder(None)
    router = Router(config, seed=3, geo=geo)
    calls = data.draw(call_sequences(config), label="calls")
    routed: list[str] = []
    for _ in play(router, calls, START, routed):
        pass
    image = encode_image(router, geo, KEY)
    assert image is not None
    other = GeoRecorder(None)
    loaded = decode_image(image, other, KEY)
    assert loaded is not None
    from_json = Router.restore(config, decode_snapshot(encode_snapshot(router.snapshot())), geo=other)
    assert loaded.snapshot() == from_json.snapshot() == router.snapshot()
    more = data.draw(call_sequences(config, id_prefix="later"), label="more")
    later = end_time(calls)
    assert play_all(loaded, more, later) == play_all(from_json, more, later)


def test_an_image_signed_with_another_key_is_not_loaded() -> None:
    """A changed byte or another key makes the image unreadable (None), so nothing is unpickled."""
    geo = GeoRecorder(None)
    image = encode_image(Router(CONFIG, geo=geo), geo, KEY)
    assert image is not None
    assert decode_image(image, geo, b"x" * 32) is None
    assert decode_image(image[:-1] + bytes([image[-1] ^ 1]), geo, KEY) is None


def test_a_new_replica_with_the_key_starts_from_the_image(monkeypatch: pytest.MonkeyPatch) -> None:
    """With image_key, a new desk loads the stored image (no restore from JSON) and holds the same state."""
    journal = MemoryJournal()
    writer = SharedDesk(journal, "main", CONFIG, seed=5, snapshot_every=3, image_key=KEY)
    for n in range(7):
        writer.route(Dialog(id=f"d{n}"), now=START)
    stored = journal.latest_snapshot("main")
    assert stored is not None
    assert stored.image is not None
    expected = writer.read(Router.snapshot)
    plain = SharedDesk(journal, "main", CONFIG)  # no key: the JSON snapshot
    assert plain.read(Router.snapshot) == expected

    def refuse(*args: Any, **kwargs: Any) -> Router:
        raise AssertionError("restored from JSON")

    monkeypatch.setattr(Router, "restore", refuse)
    late = SharedDesk(journal, "main", CONFIG, image_key=KEY)
    assert late.read(Router.snapshot) == expected
    late.route(Dialog(id="d7"), now=START)
    assert writer.read(Router.snapshot) == late.read(Router.snapshot)


@pytest.mark.parametrize("key", [b"short", "not bytes"])
def test_an_image_key_must_be_long_enough_bytes(key: Any) -> None:
    """A key that is not bytes, or shorter than 16 bytes, is refused naming image_key."""
    with pytest.raises(InvalidValue, match="image_key"):
        SharedDesk(MemoryJournal(), "main", CONFIG, image_key=key)
