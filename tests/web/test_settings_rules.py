"""Routing rules: validated against the evaluator, previewed over real messages, ordered, audited."""

from __future__ import annotations

from typing import Any

from lara.cases.models import Case, RoutingRule
from lara.core.jobs import jobs_run_pending
from lara.core.models import SettingsChange
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
