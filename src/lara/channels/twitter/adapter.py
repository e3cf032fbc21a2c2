"""Hear and answer customers on X: API v2 polling, Account Activity webhooks, replies and DMs.

tweepy's ``Client`` does the HTTP (OAuth 1.0a user context, or a bearer token
for reads). Polling reads the account's mentions timeline and one recent
search per monitoring query, each with its own ``since_id``; a backlog longer
than ``max_pages`` pages is finished on the next polls with the saved
``next_token`` before ``since_id`` moves, so a busy hour is read late rather
than skipped. Webhooks (Account Activity API) are verified with the consumer
secret's HMAC before anything is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import requests
import tweepy

from lara.channels.base import (
    ChannelError,
    HandshakeResponse,
    InboundMessage,
    OutboundReply,
    PollResult,
    SendResult,
    WebhookRejected,
    WebhookRequest,
    WebhookResult,
)
from lara.channels.query_syntax import matches, network_exact, twitter_query

from .parsing import (
    dm_event_sender,
    dm_to_message,
    legacy_tweet_to_message,
    tweet_to_message,
    weighted_length,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
TWEET_LIMIT = 280
DM_LIMIT = 10_000
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5
EXPANSIONS = ["author_id"]
USER_FIELDS = ["public_metrics", "verified"]
TWEET_FIELDS = ["created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "note_tweet"]
#: X's problem types that mean the app or token lacks a permission (an admin must act).
PERMISSION_PROBLEMS = ("oauth1-permissions", "client-not-enrolled", "unsupported-authentication")

Fetch = Callable[[dict[str, Any]], dict[str, Any]]


def twitter_client(credentials: dict[str, Any]) -> tweepy.Client:
    """Build the tweepy client; raw dicts come back so dead-lettered items replay exactly."""
    user_keys = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    if not all(credentials.get(k) for k in user_keys) and not credentials.get("bearer_token"):
        raise ChannelError(
            "this X channel needs consumer_key, consumer_secret, access_token and access_token_secret",
            permanent=True,
        )
    return tweepy.Client(
        bearer_token=credentials.get("bearer_token"),
        consumer_key=credentials.get("consumer_key"),
        consumer_secret=credentials.get("consumer_secret"),
        access_token=credentials.get("access_token"),
        access_token_secret=credentials.get("access_token_secret"),
        return_type=dict,
    )


def _writer(credentials: dict[str, Any]) -> tweepy.Client:
    """A client acting as the brand's account: posting and /2/users/me need the user token."""
    if not _user_auth(credentials) or not credentials.get("consumer_secret"):
        raise ChannelError(
            "acting as the X account needs consumer_key, consumer_secret, access_token and "
            "access_token_secret (a bearer token can only read)",
            permanent=True,
        )
    return twitter_client(credentials)


def _user_auth(credentials: dict[str, Any]) -> bool:
    """Read with the account's own token when there is one; the bearer token is the fallback."""
    return bool(credentials.get("access_token") and credentials.get("access_token_secret"))


def _problem(exc: tweepy.HTTPException) -> str:
    try:
        body = exc.response.json()
    except ValueError:
        return ""
    return str(body.get("type") or "") if isinstance(body, dict) else ""


def _error(exc: Exception) -> ChannelError:
    """Map tweepy's failures to what the outbox and the channel page need to know."""
    if isinstance(exc, tweepy.TooManyRequests):
        wait = max(1.0, float(exc.reset_time - time.time())) if exc.reset_time else None
        return ChannelError(f"X rate limit reached: {exc}", retry_after=wait)
    if isinstance(exc, tweepy.Unauthorized):
        return ChannelError(f"X refused the credentials (token revoked or expired): {exc}", auth=True)
    if isinstance(exc, tweepy.Forbidden):
        text = str(exc)
        if "duplicate content" in text.lower():
            return ChannelError(f"X refused a duplicate post: {exc}", permanent=True)
        problem = _problem(exc)
        if any(p in problem for p in PERMISSION_PROBLEMS) or "permission" in text.lower():
            name = problem.rsplit("/", 1)[-1] or "permission"
            return ChannelError(f"X denied a permission ({name}): {exc}", auth=True)
        return ChannelError(f"X refused: {exc}", permanent=True)
    if isinstance(exc, tweepy.BadRequest | tweepy.NotFound):
        return ChannelError(f"X rejected the request: {exc}", permanent=True)
    if isinstance(exc, tweepy.TwitterServerError):
        return ChannelError(f"X is failing: {exc}")
    if isinstance(exc, requests.RequestException):
        return ChannelError(f"X unreachable: {exc.__class__.__name__}")
    return ChannelError(f"X error: {exc}")


def signature(secret: str, body: bytes) -> str:
    """X's webhook signature: ``sha256=`` + base64 HMAC-SHA256 keyed with the consumer secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def _read(
    fetch: Fetch, cursor: dict[str, Any], max_pages: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Page one stream (mentions or a search) from its cursor; return items and the next cursor.

    Items are ``{"tweet", "author"}`` pairs. On a first read (no since_id)
    only the newest pages are taken: Lara starts listening now, not at the
    start of the account's history.
    """
    since_id, token, newest = cursor.get("since_id"), cursor.get("next_token"), cursor.get("newest_id")
    items: list[dict[str, Any]] = []
    for _ in range(max_pages):
        params: dict[str, Any] = {"since_id": since_id, "pagination_token": token}
        page = fetch({k: v for k, v in params.items() if v})
        users = {u["id"]: u for u in (page.get("includes") or {}).get("users", []) if "id" in u}
        for tweet in page.get("data") or []:
            items.append({"tweet": tweet, "author": users.get(str(tweet.get("author_id")))})
        meta = page.get("meta") or {}
        newest = newest or meta.get("newest_id")
        token = meta.get("next_token")
        if not token:
            break
    if token and since_id:  # more left since the last poll: finish it next time before moving on
        return items, {"since_id": since_id, "next_token": token, "newest_id": newest}
    return items, {"since_id": newest or since_id} if (newest or since_id) else {}


def search_query(query: str, languages: list[str]) -> str:
    """The monitoring query in X's search syntax, limited to its languages, without retweets.

    Raises ValueError for a malformed query (``twitter_query`` translates Lara's syntax).
    """
    text = f"({twitter_query(query)}) -is:retweet"
    if len(languages) == 1:
        return f"{text} lang:{languages[0]}"
    if languages:
        return f"{text} (" + " OR ".join(f"lang:{code}" for code in languages) + ")"
    return text


def _searcher(client: tweepy.Client, text: str, fields: dict[str, Any]) -> Fetch:
    def fetch(page: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = client.search_recent_tweets(text, **fields, **page)
        return answer

    return fetch


def _matches_item(channel: str, query: str, item: dict[str, Any]) -> bool:
    """Whether a search hit matches the whole query; an unparseable hit is kept for the dead letters."""
    try:
        return matches(query, tweet_to_message(channel, item).text)
    except ValueError:
        return True


class TwitterAdapter:
    network = "twitter"
    credential_fields = (
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
        "bearer_token",
    )
    config_fields = ("user_id", "max_pages")
    field_help = {
        "consumer_key": "API key of the X app (developer portal → Keys and tokens)",
        "consumer_secret": "API key secret; also signs Account Activity webhooks (CRC and deliveries)",
        "access_token": "the brand account's access token (read and write, with direct messages)",
        "access_token_secret": "the brand account's access token secret",
        "bearer_token": "optional app-only bearer token, used for reading when no user token is given",
        "user_id": "numeric id of the brand account; looked up with GET /2/users/me when empty",
        "max_pages": "pages of 100 read per stream and poll (default 5)",
    }

    # --- polling -------------------------------------------------------------------------------

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        client = twitter_client(credentials)
        user_auth = _user_auth(credentials)
        max_pages = _max_pages(config)
        fields: dict[str, Any] = {
            "max_results": PAGE_SIZE,
            "expansions": EXPANSIONS,
            "user_fields": USER_FIELDS,
            "tweet_fields": TWEET_FIELDS,
            "user_auth": user_auth,
        }
        try:
            user_id = str(config.get("user_id") or state.get("user_id") or "")
            if not user_id:
                if not user_auth:
                    raise ChannelError(
                        "reading with a bearer token alone needs the account's user_id", permanent=True
                    )
                user_id = str(self._me(client)["id"])
            mentions, mentions_cursor = _read(
                lambda p: client.get_users_mentions(user_id, **fields, **p),
                state.get("mentions") or {},
                max_pages,
            )
            found: list[tuple[dict[str, Any], tuple[int, ...]]] = [(item, ()) for item in mentions]
            cursors: dict[str, Any] = {}
            old = state.get("queries") or {}
            for query in config.get("queries") or []:
                try:
                    search = search_query(query["query"], list(query.get("languages") or []))
                except ValueError as exc:  # refused when saved; one bad query must not stop the channel
                    log.warning("X query %s skipped: %s", query.get("id"), exc)
                    cursors[str(query["id"])] = old.get(str(query["id"])) or {}
                    continue
                items, cursors[str(query["id"])] = _read(
                    _searcher(client, search, fields), old.get(str(query["id"])) or {}, max_pages
                )
                if not network_exact(query["query"]):  # NEAR/n went out as AND: check it here
                    items = [i for i in items if _matches_item(channel, query["query"], i)]
                found += [(item, (int(query["id"]),)) for item in items]
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise _error(exc) from exc
        messages, rejected = self._parse(channel, user_id, found)
        state = {"user_id": user_id, "mentions": mentions_cursor, "queries": cursors}
        return PollResult(messages=messages, state=state, rejected=rejected)

    def _parse(
        self, channel: str, user_id: str, found: list[tuple[dict[str, Any], tuple[int, ...]]]
    ) -> tuple[tuple[InboundMessage, ...], tuple[tuple[dict[str, Any], str], ...]]:
        """Parse each item once; a tweet found by several streams carries all their query ids."""
        by_id: dict[str, InboundMessage] = {}
        rejected: list[tuple[dict[str, Any], str]] = []
        for item, query_ids in found:
            tweet = item.get("tweet") or {}
            if str(tweet.get("author_id")) == user_id:
                continue  # our own posts are stored as outbound replies, not heard as mentions
            try:
                message = tweet_to_message(channel, item, query_ids=query_ids)
            except ValueError as exc:
                rejected.append((item, str(exc)))
                continue
            seen = by_id.get(message.external_id)
            if seen is not None:
                ids = tuple(sorted(set(seen.query_ids) | set(query_ids)))
                message = tweet_to_message(channel, item, query_ids=ids)
            by_id[message.external_id] = message
        return tuple(by_id.values()), tuple(rejected)

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        return tweet_to_message(channel, item)

    # --- webhooks (Account Activity API) -------------------------------------------------------

    def handshake(self, request: WebhookRequest, *, credentials: dict[str, Any]) -> HandshakeResponse:
        """Answer X's challenge-response check (CRC) with the consumer secret's HMAC of the token."""
        secret = credentials.get("consumer_secret")
        if not secret:
            return HandshakeResponse(403, "this X channel has no consumer_secret to answer the CRC with")
        token = request.query.get("crc_token")
        if not token:
            return HandshakeResponse(400, "crc_token missing")
        body = json.dumps({"response_token": signature(secret, token.encode())})
        return HandshakeResponse(200, body, content_type="application/json")

    def receive(self, request: WebhookRequest, *, channel: str, credentials: dict[str, Any]) -> WebhookResult:
        secret = credentials.get("consumer_secret")
        if not secret:
            raise WebhookRejected("this X channel has no consumer_secret configured", status=403)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given or not hmac.compare_digest(given, signature(secret, request.body)):
            raise WebhookRejected("x-twitter-webhooks-signature missing or wrong", status=403)
        try:
            data = json.loads(request.body)
        except ValueError as exc:
            raise WebhookRejected(f"not an Account Activity delivery: {exc}") from exc
        if not isinstance(data, dict):
            raise WebhookRejected("not an Account Activity delivery: the body is not an object")
        ours = str(data.get("for_user_id") or "")
        messages: list[InboundMessage] = []
        rejected: list[tuple[int, str]] = []
        for index, event in enumerate(data.get("tweet_create_events") or []):
            skip = _skip_tweet(event, ours)
            if skip:
                log.info("X channel %s skipped tweet %s: %s", channel, event.get("id_str"), skip)
                continue
            try:
                messages.append(legacy_tweet_to_message(channel, event))
            except ValueError as exc:
                rejected.append((index, f"tweet_create_events[{index}]: {exc}"))
        users = data.get("users") or {}
        for index, event in enumerate(data.get("direct_message_events") or []):
            sender = dm_event_sender(event)
            if sender is None or sender == ours:
                why = "sent by our own account" if sender else f"event type {event.get('type')!r}"
                log.info("X channel %s skipped direct message %s: %s", channel, event.get("id"), why)
                continue
            try:
                messages.append(dm_to_message(channel, event, users))
            except ValueError as exc:
                rejected.append((index, f"direct_message_events[{index}]: {exc}"))
        return WebhookResult(messages=tuple(messages), rejected=tuple(rejected))

    # --- outbound ------------------------------------------------------------------------------

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        direct = reply.kind == "direct" or not reply.public
        limit = DM_LIMIT if direct else TWEET_LIMIT
        length = weighted_length(reply.text) if not direct else len(reply.text)
        if length > limit:
            where = "a direct message" if direct else "a post"
            raise ChannelError(
                f"X allows {limit} characters in {where}; this reply has {length}", permanent=True
            )
        client = _writer(credentials)
        try:
            if direct:
                if not reply.recipient_external_id:
                    raise ChannelError("no X account to send the direct message to", permanent=True)
                sent = client.create_direct_message(
                    participant_id=reply.recipient_external_id, text=reply.text
                )
                return SendResult(external_id=str(sent["data"]["dm_event_id"]))
            if not reply.in_reply_to:
                raise ChannelError("no X post to reply to", permanent=True)
            posted = client.create_tweet(text=reply.text, in_reply_to_tweet_id=reply.in_reply_to)
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise _error(exc) from exc
        tweet_id = str(posted["data"]["id"])
        return SendResult(external_id=tweet_id, url=f"https://x.com/i/web/status/{tweet_id}")

    # --- test connection -----------------------------------------------------------------------

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        try:
            me = self._me(_writer(credentials))
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise _error(exc) from exc
        return f"connected as @{me['username']} (id {me['id']})"

    @staticmethod
    def _me(client: tweepy.Client) -> dict[str, Any]:
        answer: dict[str, Any] = client.get_me(user_fields=["username"])
        return dict(answer["data"])


def _skip_tweet(event: dict[str, Any], ours: str) -> str:
    """Why a tweet event is not a customer's message, or "" when it is one."""
    author = str((event.get("user") or {}).get("id_str") or "")
    if ours and author == ours:
        return "written by our own account"
    if event.get("retweeted_status"):
        return "a retweet carries no words of its own"
    return ""


def _max_pages(config: dict[str, Any]) -> int:
    """The page cap from the channel settings (the settings form stores text)."""
    raw = config.get("max_pages") or DEFAULT_MAX_PAGES
    try:
        pages = int(raw)
    except (TypeError, ValueError):
        raise ChannelError(f"max_pages must be a whole number, not {raw!r}", permanent=True) from None
    if pages < 1:
        raise ChannelError(f"max_pages must be at least 1, not {pages}", permanent=True)
    return pages
