"""Survey links: sent through the case, answered once on a public page, refused when spent or forged."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from lara.cases.models import Reply
from lara.engage.models import EngageEvent, Survey, SurveyAnswer, SurveyLink
from lara.engage.surveys import SurveyError, survey_score_check

from .helpers import api, case_from_x, post


def _survey(org: dict[str, Any], scale: str = "csat") -> Survey:
    response = post(
        api(org["lena"]),
        "/api/surveys",
        {
            "name": "After the case",
            "question": "How happy are you with our answer?",
            "scale": scale,
            "translations": {"he": "עד כמה את/ה מרוצה מהתשובה שלנו?"},
        },
    )
    assert response.status_code == 201, response.content
    return Survey.objects.get(pk=response.json()["id"])


def _send(org: dict[str, Any], reference: str, survey: Survey) -> tuple[SurveyLink, str]:
    response = post(api(org["alice"]), f"/api/cases/{reference}/survey-link", {"survey": survey.pk})
    assert response.status_code == 201, response.content
    reply = Reply.objects.get(pk=response.json()["reply"])
    url = re.search(r"http://testserver(/survey/\S+/)", reply.text)
    assert url is not None, reply.text
    return SurveyLink.objects.get(pk=response.json()["link"]), url.group(1)


def test_only_leads_and_admins_define_surveys(org: dict[str, Any]) -> None:
    payload = {"name": "S", "question": "Q?", "scale": "csat"}
    assert post(api(org["alice"]), "/api/surveys", payload).status_code == 403
    assert post(api(org["lena"]), "/api/surveys", {**payload, "scale": "stars"}).status_code == 422


def test_the_link_goes_out_as_a_reply_and_is_answered_once_without_login(org: dict[str, Any]) -> None:
    case = case_from_x()
    survey = _survey(org)

    link, path = _send(org, case.reference, survey)

    reply = Reply.objects.get(case=case)
    assert reply.text.startswith("Please tell us how we did: http://testserver/survey/")
    assert reply.text.endswith("(valid for 168 hours).")
    assert (reply.status, reply.author) == ("queued", org["alice"])
    assert (link.customer_id, link.case_ref, link.language, link.used_at) == (
        case.customer_id,
        case.pk,
        "en",
        None,
    )
    assert (
        post(api(org["bob"]), f"/api/cases/{case.reference}/survey-link", {"survey": survey.pk}).status_code
        == 404
    )

    visitor = Client()  # no login
    page = visitor.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "How happy are you with our answer?" in html
    assert html.count('name="score"') == 5
    assert page.headers["Cache-Control"] == "no-store"

    out_of_scale = visitor.post(path, {"score": "6", "comment": "great"})
    assert out_of_scale.status_code == 422
    assert "Choose a score from 1 to 5." in out_of_scale.content.decode()
    assert SurveyAnswer.objects.count() == 0

    done = visitor.post(path, {"score": "4", "comment": "Quick & <b>kind</b>"})
    assert done.status_code == 200
    assert "Thank you! Your answer was recorded." in done.content.decode()
    answer = SurveyAnswer.objects.get()
    assert (answer.customer_id, answer.case_ref, answer.score, answer.comment, answer.link_id) == (
        case.customer_id,
        case.pk,
        4,
        "Quick & <b>kind</b>",
        link.pk,
    )
    link.refresh_from_db()
    assert link.used_at is not None

    again = visitor.post(path, {"score": "1"})
    assert again.status_code == 410
    assert "This survey link has already been used." in again.content.decode()
    assert visitor.get(path).status_code == 410
    assert list(SurveyAnswer.objects.values_list("score", flat=True)) == [4]
    assert list(EngageEvent.objects.values_list("action", "customer_id", "actor")) == [
        ("survey_link_sent", case.customer_id, org["alice"].pk),
        ("survey_answered", case.customer_id, None),
    ]


def test_a_forged_or_expired_link_records_nothing(org: dict[str, Any]) -> None:
    case = case_from_x()
    survey = _survey(org)
    link, path = _send(org, case.reference, survey)
    token = path.split("/")[2]
    forged = f"/survey/{token[:-2]}{'AA' if not token.endswith('AA') else 'BB'}/"

    assert Client().post(forged, {"score": "5"}).status_code == 404
    assert "This survey link is not valid." in Client().get(forged).content.decode()
    assert Client().post("/survey/made-up/", {"score": "5"}).status_code == 404

    SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = Client().post(path, {"score": "5"})
    assert expired.status_code == 410
    assert "This survey link has expired." in expired.content.decode()
    assert SurveyAnswer.objects.count() == 0
    assert SurveyLink.objects.get(pk=link.pk).used_at is None


def test_the_page_asks_in_the_customers_language(org: dict[str, Any]) -> None:
    case = case_from_x(text="האופניים הגיעו שבורים broken")
    link, path = _send(org, case.reference, _survey(org))

    html = Client().get(path).content.decode()

    assert link.language == "he"
    assert 'lang="he" dir="rtl"' in html
    assert "עד כמה את/ה מרוצה מהתשובה שלנו?" in html


def test_scores_are_checked_against_the_scale(org: dict[str, Any]) -> None:
    csat, nps = _survey(org, "csat"), _survey(org, "nps")

    assert [survey_score_check(survey=nps, score=s) for s in (0, 10)] == [0, 10]
    assert survey_score_check(survey=csat, score=1) == 1
    for survey, score in ((csat, 0), (csat, 6), (nps, -1), (nps, 11), (nps, None), (nps, True), (csat, "3")):
        with pytest.raises(SurveyError):
            survey_score_check(survey=survey, score=score)
