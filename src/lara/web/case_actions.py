"""Serve the case page's actions: notes, snooze, merge and split, escalation, approvals, saved replies.

Each view is a thin POST (CSRF-checked) over one service in ``lara.cases``;
the case is always fetched through what the user may see (a 404 otherwise),
and the services write the paper trail. ``case_page_extras`` gives the case
page what its composer and forms need, so ``views.case_detail`` stays small.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from lara.cases.approval import ApprovalError, may_approve, reply_approve, reply_reject
from lara.cases.case_merge import CaseMergeError, case_merge, case_split
from lara.cases.compose import answer_task_create, channel_takes_replies
from lara.cases.handoff import EscalationError, case_escalate_to_lead, case_escalate_to_team
from lara.cases.limits import reply_limit
from lara.cases.models import Case, ReplyStatus, SavedReply
from lara.cases.notes import note_add
from lara.cases.saved_replies import (
    SavedReplyError,
    saved_reply_list_for,
    saved_reply_render,
    saved_reply_save,
)
from lara.cases.selectors import case_get_for_user
from lara.cases.snooze import case_snooze, case_wake
from lara.core.models import Team
from lara.core.selectors import user_sees_all_teams
from lara.mentions.models import Direction, Message

User = get_user_model()

#: The new event kinds and statuses the case page translates at render time (see ``labels``).
ACT_LABELS = (
    gettext_noop("Snoozed"),
    gettext_noop("Woke"),
    gettext_noop("Reopened"),
    gettext_noop("Linked"),
    gettext_noop("Case Merged"),
    gettext_noop("Case Split"),
    gettext_noop("Escalated"),
    gettext_noop("Approval Requested"),
    gettext_noop("Reply Approved"),
    gettext_noop("Reply Rejected"),
    gettext_noop("Awaiting Approval"),
    gettext_noop("Rejected"),
    gettext_noop("Done"),
)

#: The snooze presets offered next to the date field, in hours.
SNOOZE_PRESETS = (1, 4, 24, 72)


def _case_or_404(request: HttpRequest, reference: str) -> Case:
    case = case_get_for_user(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case in your teams")
    return case


def _back(case: Case) -> HttpResponse:
    return redirect("case", reference=case.reference)


def case_page_extras(*, request: HttpRequest, case: Case) -> dict[str, Any]:
    """What the case page needs beyond the conversation: notes, composer facts, forms' choices."""
    user = request.user
    last_in = (
        Message.objects.filter(case_link__case=case, direction=Direction.IN).order_by("-created_at").first()
    )
    saved = [
        (s, _render_or_none(s, case, user))
        for s in saved_reply_list_for(user=user, language=case.language)[:100]
    ]
    replies = list(case.replies.select_related("author", "reviewed_by").order_by("-created_at")[:20])
    return {
        "notes": case.notes.select_related("author").order_by("created_at", "pk"),
        "reply_limit": reply_limit(network=case.channel.network, kind=last_in.kind if last_in else ""),
        "takes_replies": channel_takes_replies(case.channel),
        "original_url": last_in.url if last_in else "",
        "saved_replies": [(s, text) for s, text in saved if text is not None],
        "replies": replies,
        "approvable": {
            r.pk
            for r in replies
            if r.status == ReplyStatus.AWAITING_APPROVAL and may_approve(user=user, reply=r)
        },
        "snooze_presets": SNOOZE_PRESETS,
        "teams": Team.objects.exclude(pk=case.team_id) if case.team_id else Team.objects.all(),
        "tasks": case.tasks.select_related("assignee").order_by("status", "due_at", "pk"),
        "merged_into": case.merged_into,
        "linked_from": case.linked_from,
        "linked_cases": case.linked_cases.order_by("pk"),
        "can_split": case.case_messages.count() > 1,
    }


def _render_or_none(saved: SavedReply, case: Case, user: Any) -> str | None:
    try:
        return saved_reply_render(saved=saved, case=case, agent=user)
    except (KeyError, ValueError, IndexError):  # a template edited around the check, e.g. in the admin
        return None


@login_required
@require_POST
def case_note(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    try:
        result = note_add(case=case, author=request.user, text=request.POST.get("text", ""))
    except ValueError as exc:
        flash.error(request, str(exc))
        return _back(case)
    flash.success(request, _("Note added."))
    for handle, why in result.skipped:
        if why == "no such user":
            flash.warning(
                request, _("@%(handle)s was not notified: there is no such user.") % {"handle": handle}
            )
        else:
            flash.warning(
                request,
                _("@%(handle)s was not notified: they cannot see this case.") % {"handle": handle},
            )
    return _back(case)


def _snooze_until(request: HttpRequest) -> datetime | None:
    hours = request.POST.get("hours", "")
    if hours.isdigit() and int(hours) > 0:
        return timezone.now() + timedelta(hours=int(hours))
    raw = request.POST.get("until", "")
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return timezone.make_aware(at, timezone.get_current_timezone()) if timezone.is_naive(at) else at


@login_required
@require_POST
def case_snooze_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    until = _snooze_until(request)
    if until is None:
        flash.error(request, _("Choose when the case should wake up."))
        return _back(case)
    try:
        case_snooze(case=case, until=until, actor=request.user, reason=request.POST.get("reason", "").strip())
    except ValueError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Case snoozed. Its SLA clocks keep running."))
    return _back(case)


@login_required
@require_POST
def case_wake_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    if case_wake(case=case, actor=request.user, reason="woken by hand"):
        flash.success(request, _("Case woken up."))
    return _back(case)


@login_required
@require_POST
def case_merge_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge the case named in the form into this one."""
    case = _case_or_404(request, reference)
    other_ref = request.POST.get("other", "").strip().upper()
    other = case_get_for_user(user=request.user, reference=other_ref) if other_ref else None
    if other is None:
        flash.error(request, _("No such case in your teams."))
        return _back(case)
    try:
        case_merge(source=other, target=case, actor=request.user, reason=request.POST.get("reason", ""))
    except CaseMergeError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("%(other)s was merged into this case.") % {"other": other.reference})
    return _back(case)


@login_required
@require_POST
def case_split_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    ids = [int(pk) for pk in request.POST.getlist("message") if pk.isdigit()]
    try:
        new = case_split(
            case=case, message_ids=ids, actor=request.user, reason=request.POST.get("reason", "")
        )
    except CaseMergeError as exc:
        flash.error(request, str(exc))
        return _back(case)
    flash.success(request, _("The chosen messages are now %(new)s.") % {"new": new.reference})
    return redirect("case", reference=new.reference)


@login_required
@require_POST
def case_escalate_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    reason = request.POST.get("reason", "")
    target = request.POST.get("to", "")
    try:
        if target == "lead":
            case_escalate_to_lead(case=case, actor=request.user, reason=reason)
        else:
            team = Team.objects.filter(slug=target).first()
            if team is None:
                raise EscalationError(_("Choose a lead or a team."))
            case_escalate_to_team(case=case, actor=request.user, reason=reason, team=team)
    except EscalationError as exc:
        flash.error(request, str(exc))
        return _back(case)
    flash.success(request, _("Case escalated."))
    # An agent who handed the case to another team may no longer see it.
    if case_get_for_user(user=request.user, reference=case.reference or "") is None:
        return redirect("inbox")
    return _back(case)


@login_required
@require_POST
def case_answer_task(request: HttpRequest, reference: str) -> HttpResponse:
    """On a network that takes no replies: a task to answer on the site, with the link and the draft."""
    case = _case_or_404(request, reference)
    try:
        answer_task_create(case=case, author=request.user, text=request.POST.get("text", ""))
    except ValueError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Task created: answer on the site, with your draft in it."))
    return _back(case)


@login_required
@require_POST
def reply_review(request: HttpRequest, reference: str, reply_id: int, decision: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    reply = case.replies.select_related("case", "author").filter(pk=reply_id).first()
    if reply is None:
        raise Http404("No such reply on this case")
    try:
        if decision == "approve":
            reply_approve(reply=reply, actor=request.user)
            flash.success(request, _("Reply approved and queued for sending."))
        else:
            reply_reject(reply=reply, actor=request.user, reason=request.POST.get("reason", ""))
            flash.success(request, _("Reply rejected; its author sees your reason."))
    except ApprovalError as exc:
        flash.error(request, str(exc))
    return _back(case)


# --- the saved replies screen (leads and admins) ---


def _require_lead(request: HttpRequest) -> None:
    if not user_sees_all_teams(request.user):
        raise PermissionDenied("Only leads and admins manage saved replies")


def _saved_form(request: HttpRequest, saved: SavedReply | None) -> SavedReply | None:
    """Save the posted form; None (with the error flashed) when it does not validate."""
    team_slug = request.POST.get("team", "")
    team = Team.objects.filter(slug=team_slug).first() if team_slug else None
    try:
        return saved_reply_save(
            name=request.POST.get("name", ""),
            language=request.POST.get("language", ""),
            text=request.POST.get("text", ""),
            team=team,
            owner=request.user if request.POST.get("personal") else None,
            actor=request.user,
            saved=saved,
        )
    except SavedReplyError as exc:
        flash.error(request, str(exc))
        return None


def _saved_context(request: HttpRequest, editing: SavedReply | None) -> dict[str, Any]:
    from lara.cases.saved_replies import VARIABLES

    return {
        "saved_replies": saved_reply_list_for(user=request.user).select_related("team", "owner"),
        "editing": editing,
        "form": request.POST if request.method == "POST" else None,
        "teams": Team.objects.all(),
        "languages": ("en", "he", "ru", "uk"),
        "variables": ["{" + v + "}" for v in VARIABLES],
    }


@login_required
def saved_replies(request: HttpRequest) -> HttpResponse:
    _require_lead(request)
    if request.method == "POST" and _saved_form(request, None) is not None:
        flash.success(request, _("Saved reply created."))
        return redirect("saved-replies")
    return render(request, "lara/saved_replies.html", _saved_context(request, None))


def _saved_or_404(request: HttpRequest, saved_id: int) -> SavedReply:
    saved = saved_reply_list_for(user=request.user).filter(pk=saved_id).first()
    if saved is None:
        raise Http404("No such saved reply")
    return saved


@login_required
def saved_reply_edit(request: HttpRequest, saved_id: int) -> HttpResponse:
    _require_lead(request)
    saved = _saved_or_404(request, saved_id)
    if request.method == "POST" and _saved_form(request, saved) is not None:
        flash.success(request, _("Saved reply updated."))
        return redirect("saved-replies")
    return render(request, "lara/saved_replies.html", _saved_context(request, saved))


@login_required
@require_POST
def saved_reply_delete(request: HttpRequest, saved_id: int) -> HttpResponse:
    _require_lead(request)
    _saved_or_404(request, saved_id).delete()
    flash.success(request, _("Saved reply deleted."))
    return redirect("saved-replies")
