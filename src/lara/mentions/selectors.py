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
    sentiment: str | None = None,
    type: str | None = None,
    query: int | None = None,
    in_case: bool | None = None,
) -> QuerySet[Message]:
    """The mentions stream, newest first, filterable like the inbox.

    ``query`` is a monitoring query id; ``in_case`` keeps only messages that
    are (True) or are not (False) part of a case.
    """
    qs = Message.objects.select_related("channel", "analysis", "case_link__case")
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
    if sentiment:
        qs = qs.filter(analysis__sentiment=sentiment)
    if type:
        qs = qs.filter(analysis__type=type)
    if query is not None:
        qs = qs.filter(queries=query)
    if in_case is not None:
        qs = qs.filter(case_link__isnull=not in_case)
    return qs
