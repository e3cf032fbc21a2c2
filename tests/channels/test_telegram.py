"""Telegram: updates parsed with the SDK, the secret token checked, replies sent with sendMessage.

The Bot API is played by a loopback HTTP server answering in the documented
format (recorded responses under channels/telegram/fixtures/).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.test import Client

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.models import Channel
from lara.channels.telegram.adapter import TelegramAdapter, update_to_message
from lara.mentions.models import Message, MessageRevision

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/telegram/fixtures"
TOKEN = "8000000001:AAF-test-token"
SECRET = "tg-secret-51"


def _fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def test_a_private_message_becomes_a_direct_message() -> None:
    message = update_to_message("tg", _fixture("update_private_text.json"))

    assert message is not None
    assert (message.external_id, message.kind, message.public) == ("5123456789:4412", "direct", False)
    assert (message.author.external_id, message.author.handle, message.author.name) == (
        "5123456789",
        "@olena_sh",
        "Олена Шевчук",
    )
    assert message.text == "Добрий день! Скільки коштує Volta Kick з доставкою до Львова?"
    assert message.created_at.isoformat() == "2025-11-21T09:22:00+00:00"


def test_a_reply_in_a_public_group_keeps_its_thread() -> None:
    message = update_to_message("tg", _fixture("update_group_reply.json"))

    assert message is not None
    assert (message.kind, message.public, message.thread_key) == ("comment", True, "chat:-1001987654321")
    assert message.in_reply_to == "-1001987654321:987"
    assert message.url == "https://t.me/volta_riders_il/991"


def test_an_update_without_text_is_ignored() -> None:
    update = {"update_id": 1, "my_chat_member": {}}

    assert update_to_message("tg", update) is None


@pytest.fixture
def tg(org: dict[str, Any]) -> Channel:
    channel = ChannelFactory(slug="tg", network="telegram", name="Telegram bot")
    channel.credentials = {"bot_token": TOKEN, "webhook_secret": SECRET}
    channel.save()
    return channel


def test_the_webhook_stores_an_update_once(tg: Channel) -> None:
    body = json.dumps(_fixture("update_private_text.json"))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    first = Client().post("/hooks/tg", data=body, content_type="application/json", headers=headers)
    retry = Client().post("/hooks/tg", data=body, content_type="application/json", headers=headers)

    assert (first.json()["created"], retry.json()["duplicate"]) == (1, 1)
    assert Message.objects.get().external_id == "5123456789:4412"


def test_an_edited_message_is_an_edit_of_the_same_id_at_its_edit_date() -> None:
    message = update_to_message("tg", _fixture("update_edited_private_text.json"))

    assert message is not None
    assert (message.event, message.external_id, message.kind) == ("edit", "5123456789:4412", "direct")
    assert message.created_at.isoformat() == "2025-11-21T09:25:00+00:00"
    assert message.text.endswith("І до Одеси?")


def test_the_webhook_applies_an_edit_once_and_keeps_the_earlier_text(tg: Channel) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    original = json.dumps(_fixture("update_private_text.json"))
    edit = json.dumps(_fixture("update_edited_private_text.json"))

    Client().post("/hooks/tg", data=original, content_type="application/json", headers=headers)
    first = Client().post("/hooks/tg", data=edit, content_type="application/json", headers=headers)
    retry = Client().post("/hooks/tg", data=edit, content_type="application/json", headers=headers)

    assert (first.json()["updated"], retry.json()["duplicate"]) == (1, 1)
    message = Message.objects.get()
    assert message.text == "Добрий день! Скільки коштує Volta Kick з доставкою до Львова? І до Одеси?"
    assert list(MessageRevision.objects.values_list("event", "previous_text")) == [
        ("edit", "Добрий день! Скільки коштує Volta Kick з доставкою до Львова?")
    ]


def test_the_webhook_refuses_a_wrong_secret(tg: Channel) -> None:
    body = json.dumps(_fixture("update_private_text.json"))

    response = Client().post(
        "/hooks/tg",
        data=body,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "x"},
    )

    assert response.status_code == 403
    assert Message.objects.count() == 0


class _BotApi(QuietHandler):
    calls: list[tuple[str, dict[str, Any]]] = []
    fail_with: tuple[int, str] | None = None
    unauthorized = False

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        params = {k: v[0] for k, v in parse_qs(raw).items()}  # the SDK posts form fields
        method = self.path.rsplit("/", 1)[-1]
        _BotApi.calls.append((method, params))
        if method == "getMe" and _BotApi.unauthorized:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elif method == "getMe":
            me = {
                "id": 8000000001,
                "is_bot": True,
                "first_name": "Volta Support",
                "username": "volta_support_bot",
            }
            status, body = 200, {"ok": True, "result": me}
        elif _BotApi.fail_with:
            code, description = _BotApi.fail_with
            status, body = code, {"ok": False, "error_code": code, "description": description}
        else:
            status, body = 200, _fixture("send_message_response.json")
        self.send_json(status, body)


@pytest.fixture
def bot_api() -> Iterator[str]:
    _BotApi.calls, _BotApi.fail_with, _BotApi.unauthorized = [], None, False
    with serving(_BotApi) as base:
        yield f"{base}/bot"


def _reply() -> OutboundReply:
    return OutboundReply(
        channel="tg",
        text="Вітаємо, Олено! Volta Kick коштує 690 €, доставка до Львова безкоштовна.",
        in_reply_to="5123456789:4412",
        thread_key="dm:5123456789",
        recipient_external_id="5123456789",
        public=False,
        reply_id=1,
    )


def test_a_reply_is_sent_with_send_message_replying_to_the_customer(bot_api: str) -> None:
    result = TelegramAdapter().send(_reply(), {"bot_token": TOKEN, "api_base_url": bot_api})

    assert result.external_id == "5123456789:4413"
    method, params = _BotApi.calls[-1]
    assert method == "sendMessage"
    assert (params["chat_id"], json.loads(params["reply_parameters"])) == ("5123456789", {"message_id": 4412})
    assert params["text"].startswith("Вітаємо, Олено!")


def test_a_bot_blocked_by_the_user_is_a_permanent_failure(bot_api: str) -> None:
    _BotApi.fail_with = (403, "Forbidden: bot was blocked by the user")

    with pytest.raises(ChannelError, match="bot was blocked by the user") as caught:
        TelegramAdapter().send(_reply(), {"bot_token": TOKEN, "api_base_url": bot_api})

    assert caught.value.permanent is True


def test_a_server_error_can_be_retried(bot_api: str) -> None:
    _BotApi.fail_with = (502, "Bad Gateway")

    with pytest.raises(ChannelError) as caught:
        TelegramAdapter().send(_reply(), {"bot_token": TOKEN, "api_base_url": bot_api})

    assert caught.value.permanent is False


def test_the_connection_check_names_the_bot(bot_api: str) -> None:
    said = TelegramAdapter().check(
        config={"api_base_url": bot_api}, credentials={"bot_token": TOKEN, "webhook_secret": SECRET}
    )

    assert said == "connected as @volta_support_bot"
    assert [method for method, _ in _BotApi.calls][-1] == "getMe"


def test_the_connection_check_warns_when_the_webhook_secret_is_missing(bot_api: str) -> None:
    said = TelegramAdapter().check(config={"api_base_url": bot_api}, credentials={"bot_token": TOKEN})

    assert said == "connected as @volta_support_bot (no webhook_secret yet: updates are refused)"


def test_the_connection_check_says_the_token_was_refused(bot_api: str) -> None:
    _BotApi.unauthorized = True

    with pytest.raises(ChannelError) as caught:
        TelegramAdapter().check(config={"api_base_url": bot_api}, credentials={"bot_token": TOKEN})

    assert str(caught.value) == "Telegram refused the bot token: it was revoked, or is mistyped"
    assert TOKEN not in str(caught.value)
    assert caught.value.auth is True


def test_the_connection_check_says_when_telegram_is_unreachable() -> None:
    with pytest.raises(ChannelError, match=r"^Telegram unreachable: ") as caught:
        TelegramAdapter().check(
            config={"api_base_url": "http://127.0.0.1:9/bot"}, credentials={"bot_token": TOKEN}
        )

    assert caught.value.auth is False


def test_the_connection_check_needs_a_token() -> None:
    with pytest.raises(ChannelError, match=r"^this Telegram channel has no bot_token$"):
        TelegramAdapter().check(config={}, credentials={})
