"""The customer page's engagement section: what it lists, escaped, customer text marked dir="auto"."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from lara.customers.models import Customer
from lara.engage.models import Idea, IdeaVote, Offer, OfferSent, Survey, SurveyAnswer
from lara.web.engagement import customer_engagement_context


def test_the_section_lists_answers_votes_and_offers_escaped(org: dict[str, Any]) -> None:
    dana = Customer.objects.create(name="Dana")
    survey = Survey.objects.create(name="NPS", question="Would you recommend us?", scale="nps")
    SurveyAnswer.objects.create(survey=survey, customer=dana, score=9, comment="<script>x</script> מעולה")
    IdeaVote.objects.create(idea=Idea.objects.create(title="Child <seat>"), customer=dana)
    OfferSent.objects.create(
        offer=Offer.objects.create(name="Service check"), customer=dana, status="accepted"
    )

    html = render_to_string("lara/_customer_engagement.html", customer_engagement_context(dana))

    assert '<q dir="auto">&lt;script&gt;x&lt;/script&gt; מעולה</q>' in html
    assert '<strong dir="ltr">9</strong>/10' in html
    assert '<span dir="auto">Child &lt;seat&gt;</span> · New' in html
    assert '<span dir="auto">Service check</span> · Accepted' in html
    assert "<script>" not in html


def test_an_empty_record_says_so(org: dict[str, Any]) -> None:
    html = render_to_string(
        "lara/_customer_engagement.html", customer_engagement_context(Customer.objects.create(name="Noa"))
    )
    assert "No survey answers, votes or offers yet." in html


def test_statuses_show_in_the_agents_language(org: dict[str, Any]) -> None:
    from django.utils import translation

    dana = Customer.objects.create(name="Dana")
    IdeaVote.objects.create(idea=Idea.objects.create(title="Child seat", status="planned"), customer=dana)
    offer = Offer.objects.create(name="Service check")
    OfferSent.objects.create(offer=offer, customer=dana, status="declined")

    with translation.override("uk"):
        html = render_to_string("lara/_customer_engagement.html", customer_engagement_context(dana))

    assert '<span dir="auto">Child seat</span> · Запланована' in html
    assert '<span dir="auto">Service check</span> · Відхилено' in html
