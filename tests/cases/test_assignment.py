"""Assignment: sticky, skilled, present, under capacity, least loaded; visible when nobody can."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lara.cases.assignment import assignee_pick
from lara.cases.models import Case, CaseEvent, RoutingRule
from lara.cases.routing import RuleSpec, evaluate
from lara.cases.services import case_assign
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile
from lara.customers.models import Customer
from lara.mentions.services import message_ingest_json

from ..factories import agent, inbound
from .helpers import open_case

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _load(org: dict[str, Any], user: Any, count: int, customer: Customer | None = None) -> None:
    for _ in range(count):
        case_assign(case=open_case(org["x"], at=NOON, team=org["service"], customer=customer), user=user)


def _profile(user: Any, **fields: Any) -> None:
    AgentProfile.objects.filter(user=user).update(**fields)


def test_the_least_loaded_agent_gets_the_case(org: dict[str, Any]) -> None:
    _load(org, org["lena"], 2)
    _load(org, org["alice"], 1)

    pick = assignee_pick(team=org["service"])

    assert (pick.user, pick.reason) == (org["alice"], "least loaded")


def test_equal_loads_take_turns(org: dict[str, Any]) -> None:
    first = assignee_pick(team=org["service"]).user
    second = assignee_pick(team=org["service"]).user

    assert {first, second} == {org["alice"], org["lena"]}


def test_the_language_match_is_preferred_over_a_lighter_load(org: dict[str, Any]) -> None:
    _load(org, org["lena"], 2)

    pick = assignee_pick(team=org["service"], language="he")

    assert (pick.user, pick.reason) == (org["lena"], "least loaded, reads he")


def test_an_agent_at_capacity_is_passed_over(org: dict[str, Any]) -> None:
    _profile(org["alice"], capacity=1)
    _load(org, org["alice"], 1)
    _load(org, org["lena"], 3)

    assert assignee_pick(team=org["service"]).user == org["lena"]


def test_the_customers_previous_agent_keeps_the_customer(org: dict[str, Any]) -> None:
    dana = Customer.objects.create(name="Dana Levi")
    _load(org, org["alice"], 1, customer=dana)
    _load(org, org["alice"], 2)

    pick = assignee_pick(team=org["service"], customer=dana)

    assert (pick.user, pick.reason) == (org["alice"], "sticky: the customer's previous agent")


def test_a_sticky_agent_who_is_away_or_full_is_not_waited_for(org: dict[str, Any]) -> None:
    dana = Customer.objects.create(name="Dana Levi")
    _load(org, org["alice"], 1, customer=dana)
    _profile(org["alice"], is_away=True)

    assert assignee_pick(team=org["service"], customer=dana).user == org["lena"]

    _profile(org["alice"], is_away=False, capacity=1)
    assert assignee_pick(team=org["service"], customer=dana).user == org["lena"]


def test_a_previous_agent_of_another_team_does_not_stick(org: dict[str, Any]) -> None:
    dana = Customer.objects.create(name="Dana Levi")
    case_assign(case=open_case(org["x"], at=NOON, customer=dana), user=org["bob"])

    assert assignee_pick(team=org["service"], customer=dana).user in (org["alice"], org["lena"])


def test_a_named_skill_is_required(org: dict[str, Any]) -> None:
    _profile(org["lena"], skills=["billing"])
    _load(org, org["lena"], 3)

    pick = assignee_pick(team=org["service"], skill="billing")

    assert (pick.user, pick.reason) == (org["lena"], "least loaded, skill billing")
    nobody = assignee_pick(team=org["service"], skill="legal")
    assert (nobody.user, nobody.reason) == (None, "nobody present in Customer service has the skill 'legal'")


def test_nobody_to_take_it_says_why(org: dict[str, Any]) -> None:
    empty = assignee_pick(team=org["sales"].__class__.objects.create(slug="legal", name="Legal"))
    _profile(org["bob"], is_away=True)
    away = assignee_pick(team=org["sales"])
    _profile(org["alice"], capacity=0)
    _profile(org["lena"], capacity=0)
    full = assignee_pick(team=org["service"])

    assert [p.reason for p in (empty, away, full)] == [
        "nobody is in Legal",
        "everyone in Sales is away",
        "everyone present in Customer service is at capacity",
    ]
    assert all(p.user is None for p in (empty, away, full))


def test_a_case_nobody_can_take_stays_visibly_unassigned(org: dict[str, Any]) -> None:
    _profile(org["alice"], is_away=True)
    _profile(org["lena"], is_away=True)

    message_ingest_json(data=inbound(text="My battery is broken after a week"))
    jobs_run_pending()

    case = Case.objects.get()
    assert case.assignee is None
    event = CaseEvent.objects.get(case=case, kind="unassigned")
    assert event.reason == "everyone in Customer service is away"


def test_a_rule_naming_a_skill_routes_to_the_skilled_agent(org: dict[str, Any]) -> None:
    agent("sara", team=org["service"], languages=["en"])
    _profile(org["lena"], skills=["batteries"])
    _load(org, org["lena"], 4)
    RoutingRule.objects.create(
        name="Batteries need the battery expert",
        position=1,
        stop=False,
        conditions=[{"field": "text", "op": "contains_any", "value": ["battery"]}],
        actions={"skill": "batteries"},
    )

    message_ingest_json(data=inbound(text="My battery is broken after a week"))
    jobs_run_pending()

    case = Case.objects.get(subject__startswith="My battery")
    assert case.assignee == org["lena"]
    assert case.events.get(kind="assigned").reason == "least loaded, reads en, skill batteries"


def test_the_first_rule_naming_a_skill_wins() -> None:
    rules = [
        RuleSpec(1, "a", "all", [], {"skill": "billing"}, False),
        RuleSpec(2, "b", "all", [], {"skill": "legal", "team": "service"}, True),
    ]

    outcome = evaluate(rules, {})

    assert (outcome.skill, outcome.team) == ("billing", "service")


def test_rules_can_test_business_hours() -> None:
    rules = [
        RuleSpec(
            1, "night shift", "all", [{"field": "in_business_hours", "op": "is_false"}], {"team": "pr"}, True
        )
    ]

    assert evaluate(rules, {"in_business_hours": False}).team == "pr"
    assert evaluate(rules, {"in_business_hours": True}).team is None
