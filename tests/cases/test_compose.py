"""What happens to a drafted reply: limits, the approval step, networks without replies, saved replies."""

from __future__ import annotations

from typing import Any

import pytest

from lara.cases.approval import ApprovalError, reply_approve, reply_reject
from lara.cases.compose import NoRepliesHere, answer_task_create, channel_takes_replies
from lara.cases.limits import ReplyTooLong, reply_limit
from lara.cases.models import Case, Reply, SavedReply, SlaPolicy
from lara.cases.saved_replies import (
    SavedReplyError,
    saved_reply_list_for,
    saved_reply_render,
    saved_reply_save,
)
from lara.cases.services import reply_create
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile, Job, Notification
from lara.customers.models import Customer
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import ChannelFactory, inbound


def _case(text: str = "It is broken", **more: Any) -> Case:
    message_ingest_json(data=inbound(text=text, **more))
    jobs_run_pending()
    return Message.objects.latest("pk").case_link.case


def _send_jobs() -> int:
    return Job.objects.filter(task="lara.cases.tasks.send_reply_task").count()


# --- 6. character limits ---


def test_the_limits_table_knows_the_networks_and_kinds() -> None:
    assert reply_limit(network="twitter") == 280
    assert reply_limit(network="twitter", kind="direct") == 10_000
    assert reply_limit(network="facebook", kind="comment") == 8_000
    assert reply_limit(network="instagram", kind="comment") == 2_200
    assert [reply_limit(network=n) for n in ("bluesky", "mastodon", "whatsapp", "telegram")] == [
        300,
        500,
        4096,
        4096,
    ]
    assert (reply_limit(network="chat"), reply_limit(network="rss")) == (4000, None)


def test_an_over_long_reply_is_refused_before_it_is_stored(org: dict[str, Any]) -> None:
    case = _case()

    with pytest.raises(ReplyTooLong) as refused:
        reply_create(case=case, author=org["alice"], text="x" * 281)
    reply_create(case=case, author=org["alice"], text="x" * 280)

    assert str(refused.value) == "this reply has 281 characters; twitter takes at most 280 — shorten it by 1"
    assert Reply.objects.count() == 1


# --- 10. networks that take no replies ---


def test_a_feed_takes_no_replies_so_the_draft_becomes_a_task_with_the_link(org: dict[str, Any]) -> None:
    forum = ChannelFactory(slug="forum", network="rss", name="Cycling forum")
    case = _case(channel="forum", url="https://forum.example/t/42", kind="post")
    assert channel_takes_replies(forum) is False
    assert channel_takes_replies(org["x"]) is True

    with pytest.raises(NoRepliesHere, match="Forum / blog feed takes no replies through its API"):
        reply_create(case=case, author=org["alice"], text="Sorry, we will fix it")
    task = answer_task_create(case=case, author=org["alice"], text="Sorry, we will fix it")

    assert not Reply.objects.exists()
    assert (task.title, task.assignee, task.case) == (
        f"Answer {case.reference} on Forum / blog feed",
        org["alice"],
        case,
    )
    assert task.details == (
        "Answer on the site: https://forum.example/t/42\n\nDrafted reply:\nSorry, we will fix it"
    )
    assert case.events.filter(kind="task_created").get().reason == task.title


# --- 7. the approval step ---


def _junior(user: Any) -> None:
    AgentProfile.objects.filter(user=user).update(skills=["needs_approval"])


def test_a_juniors_public_reply_to_a_high_reach_author_waits_for_a_lead(org: dict[str, Any]) -> None:
    _junior(org["alice"])
    case = _case(author={"followers": 48_000})

    reply = reply_create(case=case, author=org["alice"], text="We are so sorry")

    assert reply.status == "awaiting_approval"
    assert reply.approval_reason == "public reply to an author with 48,000 followers (≥ 10,000)"
    assert _send_jobs() == 0
    assert case.events.get(kind="approval_requested").actor == org["alice"]
    assert Notification.objects.get(user=org["lena"]).text == (
        f"{case.reference}: a reply by alice waits for approval "
        "(public reply to an author with 48,000 followers (≥ 10,000))"
    )

    reply_approve(reply=reply, actor=org["lena"])

    reply.refresh_from_db()
    case.refresh_from_db()
    assert (reply.status, reply.reviewed_by) == ("queued", org["lena"])
    assert _send_jobs() == 1
    assert case.status == "pending" and case.first_response_at is not None
    assert list(case.events.values_list("kind", flat=True))[-1] == "reply_approved"


def test_below_the_threshold_or_in_private_the_same_junior_replies_at_once(org: dict[str, Any]) -> None:
    _junior(org["alice"])
    small = _case(author={"followers": 9_999})
    private = _case(author={"followers": 48_000}, kind="direct", public=False)

    assert reply_create(case=small, author=org["alice"], text="Sorry").status == "queued"
    assert reply_create(case=private, author=org["alice"], text="Sorry").status == "queued"


def test_a_public_reply_with_a_blocked_word_waits_whoever_writes_it(
    org: dict[str, Any], settings: Any
) -> None:
    settings.LARA_BLOCKED_WORDS = ["lawsuit", "free bike"]
    case = _case()

    held = reply_create(case=case, author=org["alice"], text="No lawsuit needed, a FREE BIKE is on its way")
    fine = reply_create(case=case, author=org["alice"], text="No lawsuits here")

    assert (held.status, held.approval_reason) == (
        "awaiting_approval",
        "contains blocked words: lawsuit, free bike",
    )
    assert fine.status == "queued"


def test_a_lead_rejects_with_a_reason_the_author_sees(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_BLOCKED_WORDS = ["lawsuit"]
    case = _case()
    reply = reply_create(case=case, author=org["alice"], text="See you at the lawsuit")

    with pytest.raises(ApprovalError, match="say why the reply is rejected"):
        reply_reject(reply=reply, actor=org["lena"], reason="")
    with pytest.raises(ApprovalError, match="only a team lead or an admin"):
        reply_approve(reply=reply, actor=org["bob"])
    reply_reject(reply=reply, actor=org["lena"], reason="never mention lawsuits in public")

    reply.refresh_from_db()
    assert (reply.status, reply.review_reason) == ("rejected", "never mention lawsuits in public")
    assert _send_jobs() == 0
    assert Notification.objects.get(user=org["alice"]).text == (
        f"{case.reference}: your reply was rejected — never mention lawsuits in public"
    )
    assert case.events.get(kind="reply_rejected").reason == "never mention lawsuits in public"
    with pytest.raises(ApprovalError, match="not waiting for approval"):
        reply_approve(reply=reply, actor=org["lena"])


def test_a_lead_may_not_approve_their_own_reply(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_BLOCKED_WORDS = ["lawsuit"]
    reply = reply_create(case=_case(), author=org["lena"], text="lawsuit")

    with pytest.raises(ApprovalError, match="other than its author"):
        reply_approve(reply=reply, actor=org["lena"])


# --- 5. saved replies ---


def test_an_unknown_variable_is_refused_when_the_template_is_saved(org: dict[str, Any]) -> None:
    with pytest.raises(SavedReplyError) as unknown:
        saved_reply_save(
            name="Hi", language="en", text="Hi {frist_name}", team=None, owner=None, actor=org["lena"]
        )
    with pytest.raises(SavedReplyError, match="unbalanced braces"):
        saved_reply_save(
            name="Hi", language="en", text="Hi {first_name", team=None, owner=None, actor=org["lena"]
        )

    assert str(unknown.value) == (
        "unknown variable {frist_name}; use one of {first_name}, {customer_name}, {case_reference}, "
        "{agent_name}, {brand}"
    )
    assert not SavedReply.objects.exists()


def test_a_saved_reply_is_filled_in_with_the_cases_values(org: dict[str, Any]) -> None:
    case = _case()
    Customer.objects.filter(pk=case.customer_id).update(name="Dana Levi")
    case.refresh_from_db()
    org["alice"].first_name, org["alice"].last_name = "Alice", "Green"
    saved = saved_reply_save(
        name="Sorry",
        language="en",
        text="Hi {first_name}, {agent_name} of {brand} here about {case_reference} "
        "for {customer_name}. {{ok}}",
        team=None,
        owner=None,
        actor=org["lena"],
    )

    assert saved_reply_render(saved=saved, case=case, agent=org["alice"]) == (
        f"Hi Dana, Alice Green of volta here about {case.reference} for Dana Levi. {{ok}}"
    )


def test_the_list_puts_the_cases_language_first_and_hides_others_personal_replies(
    org: dict[str, Any],
) -> None:
    def save(name: str, language: str, **more: Any) -> SavedReply:
        args: dict[str, Any] = {"team": None, "owner": None, **more}
        return saved_reply_save(name=name, language=language, text="Hi", actor=org["lena"], **args)

    save("English", "en")
    save("Hebrew", "he")
    save("Mine", "en", owner=org["lena"])
    save("Sales only", "en", team=org["sales"])

    assert [s.name for s in saved_reply_list_for(user=org["alice"], language="he")] == ["Hebrew", "English"]
    assert [s.name for s in saved_reply_list_for(user=org["bob"], language="en")] == [
        "English",
        "Sales only",
        "Hebrew",
    ]
    assert "Mine" in [s.name for s in saved_reply_list_for(user=org["lena"])]


def test_the_demo_has_prs_24_7_crisis_policy_and_saved_replies_in_four_languages(db: Any) -> None:
    from lara.demo.seed import demo_seed

    demo_seed(with_passwords=False)

    crisis = SlaPolicy.objects.get(name="PR P1 crisis (24/7)")
    assert (crisis.team.slug, crisis.priorities, crisis.business_hours_only) == ("pr", ["P1"], False)
    assert sorted(SavedReply.objects.values_list("language", flat=True)) == ["en", "en", "he", "ru", "uk"]
