"""Decide what a customer's message does to a conversation whose case is closed.

Either it reopens the closed case (``reopen``, the default) or it opens a
new case linked to it (``new_linked``): a channel's ``config["after_close"]``
wins over the global ``LARA_AFTER_CLOSE``. After a window (a channel's
``config["after_close_window_days"]``, else ``LARA_AFTER_CLOSE_WINDOW_DAYS``,
7 by default) counted from the close, it is always a new linked case: a
customer back after a month has a new matter, and reopening would bury it
under an old SLA. A case merged into another hands its conversation on:
the message joins the case it was merged into while that one is open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings

from lara.channels.models import Channel
from lara.mentions.models import Message

from .models import Case, CaseStatus, EventKind
from .services import case_event_add, case_set_status

log = logging.getLogger(__name__)

MODES = ("reopen", "new_linked")
CLOSED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
#: How many "merged into" hops are followed (guards a cycle made by hand in the admin).
MAX_HOPS = 10


@dataclass(frozen=True)
class AfterClose:
    """What to do: ``join`` an open case, ``reopen`` a closed one, or ``link`` a new case to it."""

    action: str
    case: Case


def after_close_mode(channel: Channel) -> str:
    mode = (channel.config or {}).get("after_close") or settings.LARA_AFTER_CLOSE
    if mode not in MODES:
        log.warning("channel %s: after_close %r is not one of %s; reopening", channel.slug, mode, MODES)
        return "reopen"
    return str(mode)


def after_close_window(channel: Channel) -> timedelta:
    days: Any = (channel.config or {}).get("after_close_window_days", settings.LARA_AFTER_CLOSE_WINDOW_DAYS)
    try:
        return timedelta(days=float(days))
    except (TypeError, ValueError):
        return timedelta(days=float(settings.LARA_AFTER_CLOSE_WINDOW_DAYS))


def case_after_close(*, message: Message) -> AfterClose | None:
    """For a message whose conversation has no open case: the closed case it concerns, and what to do."""
    previous = (
        Case.objects.filter(channel_id=message.channel_id, conversation_key=message.conversation_key)
        .select_related("channel")
        .order_by("-pk")
        .first()
    )
    if previous is None or not message.conversation_key:
        return None
    for _hop in range(MAX_HOPS):
        if previous.merged_into_id is None:
            break
        previous = Case.objects.select_related("channel").get(pk=previous.merged_into_id)
    if previous.is_open:
        return AfterClose("join", previous)
    if previous.status not in CLOSED:
        return None
    closed_at = previous.resolved_at or previous.updated_at
    within = message.created_at - closed_at <= after_close_window(message.channel)
    if after_close_mode(message.channel) == "reopen" and within:
        return AfterClose("reopen", previous)
    return AfterClose("link", previous)


def case_reopen(*, case: Case, message: Message) -> Case:
    """Open a closed case again because the customer wrote; the resolution is no longer met."""
    case_event_add(
        case=case, kind=EventKind.REOPENED, message=message, reason="the customer wrote after it was closed"
    )
    case.resolved_at = None
    case.save(update_fields=["resolved_at", "updated_at"])
    return case_set_status(case=case, status=CaseStatus.OPEN, reason="reopened: the customer wrote again")


def case_link(*, case: Case, previous: Case, reason: str, actor: Any = None) -> Case:
    """Record that ``case`` follows ``previous`` (a new matter, or a split), on both paper trails."""
    case.linked_from = previous
    case.save(update_fields=["linked_from", "updated_at"])
    case_event_add(
        case=case,
        kind=EventKind.LINKED,
        actor=actor,
        reason=f"linked from {previous.reference}: {reason}",
        data={"from": previous.reference},
    )
    case_event_add(
        case=previous,
        kind=EventKind.LINKED,
        actor=actor,
        reason=f"{case.reference} linked to this case: {reason}",
        data={"to": case.reference},
    )
    return case
