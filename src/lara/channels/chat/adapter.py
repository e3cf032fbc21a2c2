"""Answer web chat visitors: the outbound Message row is the delivery.

The visitor's widget reads its conversation from Lara (``/chat/<slug>/…``,
see ``lara.web.chat``), so there is no network to call: ``reply_send``
stores the reply as an outbound Message in the visitor's conversation
(``chat:<visitor id>``) and the widget's event stream shows it. ``send``
only checks that the reply has a visitor conversation to land in, so a
reply on a case that did not come from the widget fails visibly instead of
vanishing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lara.channels.base import ChannelError, OutboundReply, SendResult

THREAD_PREFIX = "chat:"


def visitor_of(thread_key: str | None) -> str:
    """The visitor id in a ``chat:<visitor id>`` conversation key, or "" for any other key."""
    if not thread_key or not thread_key.startswith(THREAD_PREFIX):
        return ""
    return thread_key[len(THREAD_PREFIX) :]


def origin_problem(value: Any) -> str:
    """Say why ``value`` is not an origin a browser sends (``https://shop.example[:port]``); "" if it is."""
    if not isinstance(value, str) or not value:
        return f"{value!r} is not an origin"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value!r} is not an origin: it needs http:// or https:// and a host"
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return f"{value!r} is not an origin: no path, query or user, e.g. https://shop.example"
    if value != value.lower().rstrip("/"):
        return f"{value!r} is not an origin: write it in lower case, as browsers send it"
    return ""


class ChatAdapter:
    network = "chat"
    outbound = True
    credential_fields: tuple[str, ...] = ()
    config_fields = ("allowed_origins", "greeting", "brand_color")
    field_help = {
        "allowed_origins": (
            "the sites that may embed the widget, one origin each, exactly as the browser sends it, "
            "e.g. https://www.volta.example (scheme, host and port; no path)"
        ),
        "greeting": "the first line the visitor sees in the chat panel, e.g. 'Hi! How can we help?'",
        "brand_color": "the widget's colour as #rrggbb, e.g. #0b6e4f",
    }

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        if not visitor_of(reply.thread_key):
            raise ChannelError(
                "no web chat visitor to answer: this case's conversation did not come from the chat widget",
                permanent=True,
            )
        return SendResult(external_id=f"chat-reply-{reply.reply_id}")

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        origins = config.get("allowed_origins") or []
        if isinstance(origins, str):
            origins = [origins]
        if not origins:
            raise ChannelError(
                "no allowed_origins: add the site(s) that embed the widget, e.g. https://www.volta.example",
                permanent=True,
            )
        problems = [p for p in (origin_problem(o) for o in origins) if p]
        if problems:
            raise ChannelError("; ".join(problems), permanent=True)
        color = config.get("brand_color") or ""
        if color and not _is_hex_color(color):
            raise ChannelError(f"brand_color {color!r} is not a colour like #0b6e4f", permanent=True)
        greeting = "with a greeting" if config.get("greeting") else "without a greeting"
        return f"web chat for {', '.join(origins)}, {greeting}"


def _is_hex_color(value: str) -> bool:
    digits = value[1:]
    return (
        value.startswith("#") and len(digits) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in digits)
    )
