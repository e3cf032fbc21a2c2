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
class Attachment:
    """A file that came with a message (an e-mail attachment, a chat image)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMessage:
    """One message as a network delivered it, normalised.

    ``query_ids`` names the monitoring queries whose search found it (see
    ``PollRequest``); messages pushed to Lara are matched against the queries
    at ingest instead.

    ``event`` says what the network reported about the message with this
    external id: ``"message"`` (new), ``"edit"`` (the author changed it: the
    text and subject are the new version, ``created_at`` is when the edit
    happened as far as the network says; the stored message is updated and
    its earlier text kept as a revision, or it is stored as new if Lara never
    saw it) or ``"delete"`` (the author or the network removed it: the stored
    message is marked deleted, never removed; text may be empty).
    """

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
    query_ids: tuple[int, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    subject: str = ""
    event: str = "message"


#: The values of ``InboundMessage.event``.
MESSAGE_EVENTS = ("message", "edit", "delete")


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
    # What a network's messaging rules need: the kind of message answered
    # (comment vs direct), when the customer last wrote (24-hour windows) and
    # the channel's non-secret settings (e.g. a WhatsApp template name).
    kind: str = ""
    last_inbound_at: datetime | None = None
    config: dict[str, Any] = field(default_factory=dict)
    # The answered message's link and subject: "answer on the site: <url>" for
    # networks without a reply API, "Re: <subject>" for e-mail.
    url: str = ""
    subject: str = ""


@dataclass(frozen=True)
class SendResult:
    external_id: str
    url: str = ""


class ChannelError(Exception):
    """A network refused or failed; ``permanent`` says whether retrying can help.

    ``auth`` marks a token that expired, was revoked or lost a permission: the
    channel then raises an alert (channel page, admin dashboard, e-mail) until
    a call succeeds again. ``retry_after`` carries the network's own rate-limit
    answer in seconds (``Retry-After``, ``x-rate-limit-reset``…) so Lara waits
    that long instead of its own back-off.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        auth: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or auth
        self.auth = auth
        self.retry_after = retry_after


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
class HandshakeResponse:
    """The answer to a network's subscription check (Meta verify token, X CRC)."""

    status: int
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True)
class WebhookResult:
    """What a delivery held: messages to store and items refused with their reason."""

    messages: tuple[InboundMessage, ...] = ()
    rejected: tuple[tuple[int, str], ...] = ()
    # Delivery receipts and other events that are not messages (e.g. WhatsApp
    # statuses): (external id of our sent message, status, detail).
    statuses: tuple[tuple[str, str, str], ...] = ()


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


@runtime_checkable
class WebhookHandshake(Protocol):
    """Implemented by networks that check a webhook URL with a GET first."""

    def handshake(self, request: WebhookRequest, *, credentials: dict[str, Any]) -> HandshakeResponse: ...


@dataclass(frozen=True)
class PollResult:
    """What one poll found, and the cursor to send next time (ETag, since_id…).

    ``rejected`` holds items the network returned that could not be parsed,
    as (raw item, reason); they go to the dead-letter list and ``lara replay``
    hands them to the adapter's ``parse_item`` again after a fix.
    """

    messages: tuple[InboundMessage, ...]
    state: dict[str, Any]
    rejected: tuple[tuple[dict[str, Any], str], ...] = ()


@runtime_checkable
class Poller(Protocol):
    """Implemented by adapters that fetch messages on a schedule."""

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult: ...


@runtime_checkable
class ItemParser(Protocol):
    """Implemented by pollers so a dead-lettered item can be parsed again."""

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage: ...


@runtime_checkable
class Checker(Protocol):
    """Implemented by adapters so an admin's "test connection" says exactly what is wrong.

    Returns a short description of what was reached ("connected as @volta");
    raises ChannelError with the precise reason (bad token, missing
    permission, unreachable) otherwise.
    """

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str: ...
