"""Yelp Fusion reviews: read only, and only excerpts.

Yelp's API gives at most three review excerpts per business (about 160
characters each, newest first) and has no way to answer: a reply raises
the permanent "answer on the site" error with the review's link, which the
Act side turns into a task. The cursor is the ids already read, since three
excerpts with second-resolution times can share a timestamp.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from lara.channels.base import ChannelError, InboundMessage, OutboundReply, PollResult

from .common import call, review_message

SITE = "Yelp"
API = "https://api.yelp.com"
PACIFIC = ZoneInfo("America/Los_Angeles")  # Yelp gives time_created in Pacific time, without an offset
KEEP_SEEN = 100


class User(BaseModel):
    id: str
    name: str


class Review(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    url: str
    text: str
    rating: int
    time_created: datetime
    user: User


def parse(channel: str, item: dict[str, Any]) -> InboundMessage:
    review = Review.model_validate(item)
    created = review.time_created
    return review_message(
        channel=channel,
        external_id=review.id,
        rating=review.rating,
        text=review.text,
        created_at=created if created.tzinfo else created.replace(tzinfo=PACIFIC),
        author_id=review.user.id,
        author_name=review.user.name,
        url=review.url.split("?", 1)[0] + f"?hrid={review.id}",
        site="yelp",
        raw={"excerpt": True},
    )


def poll(
    *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
) -> PollResult:
    business = config.get("business_id")
    if not business or not credentials.get("api_key"):
        raise ChannelError("this Yelp channel needs its business_id and an api_key", permanent=True)
    url = f"{(config.get('api_base') or API).rstrip('/')}/v3/businesses/{business}/reviews"
    headers = {"Authorization": f"Bearer {credentials['api_key']}"}
    answer = call(SITE, "GET", url, headers=headers, params={"sort_by": "newest", "limit": 3}) or {}
    seen = list(state.get("seen") or [])
    items = [r for r in answer.get("reviews") or [] if isinstance(r, dict) and r.get("id") not in seen]
    messages, rejected = [], []
    for item in items:
        try:
            messages.append(parse(channel, item))
        except (ValidationError, ValueError) as exc:
            rejected.append(({**item, "_site": "yelp"}, f"not a Yelp review: {exc}"))
    seen = [*(str(i.get("id")) for i in items), *seen][:KEEP_SEEN]
    return PollResult(messages=tuple(messages), state={"seen": seen}, rejected=tuple(rejected))


def send(reply: OutboundReply, credentials: dict[str, Any]) -> Any:
    business = reply.config.get("business_id") or ""
    link = f"https://www.yelp.com/biz/{business}?hrid={reply.in_reply_to or ''}"
    raise ChannelError(f"Yelp takes no replies through its API; answer on the site: {link}", permanent=True)


def check(*, config: dict[str, Any], credentials: dict[str, Any]) -> str:
    business = config.get("business_id")
    if not business or not credentials.get("api_key"):
        raise ChannelError("this Yelp channel needs its business_id and an api_key", permanent=True)
    url = f"{(config.get('api_base') or API).rstrip('/')}/v3/businesses/{business}"
    found = call(SITE, "GET", url, headers={"Authorization": f"Bearer {credentials['api_key']}"}) or {}
    return f"connected to Yelp business {found.get('name') or business} (read only: 3 review excerpts)"
