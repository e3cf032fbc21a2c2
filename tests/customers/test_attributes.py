"""Typed custom attributes: defined once, checked and normalised by imports, upserts, merges, segments."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from lara.cases.merge import customer_merge
from lara.core.services import api_token_create
from lara.customers.attributes import AttributeValueError, attribute_definition_create
from lara.customers.models import Customer
from lara.customers.segments import SegmentError, segment_queryset
from lara.customers.services import customer_upsert_by_crm_id, customers_import_csv


def _api(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


@pytest.fixture
def defined(org: dict[str, Any]) -> dict[str, Any]:
    """Plan (choice, required), seats (number), renewal (date), notes (text)."""
    attribute_definition_create(
        key="plan", label="Plan", type="choice", choices=["Basic", "Pro", "Team"], required=True
    )
    attribute_definition_create(key="seats", label="Seats", type="number")
    attribute_definition_create(key="renewal", label="Renewal date", type="date")
    attribute_definition_create(key="notes", label="Notes", type="text")
    return org


def test_leads_define_attributes_and_everyone_lists_them_in_order(org: dict[str, Any]) -> None:
    lena = _api(org["lena"])

    created = lena.post(
        "/api/attributes",
        data=json.dumps({"key": "plan", "label": "Plan", "type": "choice", "choices": ["Basic", "Pro"]}),
        content_type="application/json",
    )
    lena.post(
        "/api/attributes",
        data=json.dumps({"key": "seats", "label": "Seats", "type": "number", "required": True}),
        content_type="application/json",
    )

    assert created.status_code == 201
    assert created.json() == {
        "key": "plan",
        "label": "Plan",
        "type": "choice",
        "choices": ["Basic", "Pro"],
        "required": False,
        "position": 0,
    }
    listed = _api(org["alice"]).get("/api/attributes").json()
    assert [(a["key"], a["type"], a["required"], a["position"]) for a in listed] == [
        ("plan", "choice", False, 0),
        ("seats", "number", True, 1),
    ]
    refused = {
        "agent": _api(org["alice"]).post(
            "/api/attributes",
            data=json.dumps({"key": "x1", "label": "X", "type": "text"}),
            content_type="application/json",
        ),
        "no choices": lena.post(
            "/api/attributes",
            data=json.dumps({"key": "tier2", "label": "Tier", "type": "choice"}),
            content_type="application/json",
        ),
        "bad type": lena.post(
            "/api/attributes",
            data=json.dumps({"key": "born", "label": "Born", "type": "datetime"}),
            content_type="application/json",
        ),
        "crm column": lena.post(
            "/api/attributes",
            data=json.dumps({"key": "city", "label": "City", "type": "text"}),
            content_type="application/json",
        ),
        "twice": lena.post(
            "/api/attributes",
            data=json.dumps({"key": "plan", "label": "Plan", "type": "text"}),
            content_type="application/json",
        ),
    }
    assert {name: r.status_code for name, r in refused.items()} == {
        "agent": 403,
        "no choices": 422,
        "bad type": 422,
        "crm column": 422,
        "twice": 422,
    }
    assert (
        refused["no choices"].json()["detail"]
        == "a choice attribute needs a non-empty list of non-empty texts"
    )
    assert refused["bad type"].json()["detail"] == "type must be one of text, number, date, choice"
    assert refused["twice"].json()["detail"] == "an attribute with key 'plan' already exists"


IMPORT = (
    "external_id,name,Plan,Seats,Renewal,notes\n"
    'CRM-1,Dana Levi,pro,"12,5",31.12.2025,likes e-bikes\n'  # 2 new, values normalised
    "CRM-2,Gal Yamin,Gold,3,2025-01-01,\n"  # 3 rejected: not a plan
    "CRM-3,Noa Bar,Team,many,2025-01-01,\n"  # 4 rejected: seats
    "CRM-4,Avi Cohen,Basic,2,31/02/2025,\n"  # 5 rejected: no 31 February
    "CRM-5,Tom W,,4,,\n"  # 6 rejected: a new customer needs a plan
    "CRM-1,,,40,,\n"  # 7 conflicting: the same id as line 2
)
MAPPING = {"Plan": "attributes.plan", "Seats": "attributes.seats", "Renewal": "attributes.renewal"}


def test_the_import_checks_attribute_columns_and_names_the_column(defined: dict[str, Any]) -> None:
    dry = customers_import_csv(text=IMPORT, mapping=MAPPING, dry_run=True)

    assert [(r.line, r.outcome, r.reason) for r in dry.rows] == [
        (2, "new", ""),
        (3, "rejected", "column 'Plan': plan must be one of Basic, Pro, Team, not 'Gold'"),
        (4, "rejected", "column 'Seats': seats is not a number: 'many'"),
        (5, "rejected", "column 'Renewal': renewal is not a date (YYYY-MM-DD): '31/02/2025'"),
        (6, "rejected", "plan is required"),
        (7, "conflicting", "line 2 has the same external_id"),
    ]
    assert Customer.objects.count() == 0

    customers_import_csv(text=IMPORT, mapping=MAPPING)

    dana = Customer.objects.get(external_crm_id="CRM-1")
    assert dana.attributes == {
        "plan": "Pro",
        "seats": 12.5,
        "renewal": "2025-12-31",
        "notes": "likes e-bikes",
    }
    # A blank cell changes nothing; a later file updates one attribute only.
    customers_import_csv(text="external_id,seats,notes\nCRM-1,14,\n")
    dana.refresh_from_db()
    assert dana.attributes == {"plan": "Pro", "seats": 14, "renewal": "2025-12-31", "notes": "likes e-bikes"}
    assert customers_import_csv(text="external_id,x\n1,2\n", mapping={"x": "attributes.nope"}).rows[
        0
    ].reason == ("mapping to unknown column(s): attributes.nope")


def test_the_upsert_api_refuses_a_bad_value_with_the_reason_and_stores_normal_forms(
    defined: dict[str, Any],
) -> None:
    lena = _api(defined["lena"])

    def put(crm_id: str, body: dict[str, Any]) -> Any:
        return lena.put(
            f"/api/customers/by-crm-id/{crm_id}", data=json.dumps(body), content_type="application/json"
        )

    missing = put("CRM-1", {"name": "Dana Levi", "attributes": {"seats": 3}})
    bad_date = put("CRM-1", {"name": "Dana Levi", "attributes": {"plan": "Pro", "renewal": "soon"}})
    bad_type = put("CRM-1", {"name": "Dana Levi", "attributes": {"plan": "Pro", "seats": [1]}})
    created = put(
        "CRM-1",
        {
            "name": "Dana Levi",
            "attributes": {"plan": "team", "seats": "7", "renewal": "2026-03-01", "bike": "Volta"},
        },
    )
    cleared = put("CRM-1", {"attributes": {"seats": None}})
    required = put("CRM-1", {"attributes": {"plan": ""}})

    assert (missing.status_code, missing.json()["detail"]) == (422, "plan is required")
    assert (bad_date.status_code, bad_date.json()["detail"]) == (
        422,
        "renewal is not a date (YYYY-MM-DD): 'soon'",
    )
    assert (bad_type.status_code, bad_type.json()["detail"]) == (422, "seats is not a number: [1]")
    assert created.status_code == 201
    assert created.json()["attributes"] == {
        "plan": "Team",
        "seats": 7,
        "renewal": "2026-03-01",
        "bike": "Volta",
    }
    assert cleared.status_code == 200
    assert (required.status_code, required.json()["detail"]) == (422, "plan is required")
    assert Customer.objects.get().attributes == {"plan": "Team", "renewal": "2026-03-01", "bike": "Volta"}


def test_a_merge_keeps_typed_values_whichever_side_is_chosen(defined: dict[str, Any]) -> None:
    target = Customer.objects.create(name="Dana", attributes={"plan": "Pro", "seats": "lots", "notes": "a"})
    other, _ = customer_upsert_by_crm_id(
        external_id="CRM-2", fields={"name": "Dana L"}, attributes={"plan": "Basic", "seats": 5, "notes": "b"}
    )

    kept = customer_merge(target_id=target.pk, other_id=other.pk, choices={}, actor=defined["lena"])

    # "keep" keeps the target's plan and notes, but its seats were stored untyped before the definition.
    assert kept.target.attributes == {"plan": "Pro", "seats": 5, "notes": "a"}
    third = Customer.objects.create(name="D", attributes={"plan": "team", "renewal": "2027-01-05"})
    taken = customer_merge(
        target_id=target.pk, other_id=third.pk, choices={"attributes": "take"}, actor=defined["lena"]
    )
    assert taken.target.attributes == {"plan": "Team", "seats": 5, "notes": "a", "renewal": "2027-01-05"}


def test_the_customer_page_shows_attributes_by_label_in_definition_order(defined: dict[str, Any]) -> None:
    customer, _ = customer_upsert_by_crm_id(
        external_id="CRM-1",
        fields={"name": "Dana Levi"},
        attributes={"notes": "rides daily", "renewal": "2025-12-31", "plan": "Pro", "bike": "Volta"},
    )
    client = Client()
    client.force_login(defined["lena"])

    page = client.get(f"/customers/{customer.pk}/").content.decode()

    facts = [page.index(text) for text in ("Plan", "Renewal date", "Notes", "bike")]
    assert facts == sorted(facts)
    assert '<time datetime="2025-12-31">Dec. 31, 2025</time>' in page
    assert '<dd dir="auto" data-attribute="plan">Pro</dd>' in page
    assert '<dd dir="auto" data-attribute="bike">Volta</dd>' in page


def test_segments_filter_on_attributes(defined: dict[str, Any]) -> None:
    for crm_id, plan, seats, renewal in (
        ("CRM-1", "Pro", 12, "2025-06-01"),
        ("CRM-2", "Team", 3, "2025-12-31"),
        ("CRM-3", "Basic", 40, "2026-02-01"),
    ):
        customer_upsert_by_crm_id(
            external_id=crm_id,
            fields={},
            attributes={"plan": plan, "seats": seats, "renewal": renewal},
        )

    def crm_ids(*conditions: dict[str, Any]) -> list[str]:
        qs = segment_queryset({"attributes": list(conditions)})
        return sorted(qs.values_list("external_crm_id", flat=True))

    assert crm_ids({"attribute": "plan", "op": "eq", "value": "pro"}) == ["CRM-1"]
    assert crm_ids({"attribute": "plan", "op": "in", "value": ["Pro", "team"]}) == ["CRM-1", "CRM-2"]
    assert crm_ids({"attribute": "seats", "op": "gte", "value": 10}) == ["CRM-1", "CRM-3"]
    assert crm_ids({"attribute": "seats", "op": "lte", "value": "3"}) == ["CRM-2"]
    assert crm_ids(
        {"attribute": "renewal", "op": "lte", "value": "2025-12-31"},
        {"attribute": "seats", "op": "gte", "value": 5},
    ) == ["CRM-1"]
    with pytest.raises(
        SegmentError, match="unknown attribute 'colour'; defined: plan, seats, renewal, notes"
    ):
        segment_queryset({"attributes": [{"attribute": "colour", "op": "eq", "value": "red"}]})
    with pytest.raises(SegmentError, match="gte compares numbers and dates; plan is choice"):
        segment_queryset({"attributes": [{"attribute": "plan", "op": "gte", "value": "Pro"}]})
    with pytest.raises(SegmentError, match="seats is not a number: 'ten'"):
        segment_queryset({"attributes": [{"attribute": "seats", "op": "eq", "value": "ten"}]})


def test_keys_are_slugs_that_a_json_lookup_can_use(org: dict[str, Any]) -> None:
    for key in ("Plan", "a__b", "1st", "with-dash"):
        with pytest.raises(AttributeValueError, match="key must start with a lower-case letter"):
            attribute_definition_create(key=key, label="X", type="text")
