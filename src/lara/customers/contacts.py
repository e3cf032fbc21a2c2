"""Keep the contact-point index in step with the customers' e-mails and phones; look owners up.

``Customer.emails`` / ``phones`` are what the record says; ``ContactPoint``
is their index (one row per normalised value, unique per kind), so identity
linking and CRM upserts find an owner with one indexed query.
``Customer.save()`` calls ``contact_points_sync`` whenever the lists change,
so imports, upserts, merges, unmerges and erasure all keep it exact.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import ContactKind, ContactPoint, Customer


def _wanted(customer: Customer) -> set[tuple[str, str]]:
    if customer.merged_into_id is not None:
        return set()  # an inactive record's contacts were handed to the active one
    emails = {(ContactKind.EMAIL.value, e.strip().lower()) for e in customer.emails if e and e.strip()}
    phones = {(ContactKind.PHONE.value, p.strip()) for p in customer.phones if p and p.strip()}
    return emails | phones


def contact_points_sync(*, customer_ids: Iterable[int], source: str = "", verified: bool = False) -> None:
    """Make the index say exactly what these customers' records say.

    Two passes, so contacts changing hands between the given customers (a
    merge, an unmerge) never trip the uniqueness: first each customer's
    stale rows go, then missing values are claimed (a row another record
    still holds moves; its ``verified`` flag and ``source`` move with it).
    """
    ids = list(customer_ids)
    customers = list(Customer.objects.filter(pk__in=ids).only("pk", "emails", "phones", "merged_into_id"))
    wanted = {c.pk: _wanted(c) for c in customers}
    existing: dict[int, set[tuple[str, str]]] = {pk: set() for pk in wanted}
    for pk, kind, value in ContactPoint.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "kind", "value"
    ):
        existing[pk].add((kind, value))
    for pk, have in existing.items():
        for kind, value in have - wanted.get(pk, set()):
            ContactPoint.objects.filter(customer_id=pk, kind=kind, value=value).delete()
    for pk, want in wanted.items():
        for kind, value in sorted(want - existing[pk]):
            moved = (
                ContactPoint.objects.filter(kind=kind, value=value)
                .exclude(customer_id=pk)
                .update(customer_id=pk)
            )
            if not moved:
                ContactPoint.objects.create(
                    customer_id=pk, kind=kind, value=value[:254], source=source[:40], verified=verified
                )


def contact_owner(*, kind: str, value: str) -> Customer | None:
    """Return the active customer who holds this normalised e-mail or phone, if any."""
    if not value:
        return None
    point = (
        ContactPoint.objects.filter(kind=kind, value=value, customer__merged_into__isnull=True)
        .select_related("customer")
        .first()
    )
    return point.customer if point is not None else None


def contact_point_verify(*, customer: Customer, kind: str, value: str, source: str) -> ContactPoint:
    """Record that the customer proved they own this value (e.g. clicked a confirmation link)."""
    point, _created = ContactPoint.objects.update_or_create(
        kind=kind, value=value, defaults={"customer": customer, "verified": True, "source": source[:40]}
    )
    return point
