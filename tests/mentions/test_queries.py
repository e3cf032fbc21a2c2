"""Monitoring queries: one small syntax, matched on every stored message whichever way it came."""

from __future__ import annotations

from typing import Any

import pytest

from lara.channels.base import Attachment, Author, InboundMessage
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.queries import query_matches, query_parse
from lara.mentions.services import message_ingest


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("volta kick", "My Kick from Volta is great", True),  # all words, any order
        ("volta kick", "Volta is great", False),
        ('"volta kick"', "My Kick from Volta", False),  # a phrase keeps its order
        ('"volta kick"', "The Volta Kick rocks", True),
        ("refund OR chargeback", "I want a CHARGEBACK now", True),
        ("volta -job", "Volta is hiring, job ad", False),
        ("volta -job", "Volta scooter", True),
        ("#voltakick", "Loving it #VoltaKick", True),
        ("#voltakick", "voltakick without the tag", False),
        ("вольт", "Купил Вольты вчера", True),  # inflected Russian by word prefix
        ("וולטה", "קניתי בוולטה אופניים", True),  # a Hebrew prefix letter before the word
        ("volta", "revoltage", False),  # a word prefix, not any substring
    ],
)
def test_query_syntax(query: str, text: str, expected: bool) -> None:
    assert query_matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ('"volta kick', "the query has an unbalanced quote"),
        ("", "the query is empty"),
        ("-job", "a part of the query only excludes words"),
    ],
)
def test_malformed_queries_say_why(query: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        query_parse(query)


def _message(text: str, **extra: Any) -> InboundMessage:
    from datetime import UTC, datetime

    return InboundMessage(
        channel="email",
        external_id=f"<{abs(hash(text))}@mail.example>",
        kind="email",
        text=text,
        created_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        author=Author(external_id="rivka@example.com", name="Rivka", email="rivka@example.com"),
        public=False,
        **extra,
    )


def test_pushed_messages_are_matched_and_searched_ones_keep_their_query(org: dict[str, Any]) -> None:
    refunds = MonitoringQuery.objects.create(name="Refunds", query="refund OR chargeback")
    launch = MonitoringQuery.objects.create(name="Launch", query='"volta kick"')
    MonitoringQuery.objects.create(name="Off", query="refund", enabled=False)

    matched = message_ingest(message=_message("Where is my refund?", subject="Order 5521"))
    found = message_ingest(message=_message("Nice scooter", query_ids=(launch.pk,)))
    neither = message_ingest(message=_message("Hello there"))

    assert list(Message.objects.get(pk=matched.message_id).queries.all()) == [refunds]
    assert list(Message.objects.get(pk=found.message_id).queries.all()) == [launch]
    assert Message.objects.get(pk=neither.message_id).queries.count() == 0
    assert Message.objects.get(pk=matched.message_id).subject == "Order 5521"


def test_attachments_are_kept_with_the_message(org: dict[str, Any]) -> None:
    pdf = Attachment(filename="invoice-5521.pdf", content_type="application/pdf", data=b"%PDF-1.7 ...")

    result = message_ingest(message=_message("Invoice attached", attachments=(pdf,)))

    kept = Message.objects.get(pk=result.message_id).attachments.get()
    assert (kept.filename, kept.content_type, kept.size, bytes(kept.data)) == (
        "invoice-5521.pdf",
        "application/pdf",
        12,
        b"%PDF-1.7 ...",
    )
