"""Give people tasks on a case or a customer, and remind them once when it is time.

A reminder is claimed (``reminded_at`` set by a conditional update) before it
is delivered, so a retried or doubled periodic job never reminds twice; the
price is that a crash between the claim and the e-mail loses that e-mail,
which is the better failure for a reminder than a flood.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from lara.core.services import notification_create
from lara.customers.models import Customer

from .models import Case, EventKind, Priority, Task, TaskStatus
from .services import case_event_add

log = logging.getLogger(__name__)

BATCH = 500


def task_create(
    *,
    title: str,
    case: Case | None = None,
    customer: Customer | None = None,
    assignee: Any,
    due_at: datetime,
    priority: str = Priority.P3,
    remind_at: datetime | None = None,
    actor: Any,
) -> Task:
    """Create a task; on a case it joins the paper trail. Without remind_at, remind at due_at."""
    title = title.strip()
    if not title:
        raise ValueError("a task needs a title")
    if priority not in Priority.values:
        raise ValueError(f"unknown priority {priority!r}")
    if case is not None and customer is None:
        customer = case.customer
    with transaction.atomic():
        task = Task.objects.create(
            title=title[:200],
            case=case,
            customer=customer,
            assignee=assignee,
            due_at=due_at,
            priority=priority,
            remind_at=remind_at,
            created_by=actor,
        )
        if case is not None:
            case_event_add(
                case=case,
                kind=EventKind.TASK_CREATED,
                actor=actor,
                data={
                    "task": task.pk,
                    "assignee": assignee.get_username() if assignee else None,
                    "due_at": due_at.isoformat(),
                },
                reason=task.title,
            )
    return task


def task_complete(*, task: Task, actor: Any, now: datetime | None = None) -> Task:
    if task.status == TaskStatus.DONE:
        return task
    with transaction.atomic():
        task.status = TaskStatus.DONE
        task.completed_at = now or timezone.now()
        task.save(update_fields=["status", "completed_at"])
        if task.case is not None:
            case_event_add(
                case=task.case,
                kind=EventKind.TASK_DONE,
                actor=actor,
                data={"task": task.pk},
                reason=task.title,
            )
    return task


def _task_url(task: Task) -> str:
    return f"/cases/{task.case.reference}/" if task.case is not None else ""


def task_remind(*, task: Task, now: datetime) -> bool:
    """Remind the assignee in the app and by e-mail; False if someone already did."""
    assignee = task.assignee
    if assignee is None:
        return False
    if not Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=now):
        return False
    due = f"{task.due_at:%Y-%m-%d %H:%M} UTC" if task.due_at else "no due time"
    about = f" ({task.case.reference})" if task.case is not None else ""
    text = f"Reminder: {task.title}{about}, due {due}"
    url = _task_url(task)
    notification_create(user=assignee, text=text, url=url)
    if assignee.email:
        try:
            send_mail(
                subject=f"[Lara] {text}"[:200],
                message=f"{text}\n\nPriority {task.priority}.\n{url}",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[assignee.email],
            )
        except OSError:
            log.exception("could not e-mail the reminder for task %s", task.pk)
    return True


def task_reminders_send(*, now: datetime) -> int:
    """Send every reminder that has come due (remind_at, else due_at); return how many."""
    due = (
        Task.objects.filter(status=TaskStatus.OPEN, reminded_at__isnull=True, assignee__isnull=False)
        .annotate(remind=Coalesce(F("remind_at"), F("due_at")))
        .filter(Q(remind__lte=now))
        .select_related("assignee", "case")
        .order_by("remind", "pk")
    )
    return sum(task_remind(task=task, now=now) for task in due[:BATCH])
