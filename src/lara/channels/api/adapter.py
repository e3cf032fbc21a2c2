"""Deliver replies of the generic `api` channel to the client's callback URL.

The `api` channel accepts any InboundMessage over REST; a client that wants
the brand's answers back configures `callback_url` (and a `secret` to sign
them with HMAC-SHA256, header `X-Lara-Signature: sha256=<hex>`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict
from typing import Any

import httpx

from lara.channels.base import ChannelError, OutboundReply, SendResult


class ApiAdapter:
    network = "api"
    timeout = 10.0
    credential_fields = ("callback_url", "secret")
    config_fields: tuple[str, ...] = ()
    field_help = {
        "callback_url": "where Lara POSTs the brand's replies; empty = this channel only receives",
        "secret": "signs each callback body: X-Lara-Signature: sha256=<HMAC-SHA256 hex>",
    }

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        """POST a signed ``{"type": "ping"}`` to the callback, as replies will be posted."""
        url = credentials.get("callback_url")
        if not url:
            return "no callback_url: messages can be posted in, replies are not delivered"
        response = self._post(url, {"type": "ping"}, credentials, what="ping")
        return f"callback reachable: HTTP {response.status_code}"

    def _post(
        self, url: str, data: dict[str, Any], credentials: dict[str, Any], *, what: str
    ) -> httpx.Response:
        body = json.dumps(data, sort_keys=True).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        secret = credentials.get("secret")
        if secret:
            digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers["X-Lara-Signature"] = f"sha256={digest}"
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ChannelError(f"callback unreachable: {exc}") from exc
        if response.status_code in (401, 403, 404, 410):
            raise ChannelError(f"callback refused the {what}: HTTP {response.status_code}", permanent=True)
        if response.status_code >= 300:
            raise ChannelError(f"callback failed: HTTP {response.status_code}")
        return response

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        url = credentials.get("callback_url")
        if not url:
            raise ChannelError("this api channel has no callback_url to deliver replies to", permanent=True)
        payload = {
            k: v for k, v in asdict(reply).items() if k not in ("config", "last_inbound_at", "url", "subject")
        }
        response = self._post(url, {"type": "reply", **payload}, credentials, what="reply")
        try:
            external_id = str(response.json().get("id") or f"api-reply-{reply.reply_id}")
        except ValueError:
            external_id = f"api-reply-{reply.reply_id}"
        return SendResult(external_id=external_id)
