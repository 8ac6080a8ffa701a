"""A morning at a support desk, 09:00-11:00: every routing decision, explained.

This is ``make demo``. It builds a realistic desk and replays a seeded morning of
traffic through the real :class:`chatroute.Router`:

* four channels with priorities and SLA thresholds: site and telegram (priority 1,
  highlighted after 30 s / 60 s), whatsapp (priority 2, 60 s / 2 min) and email
  (priority 3, 10 / 30 min);
* four departments (sales, support, billing, key accounts) and eight operators with
  limits, skills and a per-channel limit; operators log in at different times;
* rules by tag ("vip" goes to key accounts, which sticks to the client's own
  operator), by topic and by channel, and a fallback to everyone;
* about forty dialogs arriving from a seeded ``random.Random`` stream, each closed after
  a seeded handle time, a coffee break (away, then online again), one transfer to
  billing, and a tick every 15 seconds that announces SLA highlights.

For each new dialog it prints the decision with ``Decision.explain()``: the rules tried,
the groups filtered out and why each operator could or could not take it. Waiting
dialogs handed out later, status changes, the transfer and SLA events are printed as
they happen, and a short summary closes the run. The output is the same on every run.

Run: ``python examples/morning.py`` (or ``make demo``).
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from chatroute import (
    SLA,
    Channel,
    Client,
    Dialog,
    DialogAssigned,
    DialogState,
    Event,
    Group,
    LongestIdle,
    Operator,
    Outcome,
    RoundRobin,
    Router,
    RoutingConfig,
    Rule,
    SlaLevelChanged,
    Sticky,
    Target,
)
from chatroute.rules import channel, has_tag, topic

SEED = 20260302
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
TICK = timedelta(seconds=15)
ARRIVALS = 40

SALES_TOPICS = ("pricing", "order")
SUPPORT_TOPICS = ("login", "bug", "how-to")
BILLING_TOPICS = ("invoice", "refund")
LOGINS = {"carmen": timedelta(minutes=30), "hugo": timedelta(minutes=60)}  # late starters
BREAK = ("elena", timedelta(minutes=50), timedelta(minutes=70))  # away 09:50-10:10
TRANSFER_AT = timedelta(minutes=80)  # 10:20: a sales chat turns out to be about an invoice


def build_config() -> RoutingConfig:
    """The desk: channels, operators, departments and rules."""
    channels = [
        Channel(name="site", priority=1, sla=SLA(warn=30, critical=60)),
        Channel(name="telegram", priority=1, sla=SLA(warn=30, critical=60), carries_ip=False),
        Channel(name="whatsapp", priority=2, sla=SLA(warn=60, critical=120), carries_ip=False),
        Channel(name="email", priority=3, sla=SLA(warn=600, critical=1800), carries_ip=False),
    ]
    operators = [
        Operator(id="alice", name="Alice", limit=2),
        Operator(id="boris", name="Boris", limit=2),
        Operator(id="carmen", name="Carmen", limit=2),
        Operator(id="dmitri", name="Dmitri", limit=3, skills={"tech": 8}),
        Operator(id="elena", name="Elena", limit=2, skills={"tech": 6}),
        Operator(id="farid", name="Farid", limit=3, channel_limits={"email": 1}, skills={"tech": 4}),
        Operator(id="galina", name="Galina", limit=2),
        Operator(id="hugo", name="Hugo", limit=2),
    ]
    groups = [
        Group(id="sales", name="Sales", title="Choose a plan", operator_ids=["alice", "boris", "carmen"]),
        Group(
            id="support",
            name="Support, line 1",
            title="Help with my account",
            operator_ids=["dmitri", "elena", "farid"],
            strategy=LongestIdle(),
        ),
        Group(
            id="billing",
            name="Billing",
            title="Invoices and refunds",
            operator_ids=["galina", "hugo"],
            strategy=RoundRobin(),
        ),
        Group(
            id="key-accounts",
            name="Key accounts",
            title="Your personal manager",
            operator_ids=["alice", "galina"],
            strategy=Sticky(),
        ),
    ]
    rules = [
        Rule(name="vip", when=has_tag("vip"), to=Target.group("key-accounts")),
        Rule(name="billing", when=topic(*BILLING_TOPICS), to=Target.group("billing")),
        Rule(name="sales", when=topic(*SALES_TOPICS), to=Target.group("sales")),
        Rule(name="support", when=topic(*SUPPORT_TOPICS) | channel("email"), to=Target.group("support")),
    ]
    return RoutingConfig(channels=channels, operators=operators, groups=groups, rules=rules)


def make_arrivals(rng: random.Random) -> list[tuple[datetime, Dialog, Client, timedelta]]:
    """About forty dialogs with a rush around 09:30, each with its client and handle time."""
    topics = [*SALES_TOPICS, *SUPPORT_TOPICS, *BILLING_TOPICS, "delivery", None]
    weights = [14, 10, 12, 8, 10, 12, 6, 8, 6]
    clients = [Client(id=f"c{n:02d}", tags={"vip"} if n % 7 == 0 else frozenset()) for n in range(1, 26)]
    seconds = sorted(round(rng.triangular(0, 6600, 1500)) for _ in range(ARRIVALS))
    arrivals = []
    for n, offset in enumerate(seconds, start=1):
        at = START + timedelta(seconds=offset)
        chan = rng.choices(["site", "telegram", "whatsapp", "email"], weights=[40, 25, 20, 15])[0]
        client = rng.choice(clients)
        dialog = Dialog(
            id=f"d{n:02d}",
            client_id=client.id,
            channel=chan,
            created_at=at,
            topic=rng.choices(topics, weights=weights)[0],
            page_url=f"https://shop.example/{rng.choice(['plans', 'help', 'account'])}"
            if chan == "site"
            else None,
        )
        handle = timedelta(minutes=rng.uniform(8, 30) * (2 if chan == "email" else 1))
        arrivals.append((at, dialog, client, timedelta(seconds=round(handle.total_seconds()))))
    return arrivals


def hhmmss(moment: datetime) -> str:
    """The clock time of a moment."""
    return f"{moment:%H:%M:%S}"


def indent(text: str, prefix: str = "    ") -> str:
    """Every line of ``text`` indented."""
    return "\n".join(prefix + line for line in text.splitlines())


class Desk:
    """Runs the morning: a clock, a schedule of what happens next, and a router."""

    def __init__(self) -> None:
        self.config = build_config()
        self.router = Router(self.config, seed=SEED)
        self.rng = random.Random(SEED)
        self.schedule: list[tuple[datetime, int, int, str, Any]] = []
        self.seq = 0
        self.handle: dict[str, timedelta] = {}
        self.release_at: dict[str, datetime] = {}
        self.arrived: dict[str, datetime] = {}
        self.waits: dict[str, timedelta] = {}
        self.sla = Counter[str]()
        self.queued_max = (0, START)
        self.outcomes = Counter[str]()

    def at(self, moment: datetime, order: int, kind: str, payload: Any = None) -> None:
        """Schedule something; at equal times lower ``order`` goes first."""
        self.seq += 1
        heapq.heappush(self.schedule, (moment, order, self.seq, kind, payload))

    def plan(self) -> None:
        """Put the whole known morning on the schedule."""
        for op in self.config.operators:
            self.at(START + LOGINS.get(op.id, timedelta(0)), 0, "online", op.id)
        who, away, back = BREAK
        self.at(START + away, 0, "away", who)
        self.at(START + back, 0, "online", who)
        self.at(START + TRANSFER_AT, 2, "transfer", None)
        for at, dialog, client, handle in make_arrivals(self.rng):
            self.handle[dialog.id] = handle
            self.at(at, 3, "arrive", (dialog, client))
        moment = START
        while moment <= END:
            self.at(moment, 4, "tick", None)
            moment += TICK

    def run(self) -> None:
        """Process the schedule in time order, printing as it goes."""
        print(f"chatroute demo: a morning at the desk, {START:%Y-%m-%d %H:%M}-{END:%H:%M} UTC, seed {SEED}")
        print(
            f"{len(self.config.operators)} operators, {len(self.config.groups)} groups, "
            f"{len(self.config.rules)} rules, channels: "
            + ", ".join(f"{c.name} (priority {c.priority})" for c in self.config.channels)
        )
        print()
        self.plan()
        while self.schedule:
            moment, _, _, kind, payload = heapq.heappop(self.schedule)
            if moment > END:
                break
            if kind != "tick":  # announce SLA levels crossed before this moment first
                self.follow(self.router.tick(moment), moment)
            getattr(self, f"do_{kind}")(moment, payload)
            waiting = len(self.router.dialogs(DialogState.QUEUED))
            if waiting > self.queued_max[0]:
                self.queued_max = (waiting, moment)
        self.summary()

    # ------------------------------------------------------------------ happenings

    def do_online(self, moment: datetime, op_id: str) -> None:
        events = self.router.set_status(op_id, "online", moment)
        print(f"{hhmmss(moment)}  {op_id} is online")
        self.follow(events, moment)

    def do_away(self, moment: datetime, op_id: str) -> None:
        events = self.router.set_status(op_id, "away", moment, comment="coffee break, back at 10:10")
        load = self.router.operator(op_id).load
        print(
            f"{hhmmss(moment)}  {op_id} is away (coffee break); keeps {load} open dialog(s), gets no new ones"
        )
        self.follow(events, moment)

    def do_arrive(self, moment: datetime, payload: Any) -> None:
        dialog, client = payload
        self.arrived[dialog.id] = moment
        label = f"{dialog.channel}, topic {dialog.topic or '-'}, client {dialog.client_id}"
        if client.tags:
            label += f" [{', '.join(sorted(client.tags))}]"
        decision = self.router.route(dialog, moment, client=client)
        self.outcomes[decision.outcome.value] += 1
        print(f"{hhmmss(moment)}  new dialog {dialog.id} ({label})")
        print(indent(decision.explain()))
        if decision.outcome is Outcome.ASSIGNED:
            self.waits[dialog.id] = timedelta(0)
        self.follow(decision.events, moment, quiet_route=True)

    def do_transfer(self, moment: datetime, _: Any) -> None:
        in_sales = [d for d in self.router.dialogs(DialogState.ASSIGNED) if d.group_id == "sales"]
        if not in_sales:
            print(f"{hhmmss(moment)}  (no sales dialog to transfer)")
            return
        record = min(in_sales, key=lambda d: (d.assigned_at, d.id))
        by = record.operator_id
        decision = self.router.transfer(record.id, Target.group("billing"), moment, by=by)
        print(f"{hhmmss(moment)}  {by} transfers {record.id} to billing: the client asks about an invoice")
        print(indent(decision.explain()))
        self.follow(decision.events, moment, quiet_route=True)

    def do_release(self, moment: datetime, dialog_id: str) -> None:
        if self.release_at.get(dialog_id) != moment:
            return  # transferred since: a later release is scheduled
        operator = self.router.dialog(dialog_id).operator_id
        events = self.router.release(dialog_id, moment)
        print(f"{hhmmss(moment)}  {operator} closes {dialog_id}")
        self.follow(events, moment)

    def do_tick(self, moment: datetime, _: Any) -> None:
        self.follow(self.router.tick(moment), moment)

    def follow(self, events: tuple[Event, ...], moment: datetime, *, quiet_route: bool = False) -> None:
        """Print what else happened, and schedule the release of every newly assigned dialog."""
        for event in events:
            if isinstance(event, DialogAssigned):
                self.release_at[event.dialog_id] = event.at + self.handle[event.dialog_id]
                self.at(self.release_at[event.dialog_id], 1, "release", event.dialog_id)
                self.waits.setdefault(event.dialog_id, event.at - self.arrived[event.dialog_id])
                if not quiet_route:
                    since = self.router.dialog(event.dialog_id).waiting_since or event.at
                    waited = _short(event.at - since)
                    print(
                        f"{hhmmss(moment)}    -> {event.dialog_id} handed to {event.operator_id} "
                        f"from the queue (waited {waited})"
                    )
            elif isinstance(event, SlaLevelChanged):
                self.sla[event.level.value] += 1
                record = self.router.dialog(event.dialog_id)
                colour = {"warn": "yellow", "critical": "red"}[event.level.value]
                print(
                    f"{hhmmss(event.at)}  SLA {event.level.value} ({colour}): {event.dialog_id} "
                    f"({record.dialog.channel}) waiting for {record.target} for "
                    f"{_short(event.at - (record.waiting_since or event.at))}, "
                    f"position {self.router.position(event.dialog_id)}"
                )

    # -------------------------------------------------------------------- summary

    def summary(self) -> None:
        """Totals for the morning."""
        router = self.router
        waited = [w for w in self.waits.values() if w > timedelta(0)]
        print()
        print("summary")
        print(f"  dialogs arrived:      {len(self.arrived)}")
        print(f"  assigned on arrival:  {self.outcomes['assigned']}")
        print(
            f"  queued on arrival:    {self.outcomes['queued']}; waited then served: {len(waited)}, "
            f"longest wait {_short(max(waited, default=timedelta(0)))}"
        )
        print(f"  queued at once (max): {self.queued_max[0]} at {hhmmss(self.queued_max[1])}")
        print(f"  still waiting at {END:%H:%M}: {len(router.dialogs(DialogState.QUEUED))}")
        print(f"  SLA highlights:       {self.sla['warn']} yellow, {self.sla['critical']} red")
        print("  per operator (assigned this morning / open at the end / status):")
        for state in router.operators():
            print(f"    {state.id:<7} {state.assigned_total:>3} / {state.load} / {state.status}")


def _short(delta: timedelta) -> str:
    """A duration as "4 min 05 s" or "35 s"."""
    seconds = int(delta.total_seconds())
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def main() -> None:
    """Run the morning."""
    Desk().run()


if __name__ == "__main__":
    main()
