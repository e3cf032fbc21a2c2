"""Record channel health so a failing connector can never fail silently."""

from __future__ import annotations

from django.utils import timezone

from .models import Channel


def channel_mark_success(*, channel_id: int) -> None:
    Channel.objects.filter(pk=channel_id).update(last_success_at=timezone.now())


def channel_mark_error(*, channel_id: int, error: str) -> None:
    Channel.objects.filter(pk=channel_id).update(last_error=error[:2000], last_error_at=timezone.now())
