"""An in-memory Router fed a desk's journal, built with the Router's public API only.

It is the reference the shared-desk tests compare with: the same entries in one plain
Router, with each entry's recorded GeoIP answers, must give the same results.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from chatroute import Client, Dialog, Rating, Router, RoutingConfig, Target
from chatroute.geo import GeoLookup
from chatroute.serialize import from_dict, to_dict
from chatroute.shared import Entry

_TYPES: dict[str, type] = {"dialog": Dialog, "client": Client, "rating": Rating, "to": Target}


class Recorded:
    """A GeoIP resolver that answers with one entry's recorded answers, in order."""

    def __init__(self) -> None:
        self.answers: deque[tuple[str | None, GeoLookup]] = deque()

    def resolve(self, ip: str | None) -> GeoLookup:
        asked, found = self.answers.popleft()
        assert asked == ip, f"asked for {ip!r}, recorded {asked!r}"
        return found


class Reference:
    """One Router fed entries in order; ``results`` maps positions to JSON results."""

    def __init__(self) -> None:
        self.router: Router | None = None
        self.geo = Recorded()
        self.position = 0
        self.results: dict[int, Any] = {}

    def feed(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            assert entry.position == self.position + 1, f"gap before {entry.position}"
            self.results[entry.position] = self.apply(entry)
            self.position = entry.position

    def apply(self, entry: Entry) -> Any:
        if entry.call == "open":
            config = RoutingConfig.from_dict(entry.args["config"])
            self.router = Router(config, seed=entry.args["seed"], geo=self.geo)
            return None
        assert self.router is not None
        if entry.call == "reconfigure":
            config = RoutingConfig.from_dict(entry.args["config"])
            self.router = Router.restore(config, self.router.snapshot(), geo=self.geo)
            return None
        self.geo.answers = deque((g["ip"], from_dict(GeoLookup, g["answer"])) for g in entry.geo)
        args = {k: from_dict(_TYPES[k], v) if k in _TYPES else v for k, v in entry.args.items()}
        method = getattr(self.router, entry.call)
        result = method(**args) if entry.call == "forget" else method(**args, now=entry.now)
        assert not self.geo.answers, "recorded GeoIP answers left over"
        return to_dict(list(result) if isinstance(result, tuple) else result)
