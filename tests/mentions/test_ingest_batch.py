"""A batch is stored in one transaction with exactly the outcome of ingesting one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError
from django.test.utils import CaptureQueriesContext

from lara.channels.base import Attachment as InboundAttachment
from lara.channels.base import Author, InboundMessage
from lara.core.models import Job
from lara.mentions import batch
from lara.mentions.batch import message_ingest_batch, message_ingest_many
from lara.mentions.models import Attachment, Message, MonitoringQuery
from lara.mentions.services import IngestResult, Outcome, message_ingest

from ..factories import inbound

WHEN = datetime(2026, 11, 20, 9, 14, tzinfo=UTC)


def _message(external_id: str, text: str = "Where can I buy the Volta City?", **extra: Any) -> InboundMessage:
    return InboundMessage(
        channel=extra.pop("channel", "x"),
        external_id=external_id,
        kind=extra.pop("kind", "post"),
        text=text,
        created_at=WHEN,
        author=Author(external_id=extra.pop("author_id", f"author-{external_id}"), handle="@rider"),
        **extra,
    )


def _outcomes(results: list[IngestResult]) -> list[tuple[str, int | None, str]]:
    return [(r.outcome.value, r.message_id, r.reason) for r in results]


def test_a_batch_stores_each_new_message_with_its_processing_job(org: dict[str, Any]) -> None:
    results = message_ingest_batch(messages=[_message("b-1"), _message("b-2"), _message("b-3")])

    stored = dict(Message.objects.values_list("external_id", "pk"))
    assert _outcomes(results) == [
        ("created", stored["b-1"], ""),
        ("created", stored["b-2"], ""),
        ("created", stored["b-3"], ""),
    ]
    assert sorted(Job.objects.values_list("task", "args")) == sorted(
        ("lara.cases.tasks.process_message_task", [pk]) for pk in stored.values()
    )
    message = Message.objects.get(external_id="b-2")
    assert (message.channel.slug, message.kind, message.text, message.author_handle, message.created_at) == (
        "x",
        "post",
        "Where can I buy the Volta City?",
        "@rider",
        WHEN,
    )
    assert (message.conversation_key, message.stage, message.direction) == ("b-2", "received", "in")


def test_duplicates_in_the_batch_and_in_the_store_are_reported_exactly(org: dict[str, Any]) -> None:
    earlier = message_ingest(message=_message("old-1"))

    results = message_ingest_batch(
        messages=[
            _message("new-1"),
            _message("old-1", "edited?"),
            _message("new-1", "again"),
            _message("new-2"),
        ]
    )

    new_1 = Message.objects.get(external_id="new-1").pk
    new_2 = Message.objects.get(external_id="new-2").pk
    assert _outcomes(results) == [
        ("created", new_1, ""),
        ("duplicate", earlier.message_id, ""),
        ("duplicate", new_1, ""),
        ("created", new_2, ""),
    ]
    assert Message.objects.count() == 3
    assert Message.objects.get(external_id="new-1").text == "Where can I buy the Volta City?"
    assert Job.objects.count() == 3


def test_unknown_and_disabled_channels_are_rejected_in_place(org: dict[str, Any]) -> None:
    org["api"].enabled = False
    org["api"].save()

    results = message_ingest_batch(
        messages=[_message("a", channel="nope"), _message("b"), _message("c", channel="api")]
    )

    assert _outcomes(results) == [
        ("rejected", None, "unknown channel 'nope'"),
        ("created", Message.objects.get(external_id="b").pk, ""),
        ("rejected", None, "channel 'api' is disabled"),
    ]


def test_a_reply_joins_the_conversation_of_a_parent_stored_earlier_in_the_batch(org: dict[str, Any]) -> None:
    message_ingest(message=_message("root-1", thread_key="thread-9"))

    message_ingest_batch(
        messages=[
            _message("c-1", kind="comment", in_reply_to="root-1"),
            _message("p-2", thread_key="thread-7"),
            _message("c-2", kind="comment", in_reply_to="p-2"),
            _message("c-3", kind="comment", in_reply_to="never-seen"),
            _message("dm-1", kind="direct", author_id="u-5"),
        ]
    )

    assert dict(Message.objects.values_list("external_id", "conversation_key")) == {
        "root-1": "thread-9",
        "c-1": "thread-9",
        "p-2": "thread-7",
        "c-2": "thread-7",
        "c-3": "never-seen",
        "dm-1": "dm:u-5",
    }


def test_attachments_and_monitoring_queries_are_kept_as_one_by_one(org: dict[str, Any]) -> None:
    refunds = MonitoringQuery.objects.create(name="Refunds", query="refund")
    launch = MonitoringQuery.objects.create(name="Launch", query="launch")
    pdf = InboundAttachment("invoice.pdf", "application/pdf", b"%PDF-1.7")

    message_ingest_batch(
        messages=[
            _message("q-1", "Where is my refund?", attachments=(pdf,)),
            _message("q-2", "Nice scooter", query_ids=(launch.pk, 999_999)),
            _message("q-3", "Hello there"),
        ]
    )

    linked = {m.external_id: sorted(q.name for q in m.queries.all()) for m in Message.objects.all()}
    assert linked == {"q-1": ["Refunds"], "q-2": ["Launch"], "q-3": []}
    assert refunds.messages.count() == 1
    assert list(Attachment.objects.values_list("message__external_id", "filename", "size", "data")) == [
        ("q-1", "invoice.pdf", 8, b"%PDF-1.7")
    ]


def test_a_batch_of_500_costs_a_handful_of_queries(
    org: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    messages = [_message(f"bulk-{i}") for i in range(500)]

    with django_assert_max_num_queries(12):
        results = message_ingest_batch(messages=messages)

    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert Message.objects.count() == 500
    assert Job.objects.count() == 500


def test_a_concurrent_duplicate_falls_back_to_one_by_one(
    org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another delivery commits "race-2" between our look-up and our INSERT: the constraint fires."""
    other = message_ingest(message=_message("race-2", "the other delivery's copy"))
    real_lookup = batch._lookup

    def lookup_before_the_other_commit(keys: set[tuple[int, str]], field_name: str) -> dict[Any, Any]:
        return {k: v for k, v in real_lookup(keys, field_name).items() if k[1] != "race-2"}

    monkeypatch.setattr(batch, "_lookup", lookup_before_the_other_commit)

    results = message_ingest_batch(messages=[_message("race-1"), _message("race-2"), _message("race-3")])

    stored = dict(Message.objects.values_list("external_id", "pk"))
    assert _outcomes(results) == [
        ("created", stored["race-1"], ""),
        ("duplicate", other.message_id, ""),
        ("created", stored["race-3"], ""),
    ]
    assert Message.objects.get(external_id="race-2").text == "the other delivery's copy"
    assert Job.objects.count() == 3


def test_the_unique_constraint_still_guards_the_batch_insert(org: dict[str, Any]) -> None:
    from lara.core.bulk import rows_insert

    message_ingest(message=_message("guarded"))
    row = {"channel_id": org["x"].pk, "external_id": "guarded", "kind": "post", "text": "t"}
    row |= {"author_external_id": "a", "created_at": WHEN}

    with pytest.raises(IntegrityError):
        rows_insert(Message, [row])


def test_json_items_keep_their_order_with_rejections_between(org: dict[str, Any]) -> None:
    results = message_ingest_many(
        items=[inbound(external_id="j-1"), "not an object", inbound(external_id="j-1"), inbound(kind="tweet")]
    )

    first = Message.objects.get(external_id="j-1").pk
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.REJECTED,
        Outcome.DUPLICATE,
        Outcome.REJECTED,
    ]
    assert (results[0].message_id, results[2].message_id) == (first, first)
    assert results[1].reason == "expected a JSON object, got str"


def test_embedded_workers_are_woken_once_the_batch_commits(
    org: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from lara.core import jobs

    jobs.wakeup.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message_ingest_batch(messages=[_message("w-1"), _message("w-2")])

    assert jobs.wakeup.is_set()
    assert len(callbacks) == 2  # the jobs' hand-off and the live pages' bell


def test_in_the_scaled_mode_each_job_is_handed_to_celery(
    org: dict[str, Any],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from lara.core import tasks

    handed: list[tuple[int, ...]] = []
    monkeypatch.setattr(tasks.run_job_task, "apply_async", lambda args, **kw: handed.append(args))
    settings.LARA_EMBEDDED = False

    with django_capture_on_commit_callbacks(execute=True):
        message_ingest_batch(messages=[_message("s-1"), _message("s-2")])

    assert sorted(handed) == sorted((pk,) for pk in Job.objects.values_list("pk", flat=True))
    assert len(handed) == 2


def test_query_count_is_independent_of_batch_size(org: dict[str, Any]) -> None:
    from django.db import connection

    with CaptureQueriesContext(connection) as small:
        message_ingest_batch(messages=[_message(f"s-{i}") for i in range(5)])
    with CaptureQueriesContext(connection) as large:
        message_ingest_batch(messages=[_message(f"l-{i}") for i in range(400)])

    assert len(large.captured_queries) == len(small.captured_queries)
