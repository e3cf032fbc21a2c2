"""Parse Messenger-platform ``messaging`` events: Facebook Messenger and Instagram Direct.

Both send the same event shape (sender, recipient, timestamp, message with
``mid``/``text``/``attachments``, or a postback, delivery, read…), so one
parser serves both; only the thread prefix and the network's name differ.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lara.channels.base import Author, ChannelError, InboundMessage, OutboundReply, SendResult

from .graph import (
    HUMAN_AGENT_WINDOW,
    GraphClient,
    Ignored,
    ItemOutcome,
    timestamp,
    window_closed,
    window_open,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class Party(_Model):
    id: str = Field(min_length=1)


class MessageAttachment(_Model):
    type: str = "file"
    payload: dict[str, Any] | None = None


class EventMessage(_Model):
    mid: str = Field(min_length=1)
    text: str = ""
    is_echo: bool = False
    is_deleted: bool = False
    attachments: list[MessageAttachment] = Field(default_factory=list)
    reply_to: dict[str, Any] | None = None


class Postback(_Model):
    mid: str | None = None
    title: str = ""
    payload: str = ""


class MessagingEvent(_Model):
    sender: Party
    recipient: Party
    timestamp: int
    message: EventMessage | None = None
    postback: Postback | None = None
    delivery: dict[str, Any] | None = None


def attachment_label(attachment: MessageAttachment) -> str:
    """A readable stand-in for a photo, a sticker or a shared post, e.g. ``[image]``."""
    payload = attachment.payload or {}
    title = payload.get("title") or payload.get("name") or ""
    return f"[{attachment.type} {title}]" if title else f"[{attachment.type}]"


def messaging_to_message(
    channel: str, event_data: dict[str, Any], *, network: str, thread_prefix: str
) -> ItemOutcome:
    """Turn one ``messaging`` event into a direct message, a delivery receipt, or a reasoned skip."""
    event = MessagingEvent.model_validate(event_data)
    if event.delivery is not None:
        return [(str(mid), "delivered", "") for mid in event.delivery.get("mids") or []]
    if event.message is not None:
        message = event.message
        if message.is_echo:
            return Ignored(f"an echo of a message our own {network} account sent")
        if message.is_deleted:
            return Ignored("the customer unsent a message; Lara keeps what it stored")
        parts = [attachment_label(a) for a in message.attachments]
        text = " ".join([*parts, message.text]).strip()
        if not text:
            raise ValueError("a message with neither text nor attachments")
        external_id = message.mid
        reply_to = (message.reply_to or {}).get("mid")
    elif event.postback is not None:
        text = f"[button] {event.postback.title or event.postback.payload}".strip()
        external_id = event.postback.mid or f"postback:{event.sender.id}:{event.timestamp}"
        reply_to = None
    else:
        kinds = sorted(set(event_data) - {"sender", "recipient", "timestamp"})
        return Ignored(f"a {', '.join(kinds) or 'bare'} event, not a message")
    return InboundMessage(
        channel=channel,
        external_id=external_id,
        kind="direct",
        text=text,
        created_at=timestamp(event.timestamp),
        author=Author(external_id=event.sender.id),
        in_reply_to=str(reply_to) if reply_to else None,
        thread_key=f"{thread_prefix}:{event.sender.id}",
        public=False,
        raw=event_data,
    )


def direct_send(
    client: GraphClient, *, path: str, reply: OutboundReply, network: str, human_agent_tag: bool
) -> SendResult:
    """Send a private reply inside the 24-hour window (or 7 days with the HUMAN_AGENT tag).

    Outside the window Meta refuses free-form messages, so Lara refuses first
    and tells the agent what still works, rather than failing at the network.
    """
    if not reply.recipient_external_id:
        raise ChannelError(f"no {network} user to send the message to", permanent=True)
    body: dict[str, Any] = {
        "recipient": {"id": reply.recipient_external_id},
        "messaging_type": "RESPONSE",
        "message": {"text": reply.text},
    }
    if reply.last_inbound_at is not None and not window_open(reply.last_inbound_at):
        if human_agent_tag and window_open(reply.last_inbound_at, span=HUMAN_AGENT_WINDOW):
            body["messaging_type"], body["tag"] = "MESSAGE_TAG", "HUMAN_AGENT"
        else:
            raise window_closed(
                network,
                reply.last_inbound_at,
                "a private message can no longer be sent. Answer on one of the customer's public "
                "posts or comments, reach them by phone or e-mail from their customer record, or "
                "wait until they write again"
                + (
                    ""
                    if human_agent_tag
                    else " (with Meta's Human Agent permission, set "
                    "human_agent_tag in the channel's settings to answer for up to 7 days)"
                ),
            )
    answer = client.post(path, body)
    if not answer.get("message_id"):
        raise ChannelError(f"{network} accepted the message but returned no message_id: {answer}"[:300])
    return SendResult(external_id=str(answer["message_id"]))
