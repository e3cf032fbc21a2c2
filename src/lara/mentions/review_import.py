"""Import reviews from any site's export (CSV or JSON) into a review channel, row by row.

Parsing and validation live with the review network
(``lara.channels.reviews.importer``, no database), reached through the
registry like every network; this service stores each valid row through
``message_ingest``, so a file imported twice adds nothing and every row's
fate is reported: created, duplicate, or rejected with its row number and
reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from lara.channels.base import InboundMessage
from lara.channels.models import Channel
from lara.channels.registry import adapter_for

from .services import Outcome, message_ingest


@runtime_checkable
class RowImporter(Protocol):
    def import_rows(
        self,
        *,
        channel: str,
        data: bytes,
        format: Literal["csv", "json"],
    ) -> list[tuple[int, InboundMessage | str]]: ...


@dataclass(frozen=True)
class RowResult:
    row: int
    outcome: Outcome
    reason: str = ""
    message_id: int | None = None


def reviews_import(
    *,
    channel_slug: str,
    data: bytes,
    format: Literal["csv", "json"],
) -> list[RowResult]:
    """Store every valid row of ``data`` as a review; raise ValueError for an unusable file or channel."""
    channel = Channel.objects.filter(slug=channel_slug).first()
    if channel is None:
        raise ValueError(f"no channel {channel_slug!r}")
    adapter: object = adapter_for(channel.network) if channel.network == "reviews" else None
    if not isinstance(adapter, RowImporter):
        raise ValueError(f"channel {channel_slug!r} is a {channel.network} channel, not a review site")
    results = []
    for number, parsed in adapter.import_rows(channel=channel.slug, data=data, format=format):
        if isinstance(parsed, str):
            results.append(RowResult(number, Outcome.REJECTED, parsed))
            continue
        stored = message_ingest(message=parsed)
        results.append(RowResult(number, stored.outcome, stored.reason, stored.message_id))
    return results
