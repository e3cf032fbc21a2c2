"""Identity suggestions: names across scripts, handles, e-mail local parts, city; agents decide."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from django.test import Client

from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create
from lara.customers.models import (
    Customer,
    CustomerAuditEvent,
    CustomerMatchKey,
    LinkSuggestion,
    SocialProfile,
)
from lara.customers.services import customers_import_csv
from lara.customers.suggestions import (
    frequencies_load,
    identities_load,
    match_keys_refresh,
    suggestions_compute,
    suggestions_compute_all,
)
from lara.mentions.services import message_ingest_json

from ..factories import ChannelFactory


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


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
    assert (
        suggestion.reasons[0]["text"]
        == "similar name across scripts: דנה לוי ~ Dana Levi (100%; a rare name here)"
    )
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

    listed = _client(org["alice"]).get(f"/api/customers/{fb.pk}/suggestions").json()

    assert [s["score"] for s in listed] == sorted((s["score"] for s in listed), reverse=True)  # best first
    body = {s["other"]: s for s in listed}
    assert {pk: s["other_name"] for pk, s in body.items()} == {other.pk: "Avi Mizrachi", crm.pk: "אבי מזרחי"}
    # Three customers: every name is rare here, and each pair has a second piece of evidence too.
    assert [r["text"] for r in body[other.pk]["reasons"]] == [
        "same handle avimiz on instagram and x",
        "similar name: Avi Mizrahi ~ Avi Mizrachi (99%; a rare name here)",
    ]
    assert [r["text"] for r in body[crm.pk]["reasons"]] == [
        "similar name across scripts: אבי מזרחי ~ Avi Mizrahi (100%; a rare name here)",
        "same city Holon",
    ]

    rejected = (
        _client(org["alice"])
        .post(f"/api/suggestions/{body[other.pk]['id']}/reject", data="{}", content_type="application/json")
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


def test_a_name_forty_customers_share_is_suggested_only_with_a_second_piece_of_evidence(db: Any) -> None:
    cities = ["Tel Aviv", "Haifa", "Jerusalem", "Holon"]
    Customer.objects.bulk_create(Customer(name="Dana Levi", city=cities[n % 4]) for n in range(40))
    riding = Customer.objects.create(name="Dana Levi", city="Haifa")
    SocialProfile.objects.create(network="twitter", external_id="t1", handle="@dana_rides", customer=riding)
    insta = Customer.objects.create(name="Dana Levi")
    SocialProfile.objects.create(network="instagram", external_id="i1", handle="dana_rides", customer=insta)
    crm = Customer.objects.create(name="Avraham Shteinberg", city="Eilat", external_crm_id="CRM-1")
    x = Customer.objects.create(name="אברהם שטיינברג")
    only_city = [Customer.objects.create(name=n, city="Haifa") for n in ("Noa Peretz", "Tom Whitfield")]

    report = suggestions_compute_all()

    pairs = {(s.customer_a_id, s.customer_b_id): s for s in LinkSuggestion.objects.all()}
    assert set(pairs) == {(riding.pk, insta.pk), (crm.pk, x.pk)}
    assert [r["code"] for r in pairs[(riding.pk, insta.pk)].reasons] == ["handle", "name"]
    assert pairs[(crm.pk, x.pk)].reasons == [
        {
            "code": "name_across_scripts",
            "text": (
                "similar name across scripts: Avraham Shteinberg ~ אברהם שטיינברג (100%; a rare name here)"
            ),
        }
    ]
    # The Dana Levis were all compared (and found too common alone); a shared city alone never
    # makes two customers candidates: frequency keys are counted, not blocked on.
    assert report.compared == 42 * 41 // 2 + 1
    assert CustomerMatchKey.objects.filter(customer=only_city[0], key="fc:haifa").exists()
    frequencies = frequencies_load(identities_load([riding.pk]).values())
    assert (frequencies.customers, frequencies.counts["fw:dana"], frequencies.counts["fc:haifa"]) == (
        46,
        42,
        13,
    )


def test_match_keys_follow_a_change_and_unchanged_keys_stay_in_place(db: Any) -> None:
    dana = Customer.objects.create(name="Dana Levi", city="Haifa")
    match_keys_refresh(customer_ids=[dana.pk])
    before = dict(CustomerMatchKey.objects.filter(customer=dana).values_list("key", "pk"))
    names = {"p:dn+l", "p:lb+d", "fw:dana", "fw:levi", "fs:dn", "fs:lb"}
    assert set(before) == names | {"c:dn@hai", "c:lb@hai", "fc:haifa"}

    Customer.objects.filter(pk=dana.pk).update(city="Holon")
    match_keys_refresh(customer_ids=[dana.pk])

    after = dict(CustomerMatchKey.objects.filter(customer=dana).values_list("key", "pk"))
    assert set(after) == names | {"c:dn@hol", "c:lb@hol", "fc:holon"}
    assert {key: after[key] for key in names} == {key: before[key] for key in names}  # not rewritten
