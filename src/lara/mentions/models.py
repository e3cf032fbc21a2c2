"""Store every message heard or sent, exactly once per channel and external id (Listen)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from lara.channels.models import Channel
from lara.customers.models import SocialProfile


class Direction(models.TextChoices):
    IN = "in", "Inbound"
    OUT = "out", "Outbound"


class Stage(models.TextChoices):
    """How far the pipeline got; the durable job re-runs from here after a crash."""

    RECEIVED = "received"
    ANALYZED = "analyzed"
    RELATED = "related"
    ROUTED = "routed"


class Message(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    external_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=10)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    public = models.BooleanField(default=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    url = models.URLField(max_length=2000, blank=True)
    thread_key = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    conversation_key = models.CharField(max_length=300, blank=True, db_index=True)
    author_external_id = models.CharField(max_length=200)
    author_handle = models.CharField(max_length=200, blank=True)
    author_name = models.CharField(max_length=300, blank=True)
    author_followers = models.PositiveIntegerField(null=True, blank=True)
    author_verified = models.BooleanField(default=False)
    author_email = models.CharField(max_length=254, blank=True)
    author_phone = models.CharField(max_length=40, blank=True)
    author_profile = models.ForeignKey(
        SocialProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    language = models.CharField(max_length=8, blank=True, db_index=True)
    created_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.RECEIVED)
    is_spam = models.BooleanField(default=False)
    needs_action = models.BooleanField(default=False)
    # The author changed or removed it on the network; the earlier versions
    # are MessageRevision rows, and a deleted message keeps its row and analysis.
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    queries: models.ManyToManyField[MonitoringQuery, Any] = models.ManyToManyField(
        "MonitoringQuery", blank=True, related_name="messages"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="message_unique_channel_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["-created_at"], name="message_created_desc"),
            models.Index(fields=["channel", "conversation_key"], name="message_conversation"),
            # A customer's timeline: one profile's messages, newest first, by keyset pages.
            models.Index(fields=["author_profile", "-created_at"], name="message_author_created"),
        ]

    def __str__(self) -> str:
        return f"{self.channel.slug}:{self.external_id}"


class MessageRevision(models.Model):
    """What a message said before the network reported an edit (or its removal), and what it said.

    One row per change applied: ``previous_text`` / ``previous_subject`` are
    the version replaced (for a deletion: the last version, which stays on the
    message), ``happened_at`` is when the network says the change happened,
    ``raw`` is the network's own payload for the change.
    """

    class Event(models.TextChoices):
        EDIT = "edit"
        DELETE = "delete"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    event = models.CharField(max_length=10, choices=Event.choices)
    previous_text = models.TextField(blank=True)
    previous_subject = models.CharField(max_length=500, blank=True)
    happened_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.message} {self.event} {self.happened_at:%Y-%m-%d %H:%M}"


class MonitoringQuery(models.Model):
    """A listening query: what to search for on the networks that can search.

    Search-capable pollers (X recent search, Reddit, Mastodon hashtags,
    Bluesky) run it on the channels listed; every stored message, pushed or
    polled, is also matched against it, so the mentions stream can be
    filtered by query whichever way the message arrived. The language is
    ``lara.channels.query_syntax`` (AND, OR, NOT, parentheses, "phrases",
    NEAR/n, #hashtag, @handle; see docs/monitoring-queries.md). ``languages``
    and ``channels`` are filters: a query with channels matches only messages
    from them (and runs its search there); one with languages is matched
    after analysis, once the message's language is known. ``kind`` says what
    the query watches, for reports and the chips in the mentions stream.
    """

    class Kind(models.TextChoices):
        BRAND = "brand", "Brand"
        COMPETITOR = "competitor", "Competitor"
        TOPIC = "topic", "Topic"

    name = models.CharField(max_length=120, unique=True)
    query = models.CharField(max_length=500)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BRAND)
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639-1 codes; empty = any")
    channels = models.ManyToManyField(Channel, blank=True, related_name="monitoring_queries")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "monitoring queries"

    def __str__(self) -> str:
        return self.name


class Attachment(models.Model):
    """A file that came with a message, kept with it (capped by LARA_ATTACHMENT_MAX_BYTES)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename


class DeadLetter(models.Model):
    """A delivery or polled item that could not be parsed, kept with the error for ``lara replay``.

    ``source`` is ``webhook`` (the whole request: headers and body, replayed
    through the adapter's ``receive``, so signatures are checked again and
    items already stored are duplicates) or ``poll`` (one raw item, replayed
    through the adapter's ``parse_item``).
    """

    class Source(models.TextChoices):
        WEBHOOK = "webhook"
        POLL = "poll"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="dead_letters")
    source = models.CharField(max_length=10, choices=Source.choices)
    payload = models.JSONField()
    error = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.channel.slug} {self.source} {self.created_at:%Y-%m-%d %H:%M}"
