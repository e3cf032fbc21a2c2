"""The REST API: token auth, batch ingest with per-item outcomes, cases filtered by access."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lara.cases.models import Case
from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create

from ..factories import inbound


@pytest.fixture
def as_lena(org: dict[str, Any]) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=org['lena'])}"})


def _post(client: Client, payload: Any) -> Any:
    return client.post("/api/messages", data=json.dumps(payload), content_type="application/json")


def test_the_api_needs_a_token(org: dict[str, Any]) -> None:
    assert Client().get("/api/cases").status_code == 401
    assert Client(headers={"authorization": "Bearer wrong"}).get("/api/cases").status_code == 401


def test_batch_ingest_reports_each_message(as_lena: Client) -> None:
    good, dup, bad = inbound(external_id="a"), inbound(external_id="a"), inbound(kind="tweet")

    response = _post(as_lena, [good, dup, bad])

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicate"], body["rejected"]) == (1, 1, 1)
    assert [r["status"] for r in body["results"]] == ["created", "duplicate", "rejected"]
    assert body["results"][2]["reason"].startswith("kind: Input should be")


def test_a_single_object_is_accepted(as_lena: Client) -> None:
    assert _post(as_lena, inbound()).json()["created"] == 1


def test_malformed_json_is_a_clear_400(as_lena: Client) -> None:
    response = as_lena.post("/api/messages", data="{nope", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("body is not valid JSON")


def test_cases_list_has_the_contract_fields_and_filters(as_lena: Client, org: dict[str, Any]) -> None:
    _post(as_lena, [inbound(text="It is broken"), inbound(text="How much is the price?")])
    jobs_run_pending()

    body = as_lena.get("/api/cases").json()
    assert body["count"] == 2
    item = body["items"][0]
    assert set(item) >= {
        "reference",
        "status",
        "priority",
        "team",
        "assignee",
        "channel",
        "language",
        "customer",
        "created_at",
    }
    assert item["channel"] == "twitter"
    sales = as_lena.get("/api/cases", {"team": "Sales"}).json()
    assert [c["team"] for c in sales["items"]] == ["Sales"]
    assert as_lena.get("/api/cases", {"status": "closed"}).json()["count"] == 0


def test_an_agent_sees_only_their_teams_cases(org: dict[str, Any]) -> None:
    lena = Client(headers={"authorization": f"Bearer {api_token_create(user=org['lena'])}"})
    _post(lena, [inbound(text="It is broken"), inbound(text="How much is the price?")])
    jobs_run_pending()
    bob = Client(headers={"authorization": f"Bearer {api_token_create(user=org['bob'])}"})

    teams = [c["team"] for c in bob.get("/api/cases").json()["items"]]
    service_case = lena.get("/api/cases", {"team": "service"}).json()["items"][0]["reference"]

    assert teams == ["Sales"]
    assert bob.get(f"/api/cases/{service_case}").status_code == 404
    assert lena.get(f"/api/cases/{service_case}").json()["messages"][0]["analysis"]["type"] == "complaint"


def test_cases_list_items_say_what_the_case_detail_says(as_lena: Client, org: dict[str, Any]) -> None:
    """The list reads plain column values; each item must equal the detail built from the model."""
    _post(as_lena, [inbound(text="It is broken"), inbound(text="How much is the price?"), inbound()])
    jobs_run_pending()
    first, second, _third = Case.objects.order_by("pk")
    Case.objects.filter(pk=first.pk).update(team=None, assignee=None, tags=["vip", "pr-watch"])
    Case.objects.filter(pk=second.pk).update(assignee=org["bob"])

    items = as_lena.get("/api/cases").json()["items"]

    assert len(items) == 3
    for item in items:
        detail = as_lena.get(f"/api/cases/{item['reference']}").json()
        detail.pop("messages")
        assert item == detail
    by_reference = {item["reference"]: item for item in items}
    assert (by_reference[first.reference]["team"], by_reference[first.reference]["assignee"]) == (None, None)
    assert by_reference[second.reference]["assignee"] == "bob"


def test_cases_list_queries_do_not_grow_with_the_page(as_lena: Client) -> None:
    _post(as_lena, [inbound(text="It is broken")])
    jobs_run_pending()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_lena.get("/api/cases").status_code == 200
        return len(captured)

    one = queries()
    _post(as_lena, [inbound(text="It is broken"), inbound(text="How much?"), inbound()])
    jobs_run_pending()
    assert as_lena.get("/api/cases").json()["count"] == 4
    assert queries() == one


def test_messages_and_customers_are_listed(as_lena: Client) -> None:
    _post(as_lena, inbound(text="Nice ride", author={"external_id": "n1", "name": "Noam"}))
    jobs_run_pending()

    messages = as_lena.get("/api/messages", {"channel": "x"}).json()
    customers = as_lena.get("/api/customers", {"q": "Noam"}).json()

    assert messages["count"] == 1
    assert messages["items"][0]["analysis"]["model_version"] == "fake-1"
    assert [c["name"] for c in customers["items"]] == ["Noam"]
    assert customers["items"][0]["profiles"][0]["network"] == "twitter"


def test_validation_errors_are_4xx(as_lena: Client) -> None:
    assert as_lena.get("/api/cases", {"customer": "abc"}).status_code == 422
    assert as_lena.get("/api/messages/999").status_code == 404


def test_the_openapi_schema_describes_inbound_messages(org: dict[str, Any]) -> None:
    schema = Client().get("/api/openapi.json").json()

    assert "/api/messages" in schema["paths"]
    assert schema["components"]["schemas"]["InboundMessageIn"]["required"] == [
        "channel",
        "external_id",
        "kind",
        "text",
        "created_at",
        "author",
    ]
