"""Out of hours, one honest automatic acknowledgement per conversation, in the customer's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from lara.cases.acknowledge import auto_reply_text, case_acknowledge_out_of_hours
from lara.cases.business_hours import Calendar
from lara.cases.models import Case, CaseEvent, Reply
from lara.core.jobs import jobs_run_pending
from lara.core.models import Job
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import inbound
from .helpers import BERLIN_HOURS, open_case

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY = datetime(2026, 11, 21, 11, 0, tzinfo=BERLIN)
calendar = Calendar.from_json(BERLIN_HOURS)
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def _enable(channel: Any, **auto_reply: Any) -> Any:
    channel.business_hours = {**BERLIN_HOURS, "auto_reply": {"enabled": True, **auto_reply}}
    channel.save()
    return channel


def test_the_text_says_when_in_the_customers_language() -> None:
    def text(lang: str) -> str:
        return auto_reply_text(calendar=calendar, opens_at=MONDAY_9, language=lang, reference="LR-1001")

    assert text("en") == (
        "Thank you for your message. Our team is away right now and will answer from "
        "Monday 23 November, 09:00 (Europe/Berlin). Your reference is LR-1001."
    )
    assert "Понедельник 23 ноября, 09:00 (Europe/Berlin)" in text("ru")
    assert "Понеділок 23 листопада, 09:00" in text("uk")
    assert "23 נובמבר, 09:00" in text("he")
    assert text("fr") == text("en")


def test_a_channel_may_word_it_itself_and_unknown_placeholders_stay() -> None:
    overrides = {"en": "Back {when} {tz}!", "he": "נחזור {when}"}

    english = auto_reply_text(
        calendar=calendar, opens_at=MONDAY_9, language="en", reference="LR-1", overrides=overrides
    )
    russian = auto_reply_text(
        calendar=calendar, opens_at=MONDAY_9, language="ru", reference="LR-1", overrides=overrides
    )

    assert english == "Back Monday 23 November, 09:00 {tz}!"
    assert russian.startswith("Спасибо за сообщение.")


def test_a_closed_channel_acknowledges_once_without_counting_as_a_response(org: dict[str, Any]) -> None:
    channel = _enable(org["x"])
    case = open_case(channel, at=SATURDAY, language="ru")
    message = Message.objects.get(case_link__case=case)

    reply = case_acknowledge_out_of_hours(case=case, message=message, now=SATURDAY + timedelta(minutes=1))
    again = case_acknowledge_out_of_hours(case=case, message=message, now=SATURDAY + timedelta(minutes=2))

    assert reply is not None and again is None
    assert (reply.automatic, reply.author, reply.in_reply_to, reply.status) == (True, None, message, "queued")
    assert reply.text.startswith("Спасибо за сообщение.")
    assert "Понедельник 23 ноября, 09:00 (Europe/Berlin)" in reply.text
    assert case.reference in reply.text
    event = CaseEvent.objects.get(case=case, kind="reply_queued")
    assert (event.data["automatic"], event.data["opens_at"]) == (True, "2026-11-23T08:00:00+00:00")
    assert Job.objects.filter(task="lara.cases.tasks.send_reply_task", args=[reply.pk]).count() == 1
    case.refresh_from_db()
    assert (case.status, case.first_response_at) == ("new", None)


def test_no_acknowledgement_when_open_disabled_or_the_message_is_old(org: dict[str, Any]) -> None:
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    open_channel_case = open_case(_enable(org["x"]), at=monday_10)
    old_case = open_case(org["x"], at=SATURDAY)
    disabled = open_case(org["email"], at=SATURDAY)
    org["email"].business_hours = {**BERLIN_HOURS, "auto_reply": {"enabled": False}}
    org["email"].save()

    def ack(case: Case, now: datetime) -> Reply | None:
        return case_acknowledge_out_of_hours(case=case, message=case.case_messages.get().message, now=now)

    assert ack(open_channel_case, monday_10) is None
    assert ack(old_case, SATURDAY + timedelta(hours=2)) is None
    assert ack(disabled, SATURDAY) is None
    assert Reply.objects.count() == 0


def test_the_pipeline_acknowledges_a_new_conversation_once(org: dict[str, Any]) -> None:
    """Given a channel closed all of today, a complaint and a follow-up get one acknowledgement."""
    today = timezone.now().astimezone(UTC).date()
    org["x"].business_hours = {
        "time_zone": "UTC",
        "weekly": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        "holidays": [today.isoformat()],
        "auto_reply": {"enabled": True},
    }
    org["x"].save()
    now = timezone.now().isoformat()
    message_ingest_json(data=inbound(external_id="p1", text="It is broken, refund", created_at=now))
    jobs_run_pending()
    message_ingest_json(
        data=inbound(external_id="r1", kind="reply", in_reply_to="p1", text="hello?", created_at=now)
    )
    jobs_run_pending()

    reply = Reply.objects.get()
    tomorrow = today + timedelta(days=1)
    assert reply.automatic is True
    assert f"from {tomorrow:%A} {tomorrow.day} {tomorrow:%B}, 00:00 (UTC)" in reply.text
    assert reply.status == "failed"  # X has no outbound connector yet: visible on the case
    assert Case.objects.get().events.filter(kind="reply_failed").count() == 1
