"""Instagram: comments, @mentions (text fetched from the Graph) and Direct, replies in place.

Deliveries go through ``/hooks/<slug>``; the Graph API is a loopback server
answering with the recorded payloads under channels/instagram/fixtures/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.facebook.graph import sign
from lara.channels.instagram.adapter import InstagramAdapter
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.mentions.models import DeadLetter, Message

from ..factories import ChannelFactory
from .meta_graph import GraphApi, graph_api

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/instagram/fixtures"
FB_FIXTURES = FIXTURES.parent.parent / "facebook/fixtures"
APP_SECRET = "ig-app-secret-41aa"
TOKEN = "EAAGm0PX4ZCpsBAIg-token"
ACCOUNT = "17841405309211844"
IGSID = "1254459154682919"


def _fixture(name: str, folder: Path = FIXTURES) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.fixture
def graph() -> Iterator[GraphApi]:
    yield from graph_api()


@pytest.fixture
def ig(org: dict[str, Any], graph: GraphApi) -> Channel:
    channel = ChannelFactory(
        slug="ig", network="instagram", name="Volta on Instagram", account_name="volta.ride"
    )
    channel.credentials = {
        "access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": "ig-verify",
        "api_base_url": graph.base,
    }
    channel.config = {"ig_user_id": ACCOUNT}
    channel.save()
    adapter_for.cache_clear()
    return channel


def _deliver(body: bytes, signature: str | None = None) -> Any:
    headers = {"X-Hub-Signature-256": signature if signature is not None else sign(APP_SECRET, body)}
    return Client().post("/hooks/ig", data=body, content_type="application/json", headers=headers)


def _deliver_fixture(name: str) -> Any:
    return _deliver((FIXTURES / name).read_bytes())


def test_a_comment_is_stored_under_its_media(ig: Channel) -> None:
    response = _deliver_fixture("webhook_comment.json")

    assert response.json()["created"] == 1
    stored = Message.objects.get()
    assert (stored.external_id, stored.kind, stored.public) == ("17870913679156914", "comment", True)
    assert stored.text == "Love the new Volta Cargo! How much is it with the child seat?"
    assert (stored.author_external_id, stored.author_handle, stored.author_name, stored.author_followers) == (
        "17841401234567890",
        "@noa.rides",
        "noa.rides",
        None,
    )
    assert (stored.thread_key, stored.in_reply_to) == ("17895695668004550", "17895695668004550")
    assert stored.created_at == datetime(2025, 11, 21, 10, 5, tzinfo=UTC)


def test_a_comment_mention_is_fetched_with_the_channels_token(ig: Channel, graph: GraphApi) -> None:
    graph.answer("GET", f"/{ACCOUNT}", _fixture("mentioned_comment_response.json"))

    response = _deliver_fixture("webhook_mention_comment.json")

    assert response.json()["created"] == 1
    asked = graph.requests[-1]
    assert asked.query["fields"] == (
        "mentioned_comment.comment_id(17894227972186120){id,text,timestamp,username,media{id,permalink}}"
    )
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"
    stored = Message.objects.get()
    assert (stored.external_id, stored.kind, stored.text) == (
        "17894227972186120",
        "comment",
        "@volta.ride my brakes squeak after 200 km, is that normal?",
    )
    assert (stored.author_external_id, stored.author_handle) == ("yael.cohen", "@yael.cohen")
    assert (stored.thread_key, stored.url) == (
        "mention:17918195224117851",
        "https://www.instagram.com/p/DB4kqLhN2xR/",
    )
    assert stored.created_at == datetime(2025, 11, 21, 10, 6, 58, tzinfo=UTC)


def test_a_caption_mention_is_stored_as_a_post(ig: Channel, graph: GraphApi) -> None:
    graph.answer("GET", f"/{ACCOUNT}", _fixture("mentioned_media_response.json"))

    _deliver_fixture("webhook_mention_caption.json")

    assert graph.requests[-1].query["fields"] == (
        "mentioned_media.media_id(17920112008063024){id,caption,media_type,permalink,timestamp,username}"
    )
    stored = Message.objects.get()
    assert (stored.external_id, stored.kind, stored.thread_key, stored.author_handle) == (
        "17920112008063024",
        "post",
        "mention:17920112008063024",
        "@tomer.ben.david",
    )
    assert stored.text == "Weekend ride along the Yarkon on my new @volta.ride City 🚲"


def test_a_mention_that_cannot_be_fetched_is_rejected_and_kept_for_replay(
    ig: Channel, graph: GraphApi
) -> None:
    graph.answer("GET", f"/{ACCOUNT}", _fixture("error_token_expired.json", FB_FIXTURES), status=400)
    payload = _fixture("webhook_mention_comment.json")
    payload["entry"].append(_fixture("webhook_comment.json")["entry"][0])

    response = _deliver(json.dumps(payload).encode())

    assert (response.json()["created"], response.json()["rejected"]) == (1, 1)
    assert response.json()["rejected_items"][0]["reason"].startswith(
        "entry 0 change 0: Instagram (HTTP 400, code 190/463): the access token expired or was revoked"
    )
    assert Message.objects.get().external_id == "17870913679156914"
    assert DeadLetter.objects.count() == 1


def test_a_direct_message_is_private_and_keyed_by_the_sender(ig: Channel) -> None:
    _deliver_fixture("webhook_direct_message.json")

    stored = Message.objects.get()
    assert (stored.kind, stored.public, stored.author_external_id, stored.thread_key) == (
        "direct",
        False,
        IGSID,
        f"instagram-dm:{IGSID}",
    )
    assert stored.text == "Добрий день! Чи є Volta Kick у чорному кольорі?"


def test_a_retried_delivery_stores_nothing_twice(ig: Channel) -> None:
    first, retry = _deliver_fixture("webhook_comment.json"), _deliver_fixture("webhook_comment.json")

    assert (first.json()["created"], retry.json()["duplicate"]) == (1, 1)
    assert Message.objects.count() == 1


def test_a_forged_delivery_is_refused_whole(ig: Channel, graph: GraphApi) -> None:
    body = (FIXTURES / "webhook_mention_comment.json").read_bytes()

    response = _deliver(body, sign("someone-else", body))

    assert response.status_code == 403
    assert Message.objects.count() == 0
    assert graph.requests == []  # nothing fetched for a forged delivery


def test_the_handshake_answers_only_the_right_verify_token(ig: Channel) -> None:
    good = Client().get(
        "/hooks/ig", {"hub.mode": "subscribe", "hub.verify_token": "ig-verify", "hub.challenge": "42"}
    )
    bad = Client().get(
        "/hooks/ig", {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
    )

    assert (good.status_code, good.content, bad.status_code) == (200, b"42", 403)


def _reply(**overrides: Any) -> OutboundReply:
    data: dict[str, Any] = {
        "channel": "ig",
        "text": "Hi Noa! The Volta Cargo with the child seat is 3,290 €.",
        "in_reply_to": "17870913679156914",
        "thread_key": "17895695668004550",
        "recipient_external_id": "17841401234567890",
        "public": True,
        "reply_id": 3,
        "kind": "comment",
        "last_inbound_at": datetime.now(UTC) - timedelta(hours=1),
        "config": {"ig_user_id": ACCOUNT},
    }
    data.update(overrides)
    return OutboundReply(**data)


def _credentials(graph: GraphApi) -> dict[str, Any]:
    return {"access_token": TOKEN, "api_base_url": graph.base}


def test_a_comment_reply_goes_to_the_replies_edge(graph: GraphApi) -> None:
    graph.answer("POST", "/17870913679156914/replies", _fixture("reply_response.json"))

    result = InstagramAdapter().send(_reply(), _credentials(graph))

    assert result.external_id == "17873440459141021"
    sent = graph.requests[-1]
    assert (sent.path, sent.body) == (
        "/v21.0/17870913679156914/replies",
        {"message": "Hi Noa! The Volta Cargo with the child seat is 3,290 €."},
    )


def test_a_reply_to_a_comment_mention_goes_to_the_mentions_edge(graph: GraphApi) -> None:
    graph.answer("POST", f"/{ACCOUNT}/mentions", _fixture("reply_response.json"))
    reply = _reply(in_reply_to="17894227972186120", thread_key="mention:17918195224117851", text="Hi Yael!")

    InstagramAdapter().send(reply, _credentials(graph))

    assert graph.requests[-1].body == {
        "media_id": "17918195224117851",
        "comment_id": "17894227972186120",
        "message": "Hi Yael!",
    }


def test_a_direct_reply_inside_the_window_is_sent_to_the_account_messages_edge(graph: GraphApi) -> None:
    graph.answer("POST", f"/{ACCOUNT}/messages", _fixture("send_message_response.json"))
    reply = _reply(kind="direct", public=False, recipient_external_id=IGSID, text="Так, є у чорному!")

    result = InstagramAdapter().send(reply, _credentials(graph))

    assert result.external_id.startswith("aWdfZAG1faXRlbToxOklHTWVzc2FnZA")
    assert graph.requests[-1].body == {
        "recipient": {"id": IGSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Так, є у чорному!"},
    }


def test_a_direct_reply_outside_the_window_is_refused(graph: GraphApi) -> None:
    reply = _reply(
        kind="direct",
        public=False,
        recipient_external_id=IGSID,
        last_inbound_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
    )

    with pytest.raises(
        ChannelError, match="the Instagram Direct 24-hour messaging window closed at 2026-01-06 12:00 UTC"
    ):
        InstagramAdapter().send(reply, _credentials(graph))

    assert graph.requests == []


def test_check_names_the_account(graph: GraphApi) -> None:
    graph.answer("GET", f"/{ACCOUNT}", _fixture("account_response.json"))

    answer = InstagramAdapter().check(config={"ig_user_id": ACCOUNT}, credentials=_credentials(graph))

    assert answer == "connected as @volta.ride (Instagram account 17841405309211844, 48213 followers)"


def test_check_names_a_missing_permission(graph: GraphApi) -> None:
    error = {
        "error": {
            "message": "(#10) Application does not have permission for this action: "
            "instagram_manage_comments",
            "type": "OAuthException",
            "code": 10,
            "fbtrace_id": "AzW1pQ",
        }
    }
    graph.answer("GET", f"/{ACCOUNT}", error, status=403)

    with pytest.raises(ChannelError, match="missing the permission instagram_manage_comments") as caught:
        InstagramAdapter().check(config={"ig_user_id": ACCOUNT}, credentials=_credentials(graph))

    assert caught.value.auth is True
