"""Tasks from the case and customer pages, due in the agent's time zone; my tasks and everyone's overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from lara.cases.models import Case, EventKind, Task, TaskStatus
from lara.cases.reminders import task_create
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _login(user: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/").cookies["csrftoken"].value
    return client, token


def _case() -> Case:
    message_ingest_json(data=inbound(text="My order arrived broken"))
    jobs_run_pending()
    return Case.objects.latest("pk")


def test_a_task_from_the_case_page_is_due_in_the_agents_time_zone(org: dict[str, Any]) -> None:
    AgentProfile.objects.filter(user=org["alice"]).update(time_zone="Asia/Jerusalem")
    case = _case()
    client, token = _login(org["alice"])

    response = client.post(
        f"/cases/{case.reference}/tasks",
        {
            "csrfmiddlewaretoken": token,
            "title": "Call the courier",
            "due_at": "2026-11-24T10:00",
            "priority": "P2",
        },
    )

    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.title, task.case, task.customer, task.assignee, task.priority) == (
        "Call the courier",
        case,
        case.customer,
        org["alice"],
        "P2",
    )
    assert task.due_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 10:00 in Jerusalem is 08:00 UTC
    assert case.events.filter(
        kind=EventKind.TASK_CREATED, actor=org["alice"], reason="Call the courier"
    ).exists()


def test_an_agent_gives_tasks_only_to_the_cases_team(org: dict[str, Any]) -> None:
    case = _case()
    client, token = _login(org["alice"])
    form = {
        "csrfmiddlewaretoken": token,
        "title": "Check stock",
        "due_at": "2026-11-24T10:00",
        "priority": "P3",
    }

    client.post(f"/cases/{case.reference}/tasks", {**form, "assignee": "bob"})  # Sales, not the case's team
    client.post(f"/cases/{case.reference}/tasks", {**form, "assignee": "lena"})

    assert [(t.title, t.assignee.username) for t in Task.objects.all()] == [("Check stock", "lena")]


def test_a_task_without_a_due_time_is_refused(org: dict[str, Any]) -> None:
    case = _case()
    client, token = _login(org["alice"])

    client.post(
        f"/cases/{case.reference}/tasks", {"csrfmiddlewaretoken": token, "title": "x", "due_at": "soon"}
    )

    assert Task.objects.count() == 0


def test_a_task_on_the_customer_record_needs_no_case(org: dict[str, Any]) -> None:
    case = _case()
    client, token = _login(org["lena"])

    client.post(
        f"/customers/{case.customer_id}/tasks",
        {
            "csrfmiddlewaretoken": token,
            "title": "Offer a loyalty discount",
            "due_at": "2026-11-30T09:00",
            "assignee": "bob",
        },
    )

    task = Task.objects.get()
    assert (task.case, task.customer, task.assignee) == (None, case.customer, org["bob"])


def test_my_tasks_and_everyones_overdue_for_the_lead(org: dict[str, Any]) -> None:
    case = _case()
    past, later = timezone.now() - timedelta(hours=3), timezone.now() + timedelta(days=1)
    late = task_create(
        title="Late refund check", case=case, assignee=org["alice"], due_at=past, actor=org["lena"]
    )
    task_create(
        title="Tomorrow's follow-up", case=case, assignee=org["alice"], due_at=later, actor=org["lena"]
    )
    alice, _t = _login(org["alice"])
    lena, token = _login(org["lena"])

    mine = alice.get("/tasks/").content.decode()
    leads = lena.get("/tasks/").content.decode()

    assert "Late refund check" in mine and "Tomorrow&#x27;s follow-up" in mine
    assert "Overdue, everyone" not in mine
    assert "Overdue, everyone" in leads and "Late refund check" in leads

    lena.post(f"/tasks/{late.pk}/done", {"csrfmiddlewaretoken": token})
    late.refresh_from_db()
    assert late.status == TaskStatus.DONE
    assert case.events.filter(kind=EventKind.TASK_DONE, actor=org["lena"]).exists()


def test_an_outsider_cannot_close_someone_elses_task(org: dict[str, Any]) -> None:
    case = _case()
    task = task_create(
        title="Call back", case=case, assignee=org["alice"], due_at=timezone.now(), actor=org["alice"]
    )
    bob, token = _login(org["bob"])

    assert bob.post(f"/tasks/{task.pk}/done", {"csrfmiddlewaretoken": token}).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
