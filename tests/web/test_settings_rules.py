"""Routing rules: validated against the evaluator, previewed over real messages, ordered, audited."""

from __future__ import annotations

from typing import Any

from lara.cases.models import Case, RoutingRule, SavedReply
from lara.core.jobs import jobs_run_pending
from lara.core.models import SettingsChange
from lara.mentions.models import MonitoringQuery
from lara.mentions.services import message_ingest_json

from ..factories import inbound
from .settings_helpers import login

SALES = "Sales: purchase intent"


def _seed(*texts: str) -> None:
    for text in texts:
        message_ingest_json(data=inbound(text=text))
    jobs_run_pending()


def _rule_form(**overrides: str) -> dict[str, str]:
    form = {
        "name": SALES,
        "enabled": "on",
        "match": "all",
        "stop": "on",
        "rows": "1",
        "cond-0-field": "purchase_intent",
        "cond-0-op": "is_true",
        "cond-0-value": "",
        "team": "pr",
        "priority": "P1",
        "tags": "lead",
        "create_case": "yes",
    }
    form.update(overrides)
    return form


def test_the_preview_counts_what_the_unsaved_rule_would_change(org: dict[str, Any]) -> None:
    _seed(
        "Where can I buy the Volta City?",  # Sales, P3 → PR, P1
        "What does the Kick cost?",  # Sales, P3 → PR, P1
        "I want to buy one but the last one was broken",  # Sales, P2 → PR, P1
        "The brakes failed, I will buy another brand",  # PR crisis rule first: P1 at PR either way
        "It is broken",  # no purchase intent
        "I love it",  # no purchase intent
    )
    rule = RoutingRule.objects.get(name=SALES)

    response = login(org["lena"]).post(f"/settings/rules/{rule.pk}/", _rule_form(preview="1"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Over the last 6 analysed messages:" in page
    assert '<dd id="preview-matched">4</dd>' in page
    assert '<dd id="preview-team">3</dd>' in page
    assert '<dd id="preview-priority">3</dd>' in page
    case = Case.objects.get(case_messages__message__text="Where can I buy the Volta City?")
    assert f'<a href="/cases/{case.reference}/">{case.reference}</a>' in page
    assert '<td dir="ltr">sales → pr</td>' in page
    assert RoutingRule.objects.get(pk=rule.pk).actions["team"] == "sales"
    assert not SettingsChange.objects.exists()


def test_the_preview_escapes_message_text(org: dict[str, Any]) -> None:
    _seed("<script>alert(1)</script> how much is it?")

    page = (
        login(org["lena"]).post("/settings/rules/new/", _rule_form(name="New", preview="1")).content.decode()
    )

    assert "&lt;script&gt;alert(1)&lt;/script&gt; how much is it?" in page
    assert "<script>alert(1)" not in page


def test_a_saved_rule_is_audited_with_before_and_after(org: dict[str, Any]) -> None:
    rule = RoutingRule.objects.get(name=SALES)

    response = login(org["lena"]).post(f"/settings/rules/{rule.pk}/", _rule_form())

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.actions == {"team": "pr", "priority": "P1", "tags": ["lead"], "create_case": True}
    change = SettingsChange.objects.get(area="routing_rule")
    assert (change.before["actions"]["team"], change.after["actions"]["team"], change.actor.username) == (
        "sales",
        "pr",
        "lena",
    )


def test_fields_operators_and_values_are_checked_against_the_evaluator(org: dict[str, Any]) -> None:
    client = login(org["lena"])
    form = _rule_form(name="Bad", rows="3")
    form.update(
        {
            "cond-0-field": "text",
            "cond-0-op": "gte",
            "cond-0-value": "5",
            "cond-1-field": "shoe_size",
            "cond-1-op": "eq",
            "cond-1-value": "42",
            "cond-2-field": "followers",
            "cond-2-op": "gte",
            "cond-2-value": "many",
        }
    )

    response = client.post("/settings/rules/new/", form)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Condition row 0: text is not a number; use another operator" in page
    assert "Condition row 1: unknown field shoe_size" in page
    assert "Condition row 2: many is not a number" in page
    assert not RoutingRule.objects.filter(name="Bad").exists()


def test_list_values_are_one_a_line_and_numbers_are_numbers(org: dict[str, Any]) -> None:
    form = _rule_form(name="Big accounts", rows="2", team="", priority="", tags="", create_case="")
    form.update(
        {
            "cond-0-field": "followers",
            "cond-0-op": "gte",
            "cond-0-value": "50000",
            "cond-1-field": "language",
            "cond-1-op": "in",
            "cond-1-value": "he\nru\n\nuk",
        }
    )

    login(org["lena"]).post("/settings/rules/new/", form)

    rule = RoutingRule.objects.get(name="Big accounts")
    assert rule.conditions == [
        {"field": "followers", "op": "gte", "value": 50000},
        {"field": "language", "op": "in", "value": ["he", "ru", "uk"]},
    ]
    assert rule.position == max(RoutingRule.objects.values_list("position", flat=True))


def test_move_up_and_down_reorders_the_rules(org: dict[str, Any]) -> None:
    client = login(org["lena"])
    names = list(RoutingRule.objects.order_by("position", "pk").values_list("name", flat=True))
    sales = RoutingRule.objects.get(name=SALES)

    client.post(f"/settings/rules/{sales.pk}/move", {"direction": "up"})
    after_up = list(RoutingRule.objects.order_by("position", "pk").values_list("name", flat=True))
    client.post(f"/settings/rules/{sales.pk}/move", {"direction": "down"})
    after_down = list(RoutingRule.objects.order_by("position", "pk").values_list("name", flat=True))

    index = names.index(SALES)
    expected = [*names[: index - 1], SALES, names[index - 1], *names[index + 1 :]]
    assert after_up == expected
    assert after_down == names
    assert SettingsChange.objects.filter(area="routing_rule", action="move").count() == 2


def test_the_editor_saves_the_new_conditions_and_case_actions(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Competitors", query="Pedalix OR UrbanGlide")
    SavedReply.objects.create(name="Where to buy", language="en", text="Order on our site.")
    form = _rule_form(name="Competitor buyers", rows="3", team="sales", priority="", tags="")
    form.update(
        {
            "cond-0-field": "entities",
            "cond-0-op": "eq",
            "cond-0-value": "competitor",
            "cond-1-field": "query",
            "cond-1-op": "in",
            "cond-1-value": "Competitors",
            "cond-2-field": "keywords",
            "cond-2-op": "eq",
            "cond-2-value": "switch OR cheaper",
            "assign": "bob",
            "escalate": "on",
            "notify": "team_leads, alice, team_leads",
            "auto_reply": "Where to buy",
            "task_title": "Call back",
            "task_due_hours": "4",
            "task_assignee": "case_assignee",
            "task_only_unassigned": "on",
        }
    )
    client = login(org["lena"])

    response = client.post("/settings/rules/new/", form)

    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="Competitor buyers")
    assert rule.conditions == [
        {"field": "entities", "op": "eq", "value": "competitor"},
        {"field": "query", "op": "in", "value": ["Competitors"]},
        {"field": "keywords", "op": "eq", "value": "switch OR cheaper"},
    ]
    assert rule.actions == {
        "team": "sales",
        "create_case": True,
        "assign": "bob",
        "auto_reply": "Where to buy",
        "notify": ["team_leads", "alice"],
        "escalate": True,
        "task": {
            "title": "Call back",
            "due_hours": 4,
            "assignee": "case_assignee",
            "only_if_unassigned": True,
        },
    }
    page = client.get(f"/settings/rules/{rule.pk}/").content.decode()
    assert 'name="assign" value="bob"' in page
    assert 'name="notify" value="team_leads, alice"' in page
    assert 'name="task_title" value="Call back"' in page
    assert '<option value="Where to buy">' in page


def test_unknown_users_saved_replies_and_queries_are_inline_errors(org: dict[str, Any]) -> None:
    form = _rule_form(name="Bad actions", rows="3")
    form.update(
        {
            "cond-0-field": "query",
            "cond-0-op": "eq",
            "cond-0-value": "Nope",
            "cond-1-field": "keywords",
            "cond-1-op": "eq",
            "cond-1-value": "-refund",
            "cond-2-field": "entities",
            "cond-2-op": "gte",
            "cond-2-value": "3",
            "assign": "zoe",
            "notify": "team_leads, ghost",
            "auto_reply": "Gone",
            "task_title": "Call back",
            "task_assignee": "nemo",
        }
    )

    response = login(org["lena"]).post("/settings/rules/new/", form)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Condition row 0: no monitoring query is named Nope" in page
    assert (
        "Condition row 1: keywords -refund: a part of the query only excludes words; add a word to look for"
        in page
    )
    assert "Condition row 2: entities cannot be tested with gte" in page
    assert '<p class="error-text">No active user is named zoe.</p>' in page
    assert '<p class="error-text">No active user is named ghost.</p>' in page
    assert '<p class="error-text">No shared saved reply is named Gone.</p>' in page
    assert '<p class="error-text">No active user is named nemo.</p>' in page
    assert not RoutingRule.objects.filter(name="Bad actions").exists()


def test_a_task_due_time_must_be_a_positive_number_of_hours(org: dict[str, Any]) -> None:
    form = _rule_form(name="Bad task", task_title="Call back", task_due_hours="soon")

    response = login(org["lena"]).post("/settings/rules/new/", form)

    assert response.status_code == 400
    assert (
        "The task&#x27;s due time is a number of hours above 0 and at most 720." in response.content.decode()
    )


def test_the_preview_counts_the_case_actions_the_rules_would_take(org: dict[str, Any]) -> None:
    _seed(
        "Where can I buy the Volta City?",  # Sales: task + notify
        "What does the Kick cost?",  # Sales: task + notify
        "I want to buy one but the last one was broken",  # Sales: task + notify
        "The brakes failed, I will buy another brand",  # the PR crisis rule: escalate + notify
        "It is broken",  # not matched
    )
    rule = RoutingRule.objects.get(name=SALES)
    form = _rule_form(preview="1", team="sales", priority="", notify="team_leads")
    form.update({"task_title": "Call back", "task_due_hours": "4"})

    page = login(org["lena"]).post(f"/settings/rules/{rule.pk}/", form).content.decode()

    assert '<dd id="preview-matched">4</dd>' in page
    assert '<dd id="preview-notify">4</dd>' in page
    assert '<dd id="preview-task">3</dd>' in page
    assert '<dd id="preview-escalate">1</dd>' in page
    assert '<dd id="preview-auto-reply">0</dd>' in page
    assert '<td dir="auto">task “Call back”; notify team_leads</td>' in page
    assert '<td dir="auto">escalate; notify team_leads</td>' in page
    assert RoutingRule.objects.get(pk=rule.pk).actions["task"]["title"] == "Follow up within 24 h"
