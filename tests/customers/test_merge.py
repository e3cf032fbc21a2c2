"""Merge two customers and undo it exactly: fields by choice, profiles, cases, tasks, the audit trail."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from lara.cases.merge import MergeError, customer_merge, customer_unmerge
from lara.cases.models import Case, Task
from lara.core.services import api_token_create
from lara.customers.models import Customer, CustomerAuditEvent, CustomerMerge, SocialProfile
from lara.customers.services import customers_import_csv


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def _post(client: Client, url: str, payload: Any) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json")


@pytest.fixture
def pair(org: dict[str, Any]) -> dict[str, Any]:
    """Dana's CRM record (A) and the record her X profile made (B), each with a case; B with a task."""
    a = Customer.objects.create(
        name="דנה לוי",
        emails=["dana.levi@example.com"],
        phones=["+972545550142"],
        external_crm_id="CRM-10001",
        status="active",
        tier="gold",
        lifetime_value=Decimal("2684.50"),
        city="Tel Aviv",
        owner=org["alice"],
        attributes={"bike": "Volta City", "newsletter": "yes"},
    )
    b = Customer.objects.create(
        name="Dana Levi",
        emails=["dana@rides.example"],
        status="lead",
        tier="standard",
        city="Jaffa",
        attributes={"newsletter": "no", "size": "M"},
    )
    pa = SocialProfile.objects.create(network="email", external_id="dana.levi@example.com", customer=a)
    pb = SocialProfile.objects.create(
        network="twitter", external_id="1791985417", handle="@dana_rides", customer=b
    )
    case_a = Case.objects.create(customer=a, channel=org["email"], reference="LR-1")
    case_b = Case.objects.create(customer=b, channel=org["x"], reference="LR-2")
    task_b = Task.objects.create(title="Call Dana back", customer=b)
    return {"a": a, "b": b, "pa": pa, "pb": pb, "case_a": case_a, "case_b": case_b, "task_b": task_b, **org}


def test_merge_moves_everything_and_follows_the_choices(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]

    merge = customer_merge(
        target_id=a.pk,
        other_id=b.pk,
        choices={"name": "take", "city": "keep", "status": "keep"},
        actor=pair["lena"],
        reason="same person: Dana on X",
    )

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.name, a.city, a.status, a.tier, a.external_crm_id) == (
        "Dana Levi",
        "Tel Aviv",
        "active",
        "gold",
        "CRM-10001",
    )
    assert a.emails == ["dana.levi@example.com", "dana@rides.example"]
    assert a.attributes == {"bike": "Volta City", "newsletter": "yes", "size": "M"}
    assert (b.merged_into, b.emails, b.attributes, b.is_active) == (a, [], {}, False)
    assert set(SocialProfile.objects.filter(customer=a).values_list("pk", flat=True)) == {
        pair["pa"].pk,
        pair["pb"].pk,
    }
    assert set(Case.objects.filter(customer=a).values_list("reference", flat=True)) == {"LR-1", "LR-2"}
    assert Task.objects.get().customer == a
    assert merge.moved == {
        "profiles": [pair["pb"].pk],
        "cases": [pair["case_b"].pk],
        "tasks": [pair["task_b"].pk],
    }
    assert list(pair["case_b"].events.values_list("kind", flat=True)) == ["customer_merged"]
    event = CustomerAuditEvent.objects.get()
    assert (event.action, event.customer, event.actor, event.reason) == (
        "merge",
        a,
        pair["lena"],
        "same person: Dana on X",
    )


def test_unmerge_restores_both_records_and_moves_exactly_those_rows_back(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]
    before_a = Customer.objects.filter(pk=a.pk).values().get()
    before_b = Customer.objects.filter(pk=b.pk).values().get()
    merge = customer_merge(
        target_id=a.pk,
        other_id=b.pk,
        choices={f: "take" for f in ("name", "status", "tier", "lifetime_value", "owner", "company", "city")},
        actor=pair["lena"],
    )
    later_case = Case.objects.create(customer=a, channel=pair["email"], reference="LR-3")

    customer_unmerge(merge_id=merge.pk, actor=pair["lena"], reason="not the same Dana")

    assert Customer.objects.filter(pk=a.pk).values().get() == before_a
    assert Customer.objects.filter(pk=b.pk).values().get() == before_b
    assert SocialProfile.objects.get(pk=pair["pb"].pk).customer_id == b.pk
    assert SocialProfile.objects.get(pk=pair["pa"].pk).customer_id == a.pk
    assert Case.objects.get(pk=pair["case_b"].pk).customer_id == b.pk
    assert Case.objects.get(pk=later_case.pk).customer_id == a.pk  # opened on A after the merge: stays
    assert Task.objects.get().customer_id == b.pk
    merge.refresh_from_db()
    assert (merge.undone_by, merge.undo_reason) == (pair["lena"], "not the same Dana")
    assert list(CustomerAuditEvent.objects.values_list("action", flat=True)) == ["merge", "unmerge"]
    assert list(pair["case_b"].events.values_list("kind", flat=True)) == [
        "customer_merged",
        "customer_unmerged",
    ]


def test_taking_the_crm_id_gives_it_back_on_unmerge(pair: dict[str, Any]) -> None:
    a, b = pair["a"], pair["b"]
    b.external_crm_id = "CRM-20002"
    b.save()

    merge = customer_merge(
        target_id=a.pk, other_id=b.pk, choices={"external_crm_id": "take"}, actor=pair["lena"]
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.external_crm_id, b.external_crm_id) == ("CRM-20002", None)

    customer_unmerge(merge_id=merge.pk, actor=pair["lena"])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.external_crm_id, b.external_crm_id) == ("CRM-10001", "CRM-20002")


def test_unmerge_after_a_later_change_is_refused_with_the_reason(pair: dict[str, Any]) -> None:
    merge = customer_merge(target_id=pair["a"].pk, other_id=pair["b"].pk, choices={}, actor=pair["lena"])
    Customer.objects.filter(pk=pair["a"].pk).update(tier="platinum")
    Task.objects.filter(pk=pair["task_b"].pk).delete()

    with pytest.raises(MergeError) as refused:
        customer_unmerge(merge_id=merge.pk, actor=pair["lena"])

    assert str(refused.value) == (
        f"cannot undo this merge exactly: customer {pair['a'].pk} changed since the merge (tier); "
        "set them back or edit the records by hand; "
        f"task(s) {pair['task_b'].pk} no longer belong to customer {pair['a'].pk}"
    )
    assert Customer.objects.get(pk=pair["b"].pk).merged_into_id == pair["a"].pk


def test_an_older_merge_waits_for_the_later_one_and_twice_is_refused(pair: dict[str, Any]) -> None:
    c = Customer.objects.create(name="Dana L.")
    first = customer_merge(target_id=pair["a"].pk, other_id=pair["b"].pk, choices={}, actor=pair["lena"])
    second = customer_merge(target_id=pair["a"].pk, other_id=c.pk, choices={}, actor=pair["lena"])

    with pytest.raises(MergeError, match=f"a later merge \\({second.pk}\\) into customer {pair['a'].pk}"):
        customer_unmerge(merge_id=first.pk, actor=pair["lena"])

    customer_unmerge(merge_id=second.pk, actor=pair["lena"])
    customer_unmerge(merge_id=first.pk, actor=pair["lena"])
    with pytest.raises(MergeError, match=f"merge {first.pk} was already undone"):
        customer_unmerge(merge_id=first.pk, actor=pair["lena"])
    with pytest.raises(MergeError, match="cannot be merged into itself"):
        customer_merge(target_id=c.pk, other_id=c.pk, choices={}, actor=pair["lena"])


def test_bad_choices_are_refused(pair: dict[str, Any]) -> None:
    with pytest.raises(MergeError, match="unknown field\\(s\\) emails"):
        customer_merge(target_id=pair["a"].pk, other_id=pair["b"].pk, choices={"emails": "take"}, actor=None)
    with pytest.raises(MergeError, match='choice for name must be "keep" or "take"'):
        customer_merge(target_id=pair["a"].pk, other_id=pair["b"].pk, choices={"name": "both"}, actor=None)
    assert CustomerMerge.objects.count() == 0


def test_a_crm_import_of_a_merged_record_updates_the_active_one(pair: dict[str, Any]) -> None:
    b = pair["b"]
    b.external_crm_id = "CRM-20002"
    b.save()
    customer_merge(target_id=pair["a"].pk, other_id=b.pk, choices={}, actor=pair["lena"])

    report = customers_import_csv(
        text="external_id,name,email,phone,status,tier,lifetime_value\n"
        "CRM-20002,Dana Levi,dana@rides.example,,active,platinum,99\n"
    )

    assert (report.created, report.updated) == (0, 1)
    a = Customer.objects.get(pk=pair["a"].pk)
    assert (a.tier, a.external_crm_id) == ("platinum", "CRM-10001")


def test_the_merge_api_is_for_leads_and_admins(pair: dict[str, Any]) -> None:
    url = f"/api/customers/{pair['a'].pk}/merge"
    body = {"other": pair["b"].pk, "choices": {"name": "take"}, "reason": "same person"}

    assert _post(_client(pair["alice"]), url, body).status_code == 403
    assert _post(_client(pair["oscar"]), url, body).status_code == 403
    response = _post(_client(pair["lena"]), url, body)

    assert response.status_code == 200
    merge = response.json()
    assert (merge["target"], merge["merged"], merge["actor"], merge["choices"]["name"]) == (
        pair["a"].pk,
        pair["b"].pk,
        "lena",
        "take",
    )
    assert _post(_client(pair["lena"]), url, body).status_code == 409
    listed = _client(pair["lena"]).get("/api/customers").json()
    assert [c["id"] for c in listed["items"]] == [pair["a"].pk]

    unmerge = f"/api/merges/{merge['id']}/unmerge"
    assert _post(_client(pair["bob"]), unmerge, {"reason": "wrong"}).status_code == 403
    response = _post(_client(pair["lena"]), unmerge, {"reason": "wrong"})
    assert response.status_code == 200
    assert response.json()["undone_at"] is not None
    again = _post(_client(pair["lena"]), unmerge, {})
    assert again.status_code == 409
    assert again.json()["detail"].startswith("cannot undo this merge exactly: merge")
    assert _post(_client(pair["lena"]), "/api/merges/9999/unmerge", {}).status_code == 404
