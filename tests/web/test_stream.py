"""The mentions stream filtered like the inbox, cases made from mentions, one-click label corrections."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lara.analysis.models import Analysis, LabelCorrection
from lara.cases.models import Case, CaseMessage
from lara.core.jobs import jobs_run_pending
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _login(user: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/").cookies["csrftoken"].value
    return client, token


def _heard(text: str) -> Message:
    result = message_ingest_json(data=inbound(text=text))
    jobs_run_pending()
    return Message.objects.get(pk=result.message_id)


def test_the_stream_filters_by_sentiment_type_query_and_case(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Kick launch", query='"volta kick" OR #voltakick')
    complaint = _heard("My Volta Kick arrived broken")
    praise = _heard("I love my new #VoltaKick")
    question = _heard("Is the showroom open on Sunday?")
    client, _token = _login(org["alice"])
    query_id = MonitoringQuery.objects.get().pk

    def shown(**params: Any) -> set[int]:
        page = client.get("/mentions/", params, headers={"HX-Request": "true"}).content.decode()
        return {m.pk for m in (complaint, praise, question) if m.text in page}

    assert shown(sentiment="negative") == {complaint.pk}
    assert shown(type="compliment") == {praise.pk}
    assert shown(query=query_id) == {complaint.pk, praise.pk}
    assert shown(in_case="no") == {
        m.pk for m in (complaint, praise, question) if not CaseMessage.objects.filter(message=m).exists()
    }
    assert shown() == {complaint.pk, praise.pk, question.pk}


def test_any_mention_becomes_a_case_once(org: dict[str, Any]) -> None:
    praise = _heard("Saw the Volta billboard downtown today")
    assert not CaseMessage.objects.filter(message=praise).exists()  # nothing to act on, by the rules
    client, token = _login(org["alice"])

    first = client.post(f"/mentions/{praise.pk}/case", {"csrfmiddlewaretoken": token})
    second = client.post(f"/mentions/{praise.pk}/case", {"csrfmiddlewaretoken": token})

    case = Case.objects.get(case_messages__message=praise)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/cases/{case.reference}/"
    assert Case.objects.filter(case_messages__message=praise).count() == 1
    assert (case.team, case.assignee, case.sentiment, case.message_type) == (
        org["service"],
        org["alice"],
        "neutral",
        "other",
    )
    assert case.events.filter(kind="created", reason="created from the mentions stream by alice").exists()


def test_creating_a_case_needs_the_csrf_token(org: dict[str, Any]) -> None:
    praise = _heard("Saw the Volta billboard downtown today")
    client, _token = _login(org["alice"])

    assert client.post(f"/mentions/{praise.pk}/case").status_code == 403
    assert not CaseMessage.objects.filter(message=praise).exists()


def test_a_correction_is_one_click_and_the_case_follows(org: dict[str, Any]) -> None:
    message = _heard("The app is broken again")
    case = Case.objects.get(case_messages__message=message)
    client, token = _login(org["alice"])
    assert case.sentiment == "negative"
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert f'action="/messages/{message.pk}/correct"' in page

    response = client.post(
        f"/messages/{message.pk}/correct",
        {
            "csrfmiddlewaretoken": token,
            "field": "sentiment",
            "value": "neutral",
            "next": f"/cases/{case.reference}/",
        },
    )

    assert response.status_code == 302 and response["Location"] == f"/cases/{case.reference}/"
    correction = LabelCorrection.objects.get()
    assert (correction.field, correction.old_value, correction.new_value, correction.user) == (
        "sentiment",
        "negative",
        "neutral",
        org["alice"],
    )
    assert Analysis.objects.get(message=message).sentiment == "neutral"
    case.refresh_from_db()
    assert case.sentiment == "neutral"


def test_a_wrong_value_is_refused_and_nothing_changes(org: dict[str, Any]) -> None:
    message = _heard("The app is broken again")
    client, token = _login(org["alice"])

    client.post(
        f"/messages/{message.pk}/correct",
        {"csrfmiddlewaretoken": token, "field": "sentiment", "value": "furious"},
    )

    assert LabelCorrection.objects.count() == 0
    assert Analysis.objects.get(message=message).sentiment == "negative"


def test_an_agent_cannot_correct_a_message_in_another_teams_case(org: dict[str, Any]) -> None:
    message = _heard("The app is broken again")
    assert Case.objects.get(case_messages__message=message).team == org["service"]
    client, token = _login(org["bob"])

    response = client.post(
        f"/messages/{message.pk}/correct",
        {"csrfmiddlewaretoken": token, "field": "sentiment", "value": "neutral"},
    )

    assert response.status_code == 404
    assert LabelCorrection.objects.count() == 0


def test_the_inbox_filters_by_sentiment_type_and_query(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Refunds", query="refund")
    refund = _heard("Still waiting for my refund, terrible")
    late = _heard("Delivery is late again")
    question = _heard("Can I change my delivery address?")
    client, _token = _login(org["lena"])
    cases = {m.pk: Case.objects.get(case_messages__message=m).reference for m in (refund, late, question)}
    query_id = MonitoringQuery.objects.get().pk

    def shown(**params: Any) -> set[int]:
        page = client.get("/", params, headers={"HX-Request": "true"}).content.decode()
        return {pk for pk, ref in cases.items() if f">{ref}<" in page}

    assert shown(sentiment="negative") == {refund.pk, late.pk}
    assert shown(type="question") == {question.pk}
    assert shown(query=query_id) == {refund.pk}
