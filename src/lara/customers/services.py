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

from .attributes import AttributeValueError, attribute_definitions, attribute_value_clean, attributes_clean
from .contacts import contact_owner, contact_points_deferred
from .merging import active_customer
from .models import AttributeDefinition, ContactKind, ContactPoint, Customer, CustomerStatus, SocialProfile
from .suggestions import match_keys_refresh, suggestions_enqueue, suggestions_enqueue_many

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
        created = profile is None
        if profile is None:
            customer = customer_find_deterministic(email=email, phone=phone)
            if customer is None:
                customer = Customer(
                    name=author.name or author.handle,
                    emails=[email] if email else [],
                    phones=[phone] if phone else [],
                    last_contact_at=seen_at,
                )
                customer.contact_source = f"network:{author.network}"
                customer.save()
                customer_event_emit(event="customer.created", customer=customer)
            profile = SocialProfile(network=author.network, external_id=author.external_id, customer=customer)
        known = (profile.handle, profile.display_name, profile.email)
        profile.handle = author.handle or profile.handle
        profile.display_name = author.name or profile.display_name
        if author.followers is not None:
            profile.followers = author.followers
        profile.verified = author.verified or profile.verified
        profile.email = email or profile.email
        profile.phone = phone or profile.phone
        profile.save(force_insert=created)
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
        rekey = created or changed or known != (profile.handle, profile.display_name, profile.email)
        if seen_at and (customer.last_contact_at is None or seen_at > customer.last_contact_at):
            customer.last_contact_at = seen_at
            changed = True
        if changed:
            customer.save()
        if rekey:
            # The queued job rewrites the blocking keys before it compares.
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
#: A mapping target ``attributes.<key>`` fills a defined custom attribute.
ATTRIBUTE_PREFIX = "attributes."
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


class _Lookup:
    """Find customers by CRM id and by contact, one query each (the upsert API's path)."""

    def by_crm_id(self, crm_id: str) -> Customer | None:
        by_id = Customer.objects.filter(external_crm_id=crm_id).first()
        return active_customer(by_id) if by_id is not None else None

    def owner(self, kind: str, value: str) -> Customer | None:
        return contact_owner(kind=kind, value=value)

    def remember(self, customer: Customer, crm_id: str) -> None:
        """A row was written: later lookups must see it."""


class _BatchLookup(_Lookup):
    """The same answers for a batch of import rows from two queries, kept exact as rows are written.

    One instance per customer row (``_rows``), so a later line that finds the
    same customer by another key updates what an earlier line wrote, never a
    stale copy.
    """

    def __init__(self) -> None:
        self._rows: dict[int, Customer] = {}
        self._crm: dict[str, int | None] = {}
        self._contacts: dict[tuple[str, str], int | None] = {}

    def _one(self, customer: Customer) -> int:
        return self._rows.setdefault(customer.pk, customer).pk

    def load(self, rows: Iterable[dict[str, str]]) -> None:
        self._rows, self._crm, self._contacts = {}, {}, {}
        crm_ids, contacts = set(), set()
        for row in rows:
            crm_ids.add(row.get("external_id", "").strip())
            if email := email_normalize(row.get("email")):
                contacts.add((ContactKind.EMAIL.value, email))
            if phone := phone_normalize(row.get("phone", "")):
                contacts.add((ContactKind.PHONE.value, phone))
        crm_ids.discard("")
        for customer in Customer.objects.filter(external_crm_id__in=crm_ids):
            active = customer if customer.merged_into_id is None else active_customer(customer)
            self._crm[str(customer.external_crm_id)] = self._one(active)
        points = ContactPoint.objects.filter(
            value__in={value for _kind, value in contacts}, customer__merged_into__isnull=True
        ).select_related("customer")
        for point in points:
            self._contacts[(point.kind, point.value)] = self._one(point.customer)
        self._crm.update({crm_id: None for crm_id in crm_ids - set(self._crm)})
        self._contacts.update({key: None for key in contacts - set(self._contacts)})

    def by_crm_id(self, crm_id: str) -> Customer | None:
        if crm_id not in self._crm:
            return super().by_crm_id(crm_id)
        pk = self._crm[crm_id]
        return None if pk is None else self._rows[pk]

    def owner(self, kind: str, value: str) -> Customer | None:
        if (kind, value) not in self._contacts:
            return super().owner(kind, value)
        pk = self._contacts[(kind, value)]
        return None if pk is None else self._rows[pk]

    def remember(self, customer: Customer, crm_id: str) -> None:
        self._rows[customer.pk] = customer
        self._crm[crm_id] = customer.pk
        for email in customer.emails:
            self._contacts[(ContactKind.EMAIL.value, email)] = customer.pk
        for phone in customer.phones:
            self._contacts[(ContactKind.PHONE.value, phone)] = customer.pk


def _crm_target(
    *, crm_id: str, emails: list[str], phones: list[str], lookup: _Lookup | None = None
) -> Customer | None:
    """Return the customer this CRM record is about, or None for a new one.

    Raise ``CustomerConflict`` when an e-mail or phone belongs to a different
    customer than the CRM id does (or to one holding another CRM id).
    """
    lookup = lookup or _Lookup()
    target = lookup.by_crm_id(crm_id)
    holders: dict[int, tuple[Customer, str]] = {}
    for email in emails:
        if (owner := lookup.owner(ContactKind.EMAIL, email)) is not None:
            holders.setdefault(owner.pk, (owner, f"e-mail {email}"))
    for phone in phones:
        if (owner := lookup.owner(ContactKind.PHONE, phone)) is not None:
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
    definitions: dict[str, AttributeDefinition] | None = None,
    rekey: bool = True,
) -> tuple[Customer, bool]:
    """Write the CRM data onto the customer (new when None); emit the event; return (row, created).

    Raise ``AttributeValueError`` when an attribute does not fit its definition
    or a required one is missing from a new customer (call inside a transaction).
    """
    created = customer is None
    current = {} if customer is None else customer.attributes
    clean_attributes = attributes_clean(
        attributes or {}, current=current, creating=created, definitions=definitions
    )
    if customer is None:
        customer = Customer(external_crm_id=crm_id)
    elif customer.external_crm_id is None:
        customer.external_crm_id = crm_id
    # A merged record keeps its CRM id and the active one keeps its own: never overwrite it.
    for key, value in fields.items():
        setattr(customer, key, value)
    customer.emails = [*customer.emails, *(e for e in emails if e not in customer.emails)]
    customer.phones = [*customer.phones, *(p for p in phones if p not in customer.phones)]
    customer.attributes = clean_attributes
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
    definitions = attribute_definitions()
    targets = {*CRM_COLUMNS, *(f"{ATTRIBUTE_PREFIX}{key}" for key in definitions)}
    unknown = sorted({v for v in mapping.values() if v not in targets})
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
        elif name in targets and name not in mapped:
            columns[name] = name
        elif name in definitions and f"{ATTRIBUTE_PREFIX}{name}" not in mapped:
            columns[name] = f"{ATTRIBUTE_PREFIX}{name}"  # a column named like the attribute's key
    if "external_id" not in columns.values():
        report.add(ImportRow(1, "", ROW_REJECTED, reason="missing columns: external_id"))
        return report
    column_of = {lara: column for column, lara in columns.items()}
    claimed: dict[str, int] = {}
    lookup = _BatchLookup()
    with transaction.atomic() if dry_run else nullcontext():
        batch: list[tuple[int, dict[str, str]]] = []
        for line_no, raw in enumerate(reader, start=2):
            batch.append((line_no, {lara: (raw.get(column) or "") for column, lara in columns.items()}))
            if len(batch) == IMPORT_BATCH:
                _import_batch(batch, report, claimed, lookup, definitions, column_of, dry_run, progress)
                batch = []
        if batch:
            _import_batch(batch, report, claimed, lookup, definitions, column_of, dry_run, progress)
        if dry_run:
            transaction.set_rollback(True)
    return report


#: Rows read and written together: one transaction, two lookup queries, one rekey and one suggestion job.
IMPORT_BATCH = 500


def _import_batch(
    batch: list[tuple[int, dict[str, str]]],
    report: ImportReport,
    claimed: dict[str, int],
    lookup: _BatchLookup,
    definitions: dict[str, AttributeDefinition],
    column_of: dict[str, str],
    dry_run: bool,
    progress: Callable[[int], None] | None,
) -> None:
    """Import a batch of rows in one transaction (each row in a savepoint of its own).

    Committing once per batch instead of once per row, reading who holds the
    batch's CRM ids and contacts in two queries, syncing the contact index
    once (``contact_points_deferred``), and computing blocking keys and
    suggestions per batch is what lets a 100,000-row file finish in
    minutes; the answers are the same as row by row, since ``lookup`` sees
    each row the batch writes. Progress written here is committed with the
    batch, so the progress page sees it as soon as the rows are stored.
    """
    with transaction.atomic(), contact_points_deferred():
        lookup.load(row for _line, row in batch)
        touched: list[int] = []
        for line_no, row in batch:
            result = _import_row(
                line_no=line_no,
                row=row,
                claimed=claimed,
                definitions=definitions,
                column_of=column_of,
                lookup=lookup,
            )
            report.add(result)
            if result.customer is not None:
                touched.append(result.customer)
            if progress is not None:
                progress(len(report.rows))
        if touched and not dry_run:
            ids = sorted(set(touched))
            match_keys_refresh(customer_ids=ids)
            suggestions_enqueue_many(customer_ids=ids)


def _row_attributes(
    row: dict[str, str], definitions: dict[str, AttributeDefinition], column_of: dict[str, str]
) -> dict[str, Any]:
    """The row's typed attributes (blank cells left out: they change nothing); ValueError names the column."""
    values: dict[str, Any] = {}
    for lara, raw in row.items():
        if not lara.startswith(ATTRIBUTE_PREFIX) or not raw.strip():
            continue
        key = lara.removeprefix(ATTRIBUTE_PREFIX)
        try:
            values[key] = attribute_value_clean(definitions[key], raw)
        except AttributeValueError as exc:
            raise ValueError(f"column {column_of[lara]!r}: {exc}") from exc
    return values


def _import_row(
    *,
    line_no: int,
    row: dict[str, str],
    claimed: dict[str, int],
    definitions: dict[str, AttributeDefinition],
    column_of: dict[str, str],
    lookup: _Lookup,
) -> ImportRow:
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
        attributes = _row_attributes(row, definitions, column_of)
    except ValueError as exc:
        return ImportRow(line_no, crm_id, ROW_REJECTED, reason=str(exc))
    try:
        with transaction.atomic():
            try:
                target = _crm_target(crm_id=crm_id, emails=emails, phones=phones, lookup=lookup)
            except CustomerConflict as exc:
                return ImportRow(line_no, crm_id, ROW_CONFLICTING, reason=str(exc))
            customer, created = _crm_apply(
                customer=target,
                crm_id=crm_id,
                fields=fields,
                emails=emails,
                phones=phones,
                attributes=attributes,
                definitions=definitions,
                rekey=False,  # the batch rekeys its customers at once
            )
            lookup.remember(customer, crm_id)
    except AttributeValueError as exc:  # a required attribute missing from a new customer
        return ImportRow(line_no, crm_id, ROW_REJECTED, reason=str(exc))
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
    key (a null value removes one): Lara also learns them from the networks,
    so a CRM push must not wipe them. Defined attributes are checked and
    normalised (``lara.customers.attributes``). Raises ``ValueError`` for
    invalid values and ``CustomerConflict`` when an e-mail or phone belongs
    to another customer.
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
