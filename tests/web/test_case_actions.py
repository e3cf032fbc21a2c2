"""The case page's actions as an agent and a lead use them: forms, CSRF, access, escaped text."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lara.cases.models import Case, CaseNote, Reply, SavedReply, Task
from lara.cases.services import case_assign
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile, Notification
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import ChannelFactory, inbound


def _login(user: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/").cookies["csrftoken"].value
    return client, token


def _case(text: str = "It is broken", **more: Any) -> Case:
    message_ingest_json(data=inbound(text=text, **more))
    jobs_run_pending()
    return Message.objects.latest("pk").case_link.case


def _post(client: Client, token: str, url: str, **data: Any) -> Any:
    return client.post(url, {"csrfmiddlewaretoken": token, **data}, follow=True)


def test_a_note_needs_csrf_and_is_shown_escaped_with_skipped_mentions_explained(org: dict[str, Any]) -> None:
    case = _case()
    client, token = _login(org["alice"])
    url = f"/cases/{case.reference}/note"

    assert client.post(url, {"text": "hi"}).status_code == 403
    page = _post(client, token, url, text="<b>@lena</b> look, @bob too").content.decode()

    assert CaseNote.objects.get().mentioned == ["lena"]
    assert "&lt;b&gt;@lena&lt;/b&gt; look, @bob too" in page
    assert "<b>@lena</b>" not in page
    assert "@bob was not notified: they cannot see this case." in page
    assert Notification.objects.filter(user=org["lena"]).count() == 1


def test_an_agent_of_another_team_cannot_act_on_the_case(org: dict[str, Any]) -> None:
    case = _case()
    client, token = _login(org["bob"])

    for action in ("note", "snooze", "merge", "split", "escalate", "answer-task"):
        response = client.post(
            f"/cases/{case.reference}/{action}", {"csrfmiddlewaretoken": token, "text": "x"}
        )
        assert response.status_code == 404, action
    assert case.events.filter(actor=org["bob"]).count() == 0


def test_snoozing_hides_the_case_from_my_open_and_says_the_sla_keeps_running(org: dict[str, Any]) -> None:
    case = _case()
    assert case.assignee == org["alice"]
    client, token = _login(org["alice"])
    assert case.reference in client.get("/", {"view": "mine"}).content.decode()

    page = _post(client, token, f"/cases/{case.reference}/snooze", hours="4").content.decode()

    case.refresh_from_db()
    assert case.status == "pending" and case.snoozed_until is not None
    assert "Case snoozed. Its SLA clocks keep running." in page
    assert "The SLA clocks keep running while it sleeps." in page
    assert case.reference not in client.get("/", {"view": "mine"}).content.decode()

    _post(client, token, f"/cases/{case.reference}/wake")
    case.refresh_from_db()
    assert (case.status, case.snoozed_until) == ("open", None)
    assert case.reference in client.get("/", {"view": "mine"}).content.decode()


def test_merge_and_split_from_the_case_page(org: dict[str, Any]) -> None:
    a = _case(thread_key="a")
    b = _case("Broken and late", thread_key="b")
    client, token = _login(org["alice"])

    page = _post(
        client, token, f"/cases/{a.reference}/merge", other=b.reference.lower(), reason="same"
    ).content
    assert f"{b.reference} was merged into this case." in page.decode()
    b.refresh_from_db()
    assert b.merged_into == a
    assert (
        f'Merged into <a href="/cases/{a.reference}/">{a.reference}</a>'
        in client.get(f"/cases/{b.reference}/").content.decode()
    )

    moved = Message.objects.get(text="Broken and late")
    response = _post(client, token, f"/cases/{a.reference}/split", message=str(moved.pk), reason="other bike")
    new = Case.objects.latest("pk")
    assert response.redirect_chain[-1][0] == f"/cases/{new.reference}/"
    assert new.linked_from == a
    assert f'Follows <a href="/cases/{a.reference}/">{a.reference}</a>' in response.content.decode()


def test_escalating_to_a_lead_from_the_case_page(org: dict[str, Any]) -> None:
    case = _case()
    client, token = _login(org["alice"])

    refused = _post(client, token, f"/cases/{case.reference}/escalate", to="lead", reason="").content.decode()
    _post(client, token, f"/cases/{case.reference}/escalate", to="lead", reason="angry VIP")

    assert "say why you escalate" in refused
    case.refresh_from_db()
    assert case.assignee == org["lena"]
    assert case.events.get(kind="escalated").reason == "angry VIP"


def test_the_composer_counts_against_the_networks_limit_and_the_server_refuses_more(
    org: dict[str, Any],
) -> None:
    case = _case()
    client, token = _login(org["alice"])

    page = client.get(f"/cases/{case.reference}/").content.decode()
    refused = _post(client, token, f"/cases/{case.reference}/reply", text="y" * 300).content.decode()

    assert 'data-limit="280"' in page
    assert '<output id="reply-count" for="reply-text">0</output> / 280' in page
    assert "this reply has 300 characters; twitter takes at most 280 — shorten it by 20" in refused
    assert not Reply.objects.exists()


def test_a_held_reply_is_approved_by_a_lead_from_the_case_page(org: dict[str, Any]) -> None:
    AgentProfile.objects.filter(user=org["alice"]).update(skills=["needs_approval"])
    case = _case(author={"followers": 20_000})
    assert case.team.slug == "pr"  # a high-reach complaint goes to PR; alice answers it as its assignee
    case_assign(case=case, user=org["alice"])
    alice, alice_token = _login(org["alice"])

    page = _post(alice, alice_token, f"/cases/{case.reference}/reply", text="Sorry!").content.decode()
    reply = Reply.objects.get()
    assert (
        "The reply waits for a lead&#x27;s approval: public reply to an author with 20,000 followers" in page
    )
    assert f"/replies/{reply.pk}/approve" not in page

    lena, lena_token = _login(org["lena"])
    assert (
        f"/cases/{case.reference}/replies/{reply.pk}/approve"
        in lena.get(f"/cases/{case.reference}/").content.decode()
    )
    assert (
        alice.post(
            f"/cases/{case.reference}/replies/{reply.pk}/approve", {"csrfmiddlewaretoken": alice_token}
        ).status_code
        == 302
    )
    assert Reply.objects.get().status == "awaiting_approval"
    _post(lena, lena_token, f"/cases/{case.reference}/replies/{reply.pk}/approve")

    assert Reply.objects.get().status == "queued"


def test_a_rejection_reason_is_shown_to_the_author(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_BLOCKED_WORDS = ["refund"]
    case = _case()
    alice, alice_token = _login(org["alice"])
    _post(alice, alice_token, f"/cases/{case.reference}/reply", text="Full refund <now>")
    reply = Reply.objects.get()
    lena, lena_token = _login(org["lena"])

    _post(
        lena, lena_token, f"/cases/{case.reference}/replies/{reply.pk}/reject", reason="ask <Finance> first"
    )

    page = alice.get(f"/cases/{case.reference}/").content.decode()
    assert "Rejected by lena: ask &lt;Finance&gt; first" in page


def test_a_feed_case_offers_a_task_to_answer_on_the_site(org: dict[str, Any]) -> None:
    ChannelFactory(slug="forum", network="rss", name="Cycling forum")
    case = _case(channel="forum", url="https://forum.example/t/7")
    client, token = _login(org["alice"])

    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Forum / blog feed takes no replies through its API: answer on the site." in page
    assert f'action="/cases/{case.reference}/answer-task"' in page
    assert f'action="/cases/{case.reference}/reply"' not in page

    _post(client, token, f"/cases/{case.reference}/answer-task", text="We hear you")

    task = Task.objects.get()
    assert task.details.startswith("Answer on the site: https://forum.example/t/7")
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert '<a href="https://forum.example/t/7"' in page


def test_saved_replies_are_managed_by_leads_and_picked_in_the_composer(org: dict[str, Any]) -> None:
    alice, _alice_token = _login(org["alice"])
    lena, token = _login(org["lena"])
    assert alice.get("/settings/saved-replies/").status_code == 403

    bad = _post(
        lena, token, "/settings/saved-replies/", name="Hi", language="en", text="Hi {nme}"
    ).content.decode()
    assert "unknown variable {nme}" in bad
    assert 'value="Hi"' in bad  # the form keeps what was typed
    _post(lena, token, "/settings/saved-replies/", name="Hi", language="en", text='Hi {first_name} <"ok">')
    saved = SavedReply.objects.get()
    _post(
        lena,
        token,
        f"/settings/saved-replies/{saved.pk}/",
        name="Hello",
        language="en",
        text="Hello {first_name}",
    )
    saved.refresh_from_db()
    assert (saved.name, saved.text, saved.owner) == ("Hello", "Hello {first_name}", None)

    case = _case(author={"name": "Dana Levi"})
    page = alice.get(f"/cases/{case.reference}/").content.decode()
    assert f'<option value="{saved.pk}" data-text="Hello Dana" lang="en">Hello (en)</option>' in page

    _post(lena, token, f"/settings/saved-replies/{saved.pk}/delete")
    assert not SavedReply.objects.exists()


def test_the_case_actions_speak_hebrew_russian_and_ukrainian(org: dict[str, Any]) -> None:
    case = _case()
    pages = {}
    for language in ("he", "ru", "uk"):
        AgentProfile.objects.filter(user=org["alice"]).update(ui_language=language)
        client, _token = _login(org["alice"])
        pages[language] = client.get(f"/cases/{case.reference}/").content.decode()

    assert "הוספת הערה" in pages["he"] and "השהיה, הסלמה, מיזוג" in pages["he"]
    assert "Добавить заметку" in pages["ru"] and "4 часа" in pages["ru"]
    assert "Додати нотатку" in pages["uk"] and "24 години" in pages["uk"]
