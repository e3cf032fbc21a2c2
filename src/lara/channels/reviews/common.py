"""Build review messages and call review-site APIs the same way for every site.

A review is a public message of kind ``review`` whose text starts with its
stars ("★★☆☆☆ …") so the rating is visible wherever the text is shown, and
whose ``raw["rating"]`` (1–5) is what rules and reports read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from lara.channels.base import Author, ChannelError, InboundMessage

TIMEOUT = 20.0


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


def review_message(
    *,
    channel: str,
    external_id: str,
    rating: int,
    text: str,
    created_at: datetime,
    author_id: str,
    author_name: str,
    url: str = "",
    title: str = "",
    site: str,
    raw: dict[str, Any] | None = None,
) -> InboundMessage:
    """One review as an InboundMessage; a rating outside 1–5 is a ValueError."""
    if not 1 <= rating <= 5:
        raise ValueError(f"rating must be 1 to 5, not {rating}")
    body = "\n\n".join(part for part in (title.strip(), text.strip()) if part)
    return InboundMessage(
        channel=channel,
        external_id=external_id,
        kind="review",
        text=f"{stars(rating)} {body}".strip(),
        created_at=created_at,
        author=Author(external_id=author_id, name=author_name),
        url=url,
        public=True,
        raw={**(raw or {}), "rating": rating, "site": site},
        subject=title.strip(),
    )


def refusal(site: str, response: httpx.Response) -> ChannelError:
    """Say what the site answered: 401 (and Google's 403) mean the token, 429 carries the wait."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            detail = str(error.get("message") or error.get("description") or error.get("code") or "")
        elif error:
            detail = str(body.get("error_description") or error)
        detail = detail or str(body.get("message") or body.get("details") or "")
    detail = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
    if status == 401:
        return ChannelError(f"{site} refused the token ({detail})", auth=True)
    if status == 429:
        wait = response.headers.get("Retry-After") or "60"
        return ChannelError(
            f"{site} rate limit ({detail})", retry_after=float(wait) if wait.isdigit() else 60.0
        )
    if status == 403:
        return ChannelError(f"{site} refused: permission missing ({detail})", auth=True)
    return ChannelError(f"{site} refused ({detail})", permanent=400 <= status < 500)


def call(site: str, method: str, url: str, **kwargs: Any) -> Any:
    """Make one request; answer the JSON body (None when empty) or raise a ChannelError."""
    try:
        response = httpx.request(method, url, timeout=TIMEOUT, **kwargs)
    except httpx.HTTPError as exc:
        raise ChannelError(f"{site} unreachable: {exc}") from exc
    if response.status_code >= 300:
        raise refusal(site, response)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise ChannelError(f"{site} answered something other than JSON") from exc
