"""Import a CRM export with a column mapping and a dry run; upsert one record by its CRM id."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from lara.core.services import api_token_create
from lara.customers.models import Customer
from lara.customers.services import customers_import_csv

# The columns of a CRM that is not Lara: its names, Lara's meaning.
MAPPING = {
    "Account ID": "external_id",
    "Full name": "name",
    "E-mail": "email",
    "Mobile": "phone",
    "Stage": "status",
    "Level": "tier",
    "LTV": "lifetime_value",
    "Town": "city",
}
HEADER = "Account ID,Full name,E-mail,Mobile,Stage,Level,LTV,Town,Ignored\n"


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def _snapshot() -> list[tuple[Any, ...]]:
    return list(
        Customer.objects.order_by("pk").values_list(
            "pk", "name", "external_crm_id", "emails", "phones", "status", "tier", "lifetime_value", "city"
        )
    )


@pytest.fixture
def crm(org: dict[str, Any]) -> dict[str, Any]:
    """Dana is known by CRM id; Tom by e-mail only (from X); Avi holds another CRM id."""
    dana = Customer.objects.create(
        name="Dana Levi", emails=["dana.levi@example.com"], external_crm_id="CRM-1", status="active"
    )
    tom = Customer.objects.create(name="Tom W", emails=["tom@example.net"])
    avi = Customer.objects.create(name="Avi", phones=["+972525550119"], external_crm_id="CRM-9")
    return {"dana": dana, "tom": tom, "avi": avi, **org}


FILE = (
    HEADER
    + "CRM-1,Dana Levi,dana.levi@example.com,,active,Gold,2684.50,Tel Aviv,x\n"  # 2 updated
    + "CRM-2,Tom Whitfield,tom@example.net,+44 20 7946 0112,active,standard,10,London,x\n"  # 3 linked
    + "CRM-3,Noa Bar,noa@example.org,,lead,,0,Haifa,x\n"  # 4 new
    + "CRM-4,Someone,dana.levi@example.com,,lead,,0,,x\n"  # 5 conflicting: Dana's e-mail
    + "CRM-1,Dana again,,,active,,0,,x\n"  # 6 conflicting: the same id as line 2
    + "CRM-5,Bad,bad@example.org,,vip,,0,,x\n"  # 7 rejected: status
    + ",No id,,,,,,,x\n"  # 8 rejected: no id
    + "CRM-6,Avi twin,,+972 52-555-0119,active,,0,,x\n"  # 9 conflicting: Avi's phone, another CRM id
    + "CRM-7,Cheap,,,active,,lots,,x\n"  # 10 rejected: lifetime value
)


def _outcomes(report: Any) -> list[tuple[int, str]]:
    return [(row.line, row.outcome) for row in report.rows]


EXPECTED = [
    (2, "updated"),
    (3, "updated"),
    (4, "new"),
    (5, "conflicting"),
    (6, "conflicting"),
    (7, "rejected"),
    (8, "rejected"),
    (9, "conflicting"),
    (10, "rejected"),
]


def test_a_dry_run_reports_every_row_and_changes_nothing(crm: dict[str, Any]) -> None:
    before = _snapshot()

    report = customers_import_csv(text=FILE, mapping=MAPPING, dry_run=True)

    assert _outcomes(report) == EXPECTED
    assert (report.created, report.updated, len(report.conflicts), len(report.rejected)) == (1, 2, 3, 3)
    reasons = dict(report.conflicts)
    assert reasons[5] == (
        f"e-mail dana.levi@example.com belongs to customer {crm['dana'].pk}, who has CRM id CRM-1"
    )
    assert reasons[6] == "line 2 has the same external_id"
    assert reasons[9] == f"phone +972525550119 belongs to customer {crm['avi'].pk}, who has CRM id CRM-9"
    assert dict(report.rejected)[7].startswith("unknown status 'vip'")
    assert dict(report.rejected)[8] == "external_id is empty"
    assert _snapshot() == before


def test_the_real_import_does_what_the_dry_run_said(crm: dict[str, Any]) -> None:
    dry = customers_import_csv(text=FILE, mapping=MAPPING, dry_run=True)

    report = customers_import_csv(text=FILE, mapping=MAPPING)

    assert _outcomes(report) == _outcomes(dry) == EXPECTED
    dana, tom = Customer.objects.get(pk=crm["dana"].pk), Customer.objects.get(pk=crm["tom"].pk)
    assert (dana.tier, dana.lifetime_value, dana.city) == ("gold", Decimal("2684.50"), "Tel Aviv")
    assert (tom.external_crm_id, tom.name, tom.phones) == ("CRM-2", "Tom Whitfield", ["+442079460112"])
    noa = Customer.objects.get(external_crm_id="CRM-3")
    assert (noa.name, noa.emails, noa.status, noa.city) == ("Noa Bar", ["noa@example.org"], "lead", "Haifa")
    assert not Customer.objects.filter(external_crm_id__in=["CRM-4", "CRM-5", "CRM-6", "CRM-7"]).exists()
    assert Customer.objects.get(pk=crm["avi"].pk).name == "Avi"


def test_columns_left_out_keep_their_values(crm: dict[str, Any]) -> None:
    report = customers_import_csv(text="external_id,tier\nCRM-1,platinum\n")

    assert _outcomes(report) == [(2, "updated")]
    dana = Customer.objects.get(pk=crm["dana"].pk)
    assert (dana.name, dana.status, dana.tier) == ("Dana Levi", "active", "platinum")


def test_a_file_without_an_id_column_or_with_a_bad_mapping_is_refused(crm: dict[str, Any]) -> None:
    assert customers_import_csv(text="name\nX\n").rejected == [(1, "missing columns: external_id")]
    assert customers_import_csv(text="id\n1\n", mapping={"id": "crm"}).rejected == [
        (1, "mapping to unknown column(s): crm")
    ]


def test_the_import_api_takes_json_or_a_file_for_leads_and_admins(crm: dict[str, Any]) -> None:
    body = {"csv": FILE, "mapping": MAPPING, "dry_run": True}
    before = _snapshot()

    refused = _client(crm["alice"]).post(
        "/api/customers/import", data=json.dumps(body), content_type="application/json"
    )
    dry = _client(crm["lena"]).post(
        "/api/customers/import", data=json.dumps(body), content_type="application/json"
    )

    assert refused.status_code == 403
    assert dry.status_code == 200
    report = dry.json()
    assert (
        report["dry_run"],
        report["new"],
        report["updated"],
        report["conflicting"],
        report["rejected"],
    ) == (
        True,
        1,
        2,
        3,
        3,
    )
    assert [(r["line"], r["outcome"]) for r in report["rows"]] == EXPECTED
    assert _snapshot() == before

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("crm.csv", FILE.encode(), content_type="text/csv")
    real = _client(crm["lena"]).post(
        "/api/customers/import", data={"file": upload, "mapping": json.dumps(MAPPING)}
    )

    assert real.status_code == 200
    assert (real.json()["dry_run"], real.json()["new"]) == (False, 1)
    assert Customer.objects.filter(external_crm_id="CRM-3").exists()


def _put(client: Client, crm_id: str, payload: Any) -> Any:
    return client.put(
        f"/api/customers/by-crm-id/{crm_id}", data=json.dumps(payload), content_type="application/json"
    )


def test_upsert_by_crm_id_creates_then_updates(crm: dict[str, Any]) -> None:
    lena = _client(crm["lena"])
    payload = {
        "name": "Noa Bar",
        "status": "lead",
        "lifetime_value": "12.5",
        "owner": "alice",
        "emails": ["Noa@Example.org"],
        "phones": ["+972 54-555-0142"],
        "attributes": {"bike": "Volta"},
    }

    created = _put(lena, "CRM-50", payload)
    updated = _put(lena, "CRM-50", {"tier": "gold", "attributes": {"size": "M"}})

    assert created.status_code == 201
    assert updated.status_code == 200
    assert created.json()["id"] == updated.json()["id"]
    noa = Customer.objects.get(external_crm_id="CRM-50")
    assert (noa.name, noa.status, noa.tier, noa.lifetime_value, noa.owner) == (
        "Noa Bar",
        "lead",
        "gold",
        Decimal("12.50"),
        crm["alice"],
    )
    assert (noa.emails, noa.phones) == (["noa@example.org"], ["+972545550142"])
    assert noa.attributes == {"bike": "Volta", "size": "M"}


def test_upsert_refuses_invalid_values_conflicts_and_agents(crm: dict[str, Any]) -> None:
    lena = _client(crm["lena"])

    assert _put(_client(crm["alice"]), "CRM-60", {"name": "X"}).status_code == 403
    assert _put(lena, "CRM-60", {"status": "vip"}).status_code == 422
    assert _put(lena, "CRM-60", {"lifetime_value": "lots"}).status_code == 422
    assert _put(lena, "CRM-60", {"owner": "nobody"}).status_code == 422
    assert _put(lena, "CRM-60", {"phones": ["12"]}).status_code == 422
    conflict = _put(lena, "CRM-60", {"emails": ["dana.levi@example.com"]})
    assert conflict.status_code == 409
    assert not Customer.objects.filter(external_crm_id="CRM-60").exists()
