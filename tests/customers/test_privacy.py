"""Data-subject requests: export everything about a customer; erase while counts stay right; admins only."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from lara.analysis.models import Analysis
from lara.cases.models import Case
from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create
from lara.customers.models import Customer, CustomerAuditEvent, SocialProfile
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import UserFactory, inbound


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def _dana(org: dict[str, Any]) -> Customer:
    author = {
        "external_id": "dana",
        "handle": "@dana_rides",
        "name": "Dana Levi",
        "email": "dana@example.com",
    }
    message_ingest_json(data=inbound(external_id="p1", text="My battery is broken", author=author))
    message_ingest_json(data=inbound(external_id="p2", text="Rode past the shop", author=author))
    jobs_run_pending()
    return Customer.objects.get()


def test_an_admin_exports_everything_and_each_access_is_audited(org: dict[str, Any]) -> None:
    dana = _dana(org)
    admin = UserFactory(username="root", is_superuser=True)

    assert _client(org["lena"]).get(f"/api/customers/{dana.pk}/export").status_code == 403
    body = _client(admin).get(f"/api/customers/{dana.pk}/export?reason=DSAR 17").json()

    assert (body["customer"]["name"], body["customer"]["emails"]) == ("Dana Levi", ["dana@example.com"])
    assert [p["handle"] for p in body["profiles"]] == ["@dana_rides"]
    assert [m["text"] for m in body["messages"]] == ["My battery is broken", "Rode past the shop"]
    assert len(body["cases"]) == 1
    assert body["cases"][0]["events"][0]["kind"] == "created"
    event = CustomerAuditEvent.objects.get()
    assert (event.action, event.actor, event.reason) == ("export", admin, "DSAR 17")


def test_erase_anonymises_but_keeps_the_rows(org: dict[str, Any]) -> None:
    dana = _dana(org)
    admin = UserFactory(username="root", is_superuser=True)
    url = f"/api/customers/{dana.pk}/erase"
    Analysis.objects.update(topics=["battery"], entities=[{"name": "Volta City", "kind": "product"}])

    assert _client(org["lena"]).post(url, data="{}", content_type="application/json").status_code == 403
    response = _client(admin).post(
        url, data=json.dumps({"reason": "erasure request"}), content_type="application/json"
    )

    assert response.status_code == 200
    dana.refresh_from_db()
    assert (dana.name, dana.emails, dana.phones) == (f"erased customer {dana.pk}", [], [])
    profile = SocialProfile.objects.get()
    assert (profile.handle, profile.display_name, profile.email) == ("", "", "")
    assert set(Message.objects.values_list("text", "author_name", "author_handle")) == {("[erased]", "", "")}
    assert (Message.objects.count(), Case.objects.count(), Customer.objects.count()) == (2, 1, 1)
    assert list(Analysis.objects.values_list("topics", "entities")) == [([], []), ([], [])]
    event = CustomerAuditEvent.objects.get()
    assert (event.action, event.reason, event.data["messages"]) == ("erase", "erasure request", 2)
