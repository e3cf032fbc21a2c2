"""Speak Meta's Graph API for Facebook, Instagram and WhatsApp: one client, one error map.

Meta keeps no maintained Python SDK for the Graph API, so this is plain
``httpx``. All three networks share the same webhook envelope (signed with
``X-Hub-Signature-256``, checked with a ``hub.verify_token`` GET), the same
error body (``{"error": {"code", "error_subcode", "message"}}``) and the same
24-hour messaging rule, so each rule lives here once and the adapters stay
about their own payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from lara.channels.base import (
    ChannelError,
    HandshakeResponse,
    InboundMessage,
    WebhookRejected,
    WebhookRequest,
    WebhookResult,
)
from lara.channels.schemas import describe_validation_error

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
SIGNATURE_HEADER = "x-hub-signature-256"
TIMEOUT = 20.0
WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)

#: Graph error codes that mean "slow down": app, user, page, custom and
#: business-use-case limits, plus WhatsApp's throughput and pair limits.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 130429, 131048, 131056}) | frozenset(range(80000, 80015))
#: Codes Meta documents as transient (unknown error, service down, try again).
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016})
#: Messenger / Instagram "sent outside of allowed window" subcodes (code 10 or 100).
WINDOW_SUBCODES = frozenset({2018278, 2534022})
#: WhatsApp's own "more than 24 hours since the customer wrote".
WHATSAPP_WINDOW_CODE = 131047
PERMISSION_NAME = re.compile(
    r"\b((?:pages|instagram|whatsapp|business|read|public|page|ads)_[a-z_]+)\b", re.IGNORECASE
)
DEFAULT_RATE_WAIT = 60.0


def base_url(credentials: dict[str, Any], config: dict[str, Any] | None = None) -> str:
    """The Graph root: the channel's own override (a test server, a newer version) or v21.0."""
    url = credentials.get("api_base_url") or (config or {}).get("api_base_url") or DEFAULT_GRAPH_URL
    return str(url).rstrip("/")


# --- webhooks ---------------------------------------------------------------------------------


def signature_verify(request: WebhookRequest, *, app_secret: str | None, network: str) -> None:
    """Refuse a delivery whose ``X-Hub-Signature-256`` is not the HMAC of its raw body.

    Checked before any parsing so a forged body is never even read.
    """
    if not app_secret:
        raise WebhookRejected(f"this {network} channel has no app_secret configured", status=403)
    expected = "sha256=" + hmac.new(app_secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER, ""), expected):
        raise WebhookRejected("signature missing or wrong", status=403)


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends; tests and the demo sign with it."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_payload(
    request: WebhookRequest, *, app_secret: str | None, network: str, expected_object: str
) -> list[dict[str, Any]]:
    """Verify, decode and return the delivery's entries; refuse it whole if any of that fails."""
    signature_verify(request, app_secret=app_secret, network=network)
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(f"body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise WebhookRejected("not a Graph API webhook: no entry list")
    if payload.get("object") != expected_object:
        raise WebhookRejected(
            f"a delivery for object {payload.get('object')!r} reached a {network} channel "
            f"(expected {expected_object!r}); check the app's webhook subscriptions"
        )
    return [e for e in payload["entry"] if isinstance(e, dict)]


def handshake(request: WebhookRequest, *, credentials: dict[str, Any]) -> HandshakeResponse:
    """Answer Meta's subscription check: echo ``hub.challenge`` when the verify token matches."""
    token = credentials.get("verify_token")
    if not token:
        return HandshakeResponse(403, "this channel has no verify_token configured")
    if request.query.get("hub.mode") != "subscribe":
        return HandshakeResponse(400, "hub.mode must be subscribe")
    if not hmac.compare_digest(request.query.get("hub.verify_token", ""), str(token)):
        return HandshakeResponse(403, "verify token wrong")
    return HandshakeResponse(200, request.query.get("hub.challenge", ""))


def timestamp(value: Any) -> datetime:
    """Graph times come as Unix seconds, Unix milliseconds or ISO 8601 ("+0000"); give UTC."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        if number > 10**11:  # milliseconds (Messenger's ``timestamp``)
            number /= 1000
        return datetime.fromtimestamp(number, tz=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"time without a time zone: {value!r}")
        return parsed.astimezone(UTC)
    raise ValueError(f"not a time: {value!r}")


# --- the 24-hour window ----------------------------------------------------------------------


def window_open(
    last_inbound_at: datetime | None, *, now: datetime | None = None, span: timedelta = WINDOW
) -> bool:
    """Whether a free-form message may still be sent; unknown means let the network decide."""
    if last_inbound_at is None:
        return True
    return (now or datetime.now(UTC)) < last_inbound_at + span


def window_closed(network: str, last_inbound_at: datetime, instead: str) -> ChannelError:
    closed = (last_inbound_at + WINDOW).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ChannelError(
        f"the {network} 24-hour messaging window closed at {closed} "
        f"(24 hours after the customer's last message); {instead}",
        permanent=True,
    )


# --- errors -----------------------------------------------------------------------------------


def _wait_from_headers(headers: httpx.Headers) -> float:
    """Meta's own estimate of when access returns (minutes), from its usage headers; else 60 s."""
    minutes = 0.0
    for name in ("x-business-use-case-usage", "x-app-usage", "x-page-usage", "x-ad-account-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for usage in _walk(data):
            value = usage.get("estimated_time_to_regain_access")
            if isinstance(value, int | float) and value > minutes:
                minutes = float(value)
    return minutes * 60 if minutes > 0 else DEFAULT_RATE_WAIT


def _walk(data: Any) -> list[dict[str, Any]]:
    """Every dict inside a usage header (keyed by business id, then a list per type)."""
    if isinstance(data, dict):
        return [data] + [d for v in data.values() for d in _walk(v)]
    if isinstance(data, list):
        return [d for v in data for d in _walk(v)]
    return []


def graph_error(network: str, response: httpx.Response) -> ChannelError:
    """Map a Graph error answer to a ChannelError the outbox and the channel page understand."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code")
    subcode = error.get("error_subcode")
    text = error.get("error_user_msg") or error.get("message") or response.reason_phrase or "no detail"
    details = (
        (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    )
    if details:
        text = f"{text} ({details})"
    where = f"{network} (HTTP {response.status_code}, code {code}{f'/{subcode}' if subcode else ''})"
    if code == 190 or response.status_code == 401:
        return ChannelError(f"{where}: the access token expired or was revoked: {text}", auth=True)
    if subcode in WINDOW_SUBCODES or code == WHATSAPP_WINDOW_CODE:
        return ChannelError(f"{where}: the 24-hour messaging window is closed: {text}", permanent=True)
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        named = PERMISSION_NAME.search(str(error.get("message") or ""))
        missing = f"the permission {named.group(1)}" if named else "a permission"
        return ChannelError(f"{where}: the token is missing {missing}: {text}", auth=True)
    if code in RATE_LIMIT_CODES or response.status_code == 429:
        wait = _wait_from_headers(response.headers)
        return ChannelError(f"{where}: rate limited, retry in {wait:.0f} s: {text}", retry_after=wait)
    if response.status_code >= 500 or code in TRANSIENT_CODES or error.get("is_transient"):
        return ChannelError(f"{where}: temporary failure: {text}")
    return ChannelError(f"{where}: refused: {text}", permanent=True)


class GraphClient:
    """A Graph API session for one token: bearer auth, ``appsecret_proof``, errors mapped.

    The token travels in the Authorization header, never in the URL, so it
    cannot end up in access logs.
    """

    def __init__(self, *, network: str, token: str | None, base: str, app_secret: str | None = None) -> None:
        if not token:
            raise ChannelError(f"this {network} channel has no access token", auth=True)
        self.network = network
        self.base = base.rstrip("/")
        self._token = token
        self._proof = (
            hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest() if app_secret else None
        )

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", path, body=body)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        query = dict(params or {})
        if self._proof:
            query["appsecret_proof"] = self._proof
        try:
            response = httpx.request(
                method,
                f"{self.base}/{path.lstrip('/')}",
                params=query,
                json=body,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"{self.network} unreachable: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise graph_error(self.network, response)
        try:
            data = response.json()
        except ValueError as exc:
            raise ChannelError(f"{self.network} answered with something that is not JSON") from exc
        if not isinstance(data, dict):
            raise ChannelError(f"{self.network} answered with an unexpected shape: {data!r}"[:300])
        return data


# --- one delivery, item by item ---------------------------------------------------------------


@dataclass(frozen=True)
class Ignored:
    """An event that is deliberately not stored (an echo, an edit, a removal), with the reason."""

    reason: str


Status = tuple[str, str, str]
ItemOutcome = InboundMessage | Ignored | list[Status]


@dataclass
class Batch:
    """Collect what one webhook delivery held, so one bad item never sinks the others.

    Items are numbered in delivery order across entries and changes; a bad
    item is rejected with that number and its reason (the raw delivery goes
    to the dead-letter list), ignored events are logged with theirs.
    """

    network: str
    messages: list[InboundMessage] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    ignored: list[tuple[int, str]] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    _next: int = 0

    def add(self, where: str, parse: Callable[..., ItemOutcome], *args: Any, **kwargs: Any) -> None:
        """Run ``parse(*args, **kwargs)`` for one item and file its outcome."""
        index, self._next = self._next, self._next + 1
        try:
            outcome = parse(*args, **kwargs)
        except ValidationError as exc:
            self.rejected.append((index, f"{where}: {describe_validation_error(exc)}"))
            return
        except (KeyError, TypeError, ValueError, ChannelError) as exc:
            self.rejected.append((index, f"{where}: {exc}"))
            return
        if isinstance(outcome, Ignored):
            self.ignored.append((index, f"{where}: {outcome.reason}"))
        elif isinstance(outcome, list):
            self.statuses.extend(outcome)
        else:
            self.messages.append(outcome)

    def result(self) -> WebhookResult:
        for index, reason in self.ignored:
            log.info("%s webhook item %s ignored: %s", self.network, index, reason)
        return WebhookResult(
            messages=tuple(self.messages), rejected=tuple(self.rejected), statuses=tuple(self.statuses)
        )


class PayloadModel(BaseModel):
    """Meta's payloads as documented: extra keys allowed, numeric ids read as text, ``from`` by alias."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)


class GraphWebhooks:
    """The webhook side the three Meta networks share: the verify-token check and signed deliveries.

    A network sets its name (for messages), the webhook ``object`` it
    subscribes to, and ``parse`` — ``(channel, entries, credentials) -> Batch``.
    """

    network_name = ""
    expected_object = ""
    parse: Callable[[str, list[dict[str, Any]], dict[str, Any]], Batch]

    def handshake(self, request: WebhookRequest, *, credentials: dict[str, Any]) -> HandshakeResponse:
        return handshake(request, credentials=credentials)

    def receive(self, request: WebhookRequest, *, channel: str, credentials: dict[str, Any]) -> WebhookResult:
        entries = webhook_payload(
            request,
            app_secret=credentials.get("app_secret"),
            network=self.network_name,
            expected_object=self.expected_object,
        )
        return type(self).parse(channel, entries, credentials).result()
