"""SLA policies counted in the channel's business hours; warnings and escalations, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lara.cases.defaults import SLA_POLICIES
from lara.cases.escalation import sla_check
from lara.cases.models import CaseEvent, SlaClock, SlaPolicy
from lara.cases.services import case_assign
from lara.cases.sla import SLA_HOURS
from lara.core.jobs import PERIODIC_JOBS
from lara.core.models import Notification

from .helpers import BERLIN_HOURS, JERUSALEM_HOURS, open_case

BERLIN = ZoneInfo("Europe/Berlin")
JERUSALEM = ZoneInfo("Asia/Jerusalem")


def _berlin(org: dict[str, Any]) -> Any:
    org["x"].business_hours = BERLIN_HOURS
    org["x"].save()
    return org["x"]


def test_the_default_policies_keep_the_old_numbers_in_business_hours(org: dict[str, Any]) -> None:
    policies = {p.priorities[0]: p for p in SlaPolicy.objects.all()}

    assert len(SLA_POLICIES) == 4
    assert {
        prio: (p.first_response_minutes // 60, p.resolution_minutes // 60) for prio, p in policies.items()
    } == SLA_HOURS
    assert [policies[p].warn_before_minutes for p in ("P1", "P2", "P3", "P4")] == [15, 60, 120, 240]
    assert all(p.channel is None for p in policies.values())


def test_a_friday_evening_p2_is_due_on_monday_in_berlin(org: dict[str, Any]) -> None:
    case = open_case(_berlin(org), at=datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN), priority="P2")

    assert case.first_response_due_at == datetime(2026, 11, 23, 12, 0, tzinfo=BERLIN)  # 1 h Fri + 3 h Mon
    clocks = {c.target: c for c in SlaClock.objects.filter(case=case)}
    assert clocks["first_response"].warn_at == datetime(2026, 11, 23, 11, 0, tzinfo=BERLIN)
    # 24 h of work: 1 h Fri + 9 h Mon + 9 h Tue + 5 h Wed
    assert case.resolution_due_at == datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN)
    assert clocks["resolution"].policy.name == "P2 default"


def test_the_same_p1_runs_across_yom_kippur_in_jerusalem(org: dict[str, Any]) -> None:
    org["x"].business_hours = JERUSALEM_HOURS
    org["x"].save()

    case = open_case(org["x"], at=datetime(2026, 9, 20, 17, 30, tzinfo=JERUSALEM), priority="P1")

    assert case.first_response_due_at == datetime(2026, 9, 22, 9, 30, tzinfo=JERUSALEM)  # Mon 21 closed
    assert case.resolution_due_at == datetime(2026, 9, 22, 16, 30, tzinfo=JERUSALEM)


def test_a_channel_policy_wins_over_the_general_one(org: dict[str, Any]) -> None:
    SlaPolicy.objects.create(
        name="X is fast",
        priorities=["P2", "P3"],
        channel=_berlin(org),
        first_response_minutes=30,
        resolution_minutes=120,
    )

    x_case = open_case(org["x"], at=datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN), priority="P3")
    api_case = open_case(org["api"], at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC), priority="P3")

    assert x_case.first_response_due_at == datetime(2026, 11, 23, 10, 30, tzinfo=BERLIN)
    assert api_case.first_response_due_at == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # default 8 h, 9–18


def test_without_a_matching_policy_the_wall_clock_numbers_apply(org: dict[str, Any]) -> None:
    SlaPolicy.objects.all().delete()
    at = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # a Saturday night

    case = open_case(_berlin(org), at=at, priority="P1")

    assert (case.first_response_due_at, case.resolution_due_at) == (
        at + timedelta(hours=1),
        at + timedelta(hours=8),
    )


def test_unusable_hours_count_wall_clock_time(org: dict[str, Any]) -> None:
    org["x"].business_hours = {"time_zone": "Nowhere/Else"}
    org["x"].save()
    at = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)

    case = open_case(org["x"], at=at, priority="P1")

    assert case.first_response_due_at == at + timedelta(hours=1)


def _events(case: Any, kind: str) -> list[tuple[str, str]]:
    return [(e.data["target"], e.reason) for e in CaseEvent.objects.filter(case=case, kind=kind)]


def test_a_warning_comes_once_before_the_breach(org: dict[str, Any]) -> None:
    case = open_case(
        _berlin(org), at=datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN), priority="P2", team=org["service"]
    )
    case_assign(case=case, user=org["alice"])
    at_warning = datetime(2026, 11, 23, 11, 5, tzinfo=BERLIN)

    first = sla_check(now=at_warning)
    again = sla_check(now=at_warning + timedelta(minutes=1))

    assert (first.warned, first.breached, again.warned, again.breached) == (1, 0, 0, 0)
    assert _events(case, "sla_warning") == [("first_response", "first response due at 2026-11-23 11:00 UTC")]
    assert list(Notification.objects.values_list("user__username", "text", "url")) == [
        (
            "alice",
            f"{case.reference}: first response due at 2026-11-23 11:00 UTC",
            f"/cases/{case.reference}/",
        )
    ]


def test_a_breach_escalates_once_raises_the_priority_and_tells_the_leads(org: dict[str, Any]) -> None:
    case = open_case(
        _berlin(org), at=datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN), priority="P2", team=org["service"]
    )
    after_due = datetime(2026, 11, 23, 12, 1, tzinfo=BERLIN)

    first = sla_check(now=after_due)
    again = sla_check(now=after_due + timedelta(hours=1))

    assert (first.breached, again.breached) == (1, 0)
    case.refresh_from_db()
    assert case.priority == "P1"
    assert _events(case, "sla_breached") == [
        ("first_response", "first response was due at 2026-11-23 11:00 UTC")
    ]
    priority = CaseEvent.objects.get(case=case, kind="priority")
    assert (priority.data, priority.reason) == ({"from": "P2", "to": "P1"}, "first response SLA breached")
    assert list(Notification.objects.values_list("user__username", "text")) == [
        ("lena", f"{case.reference}: first response SLA breached (P1)")
    ]


def test_a_met_target_neither_warns_nor_breaches(org: dict[str, Any]) -> None:
    case = open_case(
        _berlin(org), at=datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN), priority="P2", team=org["service"]
    )
    case.first_response_at = datetime(2026, 11, 20, 17, 10, tzinfo=BERLIN)
    case.save()

    result = sla_check(now=datetime(2026, 11, 23, 12, 30, tzinfo=BERLIN))

    assert (result.warned, result.breached) == (0, 0)
    case.status = "resolved"
    case.save()
    assert sla_check(now=datetime(2026, 12, 31, 12, 0, tzinfo=BERLIN)).breached == 0


def test_the_watchers_run_every_minute() -> None:
    assert PERIODIC_JOBS["lara.cases.tasks.check_sla_task"] == 60
    assert PERIODIC_JOBS["lara.cases.tasks.send_task_reminders_task"] == 60
