"""Read customers."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Customer


def customer_list(*, q: str | None = None, tier: str | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.filter(merged_into__isnull=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(emails__icontains=q) | Q(external_crm_id=q))
    if tier:
        qs = qs.filter(tier=tier)
    return qs.prefetch_related("profiles")
