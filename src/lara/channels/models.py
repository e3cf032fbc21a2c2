"""Store the brand's accounts on each network, with health and credentials."""

from __future__ import annotations

from typing import Any

from django.db import models

from lara.core.crypto import decrypt_json, encrypt_json


class Network(models.TextChoices):
    API = "api", "API"
    WEBHOOK = "webhook", "JSON webhook"
    TWITTER = "twitter", "X / Twitter"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    REDDIT = "reddit", "Reddit"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    REVIEWS = "reviews", "Review site"
    RSS = "rss", "Forum / blog feed"
    DISCOURSE = "discourse", "Discourse forum"
    EMAIL = "email", "Email"
    CHAT = "chat", "Web chat"


def default_business_hours() -> dict[str, Any]:
    return {
        "time_zone": "UTC",
        "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [],
    }


class Channel(models.Model):
    """One account of the brand on one network (e.g. the @volta X account)."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    network = models.CharField(max_length=20, choices=Network.choices)
    account_name = models.CharField(max_length=200, blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    business_hours = models.JSONField(default=default_business_hours)
    config = models.JSONField(default=dict, blank=True, help_text="non-secret settings, e.g. feed_url")
    poll_interval_seconds = models.PositiveIntegerField(default=300, help_text="0 = never poll")
    poll_state = models.JSONField(default=dict, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Set when the network said the token expired, was revoked or lost a
    # permission; cleared by the next success. The alert e-mail goes once.
    auth_failed_at = models.DateTimeField(null=True, blank=True)
    auth_alerted_at = models.DateTimeField(null=True, blank=True)
    # The network's rate limit: no poll before this time.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_network_display()})"

    @property
    def credentials(self) -> dict[str, Any]:
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = encrypt_json(value) if value else ""

    @property
    def healthy(self) -> bool:
        if not self.last_error_at:
            return True
        return bool(self.last_success_at and self.last_success_at > self.last_error_at)
