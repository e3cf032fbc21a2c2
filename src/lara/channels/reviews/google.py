"""Google Business Profile reviews: read newest first with pageToken, answer with the owner reply.

The v4 reviews API is not in Google's discovery bundle, so it is called
over httpx with an OAuth bearer token (scope ``business.manage``); a
refresh token is exchanged for an access token on each poll. Reviews come
ordered by ``updateTime desc``; the cursor is the newest ``updateTime``
seen, so paging stops at the first review already read. A review edited
later comes back with a new ``updateTime`` but the same id: ingest keeps
the first version (a duplicate), never two messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from lara.channels.base import ChannelError, InboundMessage, OutboundReply, PollResult, SendResult

from .common import call, review_message

SITE = "Google Business Profile"
API = "https://mybusiness.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address, not a secret
RATINGS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
MAX_PAGES = 10


class Reviewer(BaseModel):
    displayName: str = "A Google user"
    isAnonymous: bool = False


class Review(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    reviewId: str
    reviewer: Reviewer = Reviewer()
    starRating: str
    comment: str = ""
    createTime: datetime
    updateTime: datetime


def _location(config: dict[str, Any]) -> str:
    account, location = config.get("account_id"), config.get("location_id")
    if not account or not location:
        raise ChannelError("this Google reviews channel needs its account_id and location_id", permanent=True)
    return f"accounts/{account}/locations/{location}"


def _reviews_url(config: dict[str, Any]) -> str:
    return f"{(config.get('api_base') or API).rstrip('/')}/v4/{_location(config)}/reviews"


def _token(config: dict[str, Any], credentials: dict[str, Any]) -> str:
    if credentials.get("refresh_token"):
        answer = call(
            SITE,
            "POST",
            config.get("token_url") or TOKEN_URL,
            data={
                "grant_type": "refresh_token",
                "refresh_token": credentials["refresh_token"],
                "client_id": credentials.get("client_id", ""),
                "client_secret": credentials.get("client_secret", ""),
            },
        )
        return str(answer["access_token"])
    if credentials.get("access_token"):
        return str(credentials["access_token"])
    raise ChannelError(
        "this Google reviews channel needs a refresh_token (with client_id and client_secret)", permanent=True
    )


def _headers(config: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
    try:
        return {"Authorization": f"Bearer {_token(config, credentials)}"}
    except ChannelError as exc:
        if "invalid_grant" in str(exc) or "HTTP 400" in str(exc):
            raise ChannelError(f"Google refused the refresh token: {exc}", auth=True) from exc
        raise


def parse(channel: str, item: dict[str, Any], review_url: str = "") -> InboundMessage:
    review = Review.model_validate(item)
    rating = RATINGS.get(review.starRating)
    if rating is None:
        raise ValueError(f"starRating {review.starRating!r} is not ONE to FIVE")
    return review_message(
        channel=channel,
        external_id=review.reviewId,
        rating=rating,
        text=review.comment,
        created_at=review.createTime,
        author_id=review.reviewer.displayName,
        author_name=review.reviewer.displayName,
        url=review_url,
        site="google",
        raw={"star_rating": review.starRating, "name": review.name, "replied": "reviewReply" in item},
    )


def poll(
    *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
) -> PollResult:
    base = _reviews_url(config)
    headers = _headers(config, credentials)
    since = str(state.get("update_time") or "")
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"pageSize": 50, "orderBy": "updateTime desc"}
    for _ in range(MAX_PAGES):
        page = call(SITE, "GET", base, headers=headers, params=params) or {}
        reviews = [r for r in page.get("reviews") or [] if isinstance(r, dict)]
        fresh = [r for r in reviews if str(r.get("updateTime") or "") > since]
        items += fresh
        if len(fresh) < len(reviews) or not page.get("nextPageToken"):
            break
        params = {**params, "pageToken": page["nextPageToken"]}
    messages, rejected = [], []
    for item in items:
        try:
            messages.append(parse(channel, item, str(config.get("review_url") or "")))
        except (ValidationError, ValueError) as exc:
            rejected.append(({**item, "_site": "google"}, f"not a Google review: {exc}"))
    newest = max([since, *(str(i.get("updateTime") or "") for i in items)])
    return PollResult(
        messages=tuple(messages), state={"update_time": newest} if newest else {}, rejected=tuple(rejected)
    )


def send(reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
    config = reply.config
    if not reply.in_reply_to:
        raise ChannelError("no Google review to answer", permanent=True)
    url = f"{_reviews_url(config)}/{reply.in_reply_to}/reply"
    call(SITE, "PUT", url, headers=_headers(config, credentials), json={"comment": reply.text})
    return SendResult(external_id=f"{reply.in_reply_to}:reply", url=str(config.get("review_url") or ""))


def check(*, config: dict[str, Any], credentials: dict[str, Any]) -> str:
    base = _reviews_url(config)
    page = call(SITE, "GET", base, headers=_headers(config, credentials), params={"pageSize": 1}) or {}
    return f"connected to {_location(config)}: {page.get('totalReviewCount', 0)} reviews"
