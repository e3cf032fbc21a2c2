"""Merge two customer records and undo it exactly: the customers' half (fields, profiles, audit).

Cases and tasks belong to the Act layer, which this app must not import, so
``lara.cases.merge`` runs a whole merge: it calls these functions and moves
the cases and tasks itself, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .attributes import attributes_merge
from .models import AuditAction, ContactPoint, Customer, CustomerAuditEvent, CustomerMerge, SocialProfile

# The CRM fields a merge asks about; each is kept from the target or taken from the other.
MERGE_FIELDS = ("name", "status", "tier", "lifetime_value", "owner", "company", "city", "external_crm_id")
CHOICES = ("keep", "take")
# "attributes" may also be chosen: "take" lets the other record's values win on shared keys
# (a value that does not fit its attribute's type never wins over one that does).
CHOICE_KEYS = (*MERGE_FIELDS, "attributes")


class MergeError(ValueError):
    """A merge or unmerge that cannot be done; the message says why, for a person."""


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """Return every field a merge may change, as JSON."""
    return {
        "name": customer.name,
        "status": customer.status,
        "tier": customer.tier,
        "lifetime_value": str(customer.lifetime_value),
        "owner": customer.owner_id,
        "company": customer.company,
        "city": customer.city,
        "external_crm_id": customer.external_crm_id,
        "emails": list(customer.emails),
        "phones": list(customer.phones),
        "attributes": dict(customer.attributes),
        "last_contact_at": customer.last_contact_at.isoformat() if customer.last_contact_at else None,
        "merged_into": customer.merged_into_id,
        "merged_at": customer.merged_at.isoformat() if customer.merged_at else None,
    }


def customer_restore(customer: Customer, snapshot: dict[str, Any]) -> None:
    """Set the fields back from a snapshot (the caller saves)."""
    for name in ("name", "status", "tier", "company", "city", "external_crm_id"):
        setattr(customer, name, snapshot[name])
    customer.lifetime_value = Decimal(snapshot["lifetime_value"])
    customer.owner_id = snapshot["owner"]
    customer.emails = list(snapshot["emails"])
    customer.phones = list(snapshot["phones"])
    customer.attributes = dict(snapshot["attributes"])
    customer.last_contact_at = _parse(snapshot["last_contact_at"])
    customer.merged_into_id = snapshot["merged_into"]
    customer.merged_at = _parse(snapshot["merged_at"])


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def merge_choices_clean(choices: dict[str, str] | None) -> dict[str, str]:
    """Return a choice for every field ("keep" unless told); refuse unknown fields or values."""
    choices = dict(choices or {})
    unknown = sorted(set(choices) - set(CHOICE_KEYS))
    if unknown:
        raise MergeError(f"unknown field(s) {', '.join(unknown)}; choose among {', '.join(CHOICE_KEYS)}")
    bad = sorted(k for k, v in choices.items() if v not in CHOICES)
    if bad:
        raise MergeError(f'choice for {", ".join(bad)} must be "keep" or "take"')
    return {key: choices.get(key, "keep") for key in CHOICE_KEYS}


def active_customer(customer: Customer) -> Customer:
    """Follow "merged into" links to the record that is active now."""
    seen = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def customers_merge_records(
    *, target: Customer, other: Customer, choices: dict[str, str], actor: Any, reason: str
) -> CustomerMerge:
    """Merge ``other`` into ``target``: fields by choice, profiles moved, ``other`` left inactive.

    Call inside a transaction with both rows locked. Returns the saved
    ``CustomerMerge`` row with the moved profiles; the caller adds the cases
    and tasks it moves to ``moved`` and saves again.
    """
    if target.pk == other.pk:
        raise MergeError("a customer cannot be merged into itself")
    for customer in (target, other):
        if customer.merged_into_id is not None:
            raise MergeError(
                f"customer {customer.pk} was already merged into customer {customer.merged_into_id}"
            )
    choices = merge_choices_clean(choices)
    snapshot = {"target": customer_snapshot(target), "other": customer_snapshot(other)}
    now = timezone.now()

    taken_crm_id = choices["external_crm_id"] == "take" and other.external_crm_id != target.external_crm_id
    for name in MERGE_FIELDS:
        if choices[name] == "take":
            setattr(
                target,
                f"{name}_id" if name == "owner" else name,
                getattr(other, f"{name}_id" if name == "owner" else name),
            )
    target.emails = [*target.emails, *(e for e in other.emails if e not in target.emails)]
    target.phones = [*target.phones, *(p for p in other.phones if p not in target.phones)]
    target.attributes = attributes_merge(
        target=target.attributes, other=other.attributes, take=choices["attributes"] == "take"
    )
    if other.last_contact_at and (
        target.last_contact_at is None or other.last_contact_at > target.last_contact_at
    ):
        target.last_contact_at = other.last_contact_at

    # The other record stays as an inactive "merged into" row; what it held is in the snapshot.
    other.merged_into = target
    other.merged_at = now
    other.emails, other.phones, other.attributes = [], [], {}
    if taken_crm_id:
        other.external_crm_id = None
    # The contact points change hands whole, keeping where each came from and whether it is verified.
    ContactPoint.objects.filter(customer=other).update(customer=target)
    other.save()  # first: it may free the CRM id the target takes
    target.save()

    profile_ids = list(
        SocialProfile.objects.filter(customer=other).order_by("pk").values_list("pk", flat=True)
    )
    SocialProfile.objects.filter(pk__in=profile_ids).update(customer=target)
    merge = CustomerMerge.objects.create(
        target=target,
        merged=other,
        actor=actor,
        reason=reason,
        choices=choices,
        snapshot=snapshot,
        result=customer_snapshot(target),
        moved={"profiles": profile_ids, "cases": [], "tasks": []},
        created_at=now,
    )
    return merge


# The fields whose change since a merge makes an exact unmerge impossible.
_EXACT_FIELDS = (*MERGE_FIELDS, "attributes")


def unmerge_blockers(merge: CustomerMerge) -> list[str]:
    """Say, in words, what stops an exact unmerge of the customers' half (empty = none)."""
    if merge.undone_at is not None:
        return [f"merge {merge.pk} was already undone on {merge.undone_at:%Y-%m-%d %H:%M}"]
    target, other = merge.target, merge.merged
    problems = []
    if target.merged_into_id is not None:
        problems.append(
            f"customer {target.pk} was itself merged into customer {target.merged_into_id} later; "
            "undo that merge first"
        )
    later = (
        CustomerMerge.objects.filter(target=target, undone_at__isnull=True, pk__gt=merge.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if later is not None:
        problems.append(f"a later merge ({later}) into customer {target.pk} must be undone first")
    if other.merged_into_id != target.pk:
        problems.append(f"customer {other.pk} is no longer marked as merged into customer {target.pk}")
    now = customer_snapshot(target)
    changed = [name for name in _EXACT_FIELDS if now[name] != merge.result[name]]
    if changed:
        problems.append(
            f"customer {target.pk} changed since the merge ({', '.join(changed)}); "
            "set them back or edit the records by hand"
        )
    profile_ids = merge.moved.get("profiles", [])
    present = set(
        SocialProfile.objects.filter(pk__in=profile_ids, customer=target).values_list("pk", flat=True)
    )
    missing = [pk for pk in profile_ids if pk not in present]
    if missing:
        problems.append(f"profile(s) {', '.join(map(str, missing))} no longer belong to customer {target.pk}")
    return problems


def customers_unmerge_records(*, merge: CustomerMerge, actor: Any, reason: str) -> None:
    """Give both records back their fields and ``other`` its profiles (after the checks pass).

    E-mails and phones the target gained after the merge stay with it: they
    came from contacts after the merge, not from the other record.
    """
    target, other = merge.target, merge.merged
    before, after = merge.snapshot["target"], merge.result
    current = customer_snapshot(target)
    gained_emails = [e for e in current["emails"] if e not in after["emails"]]
    gained_phones = [p for p in current["phones"] if p not in after["phones"]]
    contact_after = current["last_contact_at"] != after["last_contact_at"]

    # Free the CRM id first: it is unique and may have to change hands.
    if merge.snapshot["other"]["external_crm_id"] != other.external_crm_id:
        Customer.objects.filter(pk=target.pk).update(external_crm_id=None)
    customer_restore(other, merge.snapshot["other"])
    customer_restore(target, before)
    given_back = [*other.emails, *other.phones]
    ContactPoint.objects.filter(customer=target, value__in=given_back).update(customer=other)
    target.emails = [*target.emails, *(e for e in gained_emails if e not in target.emails)]
    target.phones = [*target.phones, *(p for p in gained_phones if p not in target.phones)]
    if contact_after:
        target.last_contact_at = _parse(current["last_contact_at"])
    target.save()
    other.save()
    SocialProfile.objects.filter(pk__in=merge.moved.get("profiles", [])).update(customer=other)
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.undo_reason = reason
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])


def audit_record(
    *,
    action: str,
    customer: Customer | None,
    actor: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> CustomerAuditEvent:
    """Write one line of the customers' audit trail."""
    return CustomerAuditEvent.objects.create(
        action=AuditAction(action),
        customer=customer,
        customer_ref=customer.pk if customer else None,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        data=data or {},
    )
