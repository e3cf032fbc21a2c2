"""Hold customers and their profiles on each network (Relate)."""

from __future__ import annotations

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

    def __str__(self) -> str:
        return self.name or f"customer {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.merged_into_id is None

    @property
    def is_vip(self) -> bool:
        return self.tier.lower() in {"gold", "platinum", "vip"}


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
