"""The web chat's public endpoints: a visitor on the brand's site talks, an agent answers, live.

Every request comes from the brand's site (``Origin: https://www.volta.example``)
unless a test says otherwise; the visitor proves who they are with the
signed token the session endpoint gave them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core import signing
from django.test import AsyncClient, Client

from lara.cases.models import Case
from lara.cases.services import reply_create
from lara.channels.models import Channel
from lara.core.jobs import jobs_run_pending
from lara.demo.seed import demo_channel_config
from lara.mentions.models import Message
from lara.web.chat import TOKEN_MAX_AGE, Visitor, visitor_token

from ..factories import ChannelFactory

ORIGIN = "https://www.volta.example"
BASE = "/chat/site-chat"


@pytest.fixture
def chat(org: dict[str, Any]) -> Channel:
    return ChannelFactory(
        slug="site-chat",
        network="chat",
        name="Web chat",
        account_name="volta.example",
        config={"allowed_origins": [ORIGIN], "greeting": "Hi! How can we help?", "brand_color": "#0b6e4f"},
    )


def _post(path: str, body: Any, *, token: str = "", origin: str = ORIGIN) -> Any:
    headers = {"Origin": origin} if origin else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Client().post(path, json.dumps(body), content_type="application/json", headers=headers)


def _get(path: str, *, token: str = "", origin: str = ORIGIN) -> Any:
    headers = {"Origin": origin} if origin else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Client().get(path, headers=headers)


def _start(**body: Any) -> dict[str, Any]:
    response = _post(f"{BASE}/sessions", body)
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response.json()
    return data


def _say(token: str, text: str, client_id: str = "c-1", **more: Any) -> Any:
    return _post(f"{BASE}/messages", {"client_id": client_id, "text": text, **more}, token=token)


# --- sessions ----------------------------------------------------------------------------------


def test_a_visitor_starts_a_session_with_the_channels_greeting_and_colour(chat: Channel) -> None:
    response = _post(f"{BASE}/sessions", {"name": "Dana Levi", "email": "Dana@Example.com"})

    assert response.status_code == 201
    data = response.json()
    assert (data["resumed"], data["name"], data["email"]) == (False, "Dana Levi", "dana@example.com")
    assert (data["greeting"], data["brand_color"], data["max_length"]) == (
        "Hi! How can we help?",
        "#0b6e4f",
        4000,
    )
    assert len(data["visitor"]) == 16 and data["token"] and data["stream_ticket"]
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Vary"].startswith("Origin")
    assert Message.objects.count() == 0  # a session stores nothing


def test_a_returning_visitor_resumes_the_same_conversation(chat: Channel) -> None:
    first = _start(name="Dana Levi")

    response = _post(f"{BASE}/sessions", {"token": first["token"]})

    assert response.status_code == 200
    again = response.json()
    assert (again["resumed"], again["visitor"], again["name"]) == (True, first["visitor"], "Dana Levi")


def test_a_forged_token_at_session_start_begins_a_new_visitor(chat: Channel) -> None:
    first = _start()

    data = _start(token=first["token"][:-2] + "xx")

    assert (data["resumed"], data["visitor"] != first["visitor"]) == (False, True)


def test_a_malformed_email_is_refused(chat: Channel) -> None:
    response = _post(f"{BASE}/sessions", {"email": "not an address"})

    assert (response.status_code, response.json()) == (
        400,
        {"error": "'not an address' is not an e-mail address"},
    )


# --- messages ----------------------------------------------------------------------------------


def test_a_visitor_message_is_stored_once_even_when_posted_twice(chat: Channel) -> None:
    session = _start(name="Dana Levi", email="dana@example.com")

    first = _say(
        session["token"],
        "My Volta City battery is broken, can you help?",
        page="https://www.volta.example/help",
    )
    again = _say(session["token"], "My Volta City battery is broken, can you help?")

    assert (first.status_code, first.json()["status"]) == (201, "created")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert first.json()["message"] == again.json()["message"]
    stored = Message.objects.get()
    visitor = session["visitor"]
    assert (stored.channel.slug, stored.external_id, stored.kind, stored.public) == (
        "site-chat",
        f"{visitor}:c-1",
        "chat",
        False,
    )
    assert (stored.author_external_id, stored.thread_key, stored.conversation_key) == (
        visitor,
        f"chat:{visitor}",
        f"chat:{visitor}",
    )
    assert (stored.author_name, stored.author_email) == ("Dana Levi", "dana@example.com")
    assert stored.raw == {"client_id": "c-1", "origin": ORIGIN, "page": "https://www.volta.example/help"}


def test_a_visitor_message_becomes_a_case(chat: Channel) -> None:
    session = _start(name="Dana Levi")
    _say(session["token"], "My Volta City battery is broken, can you help?")

    jobs_run_pending()

    case = Case.objects.get()
    assert (case.channel.slug, case.conversation_key) == ("site-chat", f"chat:{session['visitor']}")


@pytest.mark.parametrize("token", ["", "not-a-token", "forged"])
def test_a_missing_or_forged_token_is_refused_and_nothing_is_stored(chat: Channel, token: str) -> None:
    if token == "forged":
        token = signing.dumps({"c": "site-chat", "v": "someone"}, salt="lara.chat.visitor", key="guessed")

    response = _say(token, "hello")

    assert response.status_code == 403
    assert response["Access-Control-Allow-Origin"] == ORIGIN  # the widget may read why
    assert Message.objects.count() == 0


def test_an_expired_token_is_refused_and_nothing_is_stored(chat: Channel) -> None:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - TOKEN_MAX_AGE - 60):
        old = visitor_token(Visitor(channel="site-chat", id="old-visitor"))

    response = _say(old, "hello")

    assert (response.status_code, response.json()) == (
        403,
        {"error": "your chat session expired; start a new one"},
    )
    assert Message.objects.count() == 0


def test_a_token_of_another_chat_is_refused(chat: Channel) -> None:
    ChannelFactory(slug="other-chat", network="chat", config={"allowed_origins": [ORIGIN]})
    other = _post("/chat/other-chat/sessions", {}).json()

    response = _say(other["token"], "hello")

    assert (response.status_code, response.json()) == (403, {"error": "this chat token is for another chat"})
    assert Message.objects.count() == 0


def test_a_visitor_reads_only_their_own_conversation(chat: Channel) -> None:
    dana, yossi = _start(name="Dana"), _start(name="Yossi")
    _say(dana["token"], "Dana's question?")
    _say(yossi["token"], "Yossi's question?")

    mine = _get(f"{BASE}/messages", token=yossi["token"]).json()["messages"]
    # Yossi's signature under a payload naming Dana's visitor id.
    payload = signing.b64_encode(json.dumps({"c": "site-chat", "v": dana["visitor"]}).encode()).decode()
    tampered = _get(f"{BASE}/messages", token=payload + ":" + yossi["token"].split(":", 1)[1])

    assert [m["text"] for m in mine] == ["Yossi's question?"]
    assert tampered.status_code == 403


def test_the_conversation_after_a_message(chat: Channel) -> None:
    session = _start()
    first = _say(session["token"], "one", client_id="a").json()["message"]
    _say(session["token"], "two", client_id="b")

    rows = _get(f"{BASE}/messages?after={first['id']}", token=session["token"]).json()["messages"]

    assert [(m["direction"], m["text"], m["client_id"]) for m in rows] == [("in", "two", "b")]


def test_too_long_empty_and_badly_identified_messages_are_refused(chat: Channel) -> None:
    token = _start()["token"]

    too_long = _say(token, "x" * 4001)
    empty = _say(token, "   ")
    bad_id = _say(token, "hello", client_id="a b")

    assert (too_long.status_code, too_long.json()) == (
        413,
        {"error": "the message is longer than 4000 characters"},
    )
    assert (empty.status_code, empty.json()) == (400, {"error": "the message is empty"})
    assert bad_id.status_code == 400
    assert _say(token, "x" * 4000).status_code == 201
    assert Message.objects.count() == 1


def test_a_visitor_is_limited_to_a_number_of_messages_a_minute(chat: Channel, settings: Any) -> None:
    settings.LARA_CHAT_MESSAGES_PER_MINUTE = 3
    token = _start()["token"]

    with mock.patch("lara.web.chat._clock", return_value=1_800_000_010.0):
        answers = [_say(token, f"message {n}", client_id=f"c{n}").status_code for n in range(4)]
        limited = _say(token, "message 4", client_id="c4")
        retry = _say(token, "message 0", client_id="c0")

    assert answers == [201, 201, 201, 429]
    assert (limited.status_code, limited["Retry-After"]) == (429, "50")
    assert limited.json() == {"error": "too many messages: at most 3 a minute; try again in 50 s"}
    assert retry.status_code == 200  # a retry of a stored message is not counted
    assert Message.objects.count() == 3


def test_a_disabled_chat_refuses(chat: Channel) -> None:
    token = _start()["token"]
    Channel.objects.filter(pk=chat.pk).update(enabled=False)

    response = _say(token, "hello")

    assert (response.status_code, response.json()) == (403, {"error": "this chat is closed"})
    assert _post(f"{BASE}/sessions", {}).status_code == 403
    assert Message.objects.count() == 0


def test_an_unknown_chat_is_not_found(chat: Channel) -> None:
    assert _post("/chat/nope/sessions", {}).status_code == 404
    assert _post("/chat/x/sessions", {}).status_code == 404  # a channel, but not a web chat


# --- CORS --------------------------------------------------------------------------------------


def test_only_the_channels_origins_get_cors_headers(chat: Channel) -> None:
    allowed = _post(f"{BASE}/sessions", {}, origin=ORIGIN)
    foreign = _post(f"{BASE}/sessions", {}, origin="https://evil.example")
    lookalike = _post(f"{BASE}/sessions", {}, origin="https://www.volta.example.evil.example")

    assert (allowed.status_code, allowed["Access-Control-Allow-Origin"]) == (201, ORIGIN)
    for response in (foreign, lookalike):
        assert (response.status_code, response.json()) == (403, {"error": "this site may not use this chat"})
        assert "Access-Control-Allow-Origin" not in response


def test_the_preflight_is_answered_for_allowed_origins_only(chat: Channel) -> None:
    headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }

    allowed = Client().options(f"{BASE}/messages", headers={"Origin": ORIGIN, **headers})
    foreign = Client().options(f"{BASE}/messages", headers={"Origin": "https://evil.example", **headers})

    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert allowed["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign


def test_a_foreign_site_cannot_post_even_with_a_valid_token(chat: Channel) -> None:
    token = _start()["token"]

    response = _post(
        f"{BASE}/messages", {"client_id": "c-1", "text": "hi"}, token=token, origin="https://evil.example"
    )

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_everything_else_still_needs_a_login(chat: Channel) -> None:
    assert Client().get("/").status_code == 302
    assert Client().get("/live/")["Location"] == "/login/?next=/live/"


# --- the agent's reply, fetched and live ---------------------------------------------------------


def _visitor_with_a_case(org: dict[str, Any]) -> tuple[dict[str, Any], Case, int]:
    session = _start(name="Dana Levi")
    said = _say(session["token"], "My Volta City battery is broken, can you help?").json()["message"]
    jobs_run_pending()
    return session, Case.objects.get(), said["id"]


def _agent_replies(org: dict[str, Any], case: Case, text: str) -> None:
    reply_create(case=case, author=org["alice"], text=text)
    jobs_run_pending()


def test_an_agent_reply_appears_in_the_visitors_conversation(org: dict[str, Any], chat: Channel) -> None:
    session, case, _said = _visitor_with_a_case(org)

    _agent_replies(org, case, "Sorry Dana, a new battery is on its way.")

    rows = _get(f"{BASE}/messages", token=session["token"]).json()["messages"]
    assert [(m["direction"], m["text"]) for m in rows] == [
        ("in", "My Volta City battery is broken, can you help?"),
        ("out", "Sorry Dana, a new battery is on its way."),
    ]
    assert set(rows[1]) == {
        "id",
        "direction",
        "text",
        "created_at",
    }  # text only: no agent name, no ids of ours
    other = _start()
    assert _get(f"{BASE}/messages", token=other["token"]).json()["messages"] == []


async def _frames(path: str, during: Callable[[], object]) -> list[str]:
    client = AsyncClient()
    response = await client.get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert (response["Content-Type"], response["Cache-Control"]) == ("text/event-stream", "no-cache")
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    stream = aiter(response.streaming_content)
    frames = [(await anext(stream)).decode()]
    await sync_to_async(during)()
    async for chunk in stream:
        frames.append(chunk.decode())
    return frames


def test_an_agent_reply_arrives_on_the_stream(org: dict[str, Any], chat: Channel, settings: Any) -> None:
    settings.LARA_LIVE_POLL_SECONDS = 0.05
    settings.LARA_LIVE_STREAM_SECONDS = 0.6
    session, case, said = _visitor_with_a_case(org)
    path = f"{BASE}/stream?ticket={session['stream_ticket']}&after={said}"

    frames = async_to_sync(_frames)(path, lambda: _agent_replies(org, case, "A new battery is on its way."))

    assert frames[0] == "retry: 2000\n\n"
    events = [f for f in frames if f.startswith("id: ")]
    assert len(events) == 1
    head, data = events[0].split("data: ")
    reply = Message.objects.get(direction="out")
    assert head == f"id: {reply.pk}\nevent: message\n"
    assert json.loads(data) == {
        "id": reply.pk,
        "direction": "out",
        "text": "A new battery is on its way.",
        "created_at": reply.created_at.isoformat(),
    }


def test_a_stream_starts_with_what_the_widget_missed(
    org: dict[str, Any], chat: Channel, settings: Any
) -> None:
    settings.LARA_LIVE_POLL_SECONDS = 0.05
    settings.LARA_LIVE_STREAM_SECONDS = 0.3
    session, case, said = _visitor_with_a_case(org)
    _agent_replies(org, case, "Missed while reconnecting")

    frames = async_to_sync(_frames)(
        f"{BASE}/stream?ticket={session['stream_ticket']}&after={said}", lambda: None
    )

    assert [json.loads(f.split("data: ")[1])["text"] for f in frames if f.startswith("id: ")] == [
        "Missed while reconnecting"
    ]


def test_the_stream_needs_a_valid_ticket(chat: Channel) -> None:
    session = _start()
    token_as_ticket = _get(f"{BASE}/stream?ticket={session['token']}")
    nothing = _get(f"{BASE}/stream")

    assert token_as_ticket.status_code == 403  # the long-lived token never goes into a URL
    assert nothing.status_code == 403


# --- visitor text is text ----------------------------------------------------------------------


def test_markup_in_visitor_text_stays_text(org: dict[str, Any], chat: Channel) -> None:
    session = _start(name="<b>Mallory</b>")
    text = "Broken? <script>alert('x')</script> <img src=x onerror=alert(1)>"
    _say(session["token"], text)
    jobs_run_pending()

    rows = _get(f"{BASE}/messages", token=session["token"]).json()["messages"]
    client = Client()
    client.force_login(org["lena"])
    page = client.get(f"/cases/{Case.objects.get().reference}/").content.decode()

    assert rows[0]["text"] == text  # stored and returned exactly, as data
    assert "<script>alert('x')</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    widget = Client().get("/chat/widget.js").content.decode()
    assert "innerHTML" not in widget and "insertAdjacentHTML" not in widget and "textContent" in widget


# --- the script and the demo page ----------------------------------------------------------------


def test_the_widget_script_is_served_for_any_site_and_cached() -> None:
    response = Client().get("/chat/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert b"data-channel" in response.content
    again = Client().get("/chat/widget.js", headers={"If-None-Match": response["ETag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_the_demo_page_embeds_the_widget_without_a_login(org: dict[str, Any]) -> None:
    ChannelFactory(
        slug="chat", network="chat", account_name="volta.example", config=demo_channel_config("chat")
    )

    page = Client().get("/chat/demo/").content.decode()

    assert '<script src="http://testserver/chat/widget.js" data-channel="chat" async></script>' in page


def test_the_demo_chat_accepts_the_apps_own_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LARA_PORT", "8123")
    monkeypatch.delenv("LARA_HOST", raising=False)

    config = demo_channel_config("chat")

    assert config["allowed_origins"] == ["http://127.0.0.1:8123", "http://localhost:8123"]
    assert demo_channel_config("twitter") == {}


def test_lara_own_pages_may_use_any_chat(chat: Channel) -> None:
    response = _post(f"{BASE}/sessions", {}, origin="http://testserver")

    assert (response.status_code, response["Access-Control-Allow-Origin"]) == (201, "http://testserver")


def test_an_oversized_or_unreadable_body_is_refused(chat: Channel) -> None:
    token = _start()["token"]

    huge = _say(token, "hello", page="x" * 20_000)
    garbled = Client().post(
        f"{BASE}/messages",
        b"{not json",
        content_type="application/json",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"},
    )

    assert (huge.status_code, huge.json()) == (413, {"error": "the request is larger than 16384 bytes"})
    assert garbled.status_code == 400 and garbled.json()["error"].startswith("the body is not valid JSON")
    assert Message.objects.count() == 0
