"""The generic JSON webhook: signed deliveries are stored once; forged ones store nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from lara.channels.models import Channel
from lara.channels.webhook.adapter import sign
from lara.mentions.models import Message

from ..factories import ChannelFactory, inbound

FIXTURE = Path(__file__).resolve().parents[2] / "src/lara/channels/webhook/fixtures/order_system_batch.json"
SECRET = "whsec-7c1f"


@pytest.fixture
def shop(org: dict[str, Any]) -> Channel:
    channel = ChannelFactory(slug="shop", network="webhook", name="Shop tickets")
    channel.credentials = {"secret": SECRET}
    channel.save()
    return channel


def _deliver(body: bytes, signature: str | None) -> Any:
    headers = {"X-Lara-Signature": signature} if signature is not None else {}
    return Client().post("/hooks/shop", data=body, content_type="application/json", headers=headers)


def test_a_signed_batch_is_stored_and_its_retry_adds_nothing(shop: Channel) -> None:
    body = FIXTURE.read_bytes()

    first = _deliver(body, sign(SECRET, body))
    retry = _deliver(body, sign(SECRET, body))

    assert first.status_code == 200
    assert (first.json()["created"], first.json()["rejected"]) == (2, 0)
    assert (retry.json()["created"], retry.json()["duplicate"]) == (0, 2)
    assert sorted(Message.objects.values_list("channel__slug", "external_id")) == [
        ("shop", "ticket-58213"),
        ("shop", "ticket-58214"),
    ]
    shop.refresh_from_db()
    assert shop.last_success_at is not None


@pytest.mark.parametrize("signature", [None, "sha256=00", "sha256=" + "a" * 64])
def test_a_forged_or_unsigned_delivery_stores_nothing(shop: Channel, signature: str | None) -> None:
    body = FIXTURE.read_bytes()

    response = _deliver(body, signature)

    assert (response.status_code, response.json()) == (403, {"detail": "signature missing or wrong"})
    assert Message.objects.count() == 0
    shop.refresh_from_db()
    assert shop.last_error == "webhook refused: signature missing or wrong"


def test_a_tampered_body_is_refused(shop: Channel) -> None:
    body = FIXTURE.read_bytes()
    signature = sign(SECRET, body)

    response = _deliver(body.replace(b"10 days", b"2 days"), signature)

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_invalid_items_are_rejected_by_index_while_valid_ones_are_stored(shop: Channel) -> None:
    good = inbound(external_id="t1")
    body = json.dumps([good, {"external_id": "t2"}]).encode()

    response = _deliver(body, sign(SECRET, body))

    assert response.json()["created"] == 1
    assert response.json()["rejected_items"][0]["index"] == 1
    assert "kind: Field required" in response.json()["rejected_items"][0]["reason"]
    assert Message.objects.get().channel == shop


def test_a_sender_cannot_write_into_another_channel(shop: Channel) -> None:
    body = json.dumps(inbound(channel="x", external_id="t9")).encode()

    _deliver(body, sign(SECRET, body))

    assert Message.objects.get().channel.slug == "shop"


def test_unreadable_json_is_a_400(shop: Channel) -> None:
    body = b"{not json"

    response = _deliver(body, sign(SECRET, body))

    assert response.status_code == 400
    assert response.json()["detail"].startswith("body is not valid JSON")


def test_a_channel_without_a_secret_refuses_everything(shop: Channel) -> None:
    Channel.objects.filter(pk=shop.pk).update(credentials_encrypted="")
    body = FIXTURE.read_bytes()

    assert _deliver(body, sign("", body)).status_code == 403


def test_channels_of_networks_without_webhooks_are_404(org: dict[str, Any]) -> None:
    ChannelFactory(slug="forum", network="rss", name="Forum")  # a feed is fetched, never pushed
    body = b"[]"

    assert Client().post("/hooks/forum", data=body, content_type="application/json").status_code == 404
    assert Client().post("/hooks/nope", data=body, content_type="application/json").status_code == 404
    assert Client().get("/hooks/forum").status_code == 404  # no URL check for this network either
    assert Client().put("/hooks/forum", data=body).status_code == 405
