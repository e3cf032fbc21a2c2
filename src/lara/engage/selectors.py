"""Read a customer's survey answers, idea votes and offers (for the customer page)."""

from __future__ import annotations

from dataclasses import dataclass

from lara.customers.models import Customer

from .models import IdeaVote, OfferSent, SurveyAnswer

LIMIT = 20


@dataclass(frozen=True)
class Engagement:
    answers: list[SurveyAnswer]
    votes: list[IdeaVote]
    offers: list[OfferSent]

    @property
    def empty(self) -> bool:
        return not (self.answers or self.votes or self.offers)


def customer_engagement(*, customer: Customer, limit: int = LIMIT) -> Engagement:
    """The newest ``limit`` of each, with what the page prints joined in (three queries)."""
    return Engagement(
        answers=list(
            SurveyAnswer.objects.filter(customer=customer)
            .select_related("survey")
            .order_by("-answered_at", "-pk")[:limit]
        ),
        votes=list(
            IdeaVote.objects.filter(customer=customer)
            .select_related("idea")
            .order_by("-created_at", "-pk")[:limit]
        ),
        offers=list(
            OfferSent.objects.filter(customer=customer)
            .select_related("offer")
            .order_by("-sent_at", "-pk")[:limit]
        ),
    )
