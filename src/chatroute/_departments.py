"""Which departments a dialog or a visitor may reach: group filters and GeoIP regions.

These are the Callibri checks, in order: a group must be enabled and open (its
schedule), take the channel, serve the visitor's region, serve the page. Channels that
carry no IP (social networks, messengers) carry no page either, so region and page
filters do not apply to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import attrs

from .decision import Reason
from .errors import InvalidValue
from .geo import GeoLookup, GeoResolver
from .model import Channel, Dialog, Group
from .rules import RuleContext, region_matches, url_matches

__all__ = ["GROUP_FILTERS", "GroupFilter", "group_problem", "locate", "unfiltered"]


class GroupFilter(NamedTuple):
    """One of the checks a department makes on what reaches it.

    Attributes:
        present: whether the group has this filter at all (a group with none of them
            takes every dialog at every time).
        check: why the group refuses the dialog, or None; asked only when ``present``.
        needs_ip: the filter looks at the region or the page, which only channels that
            carry an IP have; other channels pass it.
    """

    present: Callable[[Group], bool]
    check: Callable[[Group, Dialog, RuleContext], tuple[Reason, str] | None]
    needs_ip: bool = False


def _disabled(group: Group, dialog: Dialog, ctx: RuleContext) -> tuple[Reason, str] | None:
    return (Reason.DISABLED, "the group is disabled") if not group.enabled else None


def _closed(group: Group, dialog: Dialog, ctx: RuleContext) -> tuple[Reason, str] | None:
    schedule = group.schedule
    if schedule is not None and not schedule.is_open(ctx.now):
        return Reason.CLOSED, schedule.closed_until(ctx.now)
    return None


def _channel(group: Group, dialog: Dialog, ctx: RuleContext) -> tuple[Reason, str] | None:
    if group.channels is not None and dialog.channel not in group.channels:
        return Reason.CHANNEL_NOT_ALLOWED, f"does not take channel {dialog.channel!r}"
    return None


def _regions_included(group: Group, dialog: Dialog, ctx: RuleContext) -> tuple[Reason, str] | None:
    region = ctx.region or dialog.region
    if not region_matches(region, group.regions_include):
        served = ", ".join(sorted(group.regions_include))
        return Reason.REGION, f"serves only {served} (visitor: {region or 'unknown'})"
    return None


def _regions_excluded(group: Group, dialog: Dialog, ctx: RuleContext) -> tuple[Reason, str] | None:
    region = ctx.region or dialog.region
    if region_matches(region, group.regions_exclude):
        return Reason.REGION, f"does not serve {region}"
    return None


def _pages_included(group: Group, dialog: Dialog, ctx: RuleContext) -> tuple[Reason, str] | None:
    if not url_matches(dialog.page_url, group.pages_include):
        served = ", ".join(group.pages_include)
        return Reason.PAGE, f"serves only pages {served} (page: {dialog.page_url!r})"
    return None


def _pages_excluded(group: Group, dialog: Dialog, ctx: RuleContext) -> tuple[Reason, str] | None:
    if url_matches(dialog.page_url, group.pages_exclude):
        return Reason.PAGE, f"does not serve page {dialog.page_url!r}"
    return None


#: The Callibri checks, in the order they are made; the first that refuses names the reason.
GROUP_FILTERS: tuple[GroupFilter, ...] = (
    GroupFilter(lambda g: not g.enabled, _disabled),
    GroupFilter(lambda g: g.schedule is not None, _closed),
    GroupFilter(lambda g: g.channels is not None, _channel),
    GroupFilter(lambda g: bool(g.regions_include), _regions_included, needs_ip=True),
    GroupFilter(lambda g: bool(g.regions_exclude), _regions_excluded, needs_ip=True),
    GroupFilter(lambda g: bool(g.pages_include), _pages_included, needs_ip=True),
    GroupFilter(lambda g: bool(g.pages_exclude), _pages_excluded, needs_ip=True),
)


def unfiltered(group: Group) -> bool:
    """Whether the group takes every dialog at every time: none of :data:`GROUP_FILTERS` is present."""
    return not any(f.present(group) for f in GROUP_FILTERS)


def group_problem(
    group: Group, dialog: Dialog, channel: Channel, ctx: RuleContext
) -> tuple[Reason, str] | None:
    """Why ``group`` does not take ``dialog`` now, or None when it does.

    Args:
        group: the department.
        dialog: the dialog, with its region already resolved.
        channel: the dialog's channel.
        ctx: the routing time and the dialog's region.

    Returns:
        A reason code and a line for the trace (``"closed until 09:00 Europe/Moscow"``).
    """
    for found in GROUP_FILTERS:
        if found.needs_ip and not channel.carries_ip:
            continue  # messengers carry no IP or page: region and page filters do not apply
        if found.present(group):
            problem = found.check(group, dialog, ctx)
            if problem is not None:
                return problem
    return None


def locate(dialog: Dialog, channel: Channel, geo: GeoResolver | None) -> tuple[Dialog, str | None]:
    """The dialog with its region resolved from its IP, and a line saying how.

    A region the host gave wins; a dialog without IP, a channel that carries none, or a
    router without a resolver leave it unknown. The resolver is asked once per dialog: the
    region it finds is kept on the dialog, so later decisions (transfers, re-queues,
    a restored router) see the same region.

    Args:
        dialog: the dialog as the host gave it.
        channel: its channel.
        geo: the router's resolver, if any.

    Returns:
        The dialog (evolved with ``region`` when one was found) and a note for the trace,
        or None when there is nothing to say (the host gave the region, or no IP).

    Raises:
        InvalidValue: the resolver returned something other than a :class:`GeoLookup`.
    """
    if dialog.region is not None or dialog.ip is None:
        return dialog, None
    if not channel.carries_ip:
        return dialog, f"region unknown: channel {channel.name!r} carries no IP (ignored {dialog.ip!r})"
    if geo is None:
        return dialog, "region unknown: the router has no GeoIP resolver"
    lookup = geo.resolve(dialog.ip)
    if not isinstance(lookup, GeoLookup):
        raise InvalidValue("geo", lookup, f"{type(geo).__name__}.resolve must return a GeoLookup")
    if lookup.region is None:
        return dialog, lookup.describe()
    return attrs.evolve(dialog, region=lookup.region), f"{lookup.describe()} from GeoIP"
