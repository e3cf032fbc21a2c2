"""Data-subject requests cover surveys, votes and offers; erasure blanks comments and keeps scores."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lara.customers.models import Customer, CustomerAuditEvent
from lara.engage.models import Idea, IdeaVote, Offer, OfferSent, Survey, SurveyAnswer

from ..factories import UserFactory
from .helpers import api

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _dana() -> Customer:
    dana = Customer.objects.create(name="Dana Levi")
    survey = Survey.objects.create(name="CSAT", question="How did we do?", scale="csat")
    SurveyAnswer.objects.create(
        survey=survey, customer=dana, case_ref=7, score=4, comment="Dana here: ok", answered_at=T0
    )
    SurveyAnswer.objects.create(survey=survey, customer=dana, score=5, answered_at=T0.replace(day=2))
    IdeaVote.objects.create(idea=Idea.objects.create(title="Child seat"), customer=dana, created_at=T0)
    OfferSent.objects.create(offer=Offer.objects.create(name="Service check"), customer=dana, sent_at=T0)
    return dana


def test_the_export_holds_answers_votes_and_offers(org: dict[str, Any]) -> None:
    dana = _dana()

    body = api(UserFactory(username="root", is_superuser=True)).get(f"/api/customers/{dana.pk}/export").json()

    assert body["survey_answers"] == [
        {
            "survey": "CSAT",
            "question": "How did we do?",
            "scale": "csat",
            "score": 4,
            "comment": "Dana here: ok",
            "case_ref": 7,
            "answered_at": "2026-11-01T09:00:00+00:00",
        },
        {
            "survey": "CSAT",
            "question": "How did we do?",
            "scale": "csat",
            "score": 5,
            "comment": "",
            "case_ref": None,
            "answered_at": "2026-11-02T09:00:00+00:00",
        },
    ]
    assert body["idea_votes"] == [
        {
            "idea": "Child seat",
            "idea_status": "new",
            "message": None,
            "created_at": "2026-11-01T09:00:00+00:00",
        }
    ]
    assert body["offers"] == [
        {
            "offer": "Service check",
            "description": "",
            "status": "sent",
            "sent_at": "2026-11-01T09:00:00+00:00",
            "responded_at": None,
        }
    ]


def test_erase_blanks_comments_but_keeps_scores_votes_and_offers(org: dict[str, Any]) -> None:
    dana = _dana()
    admin = UserFactory(username="root", is_superuser=True)

    response = api(admin).post(
        f"/api/customers/{dana.pk}/erase",
        data=json.dumps({"reason": "erasure"}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert sorted(SurveyAnswer.objects.values_list("score", "comment")) == [(4, ""), (5, "")]
    assert (IdeaVote.objects.count(), OfferSent.objects.count()) == (1, 1)
    assert CustomerAuditEvent.objects.get(action="erase").data["survey_comments"] == 1
