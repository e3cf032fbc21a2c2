"""Routing conditions over entities, monitoring queries and keywords, evaluated and fed by the pipeline."""

from __future__ import annotations

from typing import Any

from lara.cases.models import Case, RoutingRule
from lara.cases.routing import RuleSpec, evaluate
from lara.core.jobs import jobs_run_pending
from lara.mentions.models import MonitoringQuery
from lara.mentions.services import message_ingest_json

from ..factories import inbound

PEDALIX = {"name": "Pedalix", "kind": "competitor", "text": "Педаликс"}
CITY = {"name": "Volta City", "kind": "product", "text": "Volta City"}


def _team_if(field: str, op: str, value: Any = None) -> list[RuleSpec]:
    condition = {"field": field, "op": op} | ({} if value is None else {"value": value})
    return [RuleSpec(1, "test", "all", [condition], {"team": "pr"}, True)]


def _routed(rules: list[RuleSpec], **facts: Any) -> bool:
    return evaluate(rules, facts).team == "pr"


def test_an_entity_condition_names_an_entity_or_its_kind() -> None:
    entities = [CITY, PEDALIX]

    assert _routed(_team_if("entities", "eq", "competitor"), entities=entities) is True
    assert _routed(_team_if("entities", "contains_any", ["urbanglide", "pedalix"]), entities=entities) is True
    assert _routed(_team_if("entities", "in", ["UrbanGlide"]), entities=entities) is False
    assert _routed(_team_if("entities", "not_in", ["competitor"]), entities=entities) is False
    assert _routed(_team_if("entities", "not_in", ["competitor"]), entities=[CITY]) is True
    assert _routed(_team_if("entities", "is_true"), entities=[]) is False


def test_a_query_condition_names_the_monitoring_queries_that_matched() -> None:
    assert _routed(_team_if("query", "eq", "Competitors"), query=["Brand", "Competitors"]) is True
    assert _routed(_team_if("query", "in", ["competitors", "Press"]), query=["Competitors"]) is True
    assert _routed(_team_if("query", "eq", "Press"), query=["Competitors"]) is False
    assert _routed(_team_if("query", "ne", "Press"), query=["Competitors"]) is True
    assert _routed(_team_if("query", "eq", "Press"), query=[]) is False


def test_keywords_use_the_query_syntax_by_word_prefix() -> None:
    rules = _team_if("keywords", "eq", "refund OR chargeback")

    assert _routed(rules, keywords="I filed a Chargeback yesterday") is True
    assert _routed(rules, keywords="Two refunds, none arrived") is True
    assert _routed(rules, keywords="The refurbished one is fine") is False
    assert _routed(_team_if("keywords", "eq", "refund -partial"), keywords="a partial refund") is False
    assert _routed(_team_if("keywords", "ne", "refund"), keywords="where is my order") is True
    assert _routed(_team_if("keywords", "contains_any", ["late", "broke"]), keywords="it broke") is True


def test_a_malformed_keyword_query_saved_around_the_editor_matches_nothing() -> None:
    assert _routed(_team_if("keywords", "eq", '"unbalanced'), keywords="unbalanced quote") is False


def test_the_pipeline_gives_rules_the_entities_queries_and_keywords(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Brand watch", query="Volta OR Вольта")
    RoutingRule.objects.create(
        name="Brand mention with a refund",
        position=1,
        conditions=[
            {"field": "entities", "op": "eq", "value": "brand"},
            {"field": "query", "op": "eq", "value": "Brand watch"},
            {"field": "keywords", "op": "eq", "value": "refund OR chargeback"},
        ],
        actions={"team": "pr", "tags": ["refund-watch"], "create_case": True},
    )

    message_ingest_json(data=inbound(text="Volta still owes me a chargeback"))
    message_ingest_json(data=inbound(text="Volta still owes me an answer"))
    jobs_run_pending()

    chargeback = Case.objects.get(subject="Volta still owes me a chargeback")
    assert (chargeback.team.slug, chargeback.tags) == ("pr", ["refund-watch"])
    assert [c.subject for c in Case.objects.all() if "refund-watch" in c.tags] == [chargeback.subject]
