"""The router's live state, and the one object that writes it.

:class:`RouterState` holds the live operators and dialogs, the clients, the queues, the
indexes of available operators with the targets' capacities
(:class:`~chatroute._indexes.Availability`), the deadlines
(:class:`~chatroute._deadlines.Deadlines`), the intake caps
(:class:`~chatroute._intake_cap.IntakeCap`), the random sources and the counters. Every
change goes through one of its named operations (take a slot, free a slot, enqueue,
dequeue, assign, close, change status...), each of which keeps records, indexes,
capacities and deadlines consistent; the other parts read the state and call these.

Its operations on separable concerns live beside it as functions that take the state:
offers and declines (:mod:`chatroute._state_offers`), wrap-ups and holds
(:mod:`chatroute._state_after_chat`), relaxing requirements
(:mod:`chatroute._state_requirements`) and snapshots (:mod:`chatroute._state_snapshot`).
"""

from __future__ import annotations

import random
from datetime import datetime

import attrs

from ._deadlines import Deadlines, PreferredWaitEnds, RelaxDue, ReplyDue, RingDue, SlaDue
from ._eligibility import picky
from ._frozen import MAX_DURATION
from ._indexes import Availability
from ._intake_cap import IntakeCap
from ._offer_log import OfferLog
from ._relaxing import applicable, next_step
from ._state import NOBODY, LiveDialog, LiveOperator
from ._topology import Topology, check_id, pool_key
from .errors import DialogClosed, TimeWentBackwards, UnknownDialog, UnknownOperator
from .model import Channel, Client, Dialog, DialogState, Rating, SlaLevel, Target
from .queue import ChannelPriorityQueue
from .snapshot import TransferRecord
from .strategies import Strategy

__all__ = ["RouterState"]

_HANDLE_TIME_WEIGHT = 0.1  # weight of the newest closed dialog in the mean handle time
_MAX_HANDLE_SECONDS = MAX_DURATION.total_seconds()  # a longer dialog counts as this long


class RouterState:
    """Everything about the router that changes, and the operations that change it.

    Attributes (read freely; written only by this class's operations):
        ops / dialogs / clients: the live records by id.
        queues: by queue key (a target's key, or its pool's), the dialogs waiting there.
        available: the per-target indexes of available operators and the capacities.
        deadlines: what comes due when; intake: the operators' intake caps.
        rngs / last_picks: by target key, its random source and its last pick.
    """

    __slots__ = (
        "_hold_counts",
        "_intake_cap",
        "_picking_targets",
        "_reply_timeout",
        "_topology",
        "assign_seq",
        "available",
        "client_dialogs",
        "clients",
        "deadlines",
        "dialogs",
        "handle_time",
        "intake",
        "last_picks",
        "latest",
        "offer_log",
        "ops",
        "queue_seq",
        "queues",
        "relaxing",
        "rngs",
    )

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        # read on every assignment: kept at hand
        self._intake_cap = topology.config.intake_cap
        self._reply_timeout = topology.config.reply_timeout
        self._hold_counts = topology.config.hold_counts
        self._picking_targets = topology.strategies
        statuses = topology.statuses
        self.ops: dict[str, LiveOperator] = {
            op.id: LiveOperator(
                op, topology.limits[op.id], statuses[op.status].routable, topology.served[op.id]
            )
            for op in topology.config.operators
        }
        self.dialogs: dict[str, LiveDialog] = {}
        self.clients: dict[str, Client] = {}
        self.client_dialogs: dict[str, set[str]] = {}  # by client id, the dialogs held
        self.queues: dict[str, ChannelPriorityQueue] = {}
        self.available = Availability(topology, self.ops)
        self.deadlines = Deadlines()
        self.relaxing = False  # some dialog's requirements ever had a step scheduled (drain looks then)
        self.intake = IntakeCap(topology.config, self.deadlines)
        self.rngs: dict[str, random.Random] = {}
        self.last_picks: dict[str, str] = {}
        self.assign_seq = 0
        self.queue_seq = 0
        self.handle_time = topology.config.default_handle_time.total_seconds()
        self.latest: datetime | None = None
        self.offer_log = OfferLog(topology.config.offer_memory)
        self.available.rebuild(self.ops.values())

    @property
    def topology(self) -> Topology:
        """What the config fixed: targets, members, strategies, channels."""
        return self._topology

    # -------------------------------------------------------------------- time

    def check_time(self, now: datetime) -> datetime:
        """``now``, unless it is earlier than the latest time seen (TimeWentBackwards)."""
        latest = self.latest
        if latest is not None and now < latest:
            raise TimeWentBackwards(now, latest)
        return now

    def seen(self, now: datetime) -> None:
        """A call that changed the router succeeded at ``now``: time cannot go back before it."""
        self.latest = now

    # ------------------------------------------------------------------ lookups

    def dialog(self, dialog_id: str) -> LiveDialog:
        """The dialog's record; raises UnknownDialog (InvalidValue for an id that is not a string)."""
        try:
            return self.dialogs[dialog_id]
        except (KeyError, TypeError):  # unknown, or not even hashable
            pass
        check_id(dialog_id, "dialog_id")
        raise UnknownDialog(dialog_id, field="dialog_id")

    def open_dialog(self, dialog_id: str) -> LiveDialog:
        """The record of an open dialog; raises UnknownDialog or DialogClosed."""
        rec = self.dialog(dialog_id)
        if rec.state is DialogState.CLOSED:
            raise DialogClosed(rec.id)
        return rec

    def operator(self, operator_id: str, field: str = "operator_id") -> LiveOperator:
        """The operator's record; raises UnknownOperator naming ``field``."""
        check_id(operator_id, field)
        op = self.ops.get(operator_id)
        if op is None:
            raise UnknownOperator(operator_id, field=field)
        return op

    def client_of(self, dialog: Dialog) -> Client | None:
        """The dialog's client as the router knows them (a new one when it does not)."""
        if dialog.client_id is None:
            return None
        return self.clients.get(dialog.client_id) or Client(id=dialog.client_id)

    def live(
        self, dialog: Dialog, channel: Channel, now: datetime, *, region_note: str | None = None
    ) -> LiveDialog:
        """A new live record for the dialog, not yet held (``region_note``: how its region was found)."""
        match_language = self._topology.config.match_language
        rec = LiveDialog(
            dialog,
            channel.capacity_weight,
            now,
            picky=picky(dialog, self._topology.picky_channels, match_language),
        )
        if match_language and dialog.language is not None:
            rec.need_extra().language = dialog.language
        configured = self._topology.config.relax
        if dialog.relax or configured:
            relax = applicable(dialog.relax, configured, dialog.required_skills, rec.language)
            if relax:
                rec.need_extra().relax = relax
        rec.region_note = region_note
        return rec

    def queue_key(self, rec: LiveDialog) -> str:
        """The key of the queue (or pool) the dialog waits in."""
        return pool_key(rec.target_key) if rec.pool else rec.target_key

    def rng(self, key: str, strategy: Strategy, dry: bool) -> random.Random:
        """The target's random source: kept (made on first use) unless ``dry``, then a copy."""
        rng = self.rngs.get(key)
        if rng is None:
            own = strategy.random_seed()
            seed = self._topology.seed if own is None else own
            rng = random.Random(f"{seed}/{key}")
            if not dry:
                self.rngs[key] = rng
            return rng
        if dry:
            copy = random.Random()
            copy.setstate(rng.getstate())
            return copy
        return rng

    def keep_rng(self, key: str, rng: random.Random) -> None:
        """Keep a random source a strategy drew from (its copy, once the choice proved sound)."""
        self.rngs[key] = rng

    # -------------------------------------------------------------- dialogs kept

    def keep(self, rec: LiveDialog, client: Client | None) -> None:
        """Start keeping a new dialog's record, and remember its client (None: it has none)."""
        self.dialogs[rec.id] = rec
        if client is not None:
            self.clients[client.id] = client
            self.note_client(rec)

    def note_client(self, rec: LiveDialog) -> None:
        """Note the dialog among its client's (a kept or restored record)."""
        client_id = rec.dialog.client_id
        if client_id is not None:
            self.client_dialogs.setdefault(client_id, set()).add(rec.id)

    def forget(self, rec: LiveDialog, *, keep_client: bool) -> None:
        """Drop a closed dialog's record; with the last dialog of its client, the client (unless kept)."""
        del self.dialogs[rec.id]
        client_id = rec.dialog.client_id
        if client_id is None:
            return
        held = self.client_dialogs[client_id]
        held.discard(rec.id)
        if not held:
            del self.client_dialogs[client_id]
            if not keep_client:
                self.clients.pop(client_id, None)

    def open_dialogs_of(self, client_id: str) -> list[str]:
        """The client's open dialogs, by id."""
        held = self.client_dialogs.get(client_id, ())
        return sorted(d for d in held if self.dialogs[d].state is not DialogState.CLOSED)

    def forget_client(self, client_id: str) -> None:
        """Drop what the router knows of the client (their closed dialogs keep their id)."""
        self.clients.pop(client_id, None)

    def update_dialog(self, rec: LiveDialog, dialog: Dialog) -> None:
        """Replace the dialog's facts (attributes learned from the host)."""
        rec.dialog = dialog

    def retarget(
        self,
        rec: LiveDialog,
        target: Target,
        key: str,
        group_id: str | None,
        pool: bool,
        rule: str | None,
        ring: int,
    ) -> None:
        """Point the dialog at a target with this key (and its pool), noting the rule whose
        escalation rings apply to it (None: none) and the ring it reached."""
        rec.target = target
        rec.target_key = key
        rec.group_id = group_id
        rec.pool = pool
        rec.rule = rule
        rec.ring = ring

    def set_rule(self, rec: LiveDialog, rule: str | None, ring: int | None) -> None:
        """Note the rule whose escalation rings apply to the dialog (None: none), and its ring."""
        rec.rule = rule
        if ring is not None:
            rec.ring = ring

    def note_transfer(self, rec: LiveDialog, record: TransferRecord) -> None:
        """Add a transfer to the dialog's history; it has no operator for now."""
        rec.operator_id = None
        rec.history = (*rec.history, record)

    def note_reply(self, rec: LiveDialog, now: datetime) -> None:
        """The assignee replied (the first reply counts)."""
        if rec.replied_at is None:
            rec.replied_at = now

    def close(self, rec: LiveDialog, now: datetime, rating: Rating | None, handled: bool) -> None:
        """Close the dialog; with ``handled``, its handle time counts in the mean."""
        if handled and rec.assigned_at is not None:
            seconds = (now - rec.assigned_at).total_seconds()
            seconds = min(max(seconds, 0.0), _MAX_HANDLE_SECONDS)
            self.handle_time += _HANDLE_TIME_WEIGHT * (seconds - self.handle_time)
        rec.state = DialogState.CLOSED
        rec.closed_at = now
        rec.rating = rating

    # ------------------------------------------------------------------- slots

    def take_slot(self, rec: LiveDialog, op: LiveOperator, now: datetime, *, new: bool = True) -> None:
        """Count the dialog in the operator's load (assigned, or offered to them alone).

        ``new=False`` (an adopted dialog): it counts neither in the intake cap nor as
        the target's last pick.
        """
        channel = rec.dialog.channel
        op.load += rec.weight
        op.channel_loads[channel] = op.channel_loads.get(channel, 0) + 1
        op.last_assigned_seq = self.assign_seq = self.assign_seq + 1
        op.last_assigned_at = now
        op.dialogs.add(rec.id)
        if self._intake_cap is not None and new:
            self.intake.count(op, now)
        self.available.refresh(op)
        rec.operator_id = op.id
        rec.pool = False
        if new and rec.target_key in self._picking_targets:
            self.last_picks[rec.target_key] = op.id

    def free_slot(self, rec: LiveDialog, *, refresh: bool = True) -> LiveOperator | None:
        """Take the dialog off its operator or out of its queue; the operator, if it had one.

        With ``refresh=False`` the operator's indexes are left for the caller to refresh
        (a release refreshes once, after the drain).
        """
        if rec.state is DialogState.QUEUED:
            self.dequeue(rec)
            return None
        if rec.state is DialogState.OFFERED:
            for op_id in rec.offered_to:
                self.ops[op_id].drop_offer(rec.id)
            rec.offered_to, rec.offer_expires = NOBODY, None
        if rec.state is DialogState.CLOSED or rec.operator_id is None:
            return None
        op = self.ops[rec.operator_id]
        if rec.extra is not None and rec.extra.held_since is not None and not self.end_hold(rec, op):
            op.dialogs.discard(rec.id)  # held without counting: its slot was freed then
            return None
        channel = rec.dialog.channel
        op.load -= rec.weight
        op.channel_loads[channel] -= 1
        op.dialogs.discard(rec.id)
        if refresh:
            self.available.refresh(op)
        return op

    def unassign(self, rec: LiveDialog) -> None:
        """The dialog, freed, has no operator until it is placed again."""
        rec.operator_id = None

    def refresh(self, op: LiveOperator) -> None:
        """Re-rank the operator in the indexes (after a change the caller deferred)."""
        self.available.refresh(op)

    def lift_cap(self, op: LiveOperator, now: datetime) -> None:
        """The operator's intake window moved on: recheck the cap and re-rank them."""
        self.intake.recheck(op, now)
        self.available.refresh(op)

    def assigned(self, rec: LiveDialog, op: LiveOperator, now: datetime) -> None:
        """The dialog, already in the operator's load, is now theirs (their client's last operator too)."""
        op.assigned_total += 1
        op.missed = 0
        rec.state = DialogState.ASSIGNED
        rec.assigned_at = now
        rec.replied_at = None
        rec.offered_to = NOBODY
        rec.offer_expires = None
        reply_timeout = self._reply_timeout
        if reply_timeout is not None:
            self.deadlines.replies.push(ReplyDue(now + reply_timeout, rec.id, now))
        client_id = rec.dialog.client_id
        if client_id is not None:
            client = self.clients.get(client_id)
            if client is None:
                self.clients[client_id] = Client(id=client_id, last_operator_id=op.id)
            elif client.last_operator_id != op.id:
                self.clients[client_id] = attrs.evolve(client, last_operator_id=op.id)

    def end_hold(self, rec: LiveDialog, op: LiveOperator) -> bool:
        """The dialog is no longer held; whether it was in the operator's load meanwhile."""
        rec.need_extra().held_since = None
        op.held -= 1
        return self._hold_counts

    @staticmethod
    def count_load(op: LiveOperator, rec: LiveDialog) -> None:
        """Count a dialog the operator holds in their load, at the config's weight."""
        channel = rec.dialog.channel
        op.load += rec.weight
        op.channel_loads[channel] = op.channel_loads.get(channel, 0) + 1
        op.dialogs.add(rec.id)

    # ------------------------------------------------------------------ queues

    def enqueue(self, rec: LiveDialog, now: datetime) -> None:
        """Put the dialog at the back of its target's queue (or pool), its SLA clock restarted."""
        self.queue_seq += 1
        rec.state = DialogState.QUEUED
        rec.operator_id = None
        rec.waiting_since = now
        rec.sla_notified = SlaLevel.OK
        rec.epoch += 1
        self.push(rec, self.queue_seq, now)
        self.schedule_ring(rec)
        if rec.extra is not None:  # its requirements relax only while it waits (the steps are extra)
            self.schedule_relax(rec)

    def schedule_relax(self, rec: LiveDialog) -> None:
        """If the dialog's requirements have a step left, note when it comes due."""
        if not rec.relax:
            return
        waited = None if rec.relaxed_at is None else rec.relaxed_at - rec.routed_at
        after = next_step(rec.relax, waited)
        if after is not None:
            self.relaxing = True
            self.deadlines.relaxes.push(RelaxDue(rec.routed_at + after, rec.id))

    def schedule_ring(self, rec: LiveDialog) -> None:
        """If the dialog's rule has a wider ring left, note when the dialog reaches it."""
        rule = self._topology.rules.get(rec.rule) if rec.rule is not None else None
        if rule is not None and rec.ring < len(rule.escalate):
            due = rec.routed_at + rule.escalate[rec.ring].after
            self.deadlines.rings.push(RingDue(due, rec.id, rec.ring + 1))

    def push(self, rec: LiveDialog, seq: int, since: datetime) -> None:
        """Put the dialog in its queue (or pool) at place ``seq`` and schedule its SLA deadlines."""
        channel = self._topology.channels[rec.dialog.channel]
        key = self.queue_key(rec)
        queue = self.queues.get(key)
        if queue is None:
            queue = self.queues[key] = ChannelPriorityQueue(aging=self._topology.config.aging)
        queue.push(
            rec.id,
            channel_priority=channel.priority,
            priority=rec.dialog.priority,
            seq=seq,
            since=since,
            sla=channel.sla,
        )
        rec.queue_key = queue.key(rec.id)
        self.schedule_sla(rec, channel, seq, since)

    def schedule_sla(self, rec: LiveDialog, channel: Channel, seq: int, since: datetime) -> None:
        """Schedule the next SLA threshold the waiting dialog has not reached (one at a time)."""
        if rec.sla_notified is SlaLevel.OK:
            self.deadlines.sla.push(
                SlaDue(since + channel.sla.warn, seq, 1, rec.id, rec.epoch, SlaLevel.WARN)
            )
        elif rec.sla_notified is SlaLevel.WARN:
            due = since + channel.sla.critical
            self.deadlines.sla.push(SlaDue(due, seq, 2, rec.id, rec.epoch, SlaLevel.CRITICAL))

    def note_sla(self, rec: LiveDialog, level: SlaLevel, seq: int) -> None:
        """The waiting dialog (at place ``seq``) reached an SLA level; the next threshold is scheduled."""
        rec.sla_notified = level
        assert rec.waiting_since is not None
        self.schedule_sla(rec, self._topology.channels[rec.dialog.channel], seq, rec.waiting_since)

    def dequeue(self, rec: LiveDialog) -> None:
        """Take the dialog out of its queue (or pool); a wait for its favourite operator ends.

        The target it would have gone to after that wait stays as its fallback
        (``preferred_then``): handed to the favourite, it is placed there again if it comes
        back from them; placed anywhere else, the fallback is dropped.
        """
        key = self.queue_key(rec)
        queue = self.queues[key]
        queue.remove(rec.id)
        if not queue:
            del self.queues[key]
        rec.queue_key = None
        extra = rec.extra
        if extra is not None:
            if extra.resume_to is not None:
                extra.preferred_then = extra.resume_to
            extra.resume_to = extra.preferred_until = None

    @staticmethod
    def drop_fallback(rec: LiveDialog) -> None:
        """The dialog goes elsewhere than to its favourite: it has no fallback any more."""
        if rec.extra is not None:
            rec.extra.preferred_then = None

    def wait_for_preferred(self, rec: LiveDialog, until: datetime, then: Target) -> None:
        """The queued dialog waits for its preferred operator until ``until``, then goes to ``then``."""
        extra = rec.need_extra()
        extra.preferred_until, extra.preferred_then = until, then
        self.deadlines.preferred.push(PreferredWaitEnds(until, rec.id, rec.epoch))
