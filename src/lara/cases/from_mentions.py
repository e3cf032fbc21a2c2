"""Turn any heard mention into a case by hand, and keep cases' labels in step with corrections.

Routing opens cases for messages that need action; an agent watching the
mentions stream sometimes knows better (a neutral post that is really a
lead). Creating the case by hand goes through the same ``case_create`` so
the SLA clocks, reference and paper trail are the same as for routed cases.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lara.analysis.models import Analysis
from lara.core.models import Membership, Team
from lara.mentions.models import Direction, Message

from .models import Case, CaseMessage, RoutingDecision
from .services import case_assign, case_create


class CaseFromMentionError(ValueError):
    """The message cannot become a case yet (not analysed or related, or sent by us)."""


def case_create_for_message(*, message_id: int, actor: Any) -> tuple[Case, bool]:
    """Open a case for one message (or return the case it is already in); True when created.

    The team is the one routing chose, else the actor's own team; the case is
    assigned to the actor when they belong to that team.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("author_profile__customer", "channel")
            .get(pk=message_id)
        )
        linked = CaseMessage.objects.filter(message=message).select_related("case").first()
        if linked is not None:
            return linked.case, False
        if message.direction != Direction.IN:
            raise CaseFromMentionError("this is a message we sent; open its case instead")
        analysis = Analysis.objects.filter(message=message).first()
        if analysis is None or message.author_profile is None:
            raise CaseFromMentionError("this message is still being analysed; try again in a moment")
        decision = RoutingDecision.objects.filter(message=message).select_related("team").first()
        team = decision.team if decision and decision.team else _own_team(actor)
        case = case_create(
            customer=message.author_profile.customer,
            message=message,
            team=team,
            priority=(decision.priority if decision and decision.priority else analysis.priority),
            language=analysis.language,
            tags=[],
            reason=f"created from the mentions stream by {actor.get_username()}",
        )
        if team is not None and Membership.objects.filter(user=actor, team=team).exists():
            case_assign(
                case=case, user=actor, actor=actor, reason="created the case from the mentions stream"
            )
        Message.objects.filter(pk=message.pk).update(needs_action=True)
    return case, True


def _own_team(user: Any) -> Team | None:
    membership = Membership.objects.filter(user=user).select_related("team").order_by("pk").first()
    return membership.team if membership else None


def case_labels_refresh(*, message_id: int) -> int:
    """Copy a corrected analysis onto the case whose latest customer message it is; return cases changed."""
    link = CaseMessage.objects.filter(message_id=message_id).select_related("case").first()
    if link is None:
        return 0
    latest = (
        CaseMessage.objects.filter(case=link.case, message__direction=Direction.IN)
        .order_by("-message__created_at", "-message_id")
        .values_list("message_id", flat=True)
        .first()
    )
    if latest != message_id:
        return 0
    labels = Analysis.objects.filter(message_id=message_id).values_list("sentiment", "type").first()
    if labels is None:
        return 0
    return Case.objects.filter(pk=link.case_id).update(sentiment=labels[0], message_type=labels[1])
