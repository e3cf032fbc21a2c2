"""Edits update the stored message and keep the earlier text in its history; deletions mark it deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from lara.analysis.models import Analysis
from lara.analysis.services import analyzer
from lara.cases.models import Case, CaseMessage, CaseStatus
from lara.channels.models import Channel
from lara.channels.webhook.adapter import sign
from lara.core.jobs import jobs_run_pending
from lara.core.models import Job
from lara.mentions.batch import message_ingest_many
from lara.mentions.models import Message, MessageRevision, Stage
from lara.mentions.services import Outcome, message_ingest_json

from ..factories import ChannelFactory, inbound

FIRST = "My battery is broken after a week"
EDITED = "My battery is broken after a week, and the charger too"


def _revisions() -> list[tuple[str, str, str, str, str]]:
    return [
        (r.message.external_id, r.event, r.previous_text, r.previous_subject, r.happened_at.isoformat())
        for r in MessageRevision.objects.select_related("message")
    ]


def test_an_edit_updates_the_text_and_keeps_the_earlier_version(org: dict[str, Any]) -> None:
    created = message_ingest_json(data=inbound(external_id="e-1", text=FIRST))

    edit = inbound(
        external_id="e-1", text=EDITED, event="edit", created_at="2026-11-20T09:20:00+00:00", raw={"v": 2}
    )
    result = message_ingest_json(data=edit)

    assert (result.outcome, result.message_id) == (Outcome.UPDATED, created.message_id)
    message = Message.objects.get()
    assert (message.text, message.edited_at, message.deleted_at) == (
        EDITED,
        datetime(2026, 11, 20, 9, 20, tzinfo=UTC),
        None,
    )
    assert message.raw == {}  # the original delivery's payload stays; the edit's is on the revision
    assert _revisions() == [("e-1", "edit", FIRST, "", "2026-11-20T09:20:00+00:00")]
    assert MessageRevision.objects.get().raw == {"v": 2}


def test_the_same_edit_delivered_twice_adds_one_revision(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="e-2", text=FIRST))
    edit = inbound(external_id="e-2", text=EDITED, event="edit", created_at="2026-11-20T09:20:00+00:00")

    first = message_ingest_json(data=edit)
    again = message_ingest_json(data=edit)
    older = message_ingest_json(data={**edit, "text": "an older edit arriving late"})

    assert [first.outcome, again.outcome, older.outcome] == [
        Outcome.UPDATED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
    ]
    assert MessageRevision.objects.count() == 1
    assert Message.objects.get().text == EDITED


def test_a_second_edit_keeps_both_earlier_versions(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="e-3", text="one"))
    message_ingest_json(
        data=inbound(external_id="e-3", text="two", event="edit", created_at="2026-11-20T10:00:00+00:00")
    )
    message_ingest_json(
        data=inbound(external_id="e-3", text="three", event="edit", created_at="2026-11-20T11:00:00+00:00")
    )

    assert [(r[1], r[2]) for r in _revisions()] == [("edit", "one"), ("edit", "two")]
    assert Message.objects.get().text == "three"


def test_an_edit_of_an_unknown_message_stores_it_as_new(org: dict[str, Any]) -> None:
    result = message_ingest_json(data=inbound(external_id="e-4", text=EDITED, event="edit"))

    assert result.outcome is Outcome.CREATED
    message = Message.objects.get()
    assert (message.text, message.edited_at) == (EDITED, None)
    assert MessageRevision.objects.count() == 0
    assert Job.objects.filter(task="lara.cases.tasks.process_message_task").count() == 1


def test_a_deletion_marks_the_message_and_removes_nothing(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="d-1", text=FIRST, author={"external_id": "dana"}))
    jobs_run_pending()
    analysis_id = Analysis.objects.get().pk

    delete = inbound(external_id="d-1", text="", event="delete", created_at="2026-11-21T08:00:00+00:00")
    first = message_ingest_json(data=delete)
    again = message_ingest_json(data=delete)

    assert [first.outcome, again.outcome] == [Outcome.UPDATED, Outcome.DUPLICATE]
    message = Message.objects.get()
    assert (message.text, message.deleted_at) == (FIRST, datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    assert Analysis.objects.get().pk == analysis_id
    assert CaseMessage.objects.filter(case=Case.objects.get()).count() == 1
    assert _revisions() == [("d-1", "delete", FIRST, "", "2026-11-21T08:00:00+00:00")]


def test_deleting_a_message_never_stored_is_rejected_with_the_reason(org: dict[str, Any]) -> None:
    result = message_ingest_json(data=inbound(external_id="nope-1", text="", event="delete"))

    assert (result.outcome, result.reason) == (
        Outcome.REJECTED,
        "nothing to delete: message 'nope-1' was never stored",
    )
    assert Message.objects.count() == 0


def test_an_edit_on_an_open_case_is_told_to_the_case_and_analysed_again(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="c-1", text=FIRST, author={"external_id": "dana"}))
    jobs_run_pending()
    case = Case.objects.get()
    new_text = "Thanks, all good now, the shop fixed my battery"

    message_ingest_json(
        data=inbound(external_id="c-1", text=new_text, event="edit", created_at="2026-11-20T12:00:00+00:00")
    )
    assert list(Job.objects.filter(status="queued").values_list("task", flat=True)) == [
        "lara.cases.tasks.reanalyze_message_task"
    ]
    jobs_run_pending()

    edited = case.events.get(kind="message_edited")
    assert (edited.reason, edited.message_id) == ("the customer edited the message", Message.objects.get().pk)
    expected = analyzer().analyze([new_text])[0]
    analysis = Analysis.objects.get()
    assert (analysis.sentiment, analysis.type) == (expected.sentiment, expected.type)
    assert Message.objects.get().stage == Stage.ROUTED
    assert Case.objects.count() == 1


def test_an_edit_on_a_closed_case_changes_the_message_only(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="c-2", text=FIRST, author={"external_id": "dana"}))
    jobs_run_pending()
    Case.objects.update(status=CaseStatus.CLOSED)
    analysis_id = Analysis.objects.get().pk

    message_ingest_json(
        data=inbound(external_id="c-2", text=EDITED, event="edit", created_at="2026-11-20T12:00:00+00:00")
    )

    assert Job.objects.filter(status="queued").count() == 0
    assert not Case.objects.get().events.filter(kind="message_edited").exists()
    assert Analysis.objects.get().pk == analysis_id
    assert Message.objects.get().text == EDITED


def test_a_batch_applies_edits_in_order_between_new_messages(org: dict[str, Any]) -> None:
    results = message_ingest_many(
        items=[
            inbound(external_id="b-1", text="one"),
            inbound(external_id="b-1", text="two", event="edit", created_at="2026-11-20T10:00:00+00:00"),
            inbound(external_id="b-2", text="hello"),
            inbound(external_id="b-2", text="", event="delete"),
        ]
    )

    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.CREATED,
        Outcome.UPDATED,
    ]
    assert dict(Message.objects.values_list("external_id", "text")) == {"b-1": "two", "b-2": "hello"}
    assert Message.objects.get(external_id="b-2").deleted_at is not None


def test_an_unknown_event_is_refused_by_the_schema(org: dict[str, Any]) -> None:
    result = message_ingest_json(data=inbound(event="retweet"))

    assert result.outcome is Outcome.REJECTED
    assert "event: Input should be 'message', 'edit' or 'delete'" in result.reason


@pytest.fixture
def shop(org: dict[str, Any]) -> Channel:
    channel = ChannelFactory(slug="shop", network="webhook", name="Shop tickets")
    channel.credentials = {"secret": "whsec-7c1f"}
    channel.save()
    return channel


def test_a_signed_webhook_delivers_an_edit_and_a_deletion(shop: Channel) -> None:
    def deliver(items: list[dict[str, Any]]) -> Any:
        body = json.dumps(items).encode()
        headers = {"X-Lara-Signature": sign("whsec-7c1f", body)}
        return Client().post("/hooks/shop", data=body, content_type="application/json", headers=headers)

    deliver([inbound(external_id="t-1", text="Order 5521 is late"), inbound(external_id="t-2", text="Hi")])
    response = deliver(
        [
            inbound(external_id="t-1", text="Order 5521 is late, 3 days", event="edit"),
            inbound(external_id="t-2", text="", event="delete"),
        ]
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicate"], body["rejected"], body["updated"]) == (0, 0, 0, 2)
    assert [r["status"] for r in body["results"]] == ["updated", "updated"]
    assert Message.objects.get(external_id="t-1").text == "Order 5521 is late, 3 days"
    assert Message.objects.get(external_id="t-2").deleted_at is not None


def test_the_stream_and_the_case_page_show_edited_and_deleted(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="u-1", text=FIRST, author={"external_id": "dana"}))
    message_ingest_json(data=inbound(external_id="u-2", text="Rode past the Volta shop today"))
    jobs_run_pending()
    message_ingest_json(
        data=inbound(external_id="u-1", text=EDITED, event="edit", created_at="2026-11-20T12:00:00+00:00")
    )
    message_ingest_json(data=inbound(external_id="u-2", text="", event="delete"))
    jobs_run_pending()
    client = Client()
    client.force_login(org["alice"])

    stream = client.get("/mentions/", headers={"HX-Request": "true"}).content.decode()
    case_page = client.get(f"/cases/{Case.objects.get().reference}/").content.decode()

    assert stream.count('<span class="chip edited"') == 1
    assert stream.count('<span class="chip deleted"') == 1
    assert case_page.count('<span class="chip edited"') == 1
    assert '<details class="revisions"><summary>Earlier versions</summary>' in case_page
    earlier = case_page.split('<details class="revisions">')[1].split("</details>")[0]
    assert f'<p class="text" dir="auto">{FIRST}</p>' in earlier
    assert EDITED not in earlier
