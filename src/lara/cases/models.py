"""Hold cases, their paper trail, tasks, the outbox and the routing rules (Act)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lara.channels.models import Channel
from lara.core.crypto import decrypt_json, encrypt_json
from lara.core.models import Team
from lara.customers.models import Customer
from lara.mentions.models import Message


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING)


class Priority(models.TextChoices):
    P1 = "P1", "P1 urgent"
    P2 = "P2", "P2 high"
    P3 = "P3", "P3 normal"
    P4 = "P4", "P4 low"


class Case(models.Model):
    """A conversation that someone owns until it is resolved."""

    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="cases")
    conversation_key = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.NEW)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    language = models.CharField(max_length=8, blank=True)
    # The latest inbound message's analysis, kept on the case so the inbox can
    # filter 100,000 cases by sentiment and type on an index, without a join.
    sentiment = models.CharField(max_length=10, blank=True)
    message_type = models.CharField(max_length=12, blank=True)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Act: a snoozed case is pending until this moment (the SLA clocks keep running);
    # a case opened after another was closed, or split out of one, links back to it;
    # a case merged into another is closed and points at the one that took its messages.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    linked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="linked_cases"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_cases"
    )

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="case_status_updated"),
            models.Index(fields=["team", "status"], name="case_team_status"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["channel", "conversation_key"], name="case_conversation"),
            # The inbox's order: walking this index finds the first page of a
            # filtered list without sorting every matching case.
            models.Index(fields=["-updated_at", "-id"], name="case_updated_desc"),
            models.Index(fields=["sentiment", "status"], name="case_sentiment_status"),
            models.Index(fields=["message_type", "status"], name="case_type_status"),
        ]

    def __str__(self) -> str:
        return self.reference or f"case {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseMessage(models.Model):
    """Say which case a message belongs to (at most one)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_messages")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="case_link")


class EventKind(models.TextChoices):
    CREATED = "created"
    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    ROUTED = "routed"
    ASSIGNED = "assigned"
    STATUS = "status"
    PRIORITY = "priority"
    NOTE = "note"
    REPLY_QUEUED = "reply_queued"
    REPLY_FAILED = "reply_failed"
    UNASSIGNED = "unassigned"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    TASK_CREATED = "task_created"
    TASK_DONE = "task_done"
    CUSTOMER_MERGED = "customer_merged"
    CUSTOMER_UNMERGED = "customer_unmerged"
    SNOOZED = "snoozed"
    WOKE = "woke"
    REOPENED = "reopened"
    LINKED = "linked"
    CASE_MERGED = "case_merged"
    CASE_SPLIT = "case_split"
    ESCALATED = "escalated"
    APPROVAL_REQUESTED = "approval_requested"
    REPLY_APPROVED = "reply_approved"
    REPLY_REJECTED = "reply_rejected"
    RULE_ACTION = "rule_action"
    TAGGED = "tagged"
    MESSAGE_EDITED = "message_edited"


class CaseEvent(models.Model):
    """One line of the paper trail: what happened, who did it, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.kind}"


class TaskStatus(models.TextChoices):
    OPEN = "open"
    DONE = "done"


class Task(models.Model):
    """Something a person must do for a case or a customer, by a due time."""

    title = models.CharField(max_length=200)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    due_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True, help_text="defaults to the due time")
    status = models.CharField(max_length=5, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    details = models.TextField(blank=True, help_text="e.g. the link to answer on and the drafted text")

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="task_status_due")]

    def __str__(self) -> str:
        return self.title


class ReplyStatus(models.TextChoices):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"


class Reply(models.Model):
    """The outbox: a reply is a row before it is an API call."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="replies")
    in_reply_to = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    automatic = models.BooleanField(default=False, help_text="sent by Lara, e.g. out of hours")
    status = models.CharField(max_length=20, choices=ReplyStatus.choices, default=ReplyStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    sent_message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_reply"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the network later reported about a sent reply (WhatsApp: delivered,
    # read, failed), so "sent" never hides a message that did not arrive.
    delivery_status = models.CharField(max_length=20, blank=True)
    delivery_detail = models.TextField(blank=True)
    # The engagement policy's approval step: why a lead must look, who did, and their reason.
    approval_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"reply {self.pk} on {self.case} ({self.status})"


class CaseNote(models.Model):
    """A private note on a case, for colleagues only; never sent to the customer."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    mentioned = models.JSONField(default=list, blank=True, help_text="usernames notified")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.case}"


class SavedReply(models.Model):
    """A reusable answer with variables, shared with a team (or everyone) or personal to its owner."""

    name = models.CharField(max_length=120)
    language = models.CharField(max_length=8, default="en")
    text = models.TextField()
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_replies",
        help_text="set = personal to this user; empty = shared",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language", "name", "pk"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """An ordered rule: conditions over the analysis → team, priority, tags, case.

    ``conditions`` is a list of ``{"field", "op", "value"}``; ``match`` says
    whether all or any must hold. ``actions`` keys: team (slug), priority,
    tags, skill (required of the assignee), create_case, mark_spam, no_action,
    and the case actions (``lara.cases.rule_actions``): assign (a username),
    auto_reply (a shared saved reply's name or id), task (``{"title",
    "due_hours", "assignee", "only_if_unassigned"}``), notify (usernames and/or
    "team_leads"), escalate (true).
    """

    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=100)
    enabled = models.BooleanField(default=True)
    match = models.CharField(max_length=3, choices=[("all", "all"), ("any", "any")], default="all")
    conditions = models.JSONField(default=list)
    actions = models.JSONField(default=dict)
    stop = models.BooleanField(default=True, help_text="stop at the first match")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class RoutingDecision(models.Model):
    """Record which rules decided a message's fate, so anyone can ask why."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="routing")
    rules = models.JSONField(default=list)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    priority = models.CharField(max_length=2, blank=True)
    created_case = models.BooleanField(default=False)
    # What each case action of the rules did, refusals included:
    # [{"rule", "action", "done", "detail"}], e.g. "assign to bob skipped: not in team Sales".
    actions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class SlaPolicy(models.Model):
    """Say how fast cases of some priorities (on one channel or all) must be answered.

    Targets are minutes of the case channel's business hours (or of calendar
    time when ``business_hours_only`` is off); the policy for a channel wins
    over the one for all channels (``channel`` null), then one for the case's
    team over the one for every team.
    """

    name = models.CharField(max_length=120)
    priorities = models.JSONField(default=list, help_text='e.g. ["P1", "P2"]')
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    warn_before_minutes = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    # False = count calendar time, 24/7 (a PR crisis does not wait for Monday).
    business_hours_only = models.BooleanField(default=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="empty = all"
    )

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class SlaClock(models.Model):
    """One running SLA target of a case: when to warn, when it breaches, what was done.

    A row per (case, target) makes "warn once, escalate once" a conditional
    update on ``warned_at`` / ``breached_at`` rather than a search of events.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_clocks")
    target = models.CharField(max_length=20, choices=SlaTarget.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "target"], name="slaclock_unique_case_target")]
        indexes = [
            models.Index(fields=["breached_at", "due_at"], name="slaclock_breach"),
            models.Index(fields=["warned_at", "warn_at"], name="slaclock_warn"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.target} due {self.due_at:%Y-%m-%d %H:%M}"


class WebhookEvent(models.TextChoices):
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_MERGED = "customer.merged"
    CASE_CREATED = "case.created"
    CASE_STATUS_CHANGED = "case.status_changed"


class WebhookEndpoint(models.Model):
    """A URL of another system (an existing CRM) that hears about customer and case events.

    The signing secret is stored encrypted, like channel credentials.
    """

    url = models.URLField(max_length=500)
    secret_encrypted = models.TextField(blank=True, editable=False)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return str(decrypt_json(self.secret_encrypted).get("secret", ""))

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt_json({"secret": value}) if value else ""


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint: a row before it is a request, with every attempt recorded.

    ``uuid`` is the idempotency id the receiver sees on every attempt.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    uuid = models.UUIDField(unique=True, editable=False)
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    attempt_log = models.JSONField(default=list, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_created")]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"
