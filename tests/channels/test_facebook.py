"""Facebook Page: signed feed and Messenger webhooks stored once, replies sent through a loopback Graph.

Deliveries go through the real endpoint ``/hooks/<slug>``; the Graph API is
played by a loopback server answering with the recorded payloads under
channels/facebook/fixtures/.
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
from lara.channels.facebook.adapter import FacebookAdapter, parse_delivery
from lara.channels.facebook.graph import sign
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.core.jobs import jobs_run_pending
from lara.mentions.models import DeadLetter, Message, MessageRevision

from ..factories import ChannelFactory
from .meta_graph import GraphApi, graph_api, unreachable_base

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/facebook/fixtures"
APP_SECRET = "fb-app-secret-9d2c"
VERIFY = "volta-verify-77"
TOKEN = "EAAGm0PX4ZCpsBAPage-token"
PAGE = "104523871234567"
PSID = "6543210987654321"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def graph() -> Iterator[GraphApi]:
    yield from graph_api()


@pytest.fixture
def fb(org: dict[str, Any], graph: GraphApi) -> Channel:
    channel = ChannelFactory(slug="fb", network="facebook", name="Volta Ride page", account_name="Volta Ride")
    channel.credentials = {
        "page_access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY,
        "api_base_url": graph.base,
    }
    channel.config = {"page_id": PAGE}
    channel.save()
    adapter_for.cache_clear()
    return channel


def _deliver(body: bytes, signature: str | None = "sign") -> Any:
    if signature == "sign":
        signature = sign(APP_SECRET, body)
    headers = {"X-Hub-Signature-256": signature} if signature is not None else {}
    return Client().post("/hooks/fb", data=body, content_type="application/json", headers=headers)


# --- inbound ----------------------------------------------------------------------------------


def test_a_comment_on_a_page_post_is_stored_with_its_post_as_thread(fb: Channel) -> None:
    response = _deliver(_body("webhook_feed_comment.json"))

    assert (response.status_code, response.json()["created"]) == (200, 1)
    stored = Message.objects.get()
    assert (stored.external_id, stored.kind, stored.public) == (
        "998877665544332_1122334455667788",
        "comment",
        True,
    )
    assert (
        stored.text == "My Volta City battery dies after 10 km since the last update. Is this a known issue?"
    )
    assert (stored.thread_key, stored.conversation_key, stored.in_reply_to) == (
        "104523871234567_998877665544332",
        "104523871234567_998877665544332",
        "104523871234567_998877665544332",
    )
    assert (stored.author_external_id, stored.author_name, stored.author_handle, stored.author_followers) == (
        "7212345678901234",
        "Dana Levi",
        "",
        None,
    )
    assert stored.created_at == datetime(2025, 11, 21, 9, 14, tzinfo=UTC)
    assert stored.url == (
        "https://www.facebook.com/104523871234567_998877665544332?comment_id=998877665544332_1122334455667788"
    )
    fb.refresh_from_db()
    assert fb.last_success_at is not None


def test_a_visitor_post_is_stored_as_a_post(fb: Channel) -> None:
    _deliver(_body("webhook_feed_visitor_post.json"))

    stored = Message.objects.get()
    assert (stored.external_id, stored.kind, stored.public, stored.thread_key) == (
        "104523871234567_1234509876543210",
        "post",
        True,
        "104523871234567_1234509876543210",
    )
    assert stored.text == "Заказал Volta Kick две недели назад, до сих пор нет трек-номера. Что происходит?"
    assert (stored.author_external_id, stored.author_name) == ("7298765432109876", "Игорь Петров")
    assert stored.url == "https://www.facebook.com/104523871234567_1234509876543210"
    assert stored.created_at == datetime(2025, 11, 21, 9, 20, tzinfo=UTC)


def test_a_messenger_message_is_a_private_direct_message_keyed_by_psid(fb: Channel) -> None:
    _deliver(_body("webhook_messenger_text.json"))

    stored = Message.objects.get()
    assert (stored.kind, stored.public, stored.author_external_id, stored.author_followers) == (
        "direct",
        False,
        PSID,
        None,
    )
    assert stored.external_id.startswith("m_AG5Hz2Uq7tuwNEhX")
    assert stored.text == "שלום, ההזמנה שלי VR-20418 עדיין לא הגיעה. מתי היא תגיע?"
    assert (stored.thread_key, stored.conversation_key) == (f"messenger:{PSID}", f"messenger:{PSID}")
    assert stored.created_at == datetime(2025, 11, 21, 9, 22, 30, tzinfo=UTC)


def test_an_edit_updates_the_comment_a_removal_marks_it_and_echoes_and_reactions_store_nothing(
    fb: Channel,
) -> None:
    _deliver(_body("webhook_feed_comment.json"))
    original = Message.objects.get().text

    edits = _deliver(_body("webhook_feed_edit_and_remove.json"))
    again = _deliver(_body("webhook_feed_edit_and_remove.json"))
    echo = _deliver(_body("webhook_messenger_echo.json"))

    assert [edits.json()[k] for k in ("created", "updated", "duplicate", "rejected")] == [0, 2, 0, 0]
    assert [again.json()[k] for k in ("created", "updated", "duplicate", "rejected")] == [0, 0, 2, 0]
    assert (echo.json()["created"], echo.json()["rejected"]) == (0, 0)
    kept = Message.objects.get()
    assert original.endswith("Is this a known issue?")
    assert kept.text == (
        "My Volta City battery dies after 10 km since the last update. Fixed after a reset, thanks!"
    )
    assert (kept.edited_at, kept.deleted_at) == (
        datetime(2025, 11, 21, 10, 5, tzinfo=UTC),
        datetime(2025, 11, 21, 10, 7, tzinfo=UTC),
    )
    assert list(MessageRevision.objects.values_list("event", "previous_text")) == [
        ("edit", original),
        ("delete", kept.text),
    ]
    batch = parse_delivery("fb", _fixture("webhook_feed_edit_and_remove.json")["entry"])
    assert [(m.event, m.external_id) for m in batch.messages] == [
        ("edit", "998877665544332_1122334455667788"),
        ("delete", "998877665544332_1122334455667788"),
    ]
    assert batch.ignored == [(2, "entry 0 change 2: a reaction add, not a post or a comment")]
    echo_batch = parse_delivery("fb", _fixture("webhook_messenger_echo.json")["entry"])
    assert echo_batch.ignored == [
        (0, "entry 0 messaging 0: an echo of a message our own Facebook account sent")
    ]


def test_a_retried_delivery_stores_nothing_twice(fb: Channel) -> None:
    body = _body("webhook_feed_comment.json")

    first, retry = _deliver(body), _deliver(body)

    assert (first.json()["created"], retry.json()["created"], retry.json()["duplicate"]) == (1, 0, 1)
    assert Message.objects.count() == 1


@pytest.mark.parametrize("signature", [None, "sha256=00", "sha256=" + "b" * 64, "sign-with-another-secret"])
def test_a_forged_or_unsigned_delivery_is_refused_whole(fb: Channel, signature: str | None) -> None:
    body = _body("webhook_feed_comment.json")
    if signature == "sign-with-another-secret":
        signature = sign("not-the-app-secret", body)

    response = _deliver(body, signature)

    assert (response.status_code, response.json()) == (403, {"detail": "signature missing or wrong"})
    assert Message.objects.count() == 0
    assert DeadLetter.objects.count() == 0


def test_a_tampered_body_is_refused(fb: Channel) -> None:
    body = _body("webhook_feed_comment.json")
    signature = sign(APP_SECRET, body)

    response = _deliver(body.replace(b"10 km", b"100 km"), signature)

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_a_bad_item_is_rejected_with_its_reason_and_the_rest_is_stored(fb: Channel) -> None:
    payload = _fixture("webhook_feed_comment.json")
    broken = {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "1_2", "message": "hi"}}
    payload["entry"][0]["changes"].insert(0, broken)
    body = json.dumps(payload).encode()

    response = _deliver(body)

    assert (response.json()["created"], response.json()["rejected"]) == (1, 1)
    assert response.json()["rejected_items"] == [
        {
            "index": 0,
            "reason": "entry 0 change 0: the comment came without its author ('from'); the app needs "
            "the pages_read_user_content permission to see who wrote it",
        }
    ]
    assert Message.objects.get().external_id == "998877665544332_1122334455667788"
    assert DeadLetter.objects.get().error.startswith("item 0: entry 0 change 0: the comment came without")


def test_a_delivery_for_another_object_is_refused(fb: Channel) -> None:
    body = json.dumps({"object": "instagram", "entry": []}).encode()

    response = _deliver(body)

    assert response.status_code == 400
    assert "a delivery for object 'instagram' reached a Facebook channel" in response.json()["detail"]


def test_the_verify_token_handshake_echoes_the_challenge(fb: Channel) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}

    response = Client().get("/hooks/fb", query)

    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"1158201444",
        "text/plain",
    )


def test_a_wrong_verify_token_is_refused(fb: Channel) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}

    response = Client().get("/hooks/fb", query)

    assert (response.status_code, response.content) == (403, b"verify token wrong")
    fb.refresh_from_db()
    assert fb.last_error == "webhook check refused: verify token wrong"


# --- outbound ---------------------------------------------------------------------------------


def _reply(**overrides: Any) -> OutboundReply:
    data: dict[str, Any] = {
        "channel": "fb",
        "text": "Hi Dana, please update to firmware 2.4.1 — it fixes the range issue.",
        "in_reply_to": "998877665544332_1122334455667788",
        "thread_key": "104523871234567_998877665544332",
        "recipient_external_id": "7212345678901234",
        "public": True,
        "reply_id": 7,
        "kind": "comment",
        "last_inbound_at": datetime.now(UTC) - timedelta(hours=2),
        "config": {"page_id": PAGE},
    }
    data.update(overrides)
    return OutboundReply(**data)


def _credentials(graph: GraphApi) -> dict[str, Any]:
    return {"page_access_token": TOKEN, "app_secret": APP_SECRET, "api_base_url": graph.base}


def test_a_comment_reply_posts_to_the_comment_edge(graph: GraphApi) -> None:
    graph.answer("POST", "/998877665544332_1122334455667788/comments", _fixture("comment_response.json"))

    result = FacebookAdapter().send(_reply(), _credentials(graph))

    assert result.external_id == "998877665544332_1122334455669901"
    assert result.url == (
        "https://www.facebook.com/104523871234567_998877665544332?comment_id=998877665544332_1122334455669901"
    )
    sent = graph.requests[-1]
    assert (sent.method, sent.path, sent.body) == (
        "POST",
        "/v21.0/998877665544332_1122334455667788/comments",
        {"message": "Hi Dana, please update to firmware 2.4.1 — it fixes the range issue."},
    )
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert len(sent.query["appsecret_proof"]) == 64
    assert TOKEN not in json.dumps(sent.query)


def test_a_messenger_reply_inside_the_window_goes_to_me_messages(graph: GraphApi) -> None:
    graph.answer("POST", "/me/messages", _fixture("send_message_response.json"))
    reply = _reply(
        kind="direct", public=False, recipient_external_id=PSID, text="שלום דנה, ההזמנה יצאה אתמול."
    )

    result = FacebookAdapter().send(reply, _credentials(graph))

    assert result.external_id.startswith("m_Zx9Yw8Vu7Ts6Rq5Po4")
    assert graph.requests[-1].body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "שלום דנה, ההזמנה יצאה אתמול."},
    }


def test_a_messenger_reply_outside_the_window_is_refused_with_what_to_do_instead(graph: GraphApi) -> None:
    last = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    reply = _reply(kind="direct", public=False, recipient_external_id=PSID, last_inbound_at=last)

    with pytest.raises(ChannelError) as caught:
        FacebookAdapter().send(reply, _credentials(graph))

    assert str(caught.value) == (
        "the Messenger 24-hour messaging window closed at 2026-11-21 08:30 UTC (24 hours after the "
        "customer's last message); a private message can no longer be sent. Answer on one of the "
        "customer's public posts or comments, reach them by phone or e-mail from their customer record, "
        "or wait until they write again (with Meta's Human Agent permission, set human_agent_tag in the "
        "channel's settings to answer for up to 7 days)"
    )
    assert (caught.value.permanent, caught.value.auth) == (True, False)
    assert graph.requests == []


def test_the_human_agent_tag_extends_the_window_to_seven_days(graph: GraphApi) -> None:
    graph.answer("POST", "/me/messages", _fixture("send_message_response.json"))
    reply = _reply(
        kind="direct",
        public=False,
        recipient_external_id=PSID,
        last_inbound_at=datetime.now(UTC) - timedelta(days=3),
        config={"human_agent_tag": True},
    )

    FacebookAdapter().send(reply, _credentials(graph))

    body = graph.requests[-1].body
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


@pytest.mark.parametrize(
    ("fixture", "status", "headers", "expected"),
    [
        (
            "error_token_expired.json",
            400,
            {},
            (True, True, None, "the access token expired or was revoked: Error validating access token"),
        ),
        (
            "error_missing_permission.json",
            403,
            {},
            (True, True, None, "the token is missing the permission pages_manage_engagement: (#200)"),
        ),
        (
            "error_rate_limited.json",
            400,
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {
                        PAGE: [
                            {
                                "type": "pages",
                                "call_count": 100,
                                "total_cputime": 12,
                                "total_time": 18,
                                "estimated_time_to_regain_access": 15,
                            }
                        ]
                    }
                )
            },
            (False, False, 900.0, "rate limited, retry in 900 s: (#32) Page request limit reached"),
        ),
        (
            "error_rate_limited.json",
            400,
            {"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 60})},
            (False, False, 60.0, "rate limited, retry in 60 s"),
        ),
        ("error_transient.json", 500, {}, (False, False, None, "temporary failure: An unexpected error")),
        (
            "error_outside_window.json",
            400,
            {},
            (True, False, None, "the 24-hour messaging window is closed: (#10) This message is sent outside"),
        ),
    ],
)
def test_graph_errors_say_whether_to_retry_alert_or_wait(
    graph: GraphApi, fixture: str, status: int, headers: dict[str, str], expected: tuple[Any, ...]
) -> None:
    graph.answer(
        "POST",
        "/998877665544332_1122334455667788/comments",
        _fixture(fixture),
        status=status,
        headers=headers,
    )

    with pytest.raises(ChannelError) as caught:
        FacebookAdapter().send(_reply(), _credentials(graph))

    permanent, auth, retry_after, text = expected
    assert (caught.value.permanent, caught.value.auth, caught.value.retry_after) == (
        permanent,
        auth,
        retry_after,
    )
    assert text in str(caught.value)


def test_check_names_the_page(graph: GraphApi) -> None:
    graph.answer("GET", "/me", _fixture("me_response.json"))

    answer = FacebookAdapter().check(config={"page_id": PAGE}, credentials=_credentials(graph))

    assert answer == "connected as Volta Ride (page 104523871234567)"
    assert graph.requests[-1].query["fields"] == "id,name"


def test_check_refuses_a_token_of_another_page(graph: GraphApi) -> None:
    graph.answer("GET", "/me", _fixture("me_response.json"))

    with pytest.raises(ChannelError, match="not the configured page 999"):
        FacebookAdapter().check(config={"page_id": "999"}, credentials=_credentials(graph))


def test_check_reports_an_expired_token_as_an_auth_failure(graph: GraphApi) -> None:
    graph.answer("GET", "/me", _fixture("error_token_expired.json"), status=400)

    with pytest.raises(ChannelError, match="expired or was revoked") as caught:
        FacebookAdapter().check(config={}, credentials=_credentials(graph))

    assert caught.value.auth is True


def test_check_reports_an_unreachable_graph_as_retryable() -> None:
    credentials = {"page_access_token": TOKEN, "api_base_url": unreachable_base()}

    with pytest.raises(ChannelError, match="Facebook unreachable: ConnectError") as caught:
        FacebookAdapter().check(config={}, credentials=credentials)

    assert (caught.value.permanent, caught.value.auth) == (False, False)


def test_an_expired_token_fails_the_reply_and_flags_the_channel(fb: Channel, graph: GraphApi) -> None:
    _deliver(_body("webhook_feed_comment.json"))
    jobs_run_pending()
    graph.answer(
        "POST",
        "/998877665544332_1122334455667788/comments",
        _fixture("error_token_expired.json"),
        status=400,
    )

    reply_create(case=Case.objects.get(), author=None, text="Please update to firmware 2.4.1.")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert reply.status == "failed"
    assert reply.last_error.startswith(
        "Facebook (HTTP 400, code 190/463): the access token expired or was revoked: Error validating"
    )
    fb.refresh_from_db()
    assert fb.auth_failed_at is not None
    assert fb.last_error == reply.last_error


def test_a_comment_reply_through_the_outbox_is_stored_as_sent(fb: Channel, graph: GraphApi) -> None:
    _deliver(_body("webhook_feed_comment.json"))
    jobs_run_pending()
    graph.answer("POST", "/998877665544332_1122334455667788/comments", _fixture("comment_response.json"))

    reply_create(case=Case.objects.get(), author=None, text="Please update to firmware 2.4.1.")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert (reply.status, reply.external_id) == ("sent", "998877665544332_1122334455669901")
    assert graph.requests[-1].body == {"message": "Please update to firmware 2.4.1."}


def test_a_messenger_delivery_receipt_is_recorded_on_the_reply(fb: Channel, graph: GraphApi) -> None:
    _deliver(_body("webhook_messenger_text.json"))
    jobs_run_pending()
    Message.objects.filter(direction="in").update(created_at=datetime.now(UTC) - timedelta(hours=1))
    graph.answer("POST", "/me/messages", _fixture("send_message_response.json"))
    reply_create(case=Case.objects.get(), author=None, text="שלום דנה, ההזמנה יצאה אתמול.")
    jobs_run_pending()
    sent_id = Reply.objects.get().external_id
    echo = _fixture("webhook_messenger_echo.json")
    echo["entry"][0]["messaging"][1]["delivery"]["mids"] = [sent_id]

    _deliver(json.dumps(echo).encode())

    assert Reply.objects.get().delivery_status == "delivered"
