"""Acknowledge a customer who writes while the channel is closed, once, honestly.

The acknowledgement says when a person will actually read the message (the
channel's next opening, in its own time zone) in the customer's language.
It is an outbox row like any reply, so it is sent, retried and failed the
same way, but it is marked automatic and does not count as the team's first
response: the SLA clock keeps running until a person answers.

It is opt-in per channel (``business_hours["auto_reply"]["enabled"]``):
telling customers "we open Monday 09:00" is only honest once someone has
set the channel's real hours. Old messages (an import, a backlog after an
outage) are never acknowledged, and a case gets at most one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import dateformat, timezone, translation

from lara.core.jobs import job_enqueue
from lara.mentions.models import Direction, Message

from .business_hours import Calendar
from .models import Case, EventKind, Reply
from .services import case_event_add
from .sla import calendar_for

#: Messages older than this when the pipeline reaches them get no acknowledgement.
MAX_AGE = timedelta(hours=1)

#: Placeholders: {when} (next opening, local), {time_zone}, {reference}.
TEXTS = {
    "en": (
        "Thank you for your message. Our team is away right now and will answer from "
        "{when} ({time_zone}). Your reference is {reference}."
    ),
    "he": (
        "תודה על פנייתך. הצוות שלנו אינו זמין כרגע ויחזור אליך החל מ־{when} ({time_zone}). "
        "מספר הפנייה שלך: {reference}."
    ),
    "ru": (
        "Спасибо за сообщение. Сейчас наша команда не на связи и ответит вам начиная с "
        "{when} ({time_zone}). Номер вашего обращения: {reference}."
    ),
    "uk": (
        "Дякуємо за повідомлення. Зараз наша команда не на зв'язку й відповість вам починаючи з "
        "{when} ({time_zone}). Номер вашого звернення: {reference}."
    ),
}

#: How the opening time reads: weekday, day, month, time (Django's localized names).
WHEN_FORMAT = "l j E, H:i"


class _Keep(dict[str, str]):
    """Leave unknown placeholders in a lead's text as they are instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def auto_reply_settings(business_hours: Mapping[str, Any] | None) -> tuple[bool, dict[str, str]]:
    """Read ``auto_reply`` from a channel's hours: (enabled, texts by language)."""
    config = (business_hours or {}).get("auto_reply") or {}
    texts = {str(k): str(v) for k, v in (config.get("texts") or {}).items() if v}
    return bool(config.get("enabled", False)), texts


def auto_reply_text(
    *,
    calendar: Calendar,
    opens_at: datetime,
    language: str,
    reference: str,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """Word the acknowledgement: the channel's own text first, then ours; English last."""
    overrides = overrides or {}
    lang = language if language in overrides or language in TEXTS else "en"
    template = overrides.get(lang) or TEXTS.get(lang) or overrides.get("en") or TEXTS["en"]
    with translation.override(lang):
        when = dateformat.format(calendar.local(opens_at), WHEN_FORMAT)
    return template.format_map(_Keep(when=when, time_zone=calendar.time_zone, reference=reference))


def case_acknowledge_out_of_hours(
    *, case: Case, message: Message, now: datetime | None = None
) -> Reply | None:
    """Queue the automatic acknowledgement if the channel is closed now; else return None."""
    now = now or timezone.now()
    channel = case.channel
    enabled, overrides = auto_reply_settings(channel.business_hours)
    if not enabled or message.direction != Direction.IN or now - message.created_at > MAX_AGE:
        return None
    calendar = calendar_for(channel)
    if calendar.is_open(now):
        return None
    opens_at = calendar.next_open(now)
    if opens_at is None:  # a channel that never opens has no honest answer to give
        return None
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # one acknowledgement per case
        if Reply.objects.filter(case=case, automatic=True).exists():
            return None
        text = auto_reply_text(
            calendar=calendar,
            opens_at=opens_at,
            language=case.language,
            reference=case.reference or "",
            overrides=overrides,
        )
        reply = Reply.objects.create(case=case, in_reply_to=message, author=None, text=text, automatic=True)
        case_event_add(
            case=case,
            kind=EventKind.REPLY_QUEUED,
            message=message,
            data={"reply": reply.pk, "automatic": True, "opens_at": opens_at.isoformat()},
            reason="out of hours: acknowledged automatically",
        )
        job_enqueue(task="lara.cases.tasks.send_reply_task", args=[reply.pk])
    return reply
