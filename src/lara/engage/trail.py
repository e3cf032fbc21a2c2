"""Write the engagement trail: one ``EngageEvent`` row per write that matters to a customer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lara.customers.models import Customer

from .models import EngageEvent


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def engage_event_record(
    *, action: str, customer: Customer | None, actor: Any, data: dict[str, Any] | None = None
) -> EngageEvent:
    return EngageEvent.objects.create(
        action=action,
        customer=customer,
        customer_ref=customer.pk if customer else None,
        actor=_actor(actor),
        data=data or {},
    )


def engage_events_record_many(
    *, action: str, customer_ids: Iterable[int], actor: Any, data: dict[str, Any]
) -> None:
    """One row per customer in one insert (an offer sent to a whole segment)."""
    who = _actor(actor)
    EngageEvent.objects.bulk_create(
        [
            EngageEvent(action=action, customer_id=pk, customer_ref=pk, actor=who, data=data)
            for pk in customer_ids
        ],
        batch_size=500,
    )
