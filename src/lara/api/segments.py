"""REST endpoints for customer segments: list, create, and the customers in one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from lara.core.models import Role
from lara.core.selectors import user_role
from lara.customers.models import Segment
from lara.customers.segments import SegmentError, segment_create, segment_queryset

router = Router(tags=["segments"])


class SegmentIn(Schema):
    name: str
    slug: str
    definition: dict[str, Any]


class SegmentOut(Schema):
    name: str
    slug: str
    definition: dict[str, Any]
    customer_count: int | None
    counted_at: datetime | None


class SegmentCustomerOut(Schema):
    id: int
    name: str
    tier: str
    status: str
    last_contact_at: datetime | None


class SegmentCustomersOut(Schema):
    count: int
    items: list[SegmentCustomerOut]


class SegmentPage(Schema):
    limit: int = 50
    offset: int = 0


@router.get("/segments", response=list[SegmentOut])
def segments_list(request: HttpRequest) -> Any:
    """Every segment with its stored count (refreshed by a periodic job)."""
    return list(Segment.objects.all())


@router.post("/segments", response={201: SegmentOut})
def segments_create(request: HttpRequest, body: SegmentIn) -> Any:
    """Define a segment (leads and admins); 422 with the reason for a bad definition or slug."""
    if user_role(request.user) not in (Role.LEAD, Role.ADMIN):
        raise HttpError(403, "only leads and admins may define segments")
    try:
        segment = segment_create(name=body.name, slug=body.slug, definition=body.definition)
    except SegmentError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, segment)


@router.get("/segments/{slug}/customers", response=SegmentCustomersOut)
def segments_customers(request: HttpRequest, slug: str, page: Query[SegmentPage]) -> Any:
    """The customers in the segment now, most recent contact first."""
    segment = Segment.objects.filter(slug=slug).first()
    if segment is None:
        raise HttpError(404, "no such segment")
    qs = segment_queryset(segment.definition).order_by("-last_contact_at", "-pk")
    limit, offset = max(1, min(page.limit, 200)), max(0, page.offset)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}
