"""Serve a customer's whole history, newest first, one keyset page at a time (see ``cases.timeline``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from lara.cases.selectors import case_visible_to
from lara.cases.timeline import KINDS, MAX_LIMIT, Cursor, customer_timeline_page
from lara.core.selectors import user_sees_all_teams
from lara.customers.models import Customer

router = Router(tags=["customers"])


class TimelineFilters(Schema):
    before: str | None = None
    limit: int = 50
    channel: str | None = None
    kind: str | None = None


class TimelineItemOut(Schema):
    kind: str
    id: int
    at: datetime
    channel: str | None
    data: dict[str, Any]


class TimelineOut(Schema):
    items: list[TimelineItemOut]
    next: str | None


@router.get("/customers/{customer_id}/timeline", response=TimelineOut)
def customers_timeline(request: HttpRequest, customer_id: int, filters: Query[TimelineFilters]) -> Any:
    """The customer's messages, cases, tasks, notes, survey answers, idea votes and offers, newest first.

    Keyset pages: ``before`` is the ``next`` cursor of the previous page;
    ``kind`` takes one or more of message, case, task, note, survey, idea,
    offer (comma-separated); ``channel`` a channel slug. An agent sees what
    the case pages would show them.
    """
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise HttpError(404, "no such customer")
    user = request.user
    if not user_sees_all_teams(user) and not case_visible_to(user).filter(customer=customer).exists():
        raise HttpError(404, "no such customer in your teams")
    kinds = tuple(k.strip() for k in (filters.kind or ",".join(KINDS)).split(",") if k.strip())
    if unknown := sorted(set(kinds) - set(KINDS)):
        raise HttpError(422, f"unknown kind(s) {', '.join(unknown)}; choose among {', '.join(KINDS)}")
    try:
        cursor = Cursor.decode(filters.before) if filters.before else None
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    limit = max(1, min(filters.limit, MAX_LIMIT))
    entries, following = customer_timeline_page(
        user=user, customer=customer, before=cursor, limit=limit, channel=filters.channel, kinds=kinds
    )
    return {
        "items": [
            {"kind": e.kind, "id": e.id, "at": e.at, "channel": e.channel, "data": e.data} for e in entries
        ],
        "next": following.encode() if following else None,
    }
