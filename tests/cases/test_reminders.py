"""Tasks on a case or a customer; reminders in the app and by e-mail exactly once; overdue for leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from lara.cases.models import CaseEvent, Task
from lara.cases.reminders import task_complete, task_create, task_reminders_send
from lara.cases.selectors import task_list_overdue
from lara.core.models import Notification
from lara.customers.models import Customer

from .helpers import open_case

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _task(org: dict[str, Any], **overrides: Any) -> Task:
    fields: dict[str, Any] = {
        "title": "Call Dana back about the refund",
        "assignee": org["alice"],
        "due_at": NOON + timedelta(hours=2),
        "priority": "P2",
        "actor": org["lena"],
    }
    fields.update(overrides)
    return task_create(**fields)


def test_a_task_on_a_case_joins_its_paper_trail(org: dict[str, Any]) -> None:
    case = open_case(org["x"], at=NOON)

    task = _task(org, case=case)

    assert (task.customer, task.created_by, task.status) == (case.customer, org["lena"], "open")
    event = CaseEvent.objects.get(case=case, kind="task_created")
    assert (event.actor, event.reason) == (org["lena"], "Call Dana back about the refund")
    assert event.data == {"task": task.pk, "assignee": "alice", "due_at": "2026-11-23T14:00:00+00:00"}

    task_complete(task=task, actor=org["alice"], now=NOON)

    task.refresh_from_db()
    assert (task.status, task.completed_at) == ("done", NOON)
    assert CaseEvent.objects.get(case=case, kind="task_done").actor == org["alice"]


def test_a_task_needs_a_title_and_a_known_priority(org: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="title"):
        _task(org, title="  ")
    with pytest.raises(ValueError, match="priority"):
        _task(org, priority="P9")


def test_a_reminder_arrives_in_the_app_and_by_mail_exactly_once(org: dict[str, Any]) -> None:
    org["alice"].email = "alice@volta.example"
    org["alice"].save()
    customer = Customer.objects.create(name="Dana Levi")
    task = _task(org, customer=customer, remind_at=NOON + timedelta(hours=1))

    before = task_reminders_send(now=NOON + timedelta(minutes=59))
    at_time = task_reminders_send(now=NOON + timedelta(hours=1))
    later = task_reminders_send(now=NOON + timedelta(hours=3))

    assert (before, at_time, later) == (0, 1, 0)
    text = "Reminder: Call Dana back about the refund, due 2026-11-23 14:00 UTC"
    assert list(Notification.objects.values_list("user__username", "text")) == [("alice", text)]
    assert [(m.subject, m.to) for m in mail.outbox] == [(f"[Lara] {text}", ["alice@volta.example"])]
    task.refresh_from_db()
    assert task.reminded_at == NOON + timedelta(hours=1)


def test_without_remind_at_the_reminder_comes_at_the_due_time(org: dict[str, Any]) -> None:
    case = open_case(org["x"], at=NOON)
    _task(org, case=case)

    assert task_reminders_send(now=NOON + timedelta(hours=1)) == 0
    assert task_reminders_send(now=NOON + timedelta(hours=2)) == 1
    assert Notification.objects.get().url == f"/cases/{case.reference}/"
    assert mail.outbox == []  # alice has no e-mail address: the app reminder is enough


def test_done_tasks_are_not_reminded(org: dict[str, Any]) -> None:
    task = _task(org)
    task_complete(task=task, actor=org["alice"])

    assert task_reminders_send(now=NOON + timedelta(days=1)) == 0


def test_overdue_tasks_are_visible_to_the_lead_and_each_agent_sees_their_own(org: dict[str, Any]) -> None:
    alices = _task(org, title="Alice's", due_at=NOON - timedelta(hours=1))
    bobs = _task(org, title="Bob's", assignee=org["bob"], due_at=NOON - timedelta(hours=2))
    _task(org, title="Not yet", due_at=NOON + timedelta(hours=1))
    task_complete(task=_task(org, title="Done", due_at=NOON - timedelta(hours=3)), actor=org["alice"])

    assert list(task_list_overdue(user=org["lena"], now=NOON)) == [bobs, alices]
    assert list(task_list_overdue(user=org["alice"], now=NOON)) == [alices]
    assert list(task_list_overdue(user=org["oscar"], now=NOON)) == []
