"""The web chat adapter: a reply is stored for the visitor's widget, never sent over a network."""

from __future__ import annotations

from typing import Any

import pytest

from lara.cases.models import Case, Reply
from lara.cases.services import reply_create
from lara.channels.base import ChannelError, OutboundReply
from lara.channels.chat.adapter import ChatAdapter
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.core.jobs import jobs_run_pending
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import ChannelFactory, inbound

ORIGIN = "https://www.volta.example"


def _reply(thread_key: str | None) -> OutboundReply:
    return OutboundReply(
        channel="site-chat",
        text="A new battery is on its way.",
        in_reply_to="v-1:c-1",
        thread_key=thread_key,
        recipient_external_id="v-1",
        public=False,
        reply_id=42,
        kind="chat",
    )


@pytest.fixture
def chat(org: dict[str, Any]) -> Channel:
    return ChannelFactory(
        slug="site-chat", network="chat", name="Web chat", account_name="volta.example",
        config={"allowed_origins": [ORIGIN]},
    )  # fmt: skip


def test_the_chat_network_is_registered() -> None:
    adapter = adapter_for("chat")

    assert isinstance(adapter, ChatAdapter)
    assert (adapter.credential_fields, adapter.config_fields) == (
        (),
        ("allowed_origins", "greeting", "brand_color"),
    )
    assert set(adapter.field_help) == {"allowed_origins", "greeting", "brand_color"}


def test_a_reply_to_a_visitor_is_stored_not_sent() -> None:
    result = ChatAdapter().send(_reply("chat:v-1"), {})

    assert (result.external_id, result.url) == ("chat-reply-42", "")


@pytest.mark.parametrize("thread_key", [None, "", "dm:v-1", "chat:"])
def test_a_reply_without_a_visitor_conversation_is_refused_for_good(thread_key: str | None) -> None:
    with pytest.raises(ChannelError, match="no web chat visitor to answer") as refused:
        ChatAdapter().send(_reply(thread_key), {})

    assert (refused.value.permanent, refused.value.auth) == (True, False)


def test_check_describes_the_chat() -> None:
    described = ChatAdapter().check(
        config={
            "allowed_origins": [ORIGIN, "http://localhost:8000"],
            "greeting": "Hi!",
            "brand_color": "#0b6e4f",
        },
        credentials={},
    )

    assert described == "web chat for https://www.volta.example, http://localhost:8000, with a greeting"


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({}, "no allowed_origins: add the site(s) that embed the widget, e.g. https://www.volta.example"),
        ({"allowed_origins": []}, "no allowed_origins"),
        (
            {"allowed_origins": ["www.volta.example"]},
            "'www.volta.example' is not an origin: it needs http:// or https://",
        ),
        ({"allowed_origins": ["https://www.volta.example/"]}, "is not an origin: no path, query or user"),
        ({"allowed_origins": ["https://www.volta.example/help"]}, "is not an origin: no path, query or user"),
        ({"allowed_origins": ["https://WWW.volta.example"]}, "write it in lower case"),
        (
            {"allowed_origins": [ORIGIN], "brand_color": "red; background: url(x)"},
            "is not a colour like #0b6e4f",
        ),
    ],
)
def test_check_refuses_a_chat_no_site_can_use(config: dict[str, Any], reason: str) -> None:
    with pytest.raises(ChannelError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        ChatAdapter().check(config=config, credentials={})


def test_an_agent_reply_lands_in_the_visitors_conversation(org: dict[str, Any], chat: Channel) -> None:
    message_ingest_json(
        data=inbound(
            channel="site-chat", external_id="v-1:c-1", kind="chat", public=False, thread_key="chat:v-1",
            text="My battery is broken, can you help?", author={"external_id": "v-1", "name": "Dana Levi"},
        )
    )  # fmt: skip
    jobs_run_pending()
    case = Case.objects.get()

    reply_create(case=case, author=org["alice"], text="A new battery is on its way.")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert (reply.status, reply.external_id, reply.attempts) == ("sent", f"chat-reply-{reply.pk}", 1)
    out = Message.objects.get(direction="out")
    assert (out.channel.slug, out.conversation_key, out.text, out.public) == (
        "site-chat",
        "chat:v-1",
        "A new battery is on its way.",
        False,
    )
    chat.refresh_from_db()
    assert chat.healthy and chat.last_success_at is not None


def test_a_reply_on_a_chat_case_from_elsewhere_fails_visibly(org: dict[str, Any], chat: Channel) -> None:
    # A message put on the chat channel through the API, not by the widget: no visitor to show it to.
    message_ingest_json(data=inbound(channel="site-chat", kind="direct", text="Is it broken?"))
    jobs_run_pending()

    reply_create(case=Case.objects.get(), author=org["alice"], text="Hi")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert reply.status == "failed"
    assert reply.last_error.startswith("no web chat visitor to answer")
    assert not Message.objects.filter(direction="out").exists()
