"""A customer's survey answers, votes and offers for a data-subject export, and their erasure.

Erasure blanks the free text a customer typed (survey comments) and keeps
every row with its score, vote and status, so satisfaction figures, vote
counts and offer take-up stay right.
"""

from __future__ import annotations

from typing import Any

from lara.customers.models import Customer

from .models import IdeaVote, OfferSent, SurveyAnswer


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def engage_export(*, customer: Customer) -> dict[str, list[dict[str, Any]]]:
    answers = (
        SurveyAnswer.objects.filter(customer=customer).select_related("survey").order_by("answered_at", "pk")
    )
    votes = IdeaVote.objects.filter(customer=customer).select_related("idea").order_by("created_at", "pk")
    offers = OfferSent.objects.filter(customer=customer).select_related("offer").order_by("sent_at", "pk")
    return {
        "survey_answers": [
            {
                "survey": a.survey.name,
                "question": a.survey.question,
                "scale": a.survey.scale,
                "score": a.score,
                "comment": a.comment,
                "case_ref": a.case_ref,
                "answered_at": _iso(a.answered_at),
            }
            for a in answers
        ],
        "idea_votes": [
            {
                "idea": v.idea.title,
                "idea_status": v.idea.status,
                "message": v.message_id,
                "created_at": _iso(v.created_at),
            }
            for v in votes
        ],
        "offers": [
            {
                "offer": o.offer.name,
                "description": o.offer.description,
                "status": o.status,
                "sent_at": _iso(o.sent_at),
                "responded_at": _iso(o.responded_at),
            }
            for o in offers
        ],
    }


def engage_erase(*, customer: Customer) -> dict[str, int]:
    """Blank the customer's survey comments; return how many rows changed, for the audit line."""
    return {
        "survey_comments": SurveyAnswer.objects.filter(customer=customer)
        .exclude(comment="")
        .update(comment="")
    }
