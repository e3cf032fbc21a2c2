"""Keep the contact-point index in step with the customers' e-mails and phones; look owners up.

``Customer.emails`` / ``phones`` are what the record says; ``ContactPoint``
is their index (one row per normalised value, unique per kind), so identity
linking and CRM upserts find an owner with one indexed query.
``Customer.save()`` calls ``contact_points_sync`` whenever the lists change,
so imports, upserts, merges, unmerges and erasure all keep it exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
    missing = {(kind, value[:254]): pk for pk, want in wanted.items() for kind, value in want - existing[pk]}
    if not missing:
        return
    # One read finds the values another record still holds (they move); the rest are created at once.
    held = {
        (kind, value): point_pk
        for point_pk, kind, value in ContactPoint.objects.filter(
            value__in={value for _kind, value in missing}
        ).values_list("pk", "kind", "value")
        if (kind, value) in missing
    }
    for key, point_pk in sorted(held.items()):
        ContactPoint.objects.filter(pk=point_pk).update(customer_id=missing[key])
    ContactPoint.objects.bulk_create(
        ContactPoint(customer_id=pk, kind=kind, value=value, source=source[:40], verified=verified)
        for (kind, value), pk in sorted(missing.items())
        if (kind, value) not in held
    )


#: While set, ``Customer.save()`` notes the customers to sync here (id → source) instead of syncing.
_deferred: ContextVar[dict[int, str] | None] = ContextVar("contact_points_deferred", default=None)


@contextmanager
def contact_points_deferred() -> Iterator[None]:
    """Sync the index once for every customer saved inside, when the block ends without error.

    A CSV import saves hundreds of customers per batch; one sync for all of
    them reads and writes the index in a few queries instead of a few per
    customer. Inside the block the index lags behind the records, so the
    caller must not look contacts up through it (the import keeps its own
    map of what it wrote). Use inside the transaction that saves them.
    """
    pending: dict[int, str] = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    by_source: dict[str, list[int]] = {}
    for pk, source in pending.items():
        by_source.setdefault(source, []).append(pk)
    for source, ids in by_source.items():
        contact_points_sync(customer_ids=ids, source=source)


def contact_points_changed(*, customer_id: int, source: str) -> None:
    """Called by ``Customer.save()``: sync this customer now, or at the end of a deferred block."""
    pending = _deferred.get()
    if pending is None:
        contact_points_sync(customer_ids=[customer_id], source=source)
    else:
        pending[customer_id] = source


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
