"""Read the mentions stream."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Message


def message_list(
    *,
    channel: str | None = None,
    language: str | None = None,
    direction: str | None = None,
    needs_action: bool | None = None,
    q: str | None = None,
) -> QuerySet[Message]:
    qs = Message.objects.select_related("channel", "analysis")
    if channel:
        qs = qs.filter(channel__slug=channel)
    if language:
        qs = qs.filter(language=language)
    if direction:
        qs = qs.filter(direction=direction)
    if needs_action is not None:
        qs = qs.filter(needs_action=needs_action)
    if q:
        qs = qs.filter(text__icontains=q)
    return qs
