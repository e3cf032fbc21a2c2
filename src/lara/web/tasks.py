"""Give anyone on a customer's record a task with a priority and a due time, and list what is due.

Tasks are created from the case page (the task joins the case's paper trail)
or from the customer page (a task about the customer, no case needed). The
due time is entered in the agent's own time zone. ``/tasks/`` shows the
user's open tasks; leads and admins also see everyone's overdue tasks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lara.cases.models import Priority, Task, TaskStatus
from lara.cases.reminders import task_complete, task_create
from lara.cases.selectors import case_get_for_user, case_visible_to, task_list_overdue
from lara.core.selectors import user_sees_all_teams

from .selectors import customer_visible
from .views import _customer_or_404, _safe_next

User = get_user_model()


class TaskFormError(ValueError):
    """The task form was filled in wrongly; the message says what to fix."""


def _due(raw: str) -> datetime:
    """Read a ``datetime-local`` value in the agent's time zone."""
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise TaskFormError(_("Give the due time as a date and a time.")) from exc
    if naive.tzinfo is not None:
        return naive
    return timezone.make_aware(naive, timezone.get_current_timezone())


def _assignee(request: HttpRequest, username: str, *, team_id: int | None) -> Any:
    """The person to give the task to: yourself, or a member of the case's team (anyone, for leads)."""
    if not username or username == request.user.get_username():
        return request.user
    users = User.objects.filter(username=username, is_active=True)
    if team_id is not None and not user_sees_all_teams(request.user):
        users = users.filter(memberships__team_id=team_id)
    user = users.first()
    if user is None:
        raise TaskFormError(_("%(name)s cannot be given this task.") % {"name": username})
    return user


def _form(request: HttpRequest, *, team_id: int | None) -> dict[str, Any]:
    title = request.POST.get("title", "").strip()
    priority = request.POST.get("priority", Priority.P3)
    if not title:
        raise TaskFormError(_("A task needs a title."))
    if priority not in Priority.values:
        raise TaskFormError(_("Choose a priority from the list."))
    return {
        "title": title,
        "priority": priority,
        "due_at": _due(request.POST.get("due_at", "")),
        "assignee": _assignee(request, request.POST.get("assignee", "").strip(), team_id=team_id),
    }


@login_required
@require_POST
def case_task_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case in your teams")
    try:
        task_create(case=case, actor=request.user, **_form(request, team_id=case.team_id))
    except (TaskFormError, ValueError) as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Task created."))
    return redirect("case", reference=reference)


@login_required
@require_POST
def customer_task_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    try:
        task_create(customer=customer, actor=request.user, **_form(request, team_id=None))
    except (TaskFormError, ValueError) as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Task created."))
    return redirect("customer", customer_id=customer.pk)


def _may_complete(request: HttpRequest, task: Task) -> bool:
    user = request.user
    if user_sees_all_teams(user) or user.pk in (task.assignee_id, task.created_by_id):
        return True
    if task.case_id is not None:
        return case_visible_to(user).filter(pk=task.case_id).exists()
    return task.customer is not None and customer_visible(user=user, customer=task.customer)


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    task = Task.objects.select_related("case", "customer").filter(pk=task_id).first()
    if task is None or not _may_complete(request, task):
        raise Http404("No such task")
    task_complete(task=task, actor=request.user)
    flash.success(request, _("Task done."))
    return redirect(_safe_next(request, fallback="/tasks/"))


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """The user's open tasks by due time; leads and admins also see everyone's overdue tasks."""
    mine = (
        Task.objects.filter(assignee_id=request.user.pk, status=TaskStatus.OPEN)
        .select_related("case", "customer")
        .order_by("due_at", "pk")[:200]
    )
    overdue = task_list_overdue(user=request.user)[:200] if user_sees_all_teams(request.user) else []
    return render(request, "lara/tasks.html", {"mine": mine, "overdue": overdue, "now": timezone.now()})
