"""Accept InboundMessages from any source that can POST JSON, signed per channel.

The sender signs the raw body with the channel's secret (HMAC-SHA256, header
``X-Lara-Signature: sha256=<hex>``), so a forged or altered delivery is
refused whole before anything is parsed or stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from lara.channels.base import (
    ChannelError,
    InboundMessage,
    OutboundReply,
    SendResult,
    WebhookRejected,
    WebhookRequest,
    WebhookResult,
)
from lara.channels.schemas import inbound_parse

SIGNATURE_HEADER = "x-lara-signature"
MAX_ITEMS = 1000


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookAdapter:
    network = "webhook"
    credential_fields = ("secret",)
    config_fields: tuple[str, ...] = ()
    field_help = {
        "secret": "shared with the sender, who signs each body: X-Lara-Signature: sha256=<HMAC-SHA256 hex>"
    }

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        """Nothing to call: the sender calls Lara. Say whether a signed delivery can get in."""
        if not credentials.get("secret"):
            raise ChannelError("no secret set: every delivery is refused until one is", permanent=True)
        return "ready: deliveries signed with the channel's secret are accepted"

    def receive(self, request: WebhookRequest, *, channel: str, credentials: dict[str, Any]) -> WebhookResult:
        secret = credentials.get("secret")
        if not secret:
            raise WebhookRejected("this webhook channel has no secret configured", status=403)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, sign(secret, request.body)):
            raise WebhookRejected("signature missing or wrong", status=403)
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected(f"body is not valid JSON: {exc}") from exc
        items = payload if isinstance(payload, list) else [payload]
        if len(items) > MAX_ITEMS:
            raise WebhookRejected(f"at most {MAX_ITEMS} messages per delivery", status=413)
        messages: list[InboundMessage] = []
        rejected: list[tuple[int, str]] = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                item = {**item, "channel": channel}  # a sender cannot write into another channel
            try:
                messages.append(inbound_parse(item))
            except ValueError as exc:
                rejected.append((index, str(exc)))
        return WebhookResult(messages=tuple(messages), rejected=tuple(rejected))

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        raise ChannelError(
            "generic webhook channels receive only; answer the customer another way", permanent=True
        )
