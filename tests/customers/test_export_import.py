"""The customers CSV export (streamed, audited) and large CSV imports as jobs with a progress bar."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import StreamingHttpResponse
from django.test import Client

from lara.cases.merge import customer_merge
from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create
from lara.customers import imports
from lara.customers.export import COLUMNS
from lara.customers.models import Customer, CustomerAuditEvent, CustomerImport, SocialProfile
from lara.customers.segments import segment_create
from lara.customers.services import customer_upsert_by_crm_id

FILE = (
    "external_id,name,email,phone,tier\n"
    "CRM-1,Dana Levi,dana@example.org,+972525550123,gold\n"
    "CRM-2,Gal Yamin,gal@example.org,,silver\n"
    "CRM-3,Noa Bar,not-an-email,,\n"
)


def _api(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def test_leads_export_every_active_customer_as_streamed_csv_and_it_is_audited(org: dict[str, Any]) -> None:
    dana, _ = customer_upsert_by_crm_id(
        external_id="CRM-1",
        fields={"name": "Dana Levi", "tier": "gold", "lifetime_value": "1200.5", "owner": "lena"},
        emails=["dana@example.org"],
        phones=["+972525550123"],
        attributes={"bike": "Volta City"},
    )
    SocialProfile.objects.create(network="twitter", external_id="1", handle="@dana", customer=dana)
    customer_upsert_by_crm_id(external_id="CRM-2", fields={"name": '=HYPERLINK("http://x")'})
    gone, _ = customer_upsert_by_crm_id(external_id="CRM-3", fields={"name": "Dana L."})
    customer_merge(target_id=dana.pk, other_id=gone.pk, choices={}, actor=org["lena"])
    segment_create(name="Gold", slug="gold", definition={"tier": ["gold"]})

    response = _api(org["lena"]).get("/api/customers/export.csv")

    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="customers.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["external_id"] for r in rows] == ["CRM-1", "CRM-2"]  # the merged record is not exported
    first = rows[0]
    assert {
        k: first[k] for k in ("name", "tier", "lifetime_value", "owner", "phones", "segments", "profiles")
    } == {
        "name": "Dana Levi",
        "tier": "gold",
        "lifetime_value": "1200.50",
        "owner": "lena",
        "phones": "+972525550123",
        "segments": "gold",
        "profiles": "twitter:@dana",
    }
    assert first["contact_points"] == "email:dana@example.org;phone:+972525550123"
    assert json.loads(first["attributes"]) == {"bike": "Volta City"}
    assert rows[1]["name"] == '\'=HYPERLINK("http://x")'  # a spreadsheet shows it as text
    event = CustomerAuditEvent.objects.get(action="export")
    assert (event.actor, event.customer, event.data) == (org["lena"], None, {"format": "csv", "customers": 2})
    assert _api(org["alice"]).get("/api/customers/export.csv").status_code == 403


def test_a_large_file_is_imported_by_a_job_with_progress_and_a_report(
    org: dict[str, Any], settings: Any
) -> None:
    settings.LARA_IMPORT_INLINE_ROWS = 2
    lena = Client()
    lena.force_login(org["lena"])

    started = _api(org["lena"]).post(
        "/api/customers/import", data=json.dumps({"csv": FILE}), content_type="application/json"
    )

    assert started.status_code == 202
    body = started.json()
    assert (body["status"], body["total"], body["dry_run"]) == ("queued", 3, False)
    assert body["progress_url"] == f"/customers/imports/{body['id']}/"
    assert Customer.objects.count() == 0
    waiting = lena.get(body["progress_url"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "0 of 3 rows" in waiting

    jobs_run_pending()

    run = CustomerImport.objects.get(pk=body["id"])
    assert (run.status, run.done, run.total, run.text) == ("done", 3, 3, "")
    assert (run.report["new"], run.report["rejected"]) == (2, 1)
    assert run.report["rows"][2]["reason"] == "not an e-mail address: 'not-an-email'"
    finished = lena.get(body["progress_url"], headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in finished and "New rows: 2" in finished and "Rejected rows: 1" in finished
    page = lena.get(body["progress_url"]).content.decode()
    assert "<progress" in page and 'value="100"' in page
    status = _api(org["lena"]).get(f"/api/customers/imports/{run.pk}").json()
    assert (status["status"], status["report"]["new"]) == ("done", 2)
    alice = Client()
    alice.force_login(org["alice"])
    assert alice.get(body["progress_url"]).status_code == 403


def test_the_job_writes_progress_as_it_goes(org: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    seen: list[int] = []
    original = imports.customers_import_csv

    def spying(**kwargs: Any) -> Any:
        inner = kwargs["progress"]

        def progress(done: int) -> None:
            inner(done)
            seen.append(CustomerImport.objects.get().done)

        return original(**{**kwargs, "progress": progress})

    monkeypatch.setattr(imports, "customers_import_csv", spying)
    imports.customer_import_start(text=FILE, mapping={}, dry_run=False, actor=org["lena"])

    jobs_run_pending()

    assert seen == [1, 2, 3]


def test_a_background_dry_run_stores_nothing_and_keeps_its_report(org: dict[str, Any]) -> None:
    started = _api(org["lena"]).post(
        "/api/customers/import?background=true",
        data=json.dumps({"csv": FILE, "dry_run": True}),
        content_type="application/json",
    )

    jobs_run_pending()

    run = CustomerImport.objects.get(pk=started.json()["id"])
    assert (started.status_code, run.status, run.report["dry_run"], run.report["new"]) == (
        202,
        "done",
        True,
        2,
    )
    assert Customer.objects.count() == 0


def test_a_small_file_is_still_imported_at_once(org: dict[str, Any]) -> None:
    response = _api(org["lena"]).post(
        "/api/customers/import", data=json.dumps({"csv": FILE}), content_type="application/json"
    )

    assert (response.status_code, response.json()["new"]) == (200, 2)
    assert CustomerImport.objects.count() == 0
