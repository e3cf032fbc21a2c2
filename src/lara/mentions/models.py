"""Store every message heard or sent, exactly once per channel and external id (Listen)."""

from __future__ import annotations

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
        ]

    def __str__(self) -> str:
        return f"{self.channel.slug}:{self.external_id}"
