"""Write users' access and what they are told: API tokens, in-app notifications."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import ApiToken, Notification


def api_token_create(*, user: Any, name: str = "cli") -> str:
    """Create a token and return it in clear text: the only time it is visible."""
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name=name, prefix=raw[:12], digest=ApiToken.hash(raw))
    return raw


def api_token_authenticate(*, raw: str) -> Any | None:
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(raw), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def notification_create(*, user: Any, text: str, url: str = "") -> Notification:
    """Put a line in the person's in-app notifications."""
    return Notification.objects.create(user=user, text=text[:500], url=url[:300])


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
