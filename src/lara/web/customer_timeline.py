"""The customer page's timeline: the same keyset pages as the timeline API, with its filters.

A customer with 10,000 interactions must page as fast at the end as at the
start, so the page never counts or offsets: "older" carries the cursor of
the last entry shown, and "newest" starts again. Kind and channel filters
are the API's.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from lara.cases.timeline import KINDS, Cursor, Entry, customer_timeline_page
from lara.channels.models import Channel
from lara.customers.models import Customer

PAGE_SIZE = 30


def customer_timeline_context(*, user: Any, customer: Customer, params: QueryDict) -> dict[str, Any]:
    """Template context for one timeline page: entries with their channels, filters, the next cursor.

    A malformed cursor or an unknown kind shows the first page of everything
    rather than an error: they come from an edited URL, not from the page.
    """
    kind = str(params.get("kind", ""))
    kinds = (kind,) if kind in KINDS else KINDS
    channel = str(params.get("channel", "")) or None
    cursor = str(params.get("before", ""))
    try:
        before = Cursor.decode(cursor) if cursor else None
    except ValueError:
        before = None
    entries, following = customer_timeline_page(
        user=user, customer=customer, before=before, limit=PAGE_SIZE, channel=channel, kinds=kinds
    )
    channels = {c.slug: c for c in Channel.objects.filter(slug__in={e.channel for e in entries if e.channel})}
    return {
        "timeline": [(entry, channels.get(entry.channel or "")) for entry in entries],
        "timeline_next": following.encode() if following else None,
        "timeline_deeper": before is not None,
        "timeline_kind": kind if kind in KINDS else "",
        "timeline_kinds": KINDS,
        "timeline_channel": channel or "",
        "timeline_channels": Channel.objects.order_by("name").values_list("slug", "name"),
    }


__all__ = ["Entry", "customer_timeline_context"]
