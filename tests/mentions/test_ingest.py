"""Ingest stores each message once per channel and external id, and says why it rejects."""

from __future__ import annotations

from typing import Any

from lara.core.models import Job
from lara.mentions.models import Message, Stage
from lara.mentions.services import Outcome, message_ingest_json

from ..factories import inbound


def test_new_message_is_stored_with_its_processing_job(org: dict[str, Any]) -> None:
    result = message_ingest_json(data=inbound(external_id="1001"))

    assert result.outcome is Outcome.CREATED
    message = Message.objects.get()
    assert (message.channel.slug, message.external_id, message.stage) == ("x", "1001", Stage.RECEIVED)
    assert list(Job.objects.values_list("task", "args")) == [
        ("lara.cases.tasks.process_message_task", [message.pk])
    ]


def test_second_delivery_is_a_duplicate_and_adds_nothing(org: dict[str, Any]) -> None:
    first = message_ingest_json(data=inbound(external_id="1001"))
    second = message_ingest_json(data=inbound(external_id="1001", text="edited"))

    assert second.outcome is Outcome.DUPLICATE
    assert second.message_id == first.message_id
    assert Message.objects.count() == 1
    assert Job.objects.count() == 1
    assert Message.objects.get().text == "Where can I buy the Volta City?"


def test_same_external_id_on_another_channel_is_another_message(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="1001"))
    result = message_ingest_json(data=inbound(channel="api", external_id="1001"))

    assert result.outcome is Outcome.CREATED
    assert Message.objects.count() == 2


def test_unknown_channel_is_rejected(org: dict[str, Any]) -> None:
    result = message_ingest_json(data=inbound(channel="nope"))

    assert (result.outcome, result.reason) == (Outcome.REJECTED, "unknown channel 'nope'")
    assert Message.objects.count() == 0


def test_disabled_channel_is_rejected(org: dict[str, Any]) -> None:
    org["x"].enabled = False
    org["x"].save()

    result = message_ingest_json(data=inbound())

    assert (result.outcome, result.reason) == (Outcome.REJECTED, "channel 'x' is disabled")


def test_invalid_fields_are_rejected_with_the_field_named(org: dict[str, Any]) -> None:
    bad = inbound(kind="tweet", author={"external_id": ""})

    result = message_ingest_json(data=bad)

    assert result.outcome is Outcome.REJECTED
    assert (
        "kind: Input should be 'post', 'comment', 'reply', 'direct', 'review', 'email' or 'chat'"
        in result.reason
    )
    assert "author.external_id: String should have at least 1 character" in result.reason


def test_naive_timestamp_is_rejected(org: dict[str, Any]) -> None:
    result = message_ingest_json(data=inbound(created_at="2026-11-20T09:14:00"))

    assert result.outcome is Outcome.REJECTED
    assert "created_at needs a time zone" in result.reason


def test_non_object_is_rejected(org: dict[str, Any]) -> None:
    assert message_ingest_json(data=["not", "an", "object"]).reason == "expected a JSON object, got list"


def test_replies_and_direct_messages_share_a_conversation(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="p1", author={"external_id": "dana"}))
    message_ingest_json(data=inbound(external_id="r1", kind="reply", in_reply_to="p1"))
    message_ingest_json(
        data=inbound(external_id="d1", kind="direct", public=False, author={"external_id": "u9"})
    )
    message_ingest_json(
        data=inbound(external_id="d2", kind="direct", public=False, author={"external_id": "u9"})
    )

    keys = dict(Message.objects.values_list("external_id", "conversation_key"))
    assert keys == {"p1": "p1", "r1": "p1", "d1": "dm:u9", "d2": "dm:u9"}
