"""Segments: a JSON definition becomes one query; counts refresh; routing and the API use them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lara.cases.models import Case, RoutingRule
from lara.cases.routing import RuleSpec, evaluate
from lara.core.jobs import PERIODIC_JOBS, jobs_run_pending
from lara.core.services import api_token_create
from lara.customers.models import Customer, SocialProfile
from lara.customers.segments import (
    SegmentError,
    customer_segments,
    segment_create,
    segment_queryset,
    segments_count_task,
)
from lara.mentions.services import message_ingest_json

from ..factories import inbound

VIP_AT_RISK = {"tier": ["gold", "platinum"], "complaints": {"min": 2, "days": 30}}


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def _say(who: str, text: str, *, days_ago: float, channel: str = "x") -> None:
    at = (timezone.now() - timedelta(days=days_ago)).isoformat()
    message_ingest_json(
        data=inbound(
            channel=channel,
            text=text,
            created_at=at,
            author={"external_id": who, "handle": f"@{who}", "name": who},
        )
    )


def _customer(who: str) -> Customer:
    return SocialProfile.objects.get(external_id=who).customer


@pytest.fixture
def people(org: dict[str, Any]) -> dict[str, Customer]:
    """dana (gold): 2 recent complaints; gal (gold): 1 complaint, asks a price; noa (silver): 3 complaints;
    old (platinum): 2 complaints 40 days ago, then praise; ivan writes Russian on the e-mail channel."""
    _say("dana", "My bike arrived broken", days_ago=3)
    _say("dana", "Still broken, I want a refund", days_ago=2)
    _say("dana", "Any news?", days_ago=1)
    _say("gal", "The app is terrible", days_ago=5)
    _say("gal", "How much does the Volta City cost?", days_ago=4)
    for n in range(3):
        _say("noa", f"Broken again ({n})", days_ago=2 + n)
    _say("old", "Broken", days_ago=41)
    _say("old", "Broken again", days_ago=40)
    _say("old", "I love it now", days_ago=1)
    _say("ivan", "Привет, где мой заказ", days_ago=6, channel="email")
    jobs_run_pending()
    tiers = {"dana": "gold", "gal": "gold", "noa": "silver", "old": "platinum", "ivan": ""}
    found = {}
    for who, tier in tiers.items():
        customer = _customer(who)
        Customer.objects.filter(pk=customer.pk).update(tier=tier)
        found[who] = customer
    return found


def _names(definition: dict[str, Any]) -> set[str]:
    return set(segment_queryset(definition).values_list("name", flat=True))


def test_each_condition_selects_exactly_the_customers_it_describes(people: dict[str, Customer]) -> None:
    assert _names(VIP_AT_RISK) == {"dana"}
    assert _names({"complaints": {"min": 2, "days": 30}}) == {"dana", "noa"}
    assert _names({"complaints": {"min": 2, "days": 60}}) == {"dana", "noa", "old"}
    assert _names({"negative_share": {"last": 3, "min": 0.6}}) == {"dana", "noa", "old"}
    assert _names({"negative_share": {"last": 1, "min": 1}}) == {"noa"}
    assert _names({"purchase_intent_days": 14}) == {"gal"}
    assert _names({"channels": ["email"]}) == {"ivan"}
    assert _names({"languages": ["ru"]}) == {"ivan"}
    assert _names({"tier": "platinum", "last_contact_within_days": 2}) == {"old"}
    assert _names({"last_contact_before_days": 5}) == {"ivan"}
    assert _names({"status": ["unknown"], "tier": ["silver"]}) == {"noa"}


def test_a_segment_is_one_query_however_many_customers(people: dict[str, Customer]) -> None:
    definition = {**VIP_AT_RISK, "negative_share": {"last": 5, "min": 0.5}, "purchase_intent_days": 30}

    with CaptureQueriesContext(connection) as queries:
        list(segment_queryset(definition))

    assert len(queries.captured_queries) == 1


@pytest.mark.parametrize(
    ("definition", "error"),
    [
        ({}, "a definition is a non-empty object of conditions"),
        ({"mood": "sad"}, "unknown condition(s) mood"),
        ({"complaints": {"min": 0, "days": 30}}, "complaints.min must be a whole number ≥ 1"),
        (
            {"negative_share": {"last": 5, "min": 1.5}},
            "negative_share.min must be a share above 0 and at most 1",
        ),
        ({"status": ["vip"]}, "unknown status vip"),
        ({"purchase_intent_days": "soon"}, "purchase_intent_days must be a whole number of days"),
    ],
)
def test_a_bad_definition_is_refused_with_the_reason(db: Any, definition: dict[str, Any], error: str) -> None:
    with pytest.raises(SegmentError) as caught:
        segment_create(name="X", slug="x", definition=definition)
    assert str(caught.value).startswith(error)


def test_counts_are_stored_and_refreshed_by_the_periodic_job(people: dict[str, Customer]) -> None:
    segment = segment_create(name="VIP at risk", slug="vip-at-risk", definition=VIP_AT_RISK)
    assert segment.customer_count == 1
    Customer.objects.filter(pk=people["noa"].pk).update(tier="gold")

    segments_count_task()

    segment.refresh_from_db()
    assert segment.customer_count == 2
    assert PERIODIC_JOBS["lara.customers.segments.segments_count_task"] == 15 * 60


def test_customer_segments_lists_the_ones_the_customer_is_in(people: dict[str, Customer]) -> None:
    segment_create(name="VIP at risk", slug="vip-at-risk", definition=VIP_AT_RISK)
    segment_create(name="Buyers", slug="buyers", definition={"purchase_intent_days": 30})

    assert [s.slug for s in customer_segments(people["dana"])] == ["vip-at-risk"]
    assert [s.slug for s in customer_segments(people["gal"])] == ["buyers"]
    assert customer_segments(people["ivan"]) == []


def test_the_routing_condition_segment_matches_members(db: Any) -> None:
    rule = RuleSpec(
        1,
        "VIPs at risk to Sales",
        "all",
        [{"field": "segment", "op": "in", "value": "vip-at-risk"}],
        {"team": "sales"},
        True,
    )

    assert evaluate([rule], {"segment": ["buyers", "vip-at-risk"]}).team == "sales"
    assert evaluate([rule], {"segment": ["buyers"]}).team is None
    assert evaluate([rule], {}).team is None


def test_a_message_from_a_vip_at_risk_is_routed_by_segment(
    people: dict[str, Customer], org: dict[str, Any]
) -> None:
    segment_create(name="VIP at risk", slug="vip-at-risk", definition=VIP_AT_RISK)
    RoutingRule.objects.update(enabled=False)
    RoutingRule.objects.create(
        name="VIPs at risk to Sales",
        match="all",
        conditions=[{"field": "segment", "op": "in", "value": ["vip-at-risk"]}],
        actions={"team": "sales", "tags": ["vip-at-risk"], "create_case": True},
        stop=True,
    )

    _say("dana", "Where is my refund?", days_ago=0)
    _say("gal", "Where is my order?", days_ago=0)  # a question: gal stays at one complaint
    jobs_run_pending()

    dana_case = Case.objects.filter(customer=people["dana"]).latest("pk")
    assert (dana_case.team.slug, dana_case.tags) == ("sales", ["vip-at-risk"])
    gal_case = Case.objects.filter(customer=people["gal"]).latest("pk")
    assert (gal_case.team, gal_case.tags) == (None, [])


def test_the_segments_api_lists_creates_and_shows_members(
    people: dict[str, Customer], org: dict[str, Any]
) -> None:
    body = {"name": "VIP at risk", "slug": "vip-at-risk", "definition": VIP_AT_RISK}

    refused = _client(org["alice"]).post(
        "/api/segments", data=json.dumps(body), content_type="application/json"
    )
    created = _client(org["lena"]).post(
        "/api/segments", data=json.dumps(body), content_type="application/json"
    )
    again = _client(org["lena"]).post("/api/segments", data=json.dumps(body), content_type="application/json")
    listed = _client(org["alice"]).get("/api/segments").json()
    members = _client(org["alice"]).get("/api/segments/vip-at-risk/customers").json()

    assert (refused.status_code, created.status_code, again.status_code) == (403, 201, 422)
    assert again.json()["detail"] == "a segment with slug 'vip-at-risk' already exists"
    assert [(s["slug"], s["customer_count"]) for s in listed] == [("vip-at-risk", 1)]
    assert (members["count"], [c["name"] for c in members["items"]]) == (1, ["dana"])
    assert _client(org["alice"]).get("/api/segments/nope/customers").status_code == 404
