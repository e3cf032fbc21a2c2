"""Open cases at fixed moments without running the pipeline, for clock and assignment tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from lara.cases.models import Case
from lara.cases.services import case_create
from lara.channels.models import Channel
from lara.core.models import Team
from lara.customers.models import Customer
from lara.mentions.models import Message

_n = itertools.count(1)

BERLIN_HOURS: dict[str, Any] = {
    "time_zone": "Europe/Berlin",
    "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "country": "DE",
    "holidays": ["2026-12-24"],
}
JERUSALEM_HOURS: dict[str, Any] = {
    "time_zone": "Asia/Jerusalem",
    "weekly": {day: [["09:00", "18:00"]] for day in ("sun", "mon", "tue", "wed", "thu")},
    "country": "IL",
    "holidays": [],
}


def open_case(
    channel: Channel,
    *,
    at: datetime,
    priority: str = "P3",
    customer: Customer | None = None,
    team: Team | None = None,
    language: str = "en",
    conversation: str | None = None,
) -> Case:
    """Store an inbound message written at ``at`` and open its case at that moment."""
    n = next(_n)
    message = Message.objects.create(
        channel=channel,
        external_id=f"h-{n}",
        kind="post",
        text="It is broken",
        conversation_key=conversation or f"h-{n}",
        author_external_id=f"author-{n}",
        created_at=at,
    )
    return case_create(
        customer=customer or Customer.objects.create(name=f"Customer {n}"),
        message=message,
        team=team,
        priority=priority,
        language=language,
        tags=[],
        reason="test",
        now=at,
    )
