"""WhatsApp Business Cloud API: messages and delivery statuses in, text or template replies out.

Deliveries go through ``/hooks/<slug>``; the Graph API is a loopback server
answering with the recorded payloads under channels/whatsapp/fixtures/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from lara.cases.models import Case, Reply
from lara.cases.services import reply_create
from lara.channels.base import ChannelError, OutboundReply
from lara.channels.facebook.graph import sign
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.whatsapp.adapter import WhatsAppAdapter
from lara.core.jobs import jobs_run_pending
from lara.mentions.models import Message

from ..factories import ChannelFactory
from .meta_graph import GraphApi, graph_api

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/whatsapp/fixtures"
FB_FIXTURES = FIXTURES.parent.parent / "facebook/fixtures"
APP_SECRET = "wa-app-secret-0c3e"
TOKEN = "EAAGm0PX4ZCpsBAWa-system-user-token"
PHONE_ID = "106540352242922"
OLENA = "380671234567"
SENT_ID = "wamid.HBgMMzgwNjcxMjM0NTY3FQIAERgSNjhCQjBFNzlGOUQ2QjU4NkFCAA=="


def _fixture(name: str, folder: Path = FIXTURES) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.fixture
def graph() -> Iterator[GraphApi]:
    yield from graph_api()


@pytest.fixture
def wa(org: dict[str, Any], graph: GraphApi) -> Channel:
    channel = ChannelFactory(
        slug="wa", network="whatsapp", name="Volta WhatsApp", account_name="+97235550101"
    )
    channel.credentials = {
        "access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": "wa-verify",
        "api_base_url": graph.base,
    }
    channel.config = {
        "phone_number_id": PHONE_ID,
        "template_name": "support_follow_up",
        "template_language": "uk",
    }
    channel.save()
    adapter_for.cache_clear()
    return channel


def _deliver(body: bytes, signature: str | None = None) -> Any:
    headers = {"X-Hub-Signature-256": signature if signature is not None else sign(APP_SECRET, body)}
    return Client().post("/hooks/wa", data=body, content_type="application/json", headers=headers)


def _deliver_fixture(name: str) -> Any:
    return _deliver((FIXTURES / name).read_bytes())


# --- inbound ----------------------------------------------------------------------------------


def test_a_text_message_is_stored_with_the_contacts_name_and_phone(wa: Channel) -> None:
    response = _deliver_fixture("webhook_text.json")

    assert response.json()["created"] == 1
    stored = Message.objects.get()
    assert (stored.external_id, stored.kind, stored.public) == (
        "wamid.HBgMMzgwNjcxMjM0NTY3FQIAEhggQzRBNkI2RDQ5RjM0QjE2QjQ2QzY5RkQ0QTk5RjFCNEQA",
        "direct",
        False,
    )
    assert stored.text == "Добрий день! Чому мій Volta Kick не заряджається після оновлення?"
    assert (stored.author_external_id, stored.author_name, stored.author_phone, stored.author_followers) == (
        OLENA,
        "Олена Шевчук",
        "+380671234567",
        None,
    )
    assert (stored.thread_key, stored.conversation_key) == (f"whatsapp:{OLENA}", f"whatsapp:{OLENA}")
    assert stored.created_at == datetime(2025, 11, 21, 9, 14, tzinfo=UTC)


def test_an_image_is_stored_as_readable_text(wa: Channel) -> None:
    _deliver_fixture("webhook_image.json")

    stored = Message.objects.get()
    assert (stored.text, stored.author_name, stored.author_phone) == (
        "[image] The charger light stays red",
        "Dana Levi",
        "+972501234567",
    )


def test_documents_locations_and_buttons_are_stored_as_readable_text(wa: Channel) -> None:
    _deliver_fixture("webhook_document_location_button.json")

    assert list(Message.objects.order_by("created_at").values_list("text", "in_reply_to")) == [
        ("[document VR-20418.pdf] my invoice", ""),
        ("[location] Volta Ride Tel Aviv, Rothschild Blvd 22, Tel Aviv (32.0853, 34.7818)", ""),
        ("[button] Talk to an agent", "wamid.HBgMOTcyNTAxMjM0NTY3FQIAERgSQjU2QTNFMzI4OEQ1OEE3NTk3AA=="),
    ]


def test_an_unsupported_message_is_rejected_with_its_reason_and_the_rest_kept(wa: Channel) -> None:
    payload = _fixture("webhook_text.json")
    unsupported = {
        "from": OLENA,
        "id": "wamid.unsupported-1",
        "timestamp": "1763716500",
        "type": "unsupported",
        "errors": [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown"}],
    }
    payload["entry"][0]["changes"][0]["value"]["messages"].append(unsupported)

    response = _deliver(json.dumps(payload).encode())

    assert (response.json()["created"], response.json()["rejected"]) == (1, 1)
    assert response.json()["rejected_items"] == [
        {
            "index": 1,
            "reason": "entry 0 change 0 message 1: unsupported WhatsApp message type 'unsupported': "
            "Message type unknown",
        }
    ]


def test_a_retried_delivery_stores_nothing_twice(wa: Channel) -> None:
    first, retry = _deliver_fixture("webhook_text.json"), _deliver_fixture("webhook_text.json")

    assert (first.json()["created"], retry.json()["created"], retry.json()["duplicate"]) == (1, 0, 1)
    assert Message.objects.count() == 1


def test_a_forged_delivery_is_refused_whole(wa: Channel) -> None:
    body = (FIXTURES / "webhook_text.json").read_bytes()

    unsigned = Client().post("/hooks/wa", data=body, content_type="application/json")
    forged = _deliver(body, sign("guessed", body))

    assert (unsigned.status_code, forged.status_code) == (403, 403)
    assert Message.objects.count() == 0


def test_the_handshake_answers_only_the_right_verify_token(wa: Channel) -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "889211"}

    good = Client().get("/hooks/wa", {**query, "hub.verify_token": "wa-verify"})
    bad = Client().get("/hooks/wa", {**query, "hub.verify_token": "wa-verify-2"})

    assert (good.status_code, good.content, bad.status_code, bad.content) == (
        200,
        b"889211",
        403,
        b"verify token wrong",
    )


# --- outbound ---------------------------------------------------------------------------------


def _reply(**overrides: Any) -> OutboundReply:
    data: dict[str, Any] = {
        "channel": "wa",
        "text": "Вітаємо, Олено!\nСкиньте, будь ласка, налаштування через меню.",
        "in_reply_to": "wamid.HBgMMzgwNjcxMjM0NTY3FQIAEhggQzRBNkI2RDQ5RjM0QjE2QjQ2QzY5RkQ0QTk5RjFCNEQA",
        "thread_key": f"whatsapp:{OLENA}",
        "recipient_external_id": OLENA,
        "public": False,
        "reply_id": 11,
        "kind": "direct",
        "last_inbound_at": datetime.now(UTC) - timedelta(hours=3),
        "config": {"phone_number_id": PHONE_ID},
    }
    data.update(overrides)
    return OutboundReply(**data)


def _credentials(graph: GraphApi) -> dict[str, Any]:
    return {"access_token": TOKEN, "api_base_url": graph.base}


def test_a_reply_inside_the_window_is_sent_as_text(graph: GraphApi) -> None:
    graph.answer("POST", f"/{PHONE_ID}/messages", _fixture("send_message_response.json"))

    result = WhatsAppAdapter().send(_reply(), _credentials(graph))

    assert result.external_id == SENT_ID
    sent = graph.requests[-1]
    assert (sent.path, sent.headers["Authorization"]) == (f"/v21.0/{PHONE_ID}/messages", f"Bearer {TOKEN}")
    assert sent.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": OLENA,
        "type": "text",
        "text": {
            "preview_url": False,
            "body": "Вітаємо, Олено!\nСкиньте, будь ласка, налаштування через меню.",
        },
    }


def test_outside_the_window_without_a_template_the_reply_is_refused(graph: GraphApi) -> None:
    reply = _reply(last_inbound_at=datetime(2026, 11, 1, 7, 5, tzinfo=UTC))

    with pytest.raises(ChannelError) as caught:
        WhatsAppAdapter().send(reply, _credentials(graph))

    assert str(caught.value) == (
        "the WhatsApp 24-hour messaging window closed at 2026-11-02 07:05 UTC (24 hours after the "
        "customer's last message); outside it WhatsApp delivers only approved message templates and this "
        "channel has none: set template_name and template_language in the channel's settings (an approved "
        "template whose body has one {{1}} parameter for the reply), or wait for the customer to write again"
    )
    assert caught.value.permanent is True
    assert graph.requests == []


def test_a_template_without_parameters_is_sent_bare(graph: GraphApi) -> None:
    graph.answer("POST", f"/{PHONE_ID}/messages", _fixture("send_message_response.json"))
    config = {
        "phone_number_id": PHONE_ID,
        "template_name": "we_replied",
        "template_language": "en_US",
        "template_body_parameter": False,
    }

    WhatsAppAdapter().send(_reply(last_inbound_at=None, config=config), _credentials(graph))

    assert graph.requests[-1].body["template"] == {"name": "we_replied", "language": {"code": "en_US"}}


def test_a_reply_outside_the_window_goes_out_as_the_template_and_its_failure_is_recorded(
    wa: Channel, graph: GraphApi
) -> None:
    _deliver_fixture("webhook_text.json")  # written in 2025: the window closed long ago
    jobs_run_pending()
    graph.answer("POST", f"/{PHONE_ID}/messages", _fixture("send_message_response.json"))

    reply_create(case=Case.objects.get(), author=None, text="Вітаємо, Олено!\nСкиньте налаштування.")
    jobs_run_pending()

    assert graph.requests[-1].body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": OLENA,
        "type": "template",
        "template": {
            "name": "support_follow_up",
            "language": {"code": "uk"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Вітаємо, Олено! Скиньте налаштування."}],
                }
            ],
        },
    }
    reply = Reply.objects.get()
    assert (reply.status, reply.external_id) == ("sent", SENT_ID)

    statuses = _fixture("webhook_statuses.json")
    statuses["entry"][0]["changes"][0]["value"]["statuses"][3]["id"] = SENT_ID
    response = _deliver(json.dumps(statuses).encode())

    assert (response.status_code, response.json()["created"]) == (200, 0)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_detail) == (
        "failed",
        "Re-engagement message: Message failed to send because more than 24 hours have passed since the "
        "customer last replied to this number.",
    )
    assert reply.case.events.filter(kind="reply_failed").count() == 1


def test_read_receipts_are_recorded_on_the_reply(wa: Channel, graph: GraphApi) -> None:
    _deliver_fixture("webhook_text.json")
    jobs_run_pending()
    graph.answer("POST", f"/{PHONE_ID}/messages", _fixture("send_message_response.json"))
    reply_create(case=Case.objects.get(), author=None, text="Вітаємо!")
    jobs_run_pending()

    _deliver_fixture("webhook_statuses.json")

    reply = Reply.objects.get()
    assert (reply.delivery_status, reply.delivery_detail) == ("read", "")
    assert reply.case.events.filter(kind="reply_failed").count() == 0


def test_an_expired_token_fails_the_reply_and_flags_the_channel(wa: Channel, graph: GraphApi) -> None:
    _deliver_fixture("webhook_text.json")
    jobs_run_pending()
    graph.answer(
        "POST", f"/{PHONE_ID}/messages", _fixture("error_token_expired.json", FB_FIXTURES), status=401
    )

    reply_create(case=Case.objects.get(), author=None, text="Вітаємо!")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert reply.status == "failed"
    assert reply.last_error.startswith(
        "WhatsApp (HTTP 401, code 190/463): the access token expired or was revoked"
    )
    wa.refresh_from_db()
    assert wa.auth_failed_at is not None


def test_the_throughput_limit_waits_and_an_undeliverable_number_does_not_retry(graph: GraphApi) -> None:
    graph.answer("POST", f"/{PHONE_ID}/messages", _fixture("error_rate_limited.json"), status=400)
    with pytest.raises(ChannelError) as limited:
        WhatsAppAdapter().send(_reply(), _credentials(graph))
    graph.answer("POST", f"/{PHONE_ID}/messages", _fixture("error_invalid_recipient.json"), status=400)
    with pytest.raises(ChannelError) as undeliverable:
        WhatsAppAdapter().send(_reply(), _credentials(graph))

    assert (limited.value.permanent, limited.value.retry_after) == (False, 60.0)
    assert str(limited.value) == (
        "WhatsApp (HTTP 400, code 130429): rate limited, retry in 60 s: (#130429) Rate limit hit "
        "(Cloud API message throughput has been reached.)"
    )
    assert (undeliverable.value.permanent, undeliverable.value.auth) == (True, False)
    assert "Message undeliverable (Message Undeliverable.)" in str(undeliverable.value)


def test_check_names_the_number_and_its_quality(graph: GraphApi) -> None:
    graph.answer("GET", f"/{PHONE_ID}", _fixture("phone_number_response.json"))

    answer = WhatsAppAdapter().check(config={"phone_number_id": PHONE_ID}, credentials=_credentials(graph))

    assert answer == "connected as Volta Ride (+972 3-555-0101, quality GREEN)"
    assert graph.requests[-1].query["fields"] == "verified_name,display_phone_number,quality_rating"


def test_check_reports_an_expired_token(graph: GraphApi) -> None:
    graph.answer("GET", f"/{PHONE_ID}", _fixture("error_token_expired.json", FB_FIXTURES), status=400)

    with pytest.raises(ChannelError) as caught:
        WhatsAppAdapter().check(config={"phone_number_id": PHONE_ID}, credentials=_credentials(graph))

    assert caught.value.auth is True
