"""Raw payload retention: old network payloads are blanked in batches; the messages stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lara.core.jobs import PERIODIC_JOBS
from lara.mentions.models import DeadLetter, Message
from lara.mentions.retention import raw_payloads_purge

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _message(org: dict[str, Any], n: int, age_days: int) -> Message:
    return Message.objects.create(
        channel=org["x"],
        external_id=f"r-{n}",
        kind="post",
        text=f"message {n}",
        author_external_id="a",
        created_at=NOW - timedelta(days=age_days),
        received_at=NOW - timedelta(days=age_days),
        raw={"id": n, "user": {"screen_name": "dana"}},
    )


def test_payloads_older_than_the_retention_are_blanked_in_batches(org: dict[str, Any], caplog: Any) -> None:
    old = [_message(org, n, age_days=91 + n) for n in range(5)]
    recent = _message(org, 99, age_days=89)
    DeadLetter.objects.create(
        channel=org["x"], source="poll", payload={"x": 1}, error="bad", created_at=NOW - timedelta(days=100)
    )
    fresh_letter = DeadLetter.objects.create(
        channel=org["x"], source="poll", payload={"x": 2}, error="bad", created_at=NOW
    )
    caplog.set_level("INFO", logger="lara.mentions.retention")

    report = raw_payloads_purge(days=90, now=NOW, batch_size=2)

    assert (report.messages, report.dead_letters) == (5, 1)
    assert [m.raw for m in Message.objects.filter(pk__in=[m.pk for m in old])] == [{}] * 5
    assert [m.text for m in Message.objects.filter(pk__in=[m.pk for m in old]).order_by("pk")] == [
        f"message {n}" for n in range(5)
    ]
    recent.refresh_from_db()
    fresh_letter.refresh_from_db()
    assert recent.raw == {"id": 99, "user": {"screen_name": "dana"}}
    assert fresh_letter.payload == {"x": 2}
    assert "raw payload retention (90 days): blanked 5 messages and 1 dead letters" in caplog.text
    assert raw_payloads_purge(days=90, now=NOW) == type(report)(0, 0)  # a second run finds nothing


def test_zero_days_keeps_everything(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_RAW_RETENTION_DAYS = 0
    message = _message(org, 1, age_days=4000)

    report = raw_payloads_purge(now=NOW)

    message.refresh_from_db()
    assert (report.messages, report.dead_letters, message.raw["id"]) == (0, 0, 1)


def test_the_purge_is_a_periodic_job() -> None:
    assert PERIODIC_JOBS["lara.mentions.retention.raw_payloads_purge_task"] == 6 * 3600
