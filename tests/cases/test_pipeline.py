"""The loop end to end: a stored message is analyzed, related and routed exactly once."""

from __future__ import annotations

from typing import Any

from lara.analysis.models import Analysis
from lara.cases.models import Case, CaseEvent, RoutingDecision
from lara.core.jobs import jobs_recover_after_restart, jobs_run_pending
from lara.core.models import Job, JobStatus
from lara.customers.models import Customer, SocialProfile
from lara.mentions.models import Message, Stage
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def test_a_complaint_becomes_a_case_for_customer_service(org: dict[str, Any]) -> None:
    message_ingest_json(
        data=inbound(text="My battery is broken after a week", author={"external_id": "dana"})
    )

    jobs_run_pending()

    case = Case.objects.get()
    assert (case.team, case.priority, case.status, case.language) == (org["service"], "P2", "new", "en")
    assert case.reference == f"LR-{1000 + case.pk}"
    assert case.assignee in (org["alice"], org["lena"])
    assert Message.objects.get().stage == Stage.ROUTED
    assert Analysis.objects.get().model_version == "fake-1"
    decision = RoutingDecision.objects.get()
    assert [r["name"] for r in decision.rules] == ["Customer service: questions and complaints"]
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["created", "message_in", "routed", "assigned"]


def test_purchase_intent_goes_to_sales_and_to_the_agent_who_reads_the_language(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="Скільки коштує Volta Cargo? Хочу buy"))

    jobs_run_pending()

    case = Case.objects.get()
    assert (case.team, case.assignee, case.language, case.tags) == (org["sales"], org["bob"], "uk", ["lead"])


def test_a_neutral_public_mention_stays_in_the_stream_without_a_case(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="Rode past the Volta shop today"))

    jobs_run_pending()

    message = Message.objects.get()
    assert (message.stage, message.needs_action) == (Stage.ROUTED, False)
    assert Case.objects.count() == 0
    assert RoutingDecision.objects.get().created_case is False


def test_spam_is_marked_and_opens_no_case(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="Free crypto airdrop?? click here"))

    jobs_run_pending()

    assert Message.objects.get().is_spam is True
    assert Case.objects.count() == 0


def test_safety_words_go_to_pr_as_p1(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="The brakes failed on the downhill"))

    jobs_run_pending()

    case = Case.objects.get()
    assert (case.team.slug, case.priority) == ("pr", "P1")


def test_a_reply_in_the_thread_joins_the_open_case(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(external_id="p1", text="Refund please, it is broken"))
    jobs_run_pending()
    message_ingest_json(data=inbound(external_id="r1", kind="reply", in_reply_to="p1", text="anyone?"))

    jobs_run_pending()

    case = Case.objects.get()
    assert list(case.case_messages.values_list("message__external_id", flat=True).order_by("pk")) == [
        "p1",
        "r1",
    ]
    assert RoutingDecision.objects.count() == 1


def test_the_same_author_is_one_customer_and_email_links_networks(org: dict[str, Any]) -> None:
    dana = {"external_id": "dana-x", "name": "Dana Levi"}
    message_ingest_json(data=inbound(text="Broken again", author=dana))
    message_ingest_json(data=inbound(text="Still broken", author=dana))
    message_ingest_json(
        data=inbound(
            channel="email",
            kind="email",
            external_id="<a@b>",
            text="Refund?",
            author={"external_id": "dana@example.org", "email": "Dana@Example.org"},
        )
    )
    message_ingest_json(
        data=inbound(channel="api", text="hello?", author={"external_id": "d2", "email": "dana@example.org"})
    )
    jobs_run_pending()

    assert SocialProfile.objects.count() == 3
    assert Customer.objects.count() == 2
    email_customer = SocialProfile.objects.get(network="email").customer
    assert SocialProfile.objects.get(network="api").customer == email_customer
    assert email_customer.emails == ["dana@example.org"]


def test_a_crash_between_steps_resumes_and_never_doubles_a_case(org: dict[str, Any]) -> None:
    """Given a process killed after analysis, when it restarts, routing finishes once."""
    message_ingest_json(data=inbound(text="It is broken"))
    from lara.analysis.services import message_analyze

    message = Message.objects.get()
    message_analyze(message_id=message.pk)
    Job.objects.update(status=JobStatus.RUNNING)  # the worker died holding the job

    assert jobs_run_pending() == 0
    assert jobs_recover_after_restart() == 1
    assert jobs_run_pending() == 2  # the pipeline, then the new author's identity suggestions

    assert Message.objects.get().stage == Stage.ROUTED
    assert Case.objects.count() == 1
    assert Analysis.objects.count() == 1
    assert Job.objects.get(task="lara.cases.tasks.process_message_task").status == JobStatus.DONE


def test_running_the_same_job_twice_changes_nothing(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="It is broken"))
    jobs_run_pending()
    message = Message.objects.get()
    from lara.cases.pipeline import message_process

    message_process(message_id=message.pk)

    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(kind="message_in").count() == 1


def test_a_backlog_is_processed_as_one_batch_with_the_same_outcome_as_one_by_one(org: dict[str, Any]) -> None:
    """Given a post, a reply in its thread and a stranger's complaint queued together, one batch runs all.

    The batch analyses the three at once, then relates and routes them in
    order: the reply joins the case its post opened in the same batch.
    """
    message_ingest_json(data=inbound(external_id="p1", text="Refund please, it is broken"))
    message_ingest_json(data=inbound(external_id="r1", kind="reply", in_reply_to="p1", text="anyone?"))
    message_ingest_json(
        data=inbound(external_id="p2", text="Battery broken after a week", author={"external_id": "eli"})
    )
    from lara.core.jobs import jobs_run_batch

    queued = Job.objects.filter(task="lara.cases.tasks.process_message_task")
    processing = list(queued.values_list("pk", flat=True))

    assert jobs_run_batch(processing) == 3

    assert set(Message.objects.values_list("stage", flat=True)) == {Stage.ROUTED}
    assert Analysis.objects.count() == 3
    first, second = Case.objects.order_by("pk")
    assert list(first.case_messages.values_list("message__external_id", flat=True).order_by("pk")) == [
        "p1",
        "r1",
    ]
    assert list(second.case_messages.values_list("message__external_id", flat=True)) == ["p2"]
    assert RoutingDecision.objects.count() == 2
    assert set(Job.objects.filter(pk__in=processing).values_list("status", flat=True)) == {JobStatus.DONE}
