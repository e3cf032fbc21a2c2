"""Talk to customers on WhatsApp through the Business Cloud API (Graph webhooks in, /messages out).

Plain ``httpx`` through the shared Graph client (``facebook/graph.py``):
pywa would bring its own webhook server and handler model, while Lara needs
only the payload parsing and one send call, behind its own endpoint and
signature check. Every message type becomes readable text (``[image]
caption``, ``[location] …``) so nothing a customer sends is dropped; the
delivery statuses of our replies go to ``WebhookResult.statuses`` so a
"failed" shows on the reply. Outside the 24-hour customer-service window
WhatsApp delivers only approved templates, so the reply is sent through the
channel's template, or refused with what to set up.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lara.channels.base import (
    Author,
    ChannelError,
    InboundMessage,
    OutboundReply,
    SendResult,
)
from lara.channels.facebook import graph
from lara.channels.facebook.graph import Batch, GraphClient, GraphWebhooks, Ignored, ItemOutcome, PayloadModel

NETWORK = "WhatsApp"
MEDIA_TYPES = ("image", "video", "audio", "sticker")


class WaError(PayloadModel):
    code: int | None = None
    title: str = ""
    message: str = ""
    error_data: dict[str, Any] | None = None

    def describe(self) -> str:
        details = (self.error_data or {}).get("details") or self.message
        return f"{self.title}: {details}" if details and details != self.title else self.title


class WaMessage(PayloadModel):
    """One entry of ``value.messages`` (WhatsApp Cloud API webhooks reference)."""

    sender: str = Field(alias="from", min_length=1)
    id: str = Field(min_length=1)
    timestamp: str
    type: str
    context: dict[str, Any] | None = None
    errors: list[WaError] = Field(default_factory=list)


class WaStatus(PayloadModel):
    id: str = Field(min_length=1)
    status: str = Field(min_length=1)
    recipient_id: str = ""
    errors: list[WaError] = Field(default_factory=list)


def readable_text(message: WaMessage, data: dict[str, Any]) -> str | Ignored:
    """Say what the customer sent in words, whatever its type (text, photo, place, button…)."""
    kind = message.type
    found = data.get(kind)
    body: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "text":
        return str(body.get("body") or "")
    if kind in MEDIA_TYPES:
        return f"[{kind}] {body.get('caption') or ''}".strip()
    if kind == "document":
        name = body.get("filename") or ""
        return f"[document{' ' + name if name else ''}] {body.get('caption') or ''}".strip()
    if kind == "location":
        place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        where = f"({body.get('latitude')}, {body.get('longitude')})"
        return f"[location] {place} {where}" if place else f"[location] {where}"
    if kind == "button":
        return f"[button] {body.get('text') or body.get('payload') or ''}".strip()
    if kind == "interactive":
        choice = body.get("button_reply") or body.get("list_reply") or {}
        return f"[button] {choice.get('title') or choice.get('id') or ''}".strip()
    if kind == "contacts":
        people = data.get("contacts") or []
        names = ", ".join(str((p.get("name") or {}).get("formatted_name") or "") for p in people)
        return f"[contact] {names}".strip()
    if kind == "reaction":
        return Ignored(f"a reaction {body.get('emoji') or ''} to message {body.get('message_id')}")
    if kind == "system":
        return Ignored(f"a system notice: {body.get('body') or body.get('type') or ''}")
    problem = message.errors[0].describe() if message.errors else "no detail"
    raise ValueError(f"unsupported WhatsApp message type {kind!r}: {problem}")


def message_to_inbound(channel: str, data: dict[str, Any], names: dict[str, str]) -> ItemOutcome:
    message = WaMessage.model_validate(data)
    text = readable_text(message, data)
    if isinstance(text, Ignored):
        return text
    if not text:
        raise ValueError(f"a {message.type} message with no text")
    wa_id = message.sender
    return InboundMessage(
        channel=channel,
        external_id=message.id,
        kind="direct",
        text=text,
        created_at=graph.timestamp(message.timestamp),
        author=Author(external_id=wa_id, name=names.get(wa_id, ""), phone=f"+{wa_id.lstrip('+')}"),
        in_reply_to=str((message.context or {}).get("id") or "") or None,
        thread_key=f"whatsapp:{wa_id}",
        public=False,
        raw=data,
    )


def status_to_receipt(data: dict[str, Any]) -> ItemOutcome:
    status = WaStatus.model_validate(data)
    detail = "; ".join(e.describe() for e in status.errors)
    return [(status.id, status.status, detail)]


def parse_delivery(
    channel: str, entries: list[dict[str, Any]], credentials: dict[str, Any] | None = None
) -> Batch:
    batch = Batch(NETWORK)
    for e, entry in enumerate(entries):
        for c, change in enumerate(entry.get("changes") or []):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                field = change.get("field") if isinstance(change, dict) else None
                batch.add(f"entry {e} change {c}", Ignored, f"field {field!r} is not messages")
                continue
            names = {
                str(contact.get("wa_id")): str((contact.get("profile") or {}).get("name") or "")
                for contact in value.get("contacts") or []
                if isinstance(contact, dict)
            }
            for m, message in enumerate(value.get("messages") or []):
                batch.add(f"entry {e} change {c} message {m}", message_to_inbound, channel, message, names)
            for s, status in enumerate(value.get("statuses") or []):
                batch.add(f"entry {e} change {c} status {s}", status_to_receipt, status)
    return batch


class WhatsAppAdapter(GraphWebhooks):
    network = "whatsapp"
    network_name = NETWORK
    expected_object = "whatsapp_business_account"
    parse = staticmethod(parse_delivery)
    outbound = True
    credential_fields = ("access_token", "app_secret", "verify_token", "api_base_url")
    config_fields = ("phone_number_id", "template_name", "template_language", "template_body_parameter")
    field_help = {
        "access_token": "A System User access token with whatsapp_business_messaging and "
        "whatsapp_business_management.",
        "app_secret": "The Meta app's secret: webhook deliveries are checked against it "
        "(X-Hub-Signature-256).",
        "verify_token": "Any random string; the same one as the Verify Token of the app's WhatsApp "
        "webhook (callback URL: https://<your Lara>/hooks/<channel slug>).",
        "api_base_url": "Optional: another Graph API root (default https://graph.facebook.com/v21.0).",
        "phone_number_id": "The id of the business phone number (WhatsApp Manager → API Setup), "
        "not the number itself.",
        "template_name": "An approved message template sent when the 24-hour window has closed, "
        "e.g. support_follow_up; without one such replies fail.",
        "template_language": "The template's language code, e.g. en_US or he (default en).",
        "template_body_parameter": "true (default) if the template's body has one {{1}} parameter: "
        "the reply's text is put there; false for a template without parameters.",
    }

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        phone_number_id = str(reply.config.get("phone_number_id") or "")
        if not phone_number_id:
            raise ChannelError("set the channel's phone_number_id (Settings → Channels)", permanent=True)
        if not reply.recipient_external_id:
            raise ChannelError("no WhatsApp number to send the message to", permanent=True)
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": reply.recipient_external_id,
        }
        if reply.last_inbound_at is not None and graph.window_open(reply.last_inbound_at):
            body |= {"type": "text", "text": {"preview_url": False, "body": reply.text}}
        else:
            body |= {"type": "template", "template": _template(reply)}
        answer = _client(credentials, reply.config).post(f"{phone_number_id}/messages", body)
        sent = answer.get("messages")
        if not isinstance(sent, list) or not sent or not isinstance(sent[0], dict) or not sent[0].get("id"):
            raise ChannelError(f"WhatsApp accepted the message but returned no id: {answer}"[:300])
        return SendResult(external_id=str(sent[0]["id"]))

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        phone_number_id = str(config.get("phone_number_id") or "")
        if not phone_number_id:
            raise ChannelError("set the channel's phone_number_id (Settings → Channels)", permanent=True)
        number = _client(credentials, config).get(
            phone_number_id, {"fields": "verified_name,display_phone_number,quality_rating"}
        )
        quality = f", quality {number['quality_rating']}" if number.get("quality_rating") else ""
        return f"connected as {number.get('verified_name')} ({number.get('display_phone_number')}{quality})"


def _template(reply: OutboundReply) -> dict[str, Any]:
    """The channel's approved template, carrying the reply's text when the template has a parameter."""
    name = reply.config.get("template_name")
    if not name:
        instead = (
            "outside it WhatsApp delivers only approved message templates and this channel has none: "
            "set template_name and template_language in the channel's settings (an approved template "
            "whose body has one {{1}} parameter for the reply), or wait for the customer to write again"
        )
        if reply.last_inbound_at is None:
            raise ChannelError(
                f"no customer message opened a WhatsApp 24-hour customer-service window; {instead}",
                permanent=True,
            )
        raise graph.window_closed(NETWORK, reply.last_inbound_at, instead)
    template: dict[str, Any] = {
        "name": name,
        "language": {"code": reply.config.get("template_language") or "en"},
    }
    if reply.config.get("template_body_parameter", True) not in (False, "false", "0", 0):
        # Template parameters may not hold new lines, tabs or more than four spaces in a row.
        flat = " ".join(reply.text.split())
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": flat}]}]
    return template


def _client(credentials: dict[str, Any], config: dict[str, Any]) -> GraphClient:
    return GraphClient(
        network=NETWORK,
        token=credentials.get("access_token"),
        base=graph.base_url(credentials, config),
        app_secret=credentials.get("app_secret"),
    )
