"""Change cases; every change writes its CaseEvent in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lara.analysis.models import Analysis
from lara.channels.base import ChannelError, OutboundReply
from lara.channels.registry import adapter_for
from lara.channels.services import channel_mark_error, channel_mark_success
from lara.core.bell import bell_ring_on_commit
from lara.core.jobs import job_enqueue
from lara.core.models import Team
from lara.core.services import notification_create
from lara.customers.models import Customer
from lara.mentions.models import Direction, Message, Stage

from .models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseMessage,
    CaseStatus,
    EventKind,
    Reply,
    ReplyStatus,
)
from .outgoing import case_created_emit, case_status_changed_emit
from .sla import sla_clocks_start

User = get_user_model()

#: The priority one step more urgent (P1 stays P1).
PRIORITY_UP = {"P4": "P3", "P3": "P2", "P2": "P1", "P1": "P1"}


def case_event_add(
    *,
    case: Case,
    kind: str,
    actor: Any = None,
    message: Message | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case, kind=kind, actor=actor, message=message, data=data or {}, reason=reason[:500]
    )
    bell_ring_on_commit()  # every case change writes an event: the live pages look at once
    return event


def case_open_for_conversation(*, message: Message) -> Case | None:
    """Return the open case this message's conversation already has, if any.

    When a case was split, the original (not linked from another) keeps the
    conversation: the split-out case holds only the messages moved into it.
    """
    return (
        Case.objects.filter(
            channel_id=message.channel_id,
            conversation_key=message.conversation_key,
            status__in=OPEN_STATUSES,
        )
        .order_by(F("linked_from").asc(nulls_first=True), "-pk")
        .first()
    )


def case_attach_message(*, case: Case, message: Message, actor: Any = None) -> None:
    """Put a message into a case; a customer's new message moves a pending case back to open."""
    CaseMessage.objects.get_or_create(message=message, defaults={"case": case})
    inbound = message.direction == Direction.IN
    case_event_add(
        case=case,
        kind=EventKind.MESSAGE_IN if inbound else EventKind.MESSAGE_OUT,
        actor=actor,
        message=message,
    )
    if inbound and case.snoozed_until is not None:
        # A customer's message ends a snooze at once: the waiting was for them.
        case.snoozed_until = None
        case.save(update_fields=["snoozed_until", "updated_at"])
        case_event_add(case=case, kind=EventKind.WOKE, message=message, reason="the customer wrote again")
    fields = ["updated_at"]
    if inbound and (labels := _labels_of(message)) is not None:
        case.sentiment, case.message_type = labels
        fields += ["sentiment", "message_type"]
    if inbound and case.status == CaseStatus.PENDING:
        case.save(update_fields=fields)
        case_set_status(case=case, status=CaseStatus.OPEN, reason="the customer wrote again")
    else:
        case.save(update_fields=fields)


def _labels_of(message: Message) -> tuple[str, str] | None:
    """The message's sentiment and type, which the case shows and the inbox filters by."""
    return Analysis.objects.filter(message=message).values_list("sentiment", "type").first()


def case_create(
    *,
    customer: Customer,
    message: Message,
    team: Team | None,
    priority: str,
    language: str,
    tags: list[str],
    reason: str,
    now: datetime | None = None,
) -> Case:
    """Open a case for the message, with its SLA clocks counted in the channel's hours."""
    now = now or timezone.now()
    case = Case.objects.create(
        customer=customer,
        channel_id=message.channel_id,
        conversation_key=message.conversation_key,
        subject=(message.subject or message.text)[:120],
        priority=priority,
        team=team,
        language=language,
        tags=tags,
        created_at=now,
    )
    case.reference = f"LR-{1000 + case.pk}"
    case.save(update_fields=["reference"])
    sla_clocks_start(case=case, start=now)
    case_event_add(
        case=case,
        kind=EventKind.CREATED,
        reason=reason,
        data={"team": team.name if team else None, "priority": priority},
    )
    case_attach_message(case=case, message=message)
    case_created_emit(case=case)
    return case


def case_assign(*, case: Case, user: Any | None, actor: Any = None, reason: str = "") -> Case:
    case.assignee = user
    case.save(update_fields=["assignee", "updated_at"])
    case_event_add(
        case=case,
        kind=EventKind.ASSIGNED,
        actor=actor,
        reason=reason,
        data={"assignee": user.get_username() if user else None},
    )
    return case


def case_set_priority(*, case: Case, priority: str, actor: Any = None, reason: str = "") -> Case:
    if case.priority == priority:
        return case
    previous = case.priority
    case.priority = priority
    case.save(update_fields=["priority", "updated_at"])
    case_event_add(
        case=case,
        kind=EventKind.PRIORITY,
        actor=actor,
        reason=reason,
        data={"from": previous, "to": priority},
    )
    return case


def case_set_status(*, case: Case, status: str, actor: Any = None, reason: str = "") -> Case:
    if case.status == status:
        return case
    previous = case.status
    case.status = status
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and case.resolved_at is None:
        case.resolved_at = timezone.now()
    case.save(update_fields=["status", "resolved_at", "updated_at"])
    case_event_add(
        case=case, kind=EventKind.STATUS, actor=actor, reason=reason, data={"from": previous, "to": status}
    )
    case_status_changed_emit(case=case, previous=previous, reason=reason)
    return case


def reply_create(*, case: Case, author: Any, text: str, reason: str = "") -> Reply:
    """Queue a reply in the agent's transaction; a worker sends it where the customer spoke.

    ``compose.reply_checks`` refuses it first (empty, over the network's
    limit, a network that takes no replies) or says the engagement policy
    holds it: then it is stored ``awaiting_approval`` and nothing is queued
    until a lead approves (``approval``). ``author`` None is Lara's own
    automatic reply (a routing rule's): it is marked automatic and, like the
    out-of-hours acknowledgement, does not count as the team's first response.
    """
    from .compose import reply_checks, reply_hold

    text = text.strip()
    last_in, reasons = reply_checks(case=case, author=author, text=text)
    automatic = author is None
    with transaction.atomic():
        if reasons:
            return reply_hold(case=case, author=author, text=text, parent=last_in, reasons=reasons)
        reply = Reply.objects.create(
            case=case, in_reply_to=last_in, author=author, text=text, automatic=automatic
        )
        data: dict[str, Any] = {"reply": reply.pk, "automatic": True} if automatic else {"reply": reply.pk}
        case_event_add(case=case, kind=EventKind.REPLY_QUEUED, actor=author, data=data, reason=reason)
        reply_queue(reply=reply)
    return reply


def reply_queue(*, reply: Reply) -> None:
    """Start the send job and count the case as answered (call inside the transaction).

    An automatic reply only starts the job: the customer still waits for a person.
    """
    case = reply.case
    if not reply.automatic:
        if case.first_response_at is None:
            case.first_response_at = timezone.now()
        case.status = CaseStatus.PENDING
        case.save(update_fields=["first_response_at", "status", "updated_at"])
    job_enqueue(task="lara.cases.tasks.send_reply_task", args=[reply.pk])


def _last_inbound_at(case: Case) -> datetime | None:
    """When the customer last wrote in this conversation (networks' 24-hour windows)."""
    return (
        Message.objects.filter(case_link__case=case, direction=Direction.IN)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def reply_send(*, reply_id: int) -> Reply:
    """Send one queued reply through its channel's adapter; record every attempt.

    A permanent refusal (no connector, revoked token) fails the reply at once
    and shows on the case; a transient error is raised so the job retries.
    """
    reply = Reply.objects.select_related("case__channel", "in_reply_to").get(pk=reply_id)
    if reply.status != ReplyStatus.QUEUED:
        return reply
    case, channel, parent = reply.case, reply.case.channel, reply.in_reply_to
    Reply.objects.filter(pk=reply.pk).update(attempts=F("attempts") + 1)
    outbound = OutboundReply(
        channel=channel.slug,
        text=reply.text,
        in_reply_to=parent.external_id if parent else None,
        thread_key=case.conversation_key or None,
        recipient_external_id=parent.author_external_id if parent else None,
        public=parent.public if parent else False,
        reply_id=reply.pk,
        kind=parent.kind if parent else "",
        last_inbound_at=_last_inbound_at(case),
        config=dict(channel.config),
        url=parent.url if parent else "",
        subject=parent.subject if parent else "",
    )
    try:
        try:
            credentials = channel.credentials
        except ValueError as exc:  # the encryption key changed: retrying cannot help
            raise ChannelError(str(exc), permanent=True) from exc
        result = adapter_for(channel.network).send(outbound, credentials)
    except ChannelError as exc:
        channel_mark_error(channel_id=channel.pk, error=str(exc), auth=exc.auth)
        Reply.objects.filter(pk=reply.pk).update(last_error=str(exc))
        if not exc.permanent:
            raise
        with transaction.atomic():
            Reply.objects.filter(pk=reply.pk).update(status=ReplyStatus.FAILED)
            case_event_add(case=case, kind=EventKind.REPLY_FAILED, reason=str(exc), data={"reply": reply.pk})
            _tell_the_author(reply=reply, case=case, reason=str(exc))
        reply.refresh_from_db()
        return reply
    channel_mark_success(channel_id=channel.pk)
    with transaction.atomic():
        sent = Message.objects.create(
            channel=channel,
            external_id=result.external_id,
            kind=parent.kind if parent else "reply",
            direction=Direction.OUT,
            public=outbound.public,
            text=reply.text,
            url=result.url,
            in_reply_to=outbound.in_reply_to or "",
            conversation_key=case.conversation_key,
            author_external_id=channel.account_name or channel.slug,
            author_name=reply.author.get_full_name() if reply.author else "",
            created_at=timezone.now(),
            stage=Stage.ROUTED,
        )
        Reply.objects.filter(pk=reply.pk).update(
            status=ReplyStatus.SENT,
            external_id=result.external_id,
            sent_at=timezone.now(),
            sent_message=sent,
            last_error="",
        )
        case_attach_message(case=case, message=sent, actor=reply.author)
    reply.refresh_from_db()
    return reply


def reply_delivery_status(channel_id: int, external_id: str, status: str, detail: str) -> None:
    """Record a network's delivery receipt on the reply it concerns; a failure shows on the case."""
    reply = (
        Reply.objects.filter(case__channel_id=channel_id, external_id=external_id)
        .select_related("case")
        .first()
    )
    if reply is None:
        return
    Reply.objects.filter(pk=reply.pk).update(delivery_status=status[:20], delivery_detail=detail)
    if status == "failed" and reply.delivery_status != "failed":
        reason = f"the network reported the reply undelivered: {detail}"
        case_event_add(case=reply.case, kind=EventKind.REPLY_FAILED, reason=reason, data={"reply": reply.pk})
        _tell_the_author(reply=reply, case=reply.case, reason=reason)


def _tell_the_author(*, reply: Reply, case: Case, reason: str) -> None:
    """A reply that will never arrive must not look sent: tell the agent who wrote it, in the app."""
    if reply.author_id is None:
        return
    notification_create(
        user=reply.author,
        text=f"Your reply on {case.reference} was not delivered: {reason}"[:500],
        url=f"/cases/{case.reference}/",
    )
