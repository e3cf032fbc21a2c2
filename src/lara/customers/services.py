"""Link authors to customers and keep the CRM data in step (Relate)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.contrib.auth import get_user_model
from django.db import transaction

from .merging import active_customer
from .models import Customer, CustomerStatus, SocialProfile
from .suggestions import match_keys_refresh


def phone_normalize(raw: str, region: str | None = None) -> str:
    """Return E.164 (+972541234567) or "" when the text is not a valid number."""
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_normalize(raw: str | None) -> str:
    return (raw or "").strip().lower()


@dataclass(frozen=True)
class AuthorFacts:
    network: str
    external_id: str
    handle: str = ""
    name: str = ""
    followers: int | None = None
    verified: bool = False
    email: str = ""
    phone: str = ""


def customer_find_deterministic(*, email: str = "", phone: str = "") -> Customer | None:
    """Find the active customer who owns this exact email or phone number, if any."""
    active = Customer.objects.filter(merged_into__isnull=True)
    if email:
        for customer in active.filter(emails__icontains=email):
            if email in customer.emails:
                return customer
    if phone:
        for customer in active.filter(phones__icontains=phone):
            if phone in customer.phones:
                return customer
    return None


def profile_resolve(*, author: AuthorFacts, seen_at: datetime | None = None) -> SocialProfile:
    """Find or create the author's profile and customer; refresh what the network says.

    A new profile joins an existing customer only on deterministic evidence
    (the same email or phone); fuzzier matches are suggestions for an agent.
    """
    email = email_normalize(author.email)
    phone = phone_normalize(author.phone)
    with transaction.atomic():
        profile = (
            SocialProfile.objects.select_for_update()
            .filter(network=author.network, external_id=author.external_id)
            .select_related("customer")
            .first()
        )
        if profile is None:
            customer = customer_find_deterministic(email=email, phone=phone)
            if customer is None:
                customer = Customer.objects.create(
                    name=author.name or author.handle,
                    emails=[email] if email else [],
                    phones=[phone] if phone else [],
                )
            profile = SocialProfile.objects.create(
                network=author.network,
                external_id=author.external_id,
                customer=customer,
            )
        known = (profile.handle, profile.display_name, profile.email)
        profile.handle = author.handle or profile.handle
        profile.display_name = author.name or profile.display_name
        if author.followers is not None:
            profile.followers = author.followers
        profile.verified = author.verified or profile.verified
        profile.email = email or profile.email
        profile.phone = phone or profile.phone
        profile.save()
        customer = profile.customer
        changed = False
        if email and email not in customer.emails:
            customer.emails = [*customer.emails, email]
            changed = True
        if phone and phone not in customer.phones:
            customer.phones = [*customer.phones, phone]
            changed = True
        # Blocking keys follow names, handles and e-mails, not every message.
        rekey = changed or known != (profile.handle, profile.display_name, profile.email)
        if seen_at and (customer.last_contact_at is None or seen_at > customer.last_contact_at):
            customer.last_contact_at = seen_at
            changed = True
        if changed:
            customer.save()
        if rekey:
            match_keys_refresh(customer_ids=[customer.pk])
    return profile


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


CRM_COLUMNS = ("external_id", "name", "email", "phone", "status", "tier", "lifetime_value")


def _crm_fields(row: dict[str, str]) -> dict[str, Any]:
    status = (row.get("status") or "unknown").strip().lower()
    if status not in CustomerStatus.values:
        raise ValueError(f"unknown status {status!r}")
    try:
        value = Decimal((row.get("lifetime_value") or "0").strip() or "0")
    except InvalidOperation as exc:
        raise ValueError(f"lifetime_value is not a number: {row.get('lifetime_value')!r}") from exc
    owner = None
    if username := (row.get("owner") or "").strip():
        owner = get_user_model().objects.filter(username=username).first()
    return {
        "name": (row.get("name") or "").strip(),
        "status": status,
        "tier": (row.get("tier") or "").strip().lower(),
        "lifetime_value": value,
        "company": (row.get("company") or "").strip(),
        "city": (row.get("city") or "").strip(),
        "owner": owner,
    }


def customers_import_csv(*, text: str) -> ImportReport:
    """Upsert customers from a CRM export by external id; report rejected rows by line."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CRM_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.rejected.append((1, f"missing columns: {', '.join(missing)}"))
        return report
    for line_no, row in enumerate(reader, start=2):
        crm_id = (row.get("external_id") or "").strip()
        if not crm_id:
            report.rejected.append((line_no, "external_id is empty"))
            continue
        try:
            fields = _crm_fields(row)
        except ValueError as exc:
            report.rejected.append((line_no, str(exc)))
            continue
        email = email_normalize(row.get("email"))
        phone = phone_normalize(row.get("phone") or "")
        with transaction.atomic():
            customer = Customer.objects.filter(external_crm_id=crm_id).first()
            merged = customer is not None and customer.merged_into_id is not None
            if customer is not None and merged:
                # A merged record keeps its CRM id; its data now lives on the active record.
                customer = active_customer(customer)
            elif customer is None:
                customer = customer_find_deterministic(email=email, phone=phone)
            created = customer is None
            if customer is None:
                customer = Customer(external_crm_id=crm_id)
            if not merged:
                customer.external_crm_id = crm_id
            for key, value in fields.items():
                setattr(customer, key, value)
            if email and email not in customer.emails:
                customer.emails = [*customer.emails, email]
            if phone and phone not in customer.phones:
                customer.phones = [*customer.phones, phone]
            customer.save()
            match_keys_refresh(customer_ids=[customer.pk])
        if created:
            report.created += 1
        else:
            report.updated += 1
    return report
