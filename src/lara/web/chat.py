"""Serve the web chat widget and the public endpoints its visitors talk to.

A brand embeds ``<script src="…/chat/widget.js" data-channel="<slug>" async>``
on its own site; the widget starts a session here, posts the visitor's text
(stored through ``message_ingest`` like any channel, so it is analysed,
routed and becomes a case) and listens on an event stream for the agent's
replies, which ``reply_send`` stored as outbound Messages in the visitor's
conversation (``chat:<visitor id>``).

Who may talk: these are the only views in Lara without a login. A visitor is
identified by a token signed with Django's signing (the secret key), naming
the channel and a random visitor id, so nothing is stored until a visitor
writes and nobody can read another visitor's conversation without forging a
signature. Browsers may call from the channel's ``allowed_origins`` only
(exact match), and a request carrying any other Origin is refused before it
touches anything, so another site cannot post into the brand's chat even
with a "simple" request that skips the CORS preflight.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from functools import lru_cache, wraps
from pathlib import Path
from time import time as _clock
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from lara.channels.base import Author, InboundMessage, MessageKind
from lara.channels.models import Channel, Network
from lara.mentions.models import Direction, Message
from lara.mentions.services import Outcome, message_ingest

from .live import HEARTBEAT_SECONDS

log = logging.getLogger(__name__)

WIDGET_FILE = Path(__file__).resolve().parent / "static" / "lara" / "chat-widget.js"
TOKEN_SALT = "lara.chat.visitor"  # noqa: S105 - a signing namespace, not a secret
TICKET_SALT = "lara.chat.stream"
#: A visitor who comes back within a month finds their conversation.
TOKEN_MAX_AGE = 30 * 24 * 3600
#: A stream ticket only opens a stream; the widget asks for a new one on each reconnect.
TICKET_MAX_AGE = 300
MAX_TEXT = 4000
MAX_BODY = 16 * 1024
MAX_NAME = 120
MAX_PAGE_URL = 2000
PAGE_SIZE = 200
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


class Refused(Exception):
    """Answer a chat request with an error status and a reason the widget can show."""

    def __init__(self, reason: str, *, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.headers = headers or {}


@dataclass(frozen=True)
class Visitor:
    """Who holds a token: a random id on one channel, with what they chose to tell."""

    channel: str
    id: str
    name: str = ""
    email: str = ""

    @property
    def conversation_key(self) -> str:
        return f"chat:{self.id}"


def visitor_token(visitor: Visitor) -> str:
    return signing.dumps(
        {"c": visitor.channel, "v": visitor.id, "n": visitor.name, "e": visitor.email},
        salt=TOKEN_SALT,
        compress=True,
    )


def visitor_from_token(token: str, *, channel: str) -> Visitor:
    """Check the signature, the age and the channel of a visitor token; refuse (403) otherwise."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise Refused("your chat session expired; start a new one", status=403) from exc
    except signing.BadSignature as exc:
        raise Refused("this chat token is not valid", status=403) from exc
    if not isinstance(data, dict) or data.get("c") != channel or not data.get("v"):
        raise Refused("this chat token is for another chat", status=403)
    return Visitor(channel=channel, id=str(data["v"]), name=data.get("n") or "", email=data.get("e") or "")


def stream_ticket(visitor: Visitor) -> str:
    return signing.dumps({"c": visitor.channel, "v": visitor.id}, salt=TICKET_SALT)


def visitor_from_ticket(ticket: str, *, channel: str) -> Visitor:
    """A short-lived ticket for the event stream.

    EventSource cannot send an Authorization header, so the stream takes its
    credential in the URL, where access logs keep it; a ticket that only
    opens a stream and expires in minutes keeps the long-lived visitor token
    out of those logs.
    """
    try:
        data = signing.loads(ticket, salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired included
        raise Refused("this stream ticket is not valid or expired; resume the session", status=403) from exc
    if not isinstance(data, dict) or data.get("c") != channel or not data.get("v"):
        raise Refused("this stream ticket is for another chat", status=403)
    return Visitor(channel=channel, id=str(data["v"]))


def message_as_json(message: Message) -> dict[str, Any]:
    """What a visitor may see of a message: the text, its side and time, never who or how."""
    data: dict[str, Any] = {
        "id": message.pk,
        "direction": message.direction,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }
    if message.direction == Direction.IN:
        data["client_id"] = message.external_id.partition(":")[2]
    return data


def conversation_after(
    *, channel_id: int, visitor_id: str, after: int, limit: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """The visitor's own conversation after message ``after``: their messages and the brand's replies."""
    rows = (
        Message.objects.filter(channel_id=channel_id, conversation_key=f"chat:{visitor_id}", pk__gt=after)
        .filter(Q(direction=Direction.OUT) | Q(direction=Direction.IN, author_external_id=visitor_id))
        .only("pk", "direction", "text", "created_at", "external_id")
        .order_by("pk")[:limit]
    )
    return [message_as_json(m) for m in rows]


# --- requests: channel, origin, CORS -----------------------------------------------------------


def _chat_channel(slug: str) -> Channel:
    channel = Channel.objects.filter(slug=slug, network=Network.CHAT).first()
    if channel is None:
        raise Refused(f"no web chat called {slug!r}", status=404)
    return channel


def _allowed_origins(channel: Channel) -> list[str]:
    origins = channel.config.get("allowed_origins") or []
    return [origins] if isinstance(origins, str) else [o for o in origins if isinstance(o, str)]


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _origin_allowed(request: HttpRequest, channel: Channel) -> bool:
    """Exact match against the channel's list; Lara's own pages (the demo) count as allowed.

    A request without an Origin header (a same-origin GET, a server) is not a
    cross-site browser call, so it needs no CORS answer and is let through
    to the token check.
    """
    origin = request.headers.get("Origin", "")
    return not origin or origin in _allowed_origins(channel) or origin == _own_origin(request)


def _cors(response: ResponseT, request: HttpRequest, *, allowed: bool) -> ResponseT:
    patch_vary_headers(response, ["Origin"])
    origin = request.headers.get("Origin", "")
    if allowed and origin:
        response["Access-Control-Allow-Origin"] = origin
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response["Access-Control-Max-Age"] = "600"
    return response


def _error(exc: Refused) -> JsonResponse:
    response = JsonResponse({"error": str(exc)}, status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _open_channel(request: HttpRequest, slug: str) -> Channel:
    """Find the chat and judge the caller's origin; refuse a foreign origin before anything else."""
    channel = _chat_channel(slug)
    if not _origin_allowed(request, channel):
        raise Refused("this site may not use this chat", status=403)
    return channel


def _require_enabled(channel: Channel) -> None:
    if not channel.enabled:
        raise Refused("this chat is closed", status=403)


ChatView = Callable[[HttpRequest, Channel], HttpResponse]


def chat_endpoint(*methods: str) -> Callable[[ChatView], Callable[..., HttpResponse]]:
    """Wrap a visitor endpoint: no login, no CSRF, channel and origin checks, CORS, JSON errors.

    CSRF protection guards a logged-in agent's cookie; these endpoints take
    no cookie at all (the visitor's credential is the signed token the
    widget sends in the Authorization header), they are called from other
    sites by design, and the Origin check above refuses sites the brand did
    not list, so the CSRF middleware, which would refuse every cross-origin
    POST, is switched off for them and only for them.
    """

    def decorate(view: ChatView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @login_not_required
        @wraps(view)
        def endpoint(request: HttpRequest, slug: str) -> HttpResponse:
            allowed = False
            try:
                channel = _open_channel(request, slug)
                allowed = True
                if request.method == "OPTIONS":
                    return _cors(_preflight(), request, allowed=allowed)
                if request.method not in methods:
                    raise Refused(
                        f"use {' or '.join(methods)}", status=405, headers={"Allow": ", ".join(methods)}
                    )
                _require_enabled(channel)
                response = view(request, channel)
            except Refused as exc:
                response = _error(exc)
            return _cors(response, request, allowed=allowed)

        return endpoint

    return decorate


def _body(request: HttpRequest) -> dict[str, Any]:
    declared = request.headers.get("Content-Length") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY:
        raise Refused(f"the request is larger than {MAX_BODY} bytes", status=413)
    body = request.body
    if len(body) > MAX_BODY:
        raise Refused(f"the request is larger than {MAX_BODY} bytes", status=413)
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise Refused("the body must be a JSON object")
    return data


def _bearer_visitor(request: HttpRequest, channel: Channel) -> Visitor:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused("a chat token is required (Authorization: Bearer …); start a session first", status=403)
    return visitor_from_token(token.strip(), channel=channel.slug)


def _text_field(data: dict[str, Any], key: str, *, limit: int) -> str | None:
    """A visitor-supplied string, stripped and capped; None when the key was not sent."""
    if key not in data or data[key] is None:
        return None
    value = data[key]
    if not isinstance(value, str):
        raise Refused(f"{key} must be text")
    value = value.strip()
    if len(value) > limit:
        raise Refused(f"{key} is longer than {limit} characters")
    return value


def _rate_limit(visitor: Visitor) -> None:
    """Refuse a visitor's message past LARA_CHAT_MESSAGES_PER_MINUTE in the current minute.

    Counted in Django's cache: shared by every process when the cache is
    (Redis, database); the embedded mode's single process shares its memory.
    """
    limit = int(getattr(settings, "LARA_CHAT_MESSAGES_PER_MINUTE", 20))
    now = _clock()
    window = int(now // 60)
    key = f"lara:chat:rate:{visitor.channel}:{visitor.id}:{window}"
    cache.add(key, 0, timeout=65)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=65)
        count = 1
    if count > limit:
        wait = max(1, int(60 - now % 60))
        raise Refused(
            f"too many messages: at most {limit} a minute; try again in {wait} s",
            status=429,
            headers={"Retry-After": str(wait)},
        )


def _brand(channel: Channel) -> dict[str, str]:
    color = channel.config.get("brand_color") or ""
    greeting = channel.config.get("greeting") or ""
    return {
        "greeting": greeting if isinstance(greeting, str) else "",
        "brand_color": color if isinstance(color, str) and HEX_COLOR.match(color) else "",
    }


# --- the visitor's endpoints -------------------------------------------------------------------


@chat_endpoint("POST")
def chat_session(request: HttpRequest, channel: Channel) -> HttpResponse:
    """Start a visitor session, or resume one from its token; optional name and e-mail.

    A token that is forged, expired or for another chat starts a new session
    ("resumed": false) rather than an error: it grants nothing, and a
    visitor whose month-old token ran out simply begins again.
    """
    data = _body(request)
    visitor: Visitor | None = None
    token = data.get("token")
    if isinstance(token, str) and token:
        try:
            visitor = visitor_from_token(token, channel=channel.slug)
        except Refused:
            visitor = None
    resumed = visitor is not None
    if visitor is None:
        visitor = Visitor(channel=channel.slug, id=secrets.token_urlsafe(12))
    name = _text_field(data, "name", limit=MAX_NAME)
    email = _text_field(data, "email", limit=254)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise Refused(f"{email!r} is not an e-mail address") from exc
    visitor = replace(
        visitor,
        name=visitor.name if name is None else name,
        email=visitor.email if email is None else email.lower(),
    )
    return JsonResponse(
        {
            "token": visitor_token(visitor),
            "visitor": visitor.id,
            "resumed": resumed,
            "name": visitor.name,
            "email": visitor.email,
            "stream_ticket": stream_ticket(visitor),
            "max_length": MAX_TEXT,
            **_brand(channel),
        },
        status=200 if resumed else 201,
    )


@chat_endpoint("GET", "POST")
def chat_messages(request: HttpRequest, channel: Channel) -> HttpResponse:
    """GET: the visitor's conversation after ``?after=<id>``; POST: the visitor says something."""
    visitor = _bearer_visitor(request, channel)
    if request.method == "GET":
        try:
            after = int(request.GET.get("after") or 0)
        except ValueError as exc:
            raise Refused("after must be a message id") from exc
        rows = conversation_after(channel_id=channel.pk, visitor_id=visitor.id, after=after)
        return JsonResponse({"messages": rows})
    return _visitor_says(request, channel, visitor)


def _visitor_says(request: HttpRequest, channel: Channel, visitor: Visitor) -> HttpResponse:
    """Store the visitor's text once per client message id; a retry gets the stored message back."""
    data = _body(request)
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise Refused("client_id must be 1–64 letters, digits, '-' or '_' (e.g. a UUID)")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Refused("the message is empty")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise Refused(f"the message is longer than {MAX_TEXT} characters", status=413)
    page = _text_field(data, "page", limit=MAX_PAGE_URL) or ""
    external_id = f"{visitor.id}:{client_id}"
    stored = Message.objects.filter(channel=channel, external_id=external_id).first()
    if stored is not None:  # a retry: not counted against the rate limit
        return JsonResponse({"status": Outcome.DUPLICATE.value, "message": message_as_json(stored)})
    _rate_limit(visitor)
    origin = request.headers.get("Origin", "")
    result = message_ingest(
        message=InboundMessage(
            channel=channel.slug,
            external_id=external_id,
            kind=MessageKind.CHAT,
            text=text,
            created_at=timezone.now(),
            author=Author(external_id=visitor.id, name=visitor.name, email=visitor.email or None),
            thread_key=visitor.conversation_key,
            public=False,
            raw={"client_id": client_id, "origin": origin, "page": page},
        )
    )
    if result.outcome == Outcome.REJECTED:
        raise Refused(result.reason, status=403 if "disabled" in result.reason else 400)
    stored = Message.objects.get(channel=channel, external_id=external_id)
    status = 201 if result.outcome == Outcome.CREATED else 200
    return JsonResponse({"status": result.outcome.value, "message": message_as_json(stored)}, status=status)


# --- the live stream ---------------------------------------------------------------------------


def _frame(row: dict[str, Any]) -> str:
    return f"id: {row['id']}\nevent: message\ndata: {json.dumps(row, ensure_ascii=False)}\n\n"


async def chat_events(
    *, channel_id: int, visitor_id: str, after: int, seconds: float, poll: float
) -> AsyncIterator[str]:
    """Yield each new message of the visitor's conversation for ``seconds``, then end.

    Bounded like the inbox's stream (``lara.web.live``): it reads the
    database every worker writes to, holds no connection between reads and
    ends after LARA_LIVE_STREAM_SECONDS so the widget reconnects with a
    fresh ticket and ``after`` set to the last message it has.
    """
    loop = asyncio.get_running_loop()
    read = sync_to_async(conversation_after)
    yield "retry: 2000\n\n"
    started = last_sent = loop.time()
    while True:
        try:
            rows = await read(channel_id=channel_id, visitor_id=visitor_id, after=after)
        except DatabaseError:  # a busy SQLite file or a failover: try again next tick
            log.warning("chat stream could not read the conversation", exc_info=True)
            rows = []
        for row in rows:
            yield _frame(row)
            after = row["id"]
            last_sent = loop.time()
        if loop.time() - last_sent >= HEARTBEAT_SECONDS:
            yield ": keep-alive\n\n"
            last_sent = loop.time()
        if loop.time() - started + poll >= seconds:
            return
        await asyncio.sleep(poll)


def _stream_open(request: HttpRequest, slug: str) -> tuple[bool, tuple[int, Visitor, int] | Refused]:
    """Check the stream's caller; say whether its origin may read the answer, and what it gets."""
    allowed = False
    try:
        channel = _open_channel(request, slug)
        allowed = True
        _require_enabled(channel)
        visitor = visitor_from_ticket(request.GET.get("ticket", ""), channel=channel.slug)
        raw_after = request.GET.get("after") or request.headers.get("Last-Event-ID") or "0"
        try:
            after = int(raw_after)
        except ValueError as exc:
            raise Refused("after must be a message id") from exc
    except Refused as exc:
        return allowed, exc
    return allowed, (channel.pk, visitor, after)


@csrf_exempt
@login_not_required
async def chat_stream(request: HttpRequest, slug: str) -> HttpResponseBase:
    """Serve ``text/event-stream`` of the visitor's conversation (event ``message``, id = message id)."""
    if request.method != "GET":
        return _error(Refused("use GET", status=405, headers={"Allow": "GET"}))
    allowed, opened = await sync_to_async(_stream_open)(request, slug)
    if isinstance(opened, Refused):
        return _cors(_error(opened), request, allowed=allowed)
    channel_id, visitor, after = opened
    response = StreamingHttpResponse(
        chat_events(
            channel_id=channel_id,
            visitor_id=visitor.id,
            after=after,
            seconds=settings.LARA_LIVE_STREAM_SECONDS,
            poll=settings.LARA_LIVE_POLL_SECONDS,
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return _cors(response, request, allowed=True)


# --- the script and the demo page --------------------------------------------------------------


@lru_cache(maxsize=1)
def _widget() -> tuple[bytes, str]:
    body = WIDGET_FILE.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@login_not_required
def chat_widget_js(request: HttpRequest) -> HttpResponse:
    """Serve the widget script for any site to embed, cached for an hour and revalidated by ETag."""
    body, etag = _widget() if not settings.DEBUG else (_widget.__wrapped__())
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"  # the script is public; lets sites use SRI
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@login_not_required
def chat_demo(request: HttpRequest) -> HttpResponse:
    """A brand's page with the widget embedded, to try the chat on a fresh `make run`."""
    channels = Channel.objects.filter(network=Network.CHAT, enabled=True)
    channel = channels.filter(slug="chat").first() or channels.order_by("pk").first()
    if channel is None:
        raise Http404("no web chat channel is enabled")
    widget_url = request.build_absolute_uri(reverse("chat-widget"))
    return render(request, "lara/chat_demo.html", {"channel": channel, "widget_url": widget_url})


# Included from lara.web.urls under "chat/".
urlpatterns = [
    path("widget.js", chat_widget_js, name="chat-widget"),
    path("demo/", chat_demo, name="chat-demo"),
    path("<slug:slug>/sessions", chat_session, name="chat-sessions"),
    path("<slug:slug>/messages", chat_messages, name="chat-messages"),
    path("<slug:slug>/stream", chat_stream, name="chat-stream"),
]
