"""Regenerate the golden corpus: ``python -m tests.golden.record``.

Draws configs and call sequences with the shared Hypothesis strategies
(:mod:`tests.strategies`, derandomized so a run is repeatable), in four families
(plain, departments, offers, both) plus a family with explanations off. Each drawn call
is resolved into a concrete one against the router as it plays (which dialog, which
operator an offer is answered for), and a seeded mix of other calls is woven in:
triggers, transfers by an operator, ratings, forgetting, dry-run explanations, the
queries, and calls that must fail (unknown ids, invalid transitions, naive times, bad
values). Everything the router answers is stored with the inputs, one JSON file per case.

Recording against a router whose behaviour changed rewrites the expected answers: do
it only on purpose, and review the diff. ``--answers`` keeps the stored cases (configs,
seeds, calls) and records only their answers afresh, by replaying them: the way to
take a deliberate change of the router's answers (a new explanation text) without
drawing new cases.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from datetime import datetime, timedelta
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chatroute import Dialog, DialogState, Rating, RoutingConfig, Target, serialize
from chatroute.model import RatingScale
from chatroute.rules import Trigger, always, has_tag

from ..strategies import START, Call, call_sequences, configs
from . import CASES, case_files, load_case, perform, replay, router_for

#: (name, how many cases, options for ``configs``)
FAMILIES: tuple[tuple[str, int, dict[str, Any]], ...] = (
    ("plain", 50, {"departments": False, "offers": False}),
    ("departments", 50, {"departments": True, "offers": False}),
    ("offers", 50, {"departments": False, "offers": True}),
    ("both", 50, {"departments": True, "offers": True}),
    ("quiet", 24, {"departments": True, "offers": True}),  # explanations off
)
REGIONS = ("RU", "RU-MOW", "RU-SPE", "DE", "US-NY", "FR")
PAGES = ("https://dealer.example/cars/12", "https://dealer.example/service", "https://dealer.example/jobs/3")
EVENTS = ("invoice.paid", "escalate", "nothing.happened")


def _draw(count: int, options: dict[str, Any]) -> list[tuple[RoutingConfig, list[Call]]]:
    """``count`` distinct (config, calls) pairs, the same ones on every run."""
    found: list[tuple[RoutingConfig, list[Call]]] = []

    @st.composite
    def scenario(draw: st.DrawFn) -> tuple[RoutingConfig, list[Call]]:
        config = draw(configs(**options))
        return config, draw(call_sequences(config, min_size=10, max_size=26, chosen_group=True))

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(scenario())
    def collect(drawn: tuple[RoutingConfig, list[Call]]) -> None:
        found.append(drawn)

    collect()
    return found[:count]


def _with_triggers(config: RoutingConfig, rnd: random.Random) -> RoutingConfig:
    """The config with two or three triggers, when the case draws them."""
    if rnd.random() < 0.4:
        return config
    groups = [g.id for g in config.groups]
    triggers = [
        Trigger(name="paid", on="invoice.paid", when=always(), to=Target.group(rnd.choice(groups))),
        Trigger(name="vip", on="escalate", when=has_tag("vip"), to=Target.operator(config.operators[0].id)),
        Trigger(name="wide", on="escalate", to=Target.everyone()),
    ]
    return attrs.evolve(config, triggers=triggers[: rnd.randint(1, 3)])


class Recorder:
    """Plays one case on a router while writing its concrete calls and answers down."""

    def __init__(self, config: RoutingConfig, seed: int, rnd: random.Random) -> None:
        self.case: dict[str, Any] = {"config": serialize.to_dict(config), "seed": seed, "steps": []}
        self.router = router_for(self.case)
        self.rnd = rnd
        self.config = config
        self.routed: list[str] = []

    def make(self, call: dict[str, Any], now: datetime) -> dict[str, Any]:
        call = {"now": now.isoformat(), **call}
        answer = perform(self.router, call)
        self.case["steps"].append({"call": call, "answer": answer})
        if call["call"] == "forget" and "error" not in answer:
            self.routed = [d for d in self.routed if d != call["dialog_id"]]
        return answer

    def dialog_id(self, pick: int) -> str | None:
        return self.routed[pick % len(self.routed)] if self.routed else None

    def drawn(self, call: Call, now: datetime) -> None:
        """One call from ``call_sequences``, made concrete."""
        if call.kind == "route":
            assert call.dialog is not None
            dialog = self._placed(call.dialog)
            made: dict[str, Any] = {"call": "route", "dialog": serialize.to_dict(dialog)}
            made["client"] = serialize.to_dict(call.client) if call.client is not None else None
            answer = self.make(made, now)
            if "decision" in answer and answer["decision"]["outcome"] != "rejected":
                self.routed.append(dialog.id)
            return
        if call.kind == "tick":
            self.make({"call": "tick"}, now)
            return
        if call.kind == "set_status":
            self.make({"call": "set_status", "operator_id": call.operator_id, "status": call.status}, now)
            return
        if call.kind == "set_limit":
            self.make({"call": "set_limit", "operator_id": call.operator_id, "limit": call.limit}, now)
            return
        dialog_id = self.dialog_id(call.pick)
        if dialog_id is None:
            return
        made = {"call": call.kind, "dialog_id": dialog_id}
        if call.kind == "transfer":
            assert call.to is not None
            made["to"] = serialize.to_dict(call.to)
        elif call.kind == "claim":
            made["operator_id"] = call.operator_id
        elif call.kind in ("accept", "decline"):
            offered = sorted(self.router.dialog(dialog_id).offered_to)
            made["operator_id"] = call.operator_id or (offered[0] if offered else "nobody")
        self.make(made, now)

    def _placed(self, dialog: Dialog) -> Dialog:
        """Sometimes give a new dialog a region, a page or an IP, for the department filters."""
        roll = self.rnd.random()
        if roll < 0.25:
            return attrs.evolve(dialog, region=self.rnd.choice(REGIONS), page_url=self.rnd.choice(PAGES))
        if roll < 0.35 and dialog.channel == "site":
            return attrs.evolve(dialog, ip="203.0.113.7")
        return dialog

    def extra(self, now: datetime) -> None:
        """A seeded call the drawn sequences do not make: triggers, queries, and bad calls."""
        rnd = self.rnd
        op_ids = [o.id for o in self.config.operators]
        dialog_id = self.dialog_id(rnd.randrange(64))
        kind = rnd.choice(
            [
                "handle", "handle", "transfer_by", "rate", "forget", "explain", "views",
                "available_groups", "queue", "position", "estimated_wait", "sla_level", "overdue",
                "claimable", "operators", "bad",
            ]
        )  # fmt: skip
        if kind == "bad":
            self.bad(now, dialog_id, op_ids)
        elif kind in ("views", "claimable"):
            self.make({"call": kind, "operator_id": rnd.choice(op_ids)}, now)
        elif kind == "available_groups":
            visitor = {"channel": rnd.choice([c.name for c in self.config.channels])}
            if rnd.random() < 0.7:
                visitor["region"] = rnd.choice(REGIONS)
            if rnd.random() < 0.7:
                visitor["url"] = rnd.choice(PAGES)
            self.make({"call": "available_groups", "visitor": visitor}, now)
        elif kind == "queue":
            targets = [Target.everyone(), *(Target.group(g.id) for g in self.config.groups)]
            targets.append(Target.operator(rnd.choice(op_ids)))
            self.make({"call": "queue", "target": serialize.to_dict(rnd.choice(targets))}, now)
        elif kind == "overdue" or kind == "operators":
            self.make({"call": kind}, now)
        elif kind == "explain":
            channel = rnd.choice([c.name for c in self.config.channels])
            dialog = Dialog(id=dialog_id or "what-if", channel=channel, tags=rnd.sample(["vip", "new"], 1))
            self.make({"call": "explain", "dialog": serialize.to_dict(dialog)}, now)
        elif dialog_id is None:
            return
        elif kind == "handle":
            data = {"amount": rnd.randint(1, 2000)} if rnd.random() < 0.5 else None
            self.make(
                {"call": "handle", "dialog_id": dialog_id, "event": rnd.choice(EVENTS), "data": data}, now
            )
        elif kind == "transfer_by":
            to = rnd.choice([Target.everyone(), Target.group(rnd.choice(self.config.groups).id)])
            made = {"call": "transfer", "dialog_id": dialog_id, "to": serialize.to_dict(to)}
            self.make({**made, "by": rnd.choice(op_ids)}, now)
        elif kind == "rate":
            rating = Rating(scale=RatingScale.SMILEYS_5, value=rnd.randint(1, 5))
            self.make({"call": "release", "dialog_id": dialog_id, "rating": serialize.to_dict(rating)}, now)
        elif kind == "forget":
            closed = [r.id for r in self.router.dialogs(DialogState.CLOSED)]
            target = rnd.choice(closed) if closed and rnd.random() < 0.7 else dialog_id
            self.make({"call": "forget", "dialog_id": target}, now)
        else:
            self.make({"call": kind, "dialog_id": dialog_id}, now)

    def bad(self, now: datetime, dialog_id: str | None, op_ids: list[str]) -> None:
        """A call that must fail, with its error class and message recorded."""
        rnd = self.rnd
        channel = self.config.channels[0].name
        some = dialog_id or "ghost"
        options: list[dict[str, Any]] = [
            {"call": "release", "dialog_id": "ghost"},
            {"call": "claim", "dialog_id": some, "operator_id": "ghost"},
            {"call": "set_status", "operator_id": "ghost", "status": "online"},
            {"call": "set_status", "operator_id": rnd.choice(op_ids), "status": "dancing"},
            {"call": "set_limit", "operator_id": rnd.choice(op_ids), "limit": -1},
            {"call": "tick", "naive": True},
            {"call": "route", "dialog": serialize.to_dict(Dialog(id="x", channel="fax")), "client": None},
            {
                "call": "route",
                "dialog": serialize.to_dict(Dialog(id="y", channel=channel, chosen_group_id="nope")),
                "client": None,
            },
            {"call": "transfer", "dialog_id": some, "to": serialize.to_dict(Target.group("nope"))},
            {
                "call": "transfer",
                "dialog_id": some,
                "to": serialize.to_dict(Target.everyone()),
                "by": "ghost",
            },
            {"call": "replied", "dialog_id": some},
            {"call": "accept", "dialog_id": some, "operator_id": rnd.choice(op_ids)},
            {"call": "decline", "dialog_id": some, "operator_id": rnd.choice(op_ids)},
            {"call": "handle", "dialog_id": some, "event": ""},
            {"call": "position", "dialog_id": "ghost"},
            {"call": "views", "operator_id": "ghost"},
        ]
        if dialog_id is not None:
            again = serialize.to_dict(self.router.dialog(dialog_id).dialog)
            options.append({"call": "route", "dialog": again, "client": None})
            options.append({"call": "forget", "dialog_id": dialog_id})
        self.make(rnd.choice(options), now)


def record_case(config: RoutingConfig, calls: list[Call], index: int, *, explain: bool) -> dict[str, Any]:
    """Play and record one case."""
    rnd = random.Random(index)
    config = attrs.evolve(_with_triggers(config, rnd), explain=explain)
    # the stored config is what the replay builds from, so record from the same
    config = serialize.from_dict(RoutingConfig, json.loads(json.dumps(serialize.to_dict(config))))
    recorder = Recorder(config, seed=rnd.randrange(2**16), rnd=rnd)
    now = START
    for call in calls:
        now += timedelta(seconds=call.dt)
        if rnd.random() < 0.3:
            recorder.extra(now)
        recorder.drawn(call, now)
    recorder.make({"call": "tick"}, now + timedelta(seconds=rnd.choice([30, 90, 400])))
    return {**recorder.case, "snapshot": serialize.to_dict(recorder.router.snapshot())}


def dump(case: dict[str, Any]) -> str:
    """The case as JSON text, one step a line, so a re-recording diffs line by line."""

    def text(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    steps = ",\n".join(text(step) for step in case["steps"])
    return (
        f'{{"config":{text(case["config"])},\n"seed":{case["seed"]},\n"steps":[\n{steps}\n],\n'
        f'"snapshot":{text(case["snapshot"])}}}\n'
    )


def main(argv: list[str] | None = None) -> None:
    """Write the corpus afresh (or, with ``--answers``, the stored cases' answers)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--answers", action="store_true", help="keep the stored cases and record their answers afresh"
    )
    if parser.parse_args(argv).answers:
        paths = case_files()
        for path in paths:
            path.write_text(dump(replay(load_case(path))), encoding="utf-8")
        print(f"recorded the answers of {len(paths)} cases in {CASES.name}/")
        return
    shutil.rmtree(CASES, ignore_errors=True)
    CASES.mkdir()
    index = 0
    for family, count, options in FAMILIES:
        for config, calls in _draw(count, options):
            case = record_case(config, calls, index, explain=family != "quiet")
            path = CASES / f"{index:03d}-{family}.json"
            path.write_text(dump(case), encoding="utf-8")
            index += 1
    print(f"recorded {index} cases in {CASES.name}/")


if __name__ == "__main__":
    main()
