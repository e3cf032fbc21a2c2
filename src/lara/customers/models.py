"""Hold customers and their profiles on each network (Relate)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class CustomerStatus(models.TextChoices):
    LEAD = "lead", "Lead"
    ACTIVE = "active", "Active"
    CHURNED = "churned", "Churned"
    UNKNOWN = "unknown", "Unknown"


class Customer(models.Model):
    """One person, whatever networks they write from, with the company's CRM data."""

    name = models.CharField(max_length=300, blank=True)
    emails = models.JSONField(default=list, blank=True)
    phones = models.JSONField(default=list, blank=True)
    external_crm_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.UNKNOWN)
    tier = models.CharField(max_length=30, blank=True)
    lifetime_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    company = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=120, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        help_text="set when this record was merged into another; it is then inactive",
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_contact_at", "-pk"]

    #: Where new e-mails and phones came from, for their ``ContactPoint`` rows ("crm",
    #: "network:twitter"…); set by the service that changes them, before ``save()``.
    contact_source = ""

    def __str__(self) -> str:
        return self.name or f"customer {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, then bring the contact-point index in step when the e-mails or phones changed.

        The index lives here rather than in each service because every path
        that rewrites ``emails``/``phones`` (import, upsert, merge, unmerge,
        erasure, the demo) must keep it exact, and the lookups trust it.
        """
        state = self._contacts_state()
        update_fields = kwargs.get("update_fields")
        touched = update_fields is None or bool({"emails", "phones", "merged_into"} & set(update_fields))
        if self._state.adding:
            changed = bool(self.emails or self.phones)
        else:
            changed = touched and (state is None or state != getattr(self, "_saved_contacts", None))
        super().save(*args, **kwargs)
        if changed:
            from .contacts import contact_points_changed

            contact_points_changed(customer_id=self.pk, source=self.contact_source)
        self._saved_contacts = self._contacts_state()

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> Customer:
        instance = super().from_db(*args, **kwargs)
        instance._saved_contacts = instance._contacts_state()
        return instance

    def _contacts_state(self) -> tuple[Any, ...] | None:
        deferred = self.get_deferred_fields()
        if {"emails", "phones", "merged_into_id"} & deferred:
            return None
        return (tuple(self.emails), tuple(self.phones), self.merged_into_id)

    @property
    def is_active(self) -> bool:
        return self.merged_into_id is None

    @property
    def is_vip(self) -> bool:
        return self.tier.lower() in {"gold", "platinum", "vip"}

    @property
    def attribute_rows(self) -> list[Any]:
        """The custom attributes with their labels, in definition order (for the templates)."""
        from .attributes import customer_attribute_rows

        return customer_attribute_rows(self)


class SocialProfile(models.Model):
    """A customer's identity on one network, as the network describes it."""

    network = models.CharField(max_length=20)
    external_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True)
    display_name = models.CharField(max_length=300, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="profiles")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "external_id"], name="profile_unique_network_id")
        ]

    def __str__(self) -> str:
        return f"{self.handle or self.display_name} on {self.network}"


class CustomerMerge(models.Model):
    """One merge of ``merged`` into ``target``, with all it takes to undo it exactly.

    ``snapshot`` holds both records' fields as they were before; ``result``
    the target's fields right after, so an unmerge can tell whether anyone
    changed them since; ``moved`` the exact ids of the rows that changed hands
    (``profiles``, ``cases``, ``tasks``).
    """

    target = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_in")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_out")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    choices = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undo_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"merge {self.pk}: {self.merged_id} into {self.target_id}"


class AuditAction(models.TextChoices):
    MERGE = "merge"
    UNMERGE = "unmerge"
    SUGGESTION_ACCEPTED = "suggestion_accepted"
    SUGGESTION_REJECTED = "suggestion_rejected"
    EXPORT = "export"
    ERASE = "erase"
    CONSENT_LINK = "consent_link"


class CustomerAuditEvent(models.Model):
    """One line of the customers' audit trail: who did what to whom, when and why.

    ``customer_ref`` keeps the id even if the row is ever deleted, so the
    trail outlives what it describes.
    """

    action = models.CharField(max_length=24, choices=AuditAction.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    customer_ref = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} customer {self.customer_ref}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class LinkSuggestion(models.Model):
    """A pair of customers who may be one person, with the score and the reasons.

    The pair is stored once, lower id first; a rejected pair stays as a row so
    it is never suggested again.
    """

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    merge = models.ForeignKey(
        CustomerMerge, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["customer_a", "customer_b"], name="suggestion_unique_pair"),
            models.CheckConstraint(
                condition=models.Q(customer_a__lt=models.F("customer_b")), name="suggestion_ordered_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_a_id} ~ {self.customer_b_id} ({self.score:.2f}, {self.status})"


class CustomerMatchKey(models.Model):
    """A blocking key of an active customer: only customers sharing one are ever compared."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=120, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "key"], name="matchkey_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.key}"


class ContactKind(models.TextChoices):
    EMAIL = "email"
    PHONE = "phone"


class ContactPoint(models.Model):
    """An e-mail address or phone number of a customer, normalised and indexed.

    ``Customer.emails`` / ``phones`` stay the record's own lists (what the
    CRM and the exports show); this table is their index, one row per value,
    so finding "who owns +972541234567" is one indexed lookup instead of a
    scan of JSON text. The customer services keep it in step.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(max_length=5, choices=ContactKind.choices)
    value = models.CharField(max_length=254, help_text="lower-case e-mail or E.164 phone")
    verified = models.BooleanField(default=False, help_text="the customer proved they own it")
    source = models.CharField(max_length=40, blank=True, help_text='e.g. "crm", "network:twitter", "consent"')
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="contactpoint_unique_kind_value")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.value} of {self.customer_id}"


class ConsentLink(models.Model):
    """A one-time "connect your accounts" link an agent sent to a customer from a case.

    The token in the URL is signed (``django.core.signing``) and names this
    row; the row makes it one-time (``used_at``) and holds the short code the
    customer sends from their other account. ``case_ref`` is a plain id
    because cases live in a higher layer than customers.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_links")
    case_ref = models.PositiveIntegerField(null=True, blank=True)
    code = models.CharField(max_length=16, db_index=True)
    language = models.CharField(max_length=8, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=254, blank=True, help_text="where a confirmation link was sent")
    used_at = models.DateTimeField(null=True, blank=True)
    used_via = models.CharField(max_length=8, blank=True, help_text='"code" or "email"')
    linked_customer_ref = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"consent link {self.pk} for customer {self.customer_id}"


class Segment(models.Model):
    """A named group of customers defined by data (tier, recency, complaints, sentiment…).

    ``definition`` is JSON turned into one queryset by
    ``lara.customers.segments.segment_queryset``; ``customer_count`` is
    refreshed by a periodic job so lists show counts without counting.
    """

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    definition = models.JSONField(default=dict)
    customer_count = models.PositiveIntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CustomerImport(models.Model):
    """A CSV import run as a durable job, with its progress and, when finished, its report."""

    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    text = models.TextField(blank=True, help_text="the file; blanked when the import finishes")
    mapping = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status}, {self.done}/{self.total})"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class AttributeType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"


class AttributeDefinition(models.Model):
    """A custom attribute the company keeps on customers (``Customer.attributes[key]``), typed.

    Every write path (CSV import, CRM upsert, merge) checks values against
    these and stores them normalised: numbers as JSON numbers, dates as ISO
    ``YYYY-MM-DD`` text, choices as one of ``choices``. ``position`` is the
    order the customer page shows them in.
    """

    key = models.SlugField(max_length=60, unique=True, help_text="the key in Customer.attributes")
    label = models.CharField(max_length=120)
    type = models.CharField(max_length=6, choices=AttributeType.choices, default=AttributeType.TEXT)
    choices = models.JSONField(default=list, blank=True, help_text="the allowed values of a choice")
    required = models.BooleanField(default=False, help_text="a new customer must have a value")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.key}, {self.type})"
