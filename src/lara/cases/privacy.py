"""Answer a data-subject request: export everything about a customer, or anonymise it.

It reads and rewrites messages and cases, so it lives in the Act layer. Erasure
keeps every row (with its counts, dates, channels, analysis and statuses) and
replaces what identifies the person, so aggregate figures stay right.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from lara.analysis.models import Analysis
from lara.customers.merging import audit_record, customer_snapshot
from lara.customers.models import AuditAction, Customer, SocialProfile
from lara.customers.suggestions import match_keys_refresh
from lara.engage.privacy import engage_erase, engage_export
from lara.mentions.models import Message

from .models import Case, Reply, Task

ERASED = "[erased]"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def customer_export(*, customer: Customer, actor: Any, reason: str = "") -> dict[str, Any]:
    """Return the customer's record, profiles, messages, cases, tasks, surveys, votes and offers, as JSON."""
    profiles = list(SocialProfile.objects.filter(customer=customer).order_by("pk"))
    messages = (
        Message.objects.filter(author_profile__in=profiles)
        .select_related("channel")
        .order_by("created_at", "pk")
    )
    cases = (
        Case.objects.filter(customer=customer)
        .select_related("channel")
        .prefetch_related("events")
        .order_by("pk")
    )
    tasks = Task.objects.filter(customer=customer).order_by("pk")
    data: dict[str, Any] = {
        "customer": {
            "id": customer.pk,
            **customer_snapshot(customer),
            "created_at": _iso(customer.created_at),
        },
        "profiles": [
            {
                "network": p.network,
                "external_id": p.external_id,
                "handle": p.handle,
                "display_name": p.display_name,
                "followers": p.followers,
                "verified": p.verified,
                "email": p.email,
                "phone": p.phone,
            }
            for p in profiles
        ],
        "messages": [
            {
                "id": m.pk,
                "channel": m.channel.slug,
                "external_id": m.external_id,
                "kind": m.kind,
                "direction": m.direction,
                "text": m.text,
                "url": m.url,
                "created_at": _iso(m.created_at),
            }
            for m in messages
        ],
        "cases": [
            {
                "reference": c.reference,
                "channel": c.channel.slug,
                "subject": c.subject,
                "status": c.status,
                "priority": c.priority,
                "created_at": _iso(c.created_at),
                "replies": [
                    {"text": r.text, "status": r.status, "created_at": _iso(r.created_at)}
                    for r in Reply.objects.filter(case=c).order_by("pk")
                ],
                "events": [
                    {"kind": e.kind, "reason": e.reason, "data": e.data, "created_at": _iso(e.created_at)}
                    for e in c.events.all()
                ],
            }
            for c in cases
        ],
        "tasks": [
            {"title": t.title, "status": t.status, "due_at": _iso(t.due_at), "created_at": _iso(t.created_at)}
            for t in tasks
        ],
        **engage_export(customer=customer),
    }
    audit_record(action=AuditAction.EXPORT, customer=customer, actor=actor, reason=reason)
    return data


def customer_erase(*, customer: Customer, actor: Any, reason: str = "") -> Customer:
    """Anonymise the customer: name, contacts, handles, message text and survey comments go; rows stay."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        profiles = list(SocialProfile.objects.filter(customer=customer).order_by("pk"))
        theirs = Message.objects.filter(
            Q(author_profile__in=profiles) | Q(case_link__case__customer=customer)
        )
        # Topics and entities are words taken from the text: they go with it.
        Analysis.objects.filter(message__in=theirs).update(topics=[], entities=[])
        counts = {
            "profiles": len(profiles),
            "messages": theirs.update(
                text=ERASED,
                url="",
                author_external_id=ERASED,
                author_handle="",
                author_name="",
                author_email="",
                author_phone="",
                raw={},
            ),
            "cases": Case.objects.filter(customer=customer).update(subject=""),
            "replies": Reply.objects.filter(case__customer=customer).update(text=ERASED),
            **engage_erase(customer=customer),
        }
        for profile in profiles:
            # The network's id identifies the person too; a new message makes a new profile.
            profile.external_id = f"erased-{profile.pk}"
            profile.handle = profile.display_name = profile.email = profile.phone = ""
            profile.save()
        customer.name = f"erased customer {customer.pk}"
        customer.emails, customer.phones, customer.attributes = [], [], {}
        customer.external_crm_id = None
        customer.company = customer.city = ""
        customer.save()
        match_keys_refresh(customer_ids=[customer.pk])
        audit_record(action=AuditAction.ERASE, customer=customer, actor=actor, reason=reason, data=counts)
    return customer
