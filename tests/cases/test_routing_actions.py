"""Rule actions on the case a rule opens: assign, escalate, task, notify, auto-reply — each recorded.

Every action either does its work through the service an agent would use or
is refused with the reason; both land on the RoutingDecision and as a
``rule_action`` event whose reason starts with the rule's name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lara.cases.models import Case, EventKind, Reply, RoutingDecision, RoutingRule, SavedReply, Task
from lara.cases.routing import Outcome, RuleAct
from lara.cases.rule_actions import route_actions_apply
from lara.cases.services import case_assign
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile, Membership, Notification, Role
from lara.mentions.services import message_ingest_json

from ..factories import ChannelFactory, inbound
from .helpers import open_case

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BATTERY = "My battery is broken after a week"


def _rule(name: str, actions: dict[str, Any], conditions: list[dict[str, Any]] | None = None) -> None:
    """A rule ahead of the defaults that opens a Customer service case for battery complaints."""
    RoutingRule.objects.create(
        name=name,
        position=1,
        conditions=conditions
        if conditions is not None
        else [{"field": "keywords", "op": "eq", "value": "battery"}],
        actions={"team": "service", "create_case": True, **actions},
    )


def _route(text: str = BATTERY, **overrides: Any) -> Case:
    message_ingest_json(data=inbound(text=text, **overrides))
    jobs_run_pending()
    return Case.objects.get(subject=text)


def _actions(case: Case) -> list[dict[str, Any]]:
    return RoutingDecision.objects.get(message__case_link__case=case).actions


def _trail(case: Case) -> list[str]:
    return list(case.events.filter(kind=EventKind.RULE_ACTION).values_list("reason", flat=True))


def _load(org: dict[str, Any], user: Any, count: int) -> None:
    for _ in range(count):
        case_assign(case=open_case(org["x"], at=NOON, team=org["service"]), user=user)


# --- assign -------------------------------------------------------------------------------------


def test_a_rule_assigns_its_user_over_the_usual_pick(org: dict[str, Any]) -> None:
    _load(org, org["alice"], 3)  # the usual pick would be lena, the least loaded
    _rule("Batteries to alice", {"assign": "alice"})

    case = _route()

    assert case.assignee == org["alice"]
    assert _actions(case) == [
        {"rule": "Batteries to alice", "action": "assign", "done": True, "detail": "assigned to alice"}
    ]
    assert case.events.get(kind=EventKind.ASSIGNED).reason == "Batteries to alice: assigned by the rule"
    assert _trail(case) == ["Batteries to alice: assigned to alice"]


def test_assign_to_someone_outside_the_team_is_refused_and_the_usual_pick_takes_over(
    org: dict[str, Any],
) -> None:
    _load(org, org["lena"], 2)
    _rule("Batteries to bob", {"assign": "bob"})

    case = _route()

    assert case.assignee == org["alice"]
    assert case.events.get(kind=EventKind.ASSIGNED).reason == "least loaded, reads en"
    assert _actions(case) == [
        {
            "rule": "Batteries to bob",
            "action": "assign",
            "done": False,
            "detail": "assign to bob skipped: not in team Customer service",
        }
    ]
    assert _trail(case) == ["Batteries to bob: assign to bob skipped: not in team Customer service"]


def test_assign_to_someone_away_or_gone_is_refused(org: dict[str, Any]) -> None:
    AgentProfile.objects.filter(user=org["alice"]).update(is_away=True)
    _rule("Batteries to alice", {"assign": "alice"})
    away = _route()
    RoutingRule.objects.filter(name="Batteries to alice").update(
        actions={"team": "service", "create_case": True, "assign": "zoe"}
    )

    gone = _route("My battery died again")

    assert away.assignee == org["lena"]
    assert _trail(away) == ["Batteries to alice: assign to alice skipped: away"]
    assert _trail(gone) == ["Batteries to alice: assign to zoe skipped: no such user"]


# --- escalate -----------------------------------------------------------------------------------


def test_escalate_raises_the_priority_and_hands_the_case_to_a_lead(org: dict[str, Any]) -> None:
    _rule("Battery complaints to the lead", {"priority": "P2", "escalate": True})

    case = _route()

    assert (case.assignee, case.priority) == (org["lena"], "P1")
    assert case.events.get(kind=EventKind.ESCALATED).reason == "rule Battery complaints to the lead"
    assert case.events.get(kind=EventKind.PRIORITY).data == {"from": "P2", "to": "P1"}
    assert case.events.filter(kind=EventKind.ASSIGNED).count() == 1  # no usual pick before the lead
    assert _actions(case) == [
        {
            "rule": "Battery complaints to the lead",
            "action": "escalate",
            "done": True,
            "detail": "escalated to lena, priority P2 → P1",
        }
    ]
    assert list(Notification.objects.values_list("user__username", "text")) == [
        ("lena", f"{case.reference} escalated to lena by Lara: rule Battery complaints to the lead")
    ]


def test_escalate_with_no_lead_anywhere_is_refused_and_the_case_is_assigned_as_usual(
    org: dict[str, Any],
) -> None:
    Membership.objects.filter(user=org["lena"]).update(role=Role.AGENT)
    _rule("Battery complaints to the lead", {"priority": "P2", "escalate": True})

    case = _route()

    assert case.priority == "P2"
    assert case.assignee in (org["alice"], org["lena"])
    assert _trail(case) == [
        "Battery complaints to the lead: escalate skipped: this case's team has no lead to escalate to"
    ]


def test_the_default_crisis_rule_escalates_and_tells_the_leads_once(org: dict[str, Any]) -> None:
    case = _route("The brakes failed on the downhill")

    assert (case.team.slug, case.priority, case.assignee) == ("pr", "P1", org["lena"])
    assert [(a["action"], a["done"], a["detail"]) for a in _actions(case)] == [
        ("escalate", True, "escalated to lena, priority P1 → P1"),
        ("notify", True, "notified nobody new (lena already told)"),
    ]
    assert Notification.objects.filter(user=org["lena"]).count() == 1


# --- task ---------------------------------------------------------------------------------------


def test_a_task_goes_to_the_case_assignee_due_in_the_rules_hours(org: dict[str, Any]) -> None:
    case = open_case(org["x"], at=NOON, team=org["service"], priority="P2")
    case_assign(case=case, user=org["alice"])
    outcome = Outcome(
        acts=[RuleAct("task", {"title": "Call back", "due_hours": 4, "assignee": "case_assignee"}, "Calls")]
    )

    records = route_actions_apply(case=case, outcome=outcome, language="en", now=NOON)

    task = Task.objects.get()
    assert (task.title, task.case, task.assignee, task.priority) == ("Call back", case, org["alice"], "P2")
    assert task.due_at == NOON + timedelta(hours=4)
    assert records == [
        {"rule": "Calls", "action": "task", "done": True, "detail": "task “Call back” for alice, due in 4 h"}
    ]
    assert case.events.get(kind=EventKind.TASK_CREATED).reason == "Call back"


def test_sales_gets_a_follow_up_task_only_when_no_agent_is_free(org: dict[str, Any]) -> None:
    free = _route("Where can I buy the Volta City?")
    AgentProfile.objects.filter(user=org["bob"]).update(is_away=True)

    nobody = _route("How much is the Volta Kick?")

    assert free.assignee == org["bob"]
    assert _trail(free) == [
        "Sales: purchase intent: task “Follow up within 24 h” skipped: the case went to bob"
    ]
    assert nobody.assignee is None
    task = Task.objects.get()
    assert (task.title, task.case, task.assignee) == ("Follow up within 24 h", nobody, org["lena"])
    assert _trail(nobody) == [
        "Sales: purchase intent: task “Follow up within 24 h” for lena, due in 24 h "
        "(the case has no assignee)"
    ]


# --- notify -------------------------------------------------------------------------------------


def test_notify_tells_named_people_and_the_team_leads_by_app_and_mail(
    org: dict[str, Any], mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    org["alice"].email = "alice@volta.example"
    org["alice"].save()
    _rule("Battery watch", {"notify": ["alice", "oscar", "team_leads"]})

    with django_capture_on_commit_callbacks(execute=True):
        case = _route()

    text = f"{case.reference}: Battery watch — {BATTERY}"
    assert sorted(Notification.objects.values_list("user__username", "text", "url")) == [
        ("alice", text, f"/cases/{case.reference}/"),
        ("lena", text, f"/cases/{case.reference}/"),
    ]
    assert [(m.to, m.subject) for m in mailoutbox] == [(["alice@volta.example"], f"[Lara] {text}")]
    assert _trail(case) == [
        "Battery watch: notify oscar skipped: cannot see this case",
        "Battery watch: notified alice, lena",
    ]


def test_actions_of_a_message_that_opens_no_case_are_recorded_as_not_done(org: dict[str, Any]) -> None:
    RoutingRule.objects.create(
        name="Shop mentions",
        position=1,
        conditions=[{"field": "keywords", "op": "eq", "value": "shop"}],
        actions={"create_case": False, "notify": ["alice"]},
    )

    message_ingest_json(data=inbound(text="Rode past the Volta shop today"))
    jobs_run_pending()

    assert RoutingDecision.objects.get().actions == [
        {
            "rule": "Shop mentions",
            "action": "notify",
            "done": False,
            "detail": "notify skipped: no case was opened",
        }
    ]
    assert not Notification.objects.exists()


# --- auto-reply ---------------------------------------------------------------------------------


def _saved(name: str, language: str, text: str, owner: Any = None) -> SavedReply:
    return SavedReply.objects.create(name=name, language=language, text=text, owner=owner)


def test_the_auto_reply_is_sent_in_the_cases_language_and_is_not_a_first_response(
    org: dict[str, Any],
) -> None:
    _saved("Thanks", "en", "Hi {first_name}, {brand} here: we are on it ({case_reference}).")
    _saved("Thanks", "uk", "Вітаємо, {first_name}! {brand} вже розбирається ({case_reference}).")
    _rule("Thank first", {"auto_reply": "Thanks"}, [{"field": "type", "op": "eq", "value": "question"}])

    english = _route("Where is my order?", author={"name": "Dana Levi"})
    ukrainian = _route("Де моє замовлення?", author={"name": "Олена Шевчук"})

    replies = {r.case: r for r in Reply.objects.all()}
    assert replies[english].text == f"Hi Dana, volta here: we are on it ({english.reference})."
    assert replies[ukrainian].text == f"Вітаємо, Олена! volta вже розбирається ({ukrainian.reference})."
    assert (replies[english].automatic, replies[english].author) == (True, None)
    english.refresh_from_db()
    assert (english.first_response_at, english.status) == (None, "new")
    assert _trail(ukrainian) == ["Thank first: auto-reply “Thanks” (uk) queued"]
    queued = ukrainian.events.get(kind=EventKind.REPLY_QUEUED)
    assert queued.reason == "Thank first: auto-reply “Thanks” (uk)"


def test_a_case_gets_one_auto_reply_from_the_rules(org: dict[str, Any]) -> None:
    _saved("Thanks", "en", "Thanks, we are on it.")
    case = open_case(org["x"], at=NOON, team=org["service"])
    outcome = Outcome(acts=[RuleAct("auto_reply", "Thanks", "Thank first")])

    route_actions_apply(case=case, outcome=outcome, language="en")
    again = route_actions_apply(case=case, outcome=outcome, language="en")

    assert Reply.objects.filter(case=case).count() == 1
    assert again == [
        {
            "rule": "Thank first",
            "action": "auto_reply",
            "done": False,
            "detail": "auto-reply skipped: this case already had one",
        }
    ]


def test_an_auto_reply_over_the_networks_limit_is_not_sent(org: dict[str, Any]) -> None:
    _saved("Essay", "en", "We are sorry. " * 25)
    _rule("Long answer", {"auto_reply": "Essay"})

    case = _route()

    assert not Reply.objects.exists()
    assert _trail(case) == [
        "Long answer: auto-reply “Essay” (en) not sent: this reply has 349 characters; "
        "twitter takes at most 280 — shorten it by 69"
    ]


def test_an_auto_reply_on_a_network_that_takes_no_replies_is_not_sent(org: dict[str, Any]) -> None:
    ChannelFactory(slug="feed", network="rss", name="Forum feed")
    _saved("Thanks", "en", "Thanks, we are on it.")
    _rule("Thank first", {"auto_reply": "Thanks"})

    case = _route(channel="feed")

    assert not Reply.objects.exists()
    assert _trail(case) == [
        "Thank first: auto-reply “Thanks” (en) not sent: Forum / blog feed takes no replies through its API; "
        "create a task to answer on the site instead"
    ]


def test_an_auto_reply_with_a_blocked_word_waits_for_a_lead(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_BLOCKED_WORDS = ["guarantee"]
    _saved("Promise", "en", "We guarantee a new battery.")
    _rule("Promise a battery", {"auto_reply": "Promise"})

    case = _route()

    reply = Reply.objects.get()
    assert (reply.status, reply.automatic, reply.author) == ("awaiting_approval", True, None)
    assert _trail(case) == [
        "Promise a battery: auto-reply “Promise” (en) held for approval: contains blocked words: guarantee"
    ]
    assert Notification.objects.get(user=org["lena"]).text == (
        f"{case.reference}: a reply by Lara (automatic) waits for approval "
        "(contains blocked words: guarantee)"
    )


@pytest.mark.parametrize("owner", ["lena", None])
def test_an_auto_reply_needs_a_shared_saved_reply(org: dict[str, Any], owner: str | None) -> None:
    if owner:
        _saved("Mine", "en", "Personal words.", owner=org[owner])
    _rule("Personal", {"auto_reply": "Mine"})

    case = _route()

    assert not Reply.objects.exists()
    assert _trail(case) == ["Personal: auto-reply “Mine” skipped: no shared saved reply by that name"]
