"""Identity suggestions: names across scripts, handles, e-mail local parts, city; agents decide."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from django.test import Client

from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create
from lara.customers.identity import Identity, candidate_pairs, name_similarity, transliterate
from lara.customers.models import Customer, CustomerAuditEvent, LinkSuggestion, SocialProfile
from lara.customers.services import customers_import_csv
from lara.customers.suggestions import match_keys_refresh, suggestions_compute, suggestions_compute_all
from lara.mentions.services import message_ingest_json

from ..factories import ChannelFactory


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def test_names_compare_across_latin_cyrillic_and_hebrew() -> None:
    assert transliterate("Дмитрий Соколов") == "dmitriy sokolov"
    assert transliterate("Ганна Литвин", ukrainian=True) == "hanna lytvyn"
    assert name_similarity("דנה לוי", "Dana Levi").similarity == 1.0
    assert name_similarity("מיכל כהן", "Michal Cohen").similarity == 1.0
    assert name_similarity("Ганна Литвин", "Hanna Lytvyn").similarity == 1.0
    assert name_similarity("Дмитрий Соколов", "Dmitry Sokolov").similarity > 0.95
    assert name_similarity("דנה לוי", "Dana Levi").across_scripts is True
    assert name_similarity("Gal Yamin", "Gil Navon").similarity < 0.6
    assert name_similarity("מיכל כהן", "מיכל שטרן").similarity < 0.6


def test_candidates_are_blocked_not_all_pairs() -> None:
    people = [
        Identity(customer_id=1, names=["Dana Levi"]),
        Identity(customer_id=2, names=["דנה לוי"]),
        Identity(customer_id=3, names=["Tom Whitfield"]),
        Identity(customer_id=4, names=["Gary Holt"], handles={("x", "garyh")}),
        Identity(customer_id=5, names=["G. H."], handles={("forum", "garyh")}),
    ]

    assert candidate_pairs(people) == {(1, 2), (4, 5)}


def _demo_slice(org: dict[str, Any], names: set[str], crm_ids: set[str]) -> None:
    """Import some CRM rows and ingest those people's demo messages through the pipeline."""
    data = resources.files("lara.demo") / "data"
    lines = (data / "crm_customers.csv").read_text(encoding="utf-8").splitlines()
    rows = [lines[0], *(line for line in lines[1:] if line.split(",")[0] in crm_ids)]
    customers_import_csv(text="\n".join(rows) + "\n")
    for slug, network in (("facebook", "facebook"), ("instagram", "instagram"), ("forum", "rss")):
        ChannelFactory(slug=slug, network=network)
    for line in (data / "messages.jsonl").read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        if message["author"]["name"] in names and message["channel"] in {
            "x",
            "email",
            "facebook",
            "instagram",
        }:
            message_ingest_json(data=message)
    jobs_run_pending()


def test_a_hebrew_crm_record_and_its_latin_x_profile_are_suggested(org: dict[str, Any]) -> None:
    _demo_slice(
        org,
        names={"Dana Levi", "אבי מזרחי", "Gal Yamin", "Tom Whitfield", "Олег Гнатюк", "Gary Holt"},
        crm_ids={"CRM-10001", "CRM-10002", "CRM-10003", "CRM-10011", "CRM-10037"},
    )
    crm_dana = Customer.objects.get(external_crm_id="CRM-10001")
    x_dana = SocialProfile.objects.get(network="twitter", handle="@dana_rides").customer
    assert crm_dana != x_dana  # nothing deterministic ties them: no shared e-mail or phone

    report = suggestions_compute_all()

    suggestion = LinkSuggestion.objects.get(customer_a=crm_dana, customer_b=x_dana)
    assert suggestion.reasons[0]["code"] == "name_across_scripts"
    assert suggestion.reasons[0]["text"] == "similar name across scripts: דנה לוי ~ Dana Levi (100%)"
    assert suggestion.score >= 0.8
    # Every suggestion pairs one person's records: CRM ids never meet another CRM id.
    for s in LinkSuggestion.objects.all():
        assert not (s.customer_a.external_crm_id and s.customer_b.external_crm_id)
    assert report.suggested == LinkSuggestion.objects.count()
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0  # nothing merged by itself


def test_agents_see_suggestions_reject_for_good_and_leads_accept_into_a_merge(org: dict[str, Any]) -> None:
    crm = Customer.objects.create(name="אבי מזרחי", external_crm_id="CRM-10003", city="Holon")
    fb = Customer.objects.create(name="Avi Mizrahi", city="Holon")
    SocialProfile.objects.create(network="facebook", external_id="8117831288249488", customer=fb)
    other = Customer.objects.create(name="Avi Mizrachi")
    SocialProfile.objects.create(network="x", external_id="1", handle="@avimiz", customer=other)
    SocialProfile.objects.create(network="instagram", external_id="2", handle="avimiz", customer=fb)
    match_keys_refresh(customer_ids=[crm.pk, fb.pk, other.pk])  # the services do this on every write
    assert _client(org["alice"]).get(f"/api/customers/{fb.pk}/suggestions").json() == []  # GET only reads
    assert LinkSuggestion.objects.count() == 0
    suggestions_compute(customer_id=fb.pk)  # the background job the services enqueue

    body = _client(org["alice"]).get(f"/api/customers/{fb.pk}/suggestions").json()

    assert [(s["other"], s["other_name"]) for s in body] == [
        (other.pk, "Avi Mizrachi"),
        (crm.pk, "אבי מזרחי"),
    ]
    assert [r["code"] for r in body[0]["reasons"]] == ["name", "handle"]
    assert body[0]["reasons"][1]["text"] == "same handle avimiz on instagram and x"
    assert [r["code"] for r in body[1]["reasons"]] == ["name_across_scripts", "city"]

    rejected = (
        _client(org["alice"])
        .post(f"/api/suggestions/{body[0]['id']}/reject", data="{}", content_type="application/json")
        .json()
    )
    assert (rejected["status"], rejected["decided_by"]) == ("rejected", "alice")
    suggestions_compute(customer_id=fb.pk)
    again = _client(org["alice"]).get(f"/api/customers/{fb.pk}/suggestions").json()
    assert [s["other"] for s in again] == [crm.pk]

    assert (
        _client(org["alice"])
        .post(f"/api/suggestions/{again[0]['id']}/accept", data="{}", content_type="application/json")
        .status_code
        == 403
    )
    accepted = (
        _client(org["lena"])
        .post(f"/api/suggestions/{again[0]['id']}/accept", data="{}", content_type="application/json")
        .json()
    )

    assert accepted["status"] == "accepted"
    fb.refresh_from_db()
    assert fb.merged_into == crm  # the CRM record stays the one the CRM knows
    assert SocialProfile.objects.filter(customer=crm).count() == 2
    assert list(CustomerAuditEvent.objects.values_list("action", flat=True)) == [
        "suggestion_rejected",
        "merge",
        "suggestion_accepted",
    ]
    assert (
        _client(org["lena"])
        .post(f"/api/suggestions/{again[0]['id']}/accept", data="{}", content_type="application/json")
        .status_code
        == 409
    )
