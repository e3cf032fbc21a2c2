"""Hold a public reply for a lead's approval when the engagement policy asks for it.

The policy: a reply needs approval when it is public and either its author
is marked as needing approval (the ``needs_approval`` flag in the agent's
``AgentProfile.skills``, so no change to the people tables) and answers an
author with at least ``LARA_APPROVAL_FOLLOWERS`` followers, or it contains one
of ``LARA_BLOCKED_WORDS``. Private replies (direct messages, e-mail) never
wait: the risk the policy guards against is a public post.

A held reply is an outbox row with status ``awaiting_approval`` and no send
job; approving it queues the job exactly as an ordinary reply, rejecting it
keeps the row with the lead's reason so the author sees why.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lara.core.models import AgentProfile
from lara.core.selectors import user_sees_all_teams
from lara.core.services import notification_create
from lara.mentions.models import Message

from .models import Case, EventKind, Reply, ReplyStatus

#: The skill flag that marks an agent whose high-reach public replies a lead approves.
NEEDS_APPROVAL = "needs_approval"


class ApprovalError(ValueError):
    """The approval step was asked for something it cannot do (wrong state, wrong person)."""


def blocked_words_in(text: str) -> list[str]:
    """The configured blocked words the text contains as whole words, case-insensitively."""
    found = []
    for word in settings.LARA_BLOCKED_WORDS:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE):
            found.append(word)
    return found


def author_needs_approval(user: Any) -> bool:
    profile = AgentProfile.objects.filter(user=user).first()
    return profile is not None and NEEDS_APPROVAL in (profile.skills or [])


def approval_reasons(*, author: Any, text: str, parent: Message | None) -> list[str]:
    """Why this reply must wait for a lead (empty = it may go out now)."""
    if parent is None or not parent.public:
        return []
    reasons = []
    followers = parent.author_followers or 0
    threshold = settings.LARA_APPROVAL_FOLLOWERS
    if followers >= threshold and author_needs_approval(author):
        reasons.append(f"public reply to an author with {followers:,} followers (≥ {threshold:,})")
    words = blocked_words_in(text)
    if words:
        reasons.append("contains blocked words: " + ", ".join(words))
    return reasons


def approvers_for(case: Case) -> list[Any]:
    """Who is told that a reply waits: the case team's leads, else every lead and admin."""
    from .escalation import team_leads  # escalation imports services, which imports this module

    return team_leads(case)


def may_approve(*, user: Any, reply: Reply) -> bool:
    """Leads and admins approve, never their own reply."""
    return user_sees_all_teams(user) and reply.author_id != user.pk


def _check_reviewer(*, reply: Reply, actor: Any) -> None:
    if reply.status != ReplyStatus.AWAITING_APPROVAL:
        raise ApprovalError("this reply is not waiting for approval")
    if not may_approve(user=actor, reply=reply):
        raise ApprovalError("only a team lead or an admin other than its author may review this reply")


def reply_approve(*, reply: Reply, actor: Any) -> Reply:
    """Queue a held reply for sending through the outbox, as if it had never waited."""
    from .services import case_event_add, reply_queue

    _check_reviewer(reply=reply, actor=actor)
    with transaction.atomic():
        claimed = Reply.objects.filter(pk=reply.pk, status=ReplyStatus.AWAITING_APPROVAL).update(
            status=ReplyStatus.QUEUED, reviewed_by=actor, reviewed_at=timezone.now()
        )
        if not claimed:
            raise ApprovalError("this reply is not waiting for approval")
        reply.refresh_from_db()
        case_event_add(case=reply.case, kind=EventKind.REPLY_APPROVED, actor=actor, data={"reply": reply.pk})
        reply_queue(reply=reply)
        if reply.author is not None:
            notification_create(
                user=reply.author,
                text=f"{reply.case.reference}: your reply was approved by {actor.get_username()} and queued",
                url=f"/cases/{reply.case.reference}/",
            )
    return reply


def reply_reject(*, reply: Reply, actor: Any, reason: str) -> Reply:
    """Keep the reply unsent with the lead's reason, and tell its author."""
    from .services import case_event_add

    reason = reason.strip()
    if not reason:
        raise ApprovalError("say why the reply is rejected, so its author can fix it")
    _check_reviewer(reply=reply, actor=actor)
    with transaction.atomic():
        claimed = Reply.objects.filter(pk=reply.pk, status=ReplyStatus.AWAITING_APPROVAL).update(
            status=ReplyStatus.REJECTED,
            reviewed_by=actor,
            reviewed_at=timezone.now(),
            review_reason=reason[:500],
        )
        if not claimed:
            raise ApprovalError("this reply is not waiting for approval")
        reply.refresh_from_db()
        case_event_add(
            case=reply.case,
            kind=EventKind.REPLY_REJECTED,
            actor=actor,
            reason=reason,
            data={"reply": reply.pk},
        )
        if reply.author is not None:
            notification_create(
                user=reply.author,
                text=f"{reply.case.reference}: your reply was rejected — {reason}"[:500],
                url=f"/cases/{reply.case.reference}/",
            )
    return reply
