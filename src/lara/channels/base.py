"""Define what every network adapter speaks: frozen dataclasses, never ORM rows.

An adapter parses a network's payload into InboundMessage and sends an
OutboundReply, raising ChannelError(permanent=…) so the outbox can tell a
revoked token (stop retrying) from a time-out (retry later).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class MessageKind:
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    DIRECT = "direct"
    REVIEW = "review"
    EMAIL = "email"
    CHAT = "chat"
    ALL = (POST, COMMENT, REPLY, DIRECT, REVIEW, EMAIL, CHAT)


@dataclass(frozen=True)
class Author:
    external_id: str
    handle: str = ""
    name: str = ""
    followers: int | None = None
    verified: bool = False
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One message as a network delivered it, normalised."""

    channel: str
    external_id: str
    kind: str
    text: str
    created_at: datetime
    author: Author
    url: str = ""
    in_reply_to: str | None = None
    thread_key: str | None = None
    public: bool = True
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundReply:
    """A reply to send where the customer spoke."""

    channel: str
    text: str
    in_reply_to: str | None
    thread_key: str | None
    recipient_external_id: str | None
    public: bool
    reply_id: int


@dataclass(frozen=True)
class SendResult:
    external_id: str
    url: str = ""


class ChannelError(Exception):
    """A network refused or failed; ``permanent`` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Adapter(Protocol):
    network: str

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult: ...
