"""Trustpilot service reviews: read with the API key, answer privately-authenticated as a business user.

Reviews are read newest first (``orderBy=createdat.desc``) from the public
business-unit endpoint; the cursor is the newest ``createdAt`` seen. A
reply is posted to ``/v1/private/reviews/{id}/reply`` with a business
user's OAuth token and id (``business_user_id``), as Trustpilot requires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from lara.channels.base import ChannelError, InboundMessage, OutboundReply, PollResult, SendResult

from .common import call, review_message

SITE = "Trustpilot"
API = "https://api.trustpilot.com"
WEB = "https://www.trustpilot.com/reviews/"
PER_PAGE = 100
MAX_PAGES = 5


class Consumer(BaseModel):
    id: str
    displayName: str


class Review(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    consumer: Consumer
    stars: int
    title: str = ""
    text: str = ""
    language: str | None = None
    createdAt: datetime


def parse(channel: str, item: dict[str, Any]) -> InboundMessage:
    review = Review.model_validate(item)
    return review_message(
        channel=channel,
        external_id=review.id,
        rating=review.stars,
        text=review.text,
        title=review.title or "",
        created_at=review.createdAt,
        author_id=review.consumer.id,
        author_name=review.consumer.displayName,
        url=WEB + review.id,
        site="trustpilot",
        raw={"language": review.language, "replied": bool(item.get("companyReply"))},
    )


def _unit(config: dict[str, Any]) -> str:
    unit = config.get("business_unit_id")
    if not unit:
        raise ChannelError("this Trustpilot channel needs its business_unit_id", permanent=True)
    return str(unit)


def _key(credentials: dict[str, Any]) -> dict[str, str]:
    if not credentials.get("api_key"):
        raise ChannelError("this Trustpilot channel needs its api_key", permanent=True)
    return {"apikey": str(credentials["api_key"])}


def poll(
    *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
) -> PollResult:
    url = f"{(config.get('api_base') or API).rstrip('/')}/v1/business-units/{_unit(config)}/reviews"
    since = str(state.get("created_at") or "")
    items: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        params = {"orderBy": "createdat.desc", "perPage": PER_PAGE, "page": page}
        answer = call(SITE, "GET", url, headers=_key(credentials), params=params) or {}
        reviews = [r for r in answer.get("reviews") or [] if isinstance(r, dict)]
        fresh = [r for r in reviews if str(r.get("createdAt") or "") > since]
        items += fresh
        if not since or len(fresh) < len(reviews) or len(reviews) < PER_PAGE:
            break  # the first poll reads one page, not the whole history
    messages, rejected = [], []
    for item in items:
        try:
            messages.append(parse(channel, item))
        except (ValidationError, ValueError) as exc:
            rejected.append(({**item, "_site": "trustpilot"}, f"not a Trustpilot review: {exc}"))
    newest = max([since, *(str(i.get("createdAt") or "") for i in items)])
    return PollResult(
        messages=tuple(messages), state={"created_at": newest} if newest else {}, rejected=tuple(rejected)
    )


def send(reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
    config = reply.config
    token, user = credentials.get("access_token"), config.get("business_user_id")
    if not token or not user:
        raise ChannelError(
            "Trustpilot replies need a business user's access_token and the business_user_id; "
            f"answer on the site: {WEB}{reply.in_reply_to}",
            permanent=True,
        )
    if not reply.in_reply_to:
        raise ChannelError("no Trustpilot review to answer", permanent=True)
    url = f"{(config.get('api_base') or API).rstrip('/')}/v1/private/reviews/{reply.in_reply_to}/reply"
    body = {"authorBusinessUserId": str(user), "message": reply.text}
    call(SITE, "POST", url, headers={"Authorization": f"Bearer {token}"}, json=body)
    return SendResult(external_id=f"{reply.in_reply_to}:reply", url=WEB + reply.in_reply_to)


def check(*, config: dict[str, Any], credentials: dict[str, Any]) -> str:
    url = f"{(config.get('api_base') or API).rstrip('/')}/v1/business-units/{_unit(config)}/reviews"
    call(SITE, "GET", url, headers=_key(credentials), params={"perPage": 1})
    replies = (
        "with replies" if credentials.get("access_token") and config.get("business_user_id") else "read only"
    )
    return f"connected to Trustpilot business unit {_unit(config)} ({replies})"
