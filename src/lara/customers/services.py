"""Link authors to customers and keep the CRM data in step (Relate)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.contrib.auth import get_user_model
from django.db import transaction

from .contacts import contact_owner
from .merging import active_customer
from .models import ContactKind, Customer, CustomerStatus, SocialProfile
from .suggestions import match_keys_refresh, suggestions_enqueue

#: Called as ``hook(event=..., customer=...)`` inside the transaction that changed a
#: customer ("customer.created", "customer.updated"). The Act side plugs its
#: outgoing webhooks in here from its ``ready()``, because this app must not import it.
customer_event_hooks: list[Callable[..., None]] = []


def customer_event_emit(*, event: str, customer: Customer) -> None:
    """Tell whoever listens (outgoing webhooks) that a customer changed; call in the transaction."""
    for hook in customer_event_hooks:
        hook(event=event, customer=customer)


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
    """Find the active customer who owns this exact (normalised) e-mail or phone, by the index."""
    if email and (owner := contact_owner(kind=ContactKind.EMAIL, value=email)) is not None:
        return owner
    if phone and (owner := contact_owner(kind=ContactKind.PHONE, value=phone)) is not None:
        return owner
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
                customer = Customer(
                    name=author.name or author.handle,
                    emails=[email] if email else [],
                    phones=[phone] if phone else [],
                )
                customer.contact_source = f"network:{author.network}"
                customer.save()
                customer_event_emit(event="customer.created", customer=customer)
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
        customer.contact_source = f"network:{author.network}"
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
            suggestions_enqueue(customer_ids=[customer.pk])
    return profile


ROW_NEW, ROW_UPDATED, ROW_CONFLICTING, ROW_REJECTED = "new", "updated", "conflicting", "rejected"


@dataclass
class ImportRow:
    """What happened (or, in a dry run, would happen) to one line of the file."""

    line: int
    external_id: str
    outcome: str
    customer: int | None = None
    reason: str = ""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    dry_run: bool = False

    def add(self, row: ImportRow) -> None:
        self.rows.append(row)
        if row.outcome == ROW_NEW:
            self.created += 1
        elif row.outcome == ROW_UPDATED:
            self.updated += 1
        elif row.outcome == ROW_CONFLICTING:
            self.conflicts.append((row.line, row.reason))
        else:
            self.rejected.append((row.line, row.reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "new": self.created,
            "updated": self.updated,
            "conflicting": len(self.conflicts),
            "rejected": len(self.rejected),
            "rows": [asdict(row) for row in self.rows],
        }


#: Lara's CRM columns, which a file's columns map onto; only ``external_id`` is required.
CRM_COLUMNS = (
    "external_id",
    "name",
    "email",
    "phone",
    "status",
    "tier",
    "lifetime_value",
    "company",
    "owner",
    "city",
)
_FIELD_COLUMNS = ("name", "status", "tier", "lifetime_value", "company", "owner", "city")


class CustomerConflict(ValueError):
    """The data names two different customers (by CRM id and by e-mail or phone)."""


def _crm_fields(row: dict[str, str], *, strict_owner: bool = False) -> dict[str, Any]:
    """Turn the CRM columns present in ``row`` into model fields; absent columns stay untouched.

    An unknown owner is an error only when ``strict_owner`` (the API); a CSV
    from another system often names people who have no login here.
    """
    fields: dict[str, Any] = {}
    if "status" in row:
        status = (row["status"] or "unknown").strip().lower()
        if status not in CustomerStatus.values:
            raise ValueError(f"unknown status {status!r}; one of {', '.join(CustomerStatus.values)}")
        fields["status"] = status
    if "lifetime_value" in row:
        try:
            value = Decimal((row["lifetime_value"] or "0").strip() or "0")
        except InvalidOperation as exc:
            raise ValueError(f"lifetime_value is not a number: {row['lifetime_value']!r}") from exc
        if not value.is_finite() or abs(value) >= Decimal("1e10"):
            raise ValueError(f"lifetime_value is out of range: {row['lifetime_value']!r}")
        fields["lifetime_value"] = value.quantize(Decimal("0.01"))
    if "owner" in row:
        owner = None
        if username := (row["owner"] or "").strip():
            owner = get_user_model().objects.filter(username=username).first()
            if owner is None and strict_owner:
                raise ValueError(f"no user named {username!r}")
        fields["owner"] = owner
    for name in ("name", "company", "city"):
        if name in row:
            fields[name] = (row[name] or "").strip()
    if "tier" in row:
        fields["tier"] = (row["tier"] or "").strip().lower()
    return fields


def _contacts_clean(emails: Iterable[str], phones: Iterable[str]) -> tuple[list[str], list[str]]:
    clean_emails = [e for e in (email_normalize(x) for x in emails) if e]
    for email in clean_emails:
        if "@" not in email or " " in email:
            raise ValueError(f"not an e-mail address: {email!r}")
    clean_phones = []
    for raw in phones:
        if not (raw or "").strip():
            continue
        phone = phone_normalize(raw)
        if not phone:
            raise ValueError(f"not a valid phone number (use +country code): {raw!r}")
        clean_phones.append(phone)
    return clean_emails, clean_phones


def _crm_target(*, crm_id: str, emails: list[str], phones: list[str]) -> Customer | None:
    """Return the customer this CRM record is about, or None for a new one.

    Raise ``CustomerConflict`` when an e-mail or phone belongs to a different
    customer than the CRM id does (or to one holding another CRM id).
    """
    by_id = Customer.objects.filter(external_crm_id=crm_id).first()
    target = active_customer(by_id) if by_id is not None else None
    holders: dict[int, tuple[Customer, str]] = {}
    for email in emails:
        if (owner := customer_find_deterministic(email=email)) is not None:
            holders.setdefault(owner.pk, (owner, f"e-mail {email}"))
    for phone in phones:
        if (owner := customer_find_deterministic(phone=phone)) is not None:
            holders.setdefault(owner.pk, (owner, f"phone {phone}"))
    if target is not None:
        others = [(c, what) for pk, (c, what) in holders.items() if pk != target.pk]
        if others:
            owner, what = others[0]
            raise CustomerConflict(
                f"{what} belongs to customer {owner.pk}, not to customer {target.pk} of CRM id {crm_id}"
            )
        return target
    if len(holders) > 1:
        described = " and ".join(f"{what} to customer {pk}" for pk, (_, what) in holders.items())
        raise CustomerConflict(f"the row names two customers: {described}")
    if holders:
        ((owner, what),) = holders.values()
        if owner.external_crm_id and owner.external_crm_id != crm_id:
            raise CustomerConflict(
                f"{what} belongs to customer {owner.pk}, who has CRM id {owner.external_crm_id}"
            )
        return owner
    return None


def _crm_apply(
    *,
    customer: Customer | None,
    crm_id: str,
    fields: dict[str, Any],
    emails: list[str],
    phones: list[str],
    attributes: dict[str, Any] | None = None,
    rekey: bool = True,
) -> tuple[Customer, bool]:
    """Write the CRM data onto the customer (new when None); emit the event; return (row, created)."""
    created = customer is None
    if customer is None:
        customer = Customer(external_crm_id=crm_id)
    elif customer.external_crm_id is None:
        customer.external_crm_id = crm_id
    # A merged record keeps its CRM id and the active one keeps its own: never overwrite it.
    for key, value in fields.items():
        setattr(customer, key, value)
    customer.emails = [*customer.emails, *(e for e in emails if e not in customer.emails)]
    customer.phones = [*customer.phones, *(p for p in phones if p not in customer.phones)]
    if attributes:
        customer.attributes = {**customer.attributes, **attributes}
    customer.contact_source = "crm"
    customer.save()  # keeps the contact index in step, dry run included: later rows look there
    if rekey:
        match_keys_refresh(customer_ids=[customer.pk])
        suggestions_enqueue(customer_ids=[customer.pk])
    customer_event_emit(event="customer.created" if created else "customer.updated", customer=customer)
    return customer, created


def customers_import_csv(
    *,
    text: str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upsert customers from a CRM export by external id; report every row by line.

    ``mapping`` renames the file's columns to Lara's (``CRM_COLUMNS``);
    columns neither mapped nor named like Lara's are ignored, and absent ones
    leave the customer's value alone. A row is *conflicting* when its e-mail
    or phone belongs to another customer than its CRM id, or when an earlier
    row claimed the same id; conflicting and rejected rows change nothing.
    A dry run does all the same work in a transaction it then rolls back, so
    its report is exact (later rows see earlier ones) and nothing is stored
    or sent.
    """
    report = ImportReport(dry_run=dry_run)
    mapping = dict(mapping or {})
    unknown = sorted({v for v in mapping.values() if v not in CRM_COLUMNS})
    if unknown:
        report.add(
            ImportRow(1, "", ROW_REJECTED, reason=f"mapping to unknown column(s): {', '.join(unknown)}")
        )
        return report
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    mapped = set(mapping.values())
    columns: dict[str, str] = {}  # file column -> Lara column
    for name in header:
        if name in mapping:
            columns[name] = mapping[name]
        elif name in CRM_COLUMNS and name not in mapped:
            columns[name] = name
    if "external_id" not in columns.values():
        report.add(ImportRow(1, "", ROW_REJECTED, reason="missing columns: external_id"))
        return report
    with transaction.atomic() if dry_run else nullcontext():
        claimed: dict[str, int] = {}
        for line_no, raw in enumerate(reader, start=2):
            row = {lara: (raw.get(column) or "") for column, lara in columns.items()}
            report.add(_import_row(line_no=line_no, row=row, claimed=claimed, rekey=not dry_run))
            if progress is not None:
                progress(len(report.rows))
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_row(*, line_no: int, row: dict[str, str], claimed: dict[str, int], rekey: bool) -> ImportRow:
    crm_id = row["external_id"].strip()
    if not crm_id:
        return ImportRow(line_no, crm_id, ROW_REJECTED, reason="external_id is empty")
    if crm_id in claimed:
        return ImportRow(
            line_no, crm_id, ROW_CONFLICTING, reason=f"line {claimed[crm_id]} has the same external_id"
        )
    claimed[crm_id] = line_no
    try:
        fields = _crm_fields({k: v for k, v in row.items() if k in _FIELD_COLUMNS})
        emails, phones = _contacts_clean([row.get("email", "")], [row.get("phone", "")])
    except ValueError as exc:
        return ImportRow(line_no, crm_id, ROW_REJECTED, reason=str(exc))
    with transaction.atomic():
        try:
            target = _crm_target(crm_id=crm_id, emails=emails, phones=phones)
        except CustomerConflict as exc:
            return ImportRow(line_no, crm_id, ROW_CONFLICTING, reason=str(exc))
        customer, created = _crm_apply(
            customer=target, crm_id=crm_id, fields=fields, emails=emails, phones=phones, rekey=rekey
        )
    return ImportRow(line_no, crm_id, ROW_NEW if created else ROW_UPDATED, customer=customer.pk)


def customer_upsert_by_crm_id(
    *,
    external_id: str,
    fields: dict[str, str | None],
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    attributes: dict[str, Any] | None = None,
) -> tuple[Customer, bool]:
    """Create or update the customer with this CRM id; return (customer, created).

    ``fields`` holds only the CRM columns the caller sends (as text); the rest
    stay as they are. E-mails and phones are added, attributes merged key by
    key: Lara also learns them from the networks, so a CRM push must not wipe
    them. Raises ``ValueError`` for invalid values and ``CustomerConflict``
    when an e-mail or phone belongs to another customer.
    """
    crm_id = external_id.strip()
    if not crm_id or len(crm_id) > 100:
        raise ValueError("external_id must be 1 to 100 characters")
    unknown = sorted(set(fields) - set(_FIELD_COLUMNS))
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    clean = _crm_fields({k: v or "" for k, v in fields.items()}, strict_owner=True)
    clean_emails, clean_phones = _contacts_clean(emails, phones)
    with transaction.atomic():
        target = _crm_target(crm_id=crm_id, emails=clean_emails, phones=clean_phones)
        return _crm_apply(
            customer=target,
            crm_id=crm_id,
            fields=clean,
            emails=clean_emails,
            phones=clean_phones,
            attributes=attributes,
        )
