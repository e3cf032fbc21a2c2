"""One network key, ``reviews``, for every review site; ``config["site"]`` picks the site.

``google`` (Business Profile, owner replies), ``trustpilot`` (replies as a
business user) and ``yelp`` (three excerpts, no replies) are polled; any
other site is imported from its CSV/JSON export (``lara import-reviews``,
see ``importer.py`` and ``lara.mentions.review_import``), and a channel with
``site = "import"`` is never polled. Whether a reply can go through the
API depends on the site: ``can_reply`` says so, and ``send`` raises the
permanent "answer on the site: <url>" error otherwise.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Literal

from lara.channels.base import ChannelError, InboundMessage, OutboundReply, PollResult, SendResult

from . import google, trustpilot, yelp
from .importer import ReviewRow, row_to_message, rows_parse

SITES: dict[str, ModuleType] = {"google": google, "trustpilot": trustpilot, "yelp": yelp}


def _site(config: dict[str, Any]) -> ModuleType | None:
    name = str(config.get("site") or "")
    if name == "import":
        return None
    if name not in SITES:
        raise ChannelError(
            f"this review channel's site is {name!r}: choose google, trustpilot, yelp or import",
            permanent=True,
        )
    return SITES[name]


class ReviewsAdapter:
    network = "reviews"
    outbound = True  # for google and trustpilot; see can_reply
    credential_fields = ("refresh_token", "client_id", "client_secret", "api_key", "access_token")
    config_fields = (
        "site",
        "account_id",
        "location_id",
        "review_url",
        "business_unit_id",
        "business_user_id",
        "business_id",
    )
    field_help = {
        "site": "google, trustpilot, yelp, or import (any other site, from its CSV/JSON export)",
        "refresh_token": "google: an OAuth refresh token with the business.manage scope",
        "client_id": "google: the OAuth client the refresh token was issued to",
        "client_secret": "google: that OAuth client's secret",
        "api_key": "trustpilot: the application's API key; yelp: the Fusion API key",
        "access_token": "trustpilot: a business user's OAuth token, needed to post replies",
        "account_id": "google: the Business Profile account number",
        "location_id": "google: the location number whose reviews to read",
        "review_url": "google: the place's public reviews link, shown on each review",
        "business_unit_id": "trustpilot: the business unit id (from Business → Settings)",
        "business_user_id": "trustpilot: the business user replies are posted as",
        "business_id": "yelp: the business id or alias, e.g. volta-bikes-san-francisco",
    }

    def can_reply(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> bool:
        """Google and Trustpilot take owner replies; Yelp and imported sites are answered on the site."""
        site = str(config.get("site") or "")
        if site == "google":
            return bool(credentials.get("refresh_token") or credentials.get("access_token"))
        if site == "trustpilot":
            return bool(credentials.get("access_token") and config.get("business_user_id"))
        return False

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        site = _site(config)
        if site is None:  # imported from files only
            return PollResult(messages=(), state=state)
        result: PollResult = site.poll(channel=channel, config=config, credentials=credentials, state=state)
        return result

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        name = str(item.get("_site") or "import")
        if name == "import":
            return row_to_message(channel, ReviewRow.model_validate(item))
        message: InboundMessage = SITES[name].parse(channel, {k: v for k, v in item.items() if k != "_site"})
        return message

    def import_rows(
        self,
        *,
        channel: str,
        data: bytes,
        format: Literal["csv", "json"],
    ) -> list[tuple[int, InboundMessage | str]]:
        """Parse an export into (row number, message or the reason it was refused); ValueError for a bad file.

        Exposed on the adapter so the import service reaches it through the
        registry (the core never imports a network).
        """
        parsed: list[tuple[int, InboundMessage | str]] = []
        for number, row in rows_parse(data, format):
            parsed.append((number, row if isinstance(row, str) else row_to_message(channel, row)))
        return parsed

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        site = _site(reply.config)
        if site is None:
            raise ChannelError(
                "this review site takes no replies through its API; answer on the site: "
                f"{reply.config.get('review_url') or 'the review page'}",
                permanent=True,
            )
        result: SendResult = site.send(reply, credentials)
        return result

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        site = _site(config)
        if site is None:
            return "imported from files: lara import-reviews FILE --channel <slug>"
        answer: str = site.check(config=config, credentials=credentials)
        return answer
