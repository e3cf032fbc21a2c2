"""Decide what happens to a drafted reply before it becomes an outbox row.

Three refusals and one hold, in this order: an empty text; a network that
takes no replies through its API (forum feeds, Yelp: ``outbound = False`` on
the adapter) — the agent answers on the site, from a task this module
creates with the original's link and the drafted text; a text over the
network's limit (``limits``); and the engagement policy's approval step
(``approval``), which stores the reply without queueing it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from lara.channels.base import ChannelError
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.core.services import notification_create
from lara.mentions.models import Direction, Message

from .approval import approval_reasons, approvers_for
from .limits import reply_check_length
from .models import Case, EventKind, Reply, ReplyStatus, Task
from .reminders import task_create
from .services import case_event_add

#: How long an agent has to answer on the site once the task exists.
ANSWER_TASK_DUE = timedelta(hours=4)


class NoRepliesHere(ValueError):
    """The case's network takes no replies through its API; answer on the site instead."""


def channel_takes_replies(channel: Channel) -> bool:
    """Say whether the channel's adapter can post a reply here.

    ``outbound = False`` says the network never can (feeds); an adapter's
    ``can_reply(config=, credentials=)`` says whether this account can (a
    review site without an API for owner replies, a forum without an API
    key). A network with no adapter installed, or credentials that cannot be
    read, is not refused here: the reply fails visibly on the case, as before.
    """
    try:
        adapter = adapter_for(channel.network)
    except ChannelError:
        return True
    if getattr(adapter, "outbound", True) is False:
        return False
    can_reply = getattr(adapter, "can_reply", None)
    if can_reply is None:
        return True
    try:
        credentials = channel.credentials
    except ValueError:
        return True
    return bool(can_reply(config=dict(channel.config or {}), credentials=credentials))


def case_last_inbound(case: Case) -> Message | None:
    """The customer's latest message in the case: what a reply answers."""
    return (
        Message.objects.filter(case_link__case=case, direction=Direction.IN).order_by("-created_at").first()
    )


def reply_checks(*, case: Case, author: Any, text: str) -> tuple[Message | None, list[str]]:
    """Refuse what cannot be sent; return the message answered and why approval is needed (if it is)."""
    if not text:
        raise ValueError("a reply needs some text")
    network = case.channel.network
    if not channel_takes_replies(case.channel):
        raise NoRepliesHere(
            f"{case.channel.get_network_display()} takes no replies through its API; "
            "create a task to answer on the site instead"
        )
    last_in = case_last_inbound(case)
    reply_check_length(text=text, network=network, kind=last_in.kind if last_in else "")
    return last_in, approval_reasons(author=author, text=text, parent=last_in)


def reply_hold(*, case: Case, author: Any, text: str, parent: Message | None, reasons: list[str]) -> Reply:
    """Store the reply as awaiting approval and tell the leads (inside the caller's transaction)."""
    reason = "; ".join(reasons)
    reply = Reply.objects.create(
        case=case,
        in_reply_to=parent,
        author=author,
        text=text,
        status=ReplyStatus.AWAITING_APPROVAL,
        approval_reason=reason[:500],
        automatic=author is None,
    )
    by = author.get_username() if author is not None else "Lara (automatic)"
    case_event_add(
        case=case, kind=EventKind.APPROVAL_REQUESTED, actor=author, reason=reason, data={"reply": reply.pk}
    )
    for lead in approvers_for(case):
        if author is None or lead.pk != author.pk:
            notification_create(
                user=lead,
                text=f"{case.reference}: a reply by {by} waits for approval ({reason})"[:500],
                url=f"/cases/{case.reference}/",
            )
    return reply


def answer_task_create(*, case: Case, author: Any, text: str, now: datetime | None = None) -> Task:
    """Turn a reply the network cannot take into a task: answer on the site, link and draft inside."""
    text = text.strip()
    if not text:
        raise ValueError("a reply needs some text")
    original = case_last_inbound(case)
    link = original.url if original and original.url else ""
    details = f"Answer on the site: {link or '(the original has no link)'}\n\nDrafted reply:\n{text}"
    with transaction.atomic():
        task = task_create(
            title=f"Answer {case.reference} on {case.channel.get_network_display()}",
            case=case,
            assignee=author,
            due_at=(now or timezone.now()) + ANSWER_TASK_DUE,
            priority=case.priority,
            actor=author,
        )
        task.details = details
        task.save(update_fields=["details"])
    return task
