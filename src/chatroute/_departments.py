"""Which departments a dialog or a visitor may reach: group filters and GeoIP regions.

These are the Callibri checks, in order: a group must be enabled and open (its
schedule), take the channel, serve the visitor's region, serve the page. Channels that
carry no IP (social networks, messengers) carry no page either, so region and page
filters do not apply to them.
"""

from __future__ import annotations

import attrs

from .decision import Reason
from .errors import InvalidValue
from .geo import GeoLookup, GeoResolver
from .model import Channel, Dialog, Group
from .rules import RuleContext, region_matches, url_matches

__all__ = ["group_problem", "locate"]


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
    if not group.enabled:
        return Reason.DISABLED, "the group is disabled"
    if group.schedule is not None and not group.schedule.is_open(ctx.now):
        return Reason.CLOSED, group.schedule.closed_until(ctx.now)
    if group.channels is not None and dialog.channel not in group.channels:
        return Reason.CHANNEL_NOT_ALLOWED, f"does not take channel {dialog.channel!r}"
    if not channel.carries_ip:
        return None  # messengers carry no IP or page: region and page filters do not apply
    region = ctx.region or dialog.region
    if group.regions_include and not region_matches(region, group.regions_include):
        served = ", ".join(sorted(group.regions_include))
        return Reason.REGION, f"serves only {served} (visitor: {region or 'unknown'})"
    if group.regions_exclude and region_matches(region, group.regions_exclude):
        return Reason.REGION, f"does not serve {region}"
    if group.pages_include and not url_matches(dialog.page_url, group.pages_include):
        served = ", ".join(group.pages_include)
        return Reason.PAGE, f"serves only pages {served} (page: {dialog.page_url!r})"
    if group.pages_exclude and url_matches(dialog.page_url, group.pages_exclude):
        return Reason.PAGE, f"does not serve page {dialog.page_url!r}"
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
