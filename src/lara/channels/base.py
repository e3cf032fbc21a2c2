"""Define what every network adapter speaks: frozen dataclasses, never ORM rows.

An adapter parses a network's payload into InboundMessage and sends an
OutboundReply, raising ChannelError(permanent=…) so the outbox can tell a
revoked token (stop retrying) from a time-out (retry later).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


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


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP delivery from a network, reduced to what a parser may look at."""

    headers: dict[str, str]  # lower-case names
    body: bytes
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookResult:
    """What a delivery held: messages to store and items refused with their reason."""

    messages: tuple[InboundMessage, ...] = ()
    rejected: tuple[tuple[int, str], ...] = ()


class WebhookRejected(Exception):
    """Refuse a whole delivery (forged signature, unreadable body) with an HTTP status."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


@runtime_checkable
class WebhookReceiver(Protocol):
    """Implemented by adapters whose network pushes messages to Lara."""

    def receive(
        self, request: WebhookRequest, *, channel: str, credentials: dict[str, Any]
    ) -> WebhookResult: ...


@dataclass(frozen=True)
class PollResult:
    """What one poll found, and the cursor to send next time (ETag, since_id…)."""

    messages: tuple[InboundMessage, ...]
    state: dict[str, Any]


@runtime_checkable
class Poller(Protocol):
    """Implemented by adapters that fetch messages on a schedule."""

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult: ...
