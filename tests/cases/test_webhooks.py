"""Outgoing webhooks: customer and case events reach another system signed, retried and logged."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from lara.cases.merge import customer_merge
from lara.cases.models import Case, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from lara.cases.outgoing import webhook_endpoint_create
from lara.cases.services import case_set_status
from lara.core.jobs import job_run, jobs_run_pending
from lara.core.models import Job, JobStatus
from lara.core.services import api_token_create
from lara.customers.models import Customer
from lara.customers.services import customer_upsert_by_crm_id
from lara.mentions.services import message_ingest_json

from ..factories import UserFactory, inbound
from ..loopback import QuietHandler, serving

SECRET = "whsec-test"


class _CRM(QuietHandler):
    """Plays the existing CRM: records each request and answers the next scripted status."""

    received: list[dict[str, Any]] = []
    statuses: list[int] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _CRM.received.append({"body": body, "headers": dict(self.headers.items())})
        self.send_json(_CRM.statuses.pop(0) if _CRM.statuses else 200, {"ok": True})


@pytest.fixture
def crm_url(settings: Any) -> Any:
    settings.LARA_WEBHOOK_ALLOW_PRIVATE = True  # the test CRM listens on loopback
    _CRM.received, _CRM.statuses = [], []
    with serving(_CRM) as base:
        yield f"{base}/lara-hook"


def _endpoint(url: str, *events: str) -> WebhookEndpoint:
    endpoint, _ = webhook_endpoint_create(url=url, events=list(events), secret=SECRET)
    return endpoint


def _retry_now() -> None:
    """Skip the back-off wait: make every queued job due."""
    Job.objects.filter(status=JobStatus.QUEUED).update(run_after=timezone.now() - timedelta(seconds=1))


def test_a_customer_change_is_posted_signed_with_event_and_idempotency_headers(
    org: dict[str, Any], crm_url: str
) -> None:
    _endpoint(crm_url, "customer.created", "customer.updated")

    customer, _ = customer_upsert_by_crm_id(
        external_id="CRM-7", fields={"name": "Noa Bar", "status": "lead"}, emails=["noa@example.org"]
    )
    jobs_run_pending()

    (request,) = _CRM.received
    body, headers = request["body"], request["headers"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Lara-Signature"] == expected
    assert headers["X-Lara-Event"] == "customer.created"
    delivery = WebhookDelivery.objects.get()
    assert headers["X-Lara-Delivery"] == headers["Idempotency-Key"] == str(delivery.uuid)
    payload = json.loads(body)
    assert (payload["id"], payload["event"]) == (str(delivery.uuid), "customer.created")
    assert payload["data"]["customer"] == {
        "id": customer.pk,
        "external_id": "CRM-7",
        "name": "Noa Bar",
        "emails": ["noa@example.org"],
        "phones": [],
        "status": "lead",
        "tier": "",
        "lifetime_value": "0.00",
        "company": "",
        "city": "",
        "owner": None,
        "attributes": {},
        "merged_into": None,
    }
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_a_500_is_retried_with_back_off_then_delivered_and_every_attempt_is_logged(
    org: dict[str, Any], crm_url: str
) -> None:
    _endpoint(crm_url, "customer.updated")
    Customer.objects.create(name="Dana", external_crm_id="CRM-1")
    _CRM.statuses = [500]

    customer_upsert_by_crm_id(external_id="CRM-1", fields={"tier": "gold"})
    jobs_run_pending()

    delivery = WebhookDelivery.objects.get()
    job = Job.objects.get(task="lara.cases.outgoing.deliver_webhook_task")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("queued", 1, 500)
    assert (job.status, job.run_after > timezone.now()) == (JobStatus.QUEUED, True)

    _retry_now()
    assert job_run(job.pk) is True

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert [a["status_code"] for a in delivery.attempt_log] == [500, 200]
    first, second = _CRM.received
    assert first["body"] == second["body"]
    assert first["headers"]["X-Lara-Delivery"] == second["headers"]["X-Lara-Delivery"]


def test_a_410_fails_the_delivery_for_good(org: dict[str, Any], crm_url: str) -> None:
    _endpoint(crm_url, "customer.created")
    _CRM.statuses = [410]

    customer_upsert_by_crm_id(external_id="CRM-2", fields={"name": "Gone"})
    jobs_run_pending()
    _retry_now()
    jobs_run_pending()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 410)
    assert delivery.last_error.startswith("HTTP 410")
    assert len(_CRM.received) == 1
    assert Job.objects.get(task="lara.cases.outgoing.deliver_webhook_task").status == JobStatus.DONE


def test_the_last_allowed_attempt_marks_the_delivery_failed(
    org: dict[str, Any], crm_url: str, settings: Any
) -> None:
    settings.LARA_JOB_MAX_ATTEMPTS = 2
    _endpoint(crm_url, "customer.created")
    _CRM.statuses = [503, 429]

    customer_upsert_by_crm_id(external_id="CRM-3", fields={"name": "Flaky"})
    jobs_run_pending()
    _retry_now()
    jobs_run_pending()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert [a["status_code"] for a in delivery.attempt_log] == [503, 429]


def test_case_and_merge_events_reach_only_subscribers(org: dict[str, Any], crm_url: str) -> None:
    cases_only = _endpoint(crm_url, "case.created", "case.status_changed")
    _endpoint(crm_url, "customer.merged")
    WebhookEndpoint.objects.create(url=crm_url, events=["case.created"], active=False)

    message_ingest_json(data=inbound(external_id="w1", text="My bike is broken"))
    jobs_run_pending()
    case = Case.objects.get()
    case_set_status(case=case, status="resolved", actor=org["alice"], reason="fixed")
    other = Customer.objects.create(name="Other")
    customer_merge(target_id=case.customer_id, other_id=other.pk, choices={}, actor=org["lena"])
    jobs_run_pending()

    events = [r["headers"]["X-Lara-Event"] for r in _CRM.received]
    assert events == ["case.created", "case.status_changed", "customer.merged"]
    created, changed, merged = (json.loads(r["body"])["data"] for r in _CRM.received)
    assert (created["case"]["reference"], created["case"]["customer"]["id"]) == (
        case.reference,
        case.customer_id,
    )
    assert (changed["from"], changed["to"], changed["reason"]) == ("new", "resolved", "fixed")
    assert (merged["customer"]["id"], merged["merged"]["id"]) == (case.customer_id, other.pk)
    assert WebhookDelivery.objects.filter(endpoint=cases_only, status=DeliveryStatus.DELIVERED).count() == 2


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def test_admins_register_webhooks_and_read_the_delivery_log(org: dict[str, Any], crm_url: str) -> None:
    admin = UserFactory(username="ada", is_superuser=True)
    body = {"url": crm_url, "events": ["customer.created"]}

    refused = _client(org["lena"]).post(
        "/api/webhooks", data=json.dumps(body), content_type="application/json"
    )
    bad = _client(admin).post(
        "/api/webhooks", data=json.dumps({**body, "events": ["nope"]}), content_type="application/json"
    )
    created = _client(admin).post("/api/webhooks", data=json.dumps(body), content_type="application/json")

    assert (refused.status_code, bad.status_code, created.status_code) == (403, 422, 201)
    endpoint = WebhookEndpoint.objects.get()
    assert created.json()["secret"] == endpoint.secret
    assert endpoint.secret not in endpoint.secret_encrypted
    listed = _client(admin).get("/api/webhooks").json()
    assert [(w["id"], w["events"]) for w in listed] == [(endpoint.pk, ["customer.created"])]
    assert "secret" not in listed[0]

    customer_upsert_by_crm_id(external_id="CRM-8", fields={"name": "Logged"})
    jobs_run_pending()
    log = _client(admin).get(f"/api/webhooks/{endpoint.pk}/deliveries").json()

    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("customer.created", "delivered", 1, 200)
    ]
    assert _client(org["lena"]).get(f"/api/webhooks/{endpoint.pk}/deliveries").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
    ],
)
def test_webhook_urls_cannot_target_loopback_private_or_link_local_addresses(
    org: dict[str, Any], url: str
) -> None:
    with pytest.raises(ValueError, match="loopback, private or link-local address"):
        webhook_endpoint_create(url=url, events=["case.created"])

    assert WebhookEndpoint.objects.count() == 0


def test_the_api_refuses_a_private_webhook_url_with_the_reason(org: dict[str, Any]) -> None:
    admin = UserFactory(username="root", is_superuser=True)
    body = {"url": "http://169.254.169.254/", "events": ["case.created"]}

    response = _client(admin).post("/api/webhooks", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "169.254.169.254 resolves to 169.254.169.254, a loopback, private or link-local address; "
        "set LARA_WEBHOOK_ALLOW_PRIVATE=1 to allow it"
    )


def test_a_delivery_to_an_endpoint_that_became_private_fails_without_a_request(
    org: dict[str, Any], crm_url: str, settings: Any
) -> None:
    _endpoint(crm_url, "customer.created")
    settings.LARA_WEBHOOK_ALLOW_PRIVATE = False  # e.g. the setting was removed after registration

    customer_upsert_by_crm_id(external_id="CRM-9", fields={"name": "Ada"})
    jobs_run_pending()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert _CRM.received == []
