"""Make an offer to a segment's customers and record what each one answered.

Sending asks the segments module for the segment's members *now* (one
query) and adds a row for each member who has none yet, so sending again
after the segment grew reaches only the newcomers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from lara.customers.merging import active_customer
from lara.customers.models import Customer, Segment
from lara.customers.segments import segment_member_ids

from .models import Offer, OfferSent, OfferStatus
from .trail import engage_event_record, engage_events_record_many


class OfferError(ValueError):
    """An offer, a sending or a response that cannot be done; the message says why."""


def offer_create(
    *,
    name: str,
    description: str = "",
    segment: Segment | None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    actor: Any,
) -> Offer:
    name = name.strip()
    if not name:
        raise OfferError("an offer needs a name")
    valid_from = valid_from or timezone.now()
    if valid_until is not None and valid_until <= valid_from:
        raise OfferError("an offer must end after it starts")
    return Offer.objects.create(
        name=name[:120],
        description=description.strip(),
        segment=segment,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def offer_send(*, offer: Offer, actor: Any, now: datetime | None = None) -> list[int]:
    """Record the offer as sent to every current member of its segment who has not had it.

    Returns the ids of the customers reached this time (empty when all had it).
    """
    now = now or timezone.now()
    if offer.segment is None:
        raise OfferError(f"offer {offer.pk} has no segment to send it to")
    if offer.valid_until is not None and offer.valid_until <= now:
        raise OfferError(f"offer {offer.pk} ended on {offer.valid_until:%Y-%m-%d %H:%M}")
    members = segment_member_ids(offer.segment, now=now)
    with transaction.atomic():
        had = set(OfferSent.objects.filter(offer=offer).values_list("customer_id", flat=True))
        new = sorted(members - had)
        # ignore_conflicts: a sending racing this one has already reached them; the row is the same.
        OfferSent.objects.bulk_create(
            [OfferSent(offer=offer, customer_id=pk, sent_at=now) for pk in new],
            batch_size=500,
            ignore_conflicts=True,
        )
        engage_events_record_many(
            action="offer_sent", customer_ids=new, actor=actor, data={"offer": offer.pk}
        )
    return new


def offer_respond(*, offer: Offer, customer: Customer, status: str, actor: Any) -> OfferSent:
    """Record the customer's answer (accepted or declined) to an offer they were sent."""
    if status not in (OfferStatus.ACCEPTED, OfferStatus.DECLINED):
        raise OfferError('a response is "accepted" or "declined"')
    customer = active_customer(customer)
    with transaction.atomic():
        sent = OfferSent.objects.select_for_update().filter(offer=offer, customer=customer).first()
        if sent is None:
            raise OfferError(f"offer {offer.pk} was not sent to customer {customer.pk}")
        before = sent.status
        sent.status = status
        sent.responded_at = timezone.now()
        sent.save(update_fields=["status", "responded_at"])
        engage_event_record(
            action="offer_response",
            customer=customer,
            actor=actor,
            data={"offer": offer.pk, "status": status, "before": before},
        )
    return sent
