"""Escalate a case by hand: to a lead, or to another team, always with the reason.

``escalation`` escalates on SLA breaches by itself; this is the agent's own
"this is beyond me / not ours" from the case page. To a lead: the case is
assigned to a lead of its team (the one named, else the first) and the
team's leads are told. To another team: the team changes, the new team's
usual assignment picks the agent, and that team's leads are told. Either
way the reason is on the paper trail and in the notification.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lara.core.models import Membership, Role, Team
from lara.core.services import notification_create

from .assignment import assignee_pick
from .escalation import case_url, team_leads
from .models import Case, EventKind
from .services import case_assign, case_event_add


class EscalationError(ValueError):
    """The escalation cannot be done; the message says why."""


def case_escalate_to_lead(*, case: Case, actor: Any | None, reason: str, lead: Any | None = None) -> Case:
    """Hand the case to a lead of its team (or any lead when it has no team).

    ``actor`` None is Lara itself (a routing rule): every lead is told.
    """
    reason = reason.strip()
    if not reason:
        raise EscalationError("say why you escalate, so the lead knows what to look at")
    leads = team_leads(case)
    if lead is not None and lead not in leads:
        raise EscalationError(f"{lead.get_username()} is not a lead of this case's team")
    actor_pk = actor.pk if actor is not None else None
    by = actor.get_username() if actor is not None else "Lara"
    chosen = lead or next((u for u in leads if u.pk != actor_pk), None)
    if chosen is None:
        raise EscalationError("this case's team has no lead to escalate to")
    with transaction.atomic():
        case_event_add(
            case=case,
            kind=EventKind.ESCALATED,
            actor=actor,
            reason=reason,
            data={"to": "lead", "lead": chosen.get_username()},
        )
        case_assign(case=case, user=chosen, actor=actor, reason=f"escalated: {reason}")
        for user in leads:
            if user.pk != actor_pk:
                notification_create(
                    user=user,
                    text=f"{case.reference} escalated to {chosen.get_username()} by {by}: {reason}"[:500],
                    url=case_url(case),
                )
    return case


def case_escalate_to_team(*, case: Case, actor: Any, reason: str, team: Team) -> Case:
    """Move the case to another team, where the usual assignment picks its agent."""
    reason = reason.strip()
    if not reason:
        raise EscalationError("say why you hand the case over, so the other team knows")
    if team.pk == case.team_id:
        raise EscalationError("the case is already in that team")
    previous = case.team
    with transaction.atomic():
        case.team = team
        case.save(update_fields=["team", "updated_at"])
        case_event_add(
            case=case,
            kind=EventKind.ESCALATED,
            actor=actor,
            reason=reason,
            data={"to": "team", "from_team": previous.name if previous else None, "team": team.name},
        )
        pick = assignee_pick(team=team, language=case.language, customer=case.customer)
        if pick.user is not None:
            case_assign(
                case=case, user=pick.user, actor=actor, reason=f"escalated to {team.name}: {pick.reason}"
            )
        else:
            case_assign(case=case, user=None, actor=actor, reason=f"escalated to {team.name}: {pick.reason}")
        leads = Membership.objects.filter(team=team, role__in=(Role.LEAD, Role.ADMIN), user__is_active=True)
        for membership in leads.select_related("user"):
            notification_create(
                user=membership.user,
                text=f"{case.reference} handed to {team.name} by {actor.get_username()}: {reason}"[:500],
                url=case_url(case),
            )
    return case
