"""Carry out what the matching routing rules ask of a new case, and record each step.

A rule is data a lead wrote weeks ago: the user it names may have left the
team or be on holiday, the saved reply may have been renamed, the network may
take no replies. So every action goes through the service an agent would use
(assignment, ``handoff``, ``reminders.task_create``, ``reply_create`` with its
limits and approval policy) and either does its work or is refused with the
reason. Both are recorded on the ``RoutingDecision`` and as a ``rule_action``
event on the case, the rule's name first, so "why did (or didn't) this
happen" always has an answer.

The order is fixed: escalate (hands the case to a lead), else assign (the
rule's user, else the team's usual pick), then tasks (which may go to whoever
was just assigned), notifications, and the automatic reply.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from lara.core.models import AgentProfile, Membership
from lara.core.services import notification_create

from .assignment import assignee_pick
from .escalation import case_url, team_leads
from .handoff import EscalationError, case_escalate_to_lead
from .models import Case, CaseEvent, EventKind, ReplyStatus, SavedReply
from .reminders import task_create
from .routing import Outcome, RuleAct
from .saved_replies import saved_reply_render
from .selectors import case_visible_to
from .services import PRIORITY_UP, case_assign, case_event_add, case_set_priority, reply_create

log = logging.getLogger(__name__)

#: The notify value that stands for the case team's leads (every lead when the team has none).
TEAM_LEADS = "team_leads"
#: The task assignee that stands for whoever the case went to.
CASE_ASSIGNEE = "case_assignee"
DEFAULT_TASK_HOURS = 24


@dataclass(frozen=True)
class ActionRecord:
    """What one rule action did, or why it did not."""

    rule: str
    action: str
    done: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _user(username: str) -> Any | None:
    return get_user_model().objects.filter(username=username, is_active=True).first()


def _record(case: Case, records: list[ActionRecord], act: RuleAct, *, done: bool, detail: str) -> None:
    record = ActionRecord(rule=act.rule, action=act.action, done=done, detail=detail)
    records.append(record)
    case_event_add(
        case=case, kind=EventKind.RULE_ACTION, reason=f"{act.rule}: {detail}", data=record.as_dict()
    )


def route_actions_skipped(*, outcome: Outcome, why: str) -> list[dict[str, Any]]:
    """Record the rules' case actions as not done when no case was opened for the message."""
    return [
        ActionRecord(rule=a.rule, action=a.action, done=False, detail=f"{a.action} skipped: {why}").as_dict()
        for a in outcome.acts
    ]


def route_actions_apply(
    *, case: Case, outcome: Outcome, language: str, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Escalate or assign the new case, then its tasks, notifications and auto-reply; return the records."""
    now = now or timezone.now()
    records: list[ActionRecord] = []
    escalated = any([_escalate(case, act, records) for act in outcome.act("escalate")])
    # The escalation already told these leads; a "notify team_leads" of the same rule must not repeat it.
    told = {u.pk for u in team_leads(case)} if escalated else set()
    if escalated:
        for act in outcome.act("assign"):
            _record(
                case, records, act, done=False, detail=f"assign to {act.value} skipped: escalated to a lead"
            )
    else:
        _assign(case, outcome, language, records)
    for act in outcome.act("task"):
        _task(case, act, records, now)
    for act in outcome.act("notify"):
        _notify(case, act, records, told)
    for act in outcome.act("auto_reply"):
        _auto_reply(case, act, records)
    return [r.as_dict() for r in records]


def assign_refusal(case: Case, user: Any | None) -> str:
    """Why the rule's user may not take the case ("" = they may)."""
    if user is None:
        return "no such user"
    if case.team is None:
        return "the case has no team"
    if not Membership.objects.filter(team=case.team, user=user).exists():
        return f"not in team {case.team.name}"
    if AgentProfile.objects.filter(user=user, is_away=True).exists():
        return "away"
    return ""


def _assign(case: Case, outcome: Outcome, language: str, records: list[ActionRecord]) -> None:
    for act in outcome.act("assign"):
        username = str(act.value)
        user = _user(username)
        refusal = assign_refusal(case, user)
        if not refusal:
            case_assign(case=case, user=user, reason=f"{act.rule}: assigned by the rule")
            _record(case, records, act, done=True, detail=f"assigned to {username}")
            return
        _record(case, records, act, done=False, detail=f"assign to {username} skipped: {refusal}")
    if case.team is None:
        case_event_add(case=case, kind=EventKind.UNASSIGNED, reason="no rule chose a team")
        return
    pick = assignee_pick(team=case.team, language=language, customer=case.customer, skill=outcome.skill)
    if pick.user is not None:
        case_assign(case=case, user=pick.user, reason=pick.reason)
    else:
        case_event_add(case=case, kind=EventKind.UNASSIGNED, reason=pick.reason)


def _escalate(case: Case, act: RuleAct, records: list[ActionRecord]) -> bool:
    before = case.priority
    try:
        case_escalate_to_lead(case=case, actor=None, reason=f"rule {act.rule}")
    except EscalationError as exc:
        _record(case, records, act, done=False, detail=f"escalate skipped: {exc}")
        return False
    after = PRIORITY_UP.get(before, before)
    case_set_priority(case=case, priority=after, reason=f"{act.rule}: escalated")
    lead = case.assignee.get_username() if case.assignee else "nobody"
    _record(case, records, act, done=True, detail=f"escalated to {lead}, priority {before} → {after}")
    return True


def _task(case: Case, act: RuleAct, records: list[ActionRecord], now: datetime) -> None:
    spec = act.value if isinstance(act.value, dict) else {"title": str(act.value)}
    title = str(spec.get("title") or "").strip() or f"Follow up on {case.reference}"
    if spec.get("only_if_unassigned") and case.assignee is not None:
        detail = f"task “{title}” skipped: the case went to {case.assignee.get_username()}"
        _record(case, records, act, done=False, detail=detail)
        return
    note = ""
    try:
        hours = float(spec.get("due_hours") or DEFAULT_TASK_HOURS)
    except (TypeError, ValueError):  # a rule saved around the editor: keep the task, say so
        hours, note = DEFAULT_TASK_HOURS, f" (due_hours {spec.get('due_hours')!r} is not a number)"
    who = str(spec.get("assignee") or CASE_ASSIGNEE)
    if who == CASE_ASSIGNEE:
        assignee = case.assignee
        if assignee is None:
            # A reminder needs someone to remind: the lead sees that nobody was free.
            leads = team_leads(case)
            assignee = leads[0] if leads else None
            note += " (the case has no assignee)"
    else:
        assignee = _user(who)
        if assignee is None:
            note += f" (no such user {who})"
    task = task_create(
        title=title,
        case=case,
        assignee=assignee,
        due_at=now + timedelta(hours=hours),
        priority=case.priority,
        actor=None,
    )
    name = assignee.get_username() if assignee is not None else "nobody"
    _record(case, records, act, done=True, detail=f"task “{task.title}” for {name}, due in {hours:g} h{note}")


def _notify(case: Case, act: RuleAct, records: list[ActionRecord], told: set[int]) -> None:
    names = act.value if isinstance(act.value, list) else [act.value]
    chosen: dict[int, Any] = {}
    refused: list[str] = []
    for name in (str(n).strip() for n in names):
        if name == TEAM_LEADS:
            chosen.update((u.pk, u) for u in team_leads(case))
            continue
        user = _user(name)
        if user is None:
            refused.append(f"notify {name} skipped: no such user")
        elif not case_visible_to(user).filter(pk=case.pk).exists():
            # Telling them would show the customer and the text to someone outside the case's teams.
            refused.append(f"notify {name} skipped: cannot see this case")
        else:
            chosen[user.pk] = user
    already = sorted(u.get_username() for pk, u in chosen.items() if pk in told)
    fresh = [u for pk, u in chosen.items() if pk not in told]
    text = f"{case.reference}: {act.rule} — {case.subject}"[:500]
    url = case_url(case)
    for user in fresh:
        notification_create(user=user, text=text, url=url)
        _mail_on_commit(user=user, text=text, url=url)
        told.add(user.pk)
    for detail in refused:
        _record(case, records, act, done=False, detail=detail)
    if fresh or already:
        detail = "notified " + (", ".join(sorted(u.get_username() for u in fresh)) or "nobody new")
        if already:
            detail += f" ({', '.join(already)} already told)"
        _record(case, records, act, done=True, detail=detail)


def _mail_on_commit(*, user: Any, text: str, url: str) -> None:
    """E-mail like a task reminder, once routing is committed; a mail failure loses only the mail."""
    if not user.email:
        return

    def send() -> None:
        try:
            send_mail(
                subject=f"[Lara] {text}"[:200],
                message=f"{text}\n\n{url}",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
        except OSError:
            log.exception("could not e-mail a routing notification to user %s", user.pk)

    transaction.on_commit(send)


def saved_reply_for_rule(value: Any, *, language: str) -> SavedReply | None:
    """The shared saved reply a rule names (by name or id), in the case's language where one exists."""
    shared = SavedReply.objects.filter(owner__isnull=True)
    text = str(value).strip()
    named = shared.filter(pk=int(text)).first() if text.isdigit() else None
    name = named.name if named is not None else text
    variants = list(shared.filter(name=name).order_by("pk"))
    if not variants:
        return None
    same_language = [v for v in variants if v.language == language]
    english = [v for v in variants if v.language == "en"]
    return (same_language or ([named] if named else []) or english or variants)[0]


def _auto_reply(case: Case, act: RuleAct, records: list[ActionRecord]) -> None:
    earlier = CaseEvent.objects.filter(
        case=case, kind=EventKind.RULE_ACTION, data__action="auto_reply", data__done=True
    )
    if earlier.exists():
        _record(case, records, act, done=False, detail="auto-reply skipped: this case already had one")
        return
    saved = saved_reply_for_rule(act.value, language=case.language)
    if saved is None:
        detail = f"auto-reply “{act.value}” skipped: no shared saved reply by that name"
        _record(case, records, act, done=False, detail=detail)
        return
    label = f"auto-reply “{saved.name}” ({saved.language})"
    try:
        with transaction.atomic():
            reply = reply_create(
                case=case,
                author=None,
                text=saved_reply_render(saved=saved, case=case, agent=None),
                reason=f"{act.rule}: {label}",
            )
    except ValueError as exc:  # empty, too long for the network, or a network that takes no replies
        _record(case, records, act, done=False, detail=f"{label} not sent: {exc}")
        return
    if reply.status == ReplyStatus.AWAITING_APPROVAL:
        _record(case, records, act, done=True, detail=f"{label} held for approval: {reply.approval_reason}")
    else:
        _record(case, records, act, done=True, detail=f"{label} queued")
