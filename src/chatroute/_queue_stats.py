"""A target's live queue statistics: :meth:`Router.queue_stats <chatroute.Router.queue_stats>`.

Read from what the router keeps anyway: the target's queue and pool (a walk bounded by
the dialogs waiting there), its members and its index of available operators, its
capacity and the mean handle time, and the offer log
(:class:`~chatroute._offer_log.OfferLog`). No scan of all dialogs.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from ._eligibility import available
from ._overflow import new_wait
from ._router_state import RouterState
from ._topology import Topology, pool_key
from .errors import InvalidValue
from .model import Target, TargetKind
from .queue import QueueStats, WaitingCount

__all__ = ["queue_stats"]


def queue_stats(
    topology: Topology, state: RouterState, target: Target, now: datetime, since: datetime | None
) -> QueueStats:
    """The target's queue statistics at ``now``; offers counted from ``since``.

    Raises:
        InvalidValue: the target is a preferred-operator target (it has no queue of its own).
        UnknownGroup / UnknownOperator: the target names something the config lacks.
    """
    if not isinstance(target, Target):
        raise InvalidValue("target", target, "must be a Target")
    if target.kind is TargetKind.PREFERRED_OPERATOR:
        raise InvalidValue("target", target, "give a group, an operator or everyone: it has no queue")
    topology.check_target(target, "target")
    key = topology.target_key(target)
    counts: Counter[tuple[str, int]] = Counter()
    oldest: datetime | None = None
    for queue_key in (key, pool_key(key)):
        for dialog_id in state.queues.get(queue_key, ()):
            rec = state.dialogs[dialog_id]
            counts[(rec.dialog.channel, rec.dialog.priority)] += 1
            since_ = rec.waiting_since
            if since_ is not None and (oldest is None or since_ < oldest):
                oldest = since_
    waiting = sum(counts.values())
    members = topology.members[key]
    ops = state.ops
    index = state.available.indexes.get(key)  # who can take a dialog now, when kept
    free = len(index) if index is not None else sum(1 for op_id in members if available(ops[op_id]))
    log = state.offer_log
    return QueueStats(
        target=target,
        at=now,
        since=since,
        waiting=waiting,
        by_channel=tuple(
            WaitingCount(channel=channel, priority=priority, count=n)
            for (channel, priority), n in sorted(counts.items())
        ),
        longest_wait=max(now - oldest, timedelta(0)) if oldest is not None else None,
        estimated_wait=new_wait(state, key, waiting),
        eligible=sum(1 for op_id in members if ops[op_id].routable),
        available=free,
        offers_accepted=log.count(key, "accepted", since),
        offers_declined=log.count(key, "declined", since),
        offers_lapsed=log.count(key, "lapsed", since),
    )
