"""The Act side's case actions: notes, snooze, reopen or link, merge and split, escalation, SLA 24/7."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from lara.cases.after_close import case_after_close
from lara.cases.case_merge import CaseMergeError, case_merge, case_split
from lara.cases.escalation import sla_check
from lara.cases.handoff import EscalationError, case_escalate_to_lead, case_escalate_to_team
from lara.cases.models import Case, CaseNote, EventKind, SlaPolicy, Task
from lara.cases.notes import mentions_in, note_add
from lara.cases.reminders import task_create
from lara.cases.services import case_assign, case_set_status
from lara.cases.snooze import case_snooze, cases_wake_due
from lara.core.jobs import PERIODIC_JOBS, jobs_run_pending
from lara.core.models import Notification, Role, Team
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import agent, inbound
from .helpers import BERLIN_HOURS, open_case

DANA = {"external_id": "dana", "handle": "@dana", "name": "Dana Levi", "followers": 120}


def _say(text: str, *, thread: str = "t1", author: dict[str, Any] | None = None, **more: Any) -> Case:
    """The customer writes in a conversation; return the case it lands in."""
    message_ingest_json(data=inbound(text=text, thread_key=thread, author=author or DANA, **more))
    jobs_run_pending()
    return Message.objects.latest("pk").case_link.case


def _kinds(case: Case) -> list[str]:
    return list(case.events.values_list("kind", flat=True))


# --- 1. private notes with @mentions ---


def test_mentions_are_read_without_email_addresses_or_trailing_punctuation() -> None:
    assert mentions_in("@lena can you look? cc @Alice. mail dana@example.org, @lena again") == [
        "lena",
        "Alice",
    ]


def test_a_note_notifies_who_may_see_the_case_and_skips_who_may_not(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    org["lena"].email = "lena@volta.example"
    org["lena"].save()

    result = note_add(case=case, author=org["alice"], text="@lena refund? @bob FYI @nobody")

    assert result.notified == ["lena"]
    assert result.skipped == [("bob", "cannot see this case"), ("nobody", "no such user")]
    assert Notification.objects.get(user=org["lena"]).text == (
        f"alice mentioned you on {case.reference}: @lena refund? @bob FYI @nobody"
    )
    assert not Notification.objects.filter(user=org["bob"]).exists()
    assert [m.to for m in mail.outbox] == [["lena@volta.example"]]
    assert mail.outbox[0].subject == f"[Lara] alice mentioned you on {case.reference}"
    event = case.events.get(kind=EventKind.NOTE)
    assert (event.actor, event.reason) == (org["alice"], "@lena refund? @bob FYI @nobody")
    assert event.data == {
        "note": CaseNote.objects.get().pk,
        "mentioned": ["lena"],
        "skipped": ["bob", "nobody"],
    }


def test_an_empty_note_is_refused(org: dict[str, Any]) -> None:
    case = _say("It is broken")

    with pytest.raises(ValueError, match="a note needs some text"):
        note_add(case=case, author=org["alice"], text="   ")
    assert not CaseNote.objects.exists()


# --- 2. snooze ---


def test_a_snoozed_case_is_pending_and_wakes_when_its_time_comes(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    now = timezone.now()
    case_snooze(case=case, until=now + timedelta(hours=4), actor=org["alice"], now=now)

    case.refresh_from_db()
    assert (case.status, case.snoozed_until) == ("pending", now + timedelta(hours=4))
    assert cases_wake_due(now=now + timedelta(hours=3)) == 0
    assert cases_wake_due(now=now + timedelta(hours=4)) == 1
    assert cases_wake_due(now=now + timedelta(hours=5)) == 0

    case.refresh_from_db()
    assert (case.status, case.snoozed_until) == ("open", None)
    assert _kinds(case)[-4:] == ["snoozed", "status", "woke", "status"]
    assert case.events.get(kind="woke").reason == "woke up: the snooze ended"
    assert PERIODIC_JOBS["lara.cases.tasks.wake_snoozed_task"] == 60


def test_a_customer_message_wakes_a_snoozed_case_at_once(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    case_snooze(case=case, until=timezone.now() + timedelta(days=2), actor=org["alice"])

    assert _say("Hello? Still broken") == case

    case.refresh_from_db()
    assert (case.status, case.snoozed_until) == ("open", None)
    assert case.events.filter(kind="woke").get().reason == "the customer wrote again"


def test_snoozing_in_the_past_or_a_closed_case_is_refused(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    with pytest.raises(ValueError, match="snooze until a moment in the future"):
        case_snooze(case=case, until=timezone.now() - timedelta(minutes=1), actor=org["alice"])
    case_set_status(case=case, status="closed")
    with pytest.raises(ValueError, match="only an open case can be snoozed"):
        case_snooze(case=case, until=timezone.now() + timedelta(hours=1), actor=org["alice"])


def test_the_sla_clock_keeps_running_while_a_case_sleeps(org: dict[str, Any]) -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    org["x"].business_hours = BERLIN_HOURS
    org["x"].save()
    case = open_case(org["x"], at=start, priority="P1", team=org["service"])
    case_snooze(case=case, until=start + timedelta(days=3), actor=org["alice"], now=start)

    assert sla_check(now=start + timedelta(hours=2)).breached == 1
    assert case.events.filter(kind="sla_breached").count() == 1


# --- 3. reopen or link after close ---


def test_by_default_a_message_after_close_reopens_the_case(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    case_set_status(case=case, status="closed", actor=org["alice"])

    again = _say("It broke again")

    case.refresh_from_db()
    assert again == case
    assert (case.status, case.resolved_at) == ("open", None)
    assert Case.objects.count() == 1
    assert "reopened" in _kinds(case)


def test_a_channel_set_to_new_linked_opens_a_new_case_linked_to_the_old(org: dict[str, Any]) -> None:
    org["x"].config = {"after_close": "new_linked"}
    org["x"].save()
    case = _say("It is broken")
    case_set_status(case=case, status="resolved", actor=org["alice"])

    again = _say("Thanks, but what about my order?")

    assert again != case
    assert again.linked_from == case
    assert (again.customer, again.team) == (case.customer, case.team)
    assert again.events.get(kind="linked").reason == (
        f"linked from {case.reference}: the customer wrote after it was closed"
    )
    assert case.events.get(kind="linked").reason == (
        f"{again.reference} linked to this case: the customer wrote after it was closed"
    )
    case.refresh_from_db()
    assert case.status == "resolved"


def test_the_global_setting_applies_when_the_channel_says_nothing(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_AFTER_CLOSE = "new_linked"
    case = _say("It is broken")
    case_set_status(case=case, status="closed")

    assert _say("Again broken").linked_from == case


def test_after_the_window_it_is_always_a_new_linked_case(org: dict[str, Any]) -> None:
    case = _say("It is broken", created_at="2026-11-01T09:00:00+00:00")
    case_set_status(case=case, status="closed")
    Case.objects.filter(pk=case.pk).update(resolved_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    later = _say("Broken once more", created_at="2026-11-09T10:00:00+00:00")
    within = Message(channel=org["x"], conversation_key="t1", created_at=datetime(2026, 11, 8, 9, tzinfo=UTC))

    assert later.linked_from == case
    later_closed = Case.objects.filter(pk=later.pk)
    later_closed.update(status="closed", resolved_at=datetime(2026, 11, 8, 8, tzinfo=UTC))
    decision = case_after_close(message=within)
    assert decision is not None and (decision.action, decision.case) == ("reopen", later)


# --- 4. merge and split ---


def test_merging_moves_everything_and_closes_the_merged_case(org: dict[str, Any]) -> None:
    a = _say("It is broken", thread="a")
    b = _say("Broken and late", thread="b")
    task = task_create(
        title="Call back", case=b, assignee=org["alice"], due_at=timezone.now(), actor=org["alice"]
    )
    note_add(case=b, author=org["alice"], text="same person as in a")
    Case.objects.filter(pk=b.pk).update(tags=["vip"])
    b.refresh_from_db()

    moved = case_merge(source=b, target=a, actor=org["alice"], reason="same issue")

    a.refresh_from_db()
    b.refresh_from_db()
    assert (moved.messages, moved.tasks, moved.notes) == (1, 1, 1)
    assert a.case_messages.count() == 2 and b.case_messages.count() == 0
    assert Task.objects.get(pk=task.pk).case == a
    assert "vip" in a.tags
    assert (b.status, b.merged_into) == ("closed", a)
    assert a.events.get(kind="case_merged").reason == f"{b.reference} merged into this case: same issue"
    assert b.events.get(kind="case_merged").reason == f"merged into {a.reference}: same issue"
    assert b.events.filter(kind="status").last().reason == f"merged into {a.reference}"


def test_a_message_in_a_merged_conversation_joins_the_case_it_was_merged_into(org: dict[str, Any]) -> None:
    a = _say("It is broken", thread="a")
    b = _say("Broken and late", thread="b")
    case_merge(source=b, target=a, actor=org["alice"])

    assert _say("any news?", thread="b") == a


def test_an_agent_may_not_merge_across_teams_but_a_lead_may(org: dict[str, Any]) -> None:
    a = _say("It is broken", thread="a")
    b = _say("Where can I buy the Volta City?", thread="b")
    assert (a.team.slug, b.team.slug) == ("service", "sales")
    case_assign(case=b, user=org["alice"])  # alice sees b as its assignee, but it is Sales' case

    with pytest.raises(
        CaseMergeError, match="only a team lead or an admin may merge cases of different teams"
    ):
        case_merge(source=b, target=a, actor=org["alice"])
    with pytest.raises(CaseMergeError, match="no such case in your teams"):
        case_merge(source=a, target=b, actor=org["bob"])
    case_merge(source=b, target=a, actor=org["lena"])
    assert Case.objects.get(pk=b.pk).merged_into == a


def test_splitting_moves_the_chosen_messages_to_a_new_linked_case(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    _say("Also: how much is the Volta Cargo?")
    second = Message.objects.latest("pk")

    new = case_split(case=case, message_ids=[second.pk], actor=org["alice"], reason="a sales question")

    assert (new.customer, new.linked_from, new.team) == (case.customer, case, case.team)
    assert list(new.case_messages.values_list("message_id", flat=True)) == [second.pk]
    assert case.case_messages.count() == 1
    assert new.events.get(kind="case_split").reason == f"split out of {case.reference}: a sales question"
    assert case.events.get(kind="case_split").reason == (
        f"1 message(s) split out into {new.reference}: a sales question"
    )
    assert _say("and the broken one?") == case  # the original keeps the conversation


def test_a_split_needs_messages_of_the_case_and_leaves_one(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    other = _say("Broken too", thread="z")
    only = case.case_messages.get().message_id

    with pytest.raises(CaseMergeError, match="leave at least one message in this case"):
        case_split(case=case, message_ids=[only], actor=org["alice"])
    with pytest.raises(CaseMergeError, match="choose one or more messages of this case"):
        case_split(case=case, message_ids=[other.case_messages.get().message_id], actor=org["alice"])


# --- 8. escalation by hand ---


def test_an_agent_escalates_to_the_teams_lead_with_the_reason(org: dict[str, Any]) -> None:
    case = _say("It is broken")

    case_escalate_to_lead(case=case, actor=org["alice"], reason="customer threatens legal action")

    case.refresh_from_db()
    assert case.assignee == org["lena"]
    event = case.events.get(kind="escalated")
    assert (event.actor, event.reason, event.data) == (
        org["alice"],
        "customer threatens legal action",
        {"to": "lead", "lead": "lena"},
    )
    assert Notification.objects.get(user=org["lena"]).text == (
        f"{case.reference} escalated to lena by alice: customer threatens legal action"
    )


def test_escalating_to_another_team_reassigns_there_and_tells_its_leads(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    sales_lead = agent("sol", team=org["sales"], role=Role.LEAD)

    case_escalate_to_team(
        case=case, actor=org["alice"], reason="wants to buy a second bike", team=org["sales"]
    )

    case.refresh_from_db()
    assert (case.team, case.assignee) == (org["sales"], org["bob"])
    assert case.events.get(kind="escalated").data == {
        "to": "team",
        "from_team": "Customer service",
        "team": "Sales",
    }
    assert Notification.objects.filter(user=sales_lead).count() == 1


def test_escalation_needs_a_reason(org: dict[str, Any]) -> None:
    case = _say("It is broken")
    with pytest.raises(EscalationError, match="say why you escalate"):
        case_escalate_to_lead(case=case, actor=org["alice"], reason=" ")


# --- 9. SLA 24/7 ---


def test_a_24_7_policy_for_pr_counts_calendar_time_over_the_weekend(org: dict[str, Any]) -> None:
    org["x"].business_hours = BERLIN_HOURS
    org["x"].save()
    pr = Team.objects.get(slug="pr")
    SlaPolicy.objects.create(
        name="PR P1 crisis (24/7)",
        priorities=["P1"],
        team=pr,
        first_response_minutes=30,
        resolution_minutes=240,
        warn_before_minutes=10,
        business_hours_only=False,
    )
    saturday = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)

    crisis = open_case(org["x"], at=saturday, priority="P1", team=pr)
    service = open_case(org["x"], at=saturday, priority="P1", team=org["service"])

    assert crisis.first_response_due_at == saturday + timedelta(minutes=30)
    assert crisis.sla_clocks.get(target="first_response").warn_at == saturday + timedelta(minutes=20)
    # Customer service's P1 still waits for Monday 09:00 in Berlin (08:00 UTC) plus one hour.
    assert service.first_response_due_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
