"""REST endpoints for surveys, ideas and votes, and offers (the customer's engagement).

Sending a survey link is a reply on the case, like the consent link
(``lara.cases.consent``): it goes out on the network the customer wrote
from, through the outbox, retried and logged like any answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from lara.cases.models import Case
from lara.cases.selectors import case_visible_to
from lara.cases.services import reply_create
from lara.core.models import Role
from lara.core.selectors import user_role, user_sees_all_teams
from lara.customers.models import Customer, Segment
from lara.engage.ideas import IdeaError, idea_create, idea_list, idea_status_set, idea_vote_add
from lara.engage.models import Idea, Offer, OfferSent, OfferStatus, Survey
from lara.engage.offers import OfferError, offer_create, offer_respond, offer_send
from lara.engage.surveys import (
    SurveyError,
    survey_create,
    survey_link_create,
    survey_link_hours,
    survey_token,
)
from lara.mentions.models import Message

router = Router(tags=["engage"])


def _require(request: HttpRequest, *roles: str) -> None:
    if user_role(request.user) not in roles:
        raise HttpError(403, f"only {' and '.join(roles)}s may do this")


def _require_agent(request: HttpRequest) -> None:
    if user_role(request.user) is None:
        raise HttpError(403, "only members of a team may do this")


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    """The customer, if the user may act for them: leads and admins always, agents through their cases.

    The same rule as the customer page and the timeline: an agent who has
    no case of this customer gets a 404, as if the customer did not exist.
    """
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or not _may_see(request, customer):
        raise HttpError(404, "no such customer, or not in your teams")
    return customer


def _may_see(request: HttpRequest, customer: Customer) -> bool:
    user = request.user
    return user_sees_all_teams(user) or case_visible_to(user).filter(customer=customer).exists()


# --- surveys ----------------------------------------------------------------------------


class SurveyIn(Schema):
    name: str
    question: str
    scale: str = "csat"
    translations: dict[str, str] = {}


class SurveyOut(Schema):
    id: int
    name: str
    question: str
    translations: dict[str, Any]
    scale: str
    active: bool


@router.get("/surveys", response=list[SurveyOut])
def surveys_list(request: HttpRequest) -> Any:
    return list(Survey.objects.all())


@router.post("/surveys", response={201: SurveyOut})
def surveys_create(request: HttpRequest, body: SurveyIn) -> Any:
    """Define a survey question (leads and admins); ``scale`` is csat (1–5) or nps (0–10)."""
    _require(request, Role.LEAD, Role.ADMIN)
    try:
        survey = survey_create(
            name=body.name, question=body.question, scale=body.scale, translations=body.translations
        )
    except SurveyError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, survey)


class SurveyLinkIn(Schema):
    survey: int


class SurveyLinkOut(Schema):
    link: int
    reply: int
    case: str | None
    expires_at: datetime


def _case_language(case: Case) -> str:
    supported = {c for c, _name in settings.LANGUAGES}
    return case.language if case.language in supported else settings.LANGUAGE_CODE


@router.post("/cases/{case_id}/survey-link", response={201: SurveyLinkOut})
def cases_survey_link(request: HttpRequest, case_id: str, body: SurveyLinkIn) -> Any:
    """Send the case's customer a one-time survey link as a reply on this case.

    ``case_id`` is the case's reference (or its numeric id); only agents who
    can see the case may send it. The link's page asks the survey's question
    in the case's language and takes one answer.
    """
    lookup = Q(reference=case_id) | (Q(pk=int(case_id)) if case_id.isdigit() else Q(pk__in=[]))
    case = case_visible_to(request.user).filter(lookup).select_related("customer").first()
    if case is None:
        raise HttpError(404, "no such case, or not in your teams")
    survey = Survey.objects.filter(pk=body.survey).first()
    if survey is None:
        raise HttpError(404, "no such survey")
    language = _case_language(case)
    try:
        with transaction.atomic():
            link = survey_link_create(
                survey=survey, customer=case.customer, case_ref=case.pk, language=language, actor=request.user
            )
            base = (settings.LARA_PUBLIC_URL or request.build_absolute_uri("/")).rstrip("/")
            url = base + reverse("survey-answer", args=[survey_token(link)])
            with translation.override(language):
                text = _("Please tell us how we did: %(url)s (valid for %(hours)s hours).") % {
                    "url": url,
                    "hours": f"{survey_link_hours():g}",
                }
            reply = reply_create(case=case, author=request.user, text=text)
    except SurveyError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(
        201, {"link": link.pk, "reply": reply.pk, "case": case.reference, "expires_at": link.expires_at}
    )


# --- ideas and votes --------------------------------------------------------------------


class IdeaIn(Schema):
    title: str
    description: str = ""
    source_message: int | None = None


class IdeaOut(Schema):
    id: int
    title: str
    description: str
    status: str
    created_by: str | None
    created_at: datetime
    source_message: int | None
    votes: int

    @staticmethod
    def resolve_created_by(obj: Idea) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None

    @staticmethod
    def resolve_source_message(obj: Idea) -> int | None:
        return obj.source_message_id

    @staticmethod
    def resolve_votes(obj: Idea) -> int:
        count = getattr(obj, "vote_count", None)
        return int(count) if count is not None else obj.votes.count()


class IdeaFilters(Schema):
    status: str | None = None


def _idea(idea_id: int) -> Idea:
    idea = idea_list().select_related("created_by").filter(pk=idea_id).first()
    if idea is None:
        raise HttpError(404, "no such idea")
    return idea


def _message(message_id: int | None) -> Message | None:
    if message_id is None:
        return None
    message = Message.objects.select_related("author_profile").filter(pk=message_id).first()
    if message is None:
        raise HttpError(404, "no such message")
    return message


@router.get("/ideas", response=list[IdeaOut])
def ideas_list(request: HttpRequest, filters: Query[IdeaFilters]) -> Any:
    """Every idea, newest first, with its number of votes; ``status`` filters."""
    return list(idea_list(status=filters.status).select_related("created_by"))


@router.post("/ideas", response={201: IdeaOut})
def ideas_create(request: HttpRequest, body: IdeaIn) -> Any:
    _require_agent(request)
    try:
        idea = idea_create(
            title=body.title,
            description=body.description,
            actor=request.user,
            source_message=_message(body.source_message),
        )
    except IdeaError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, _idea(idea.pk))


class IdeaStatusIn(Schema):
    status: str


@router.post("/ideas/{idea_id}/status", response=IdeaOut)
def ideas_status(request: HttpRequest, idea_id: int, body: IdeaStatusIn) -> Any:
    """Move an idea to new, planned, in_progress, done or declined (leads and admins)."""
    _require(request, Role.LEAD, Role.ADMIN)
    try:
        idea_status_set(idea=_idea(idea_id), status=body.status, actor=request.user)
    except IdeaError as exc:
        raise HttpError(422, str(exc)) from exc
    return _idea(idea_id)


class VoteIn(Schema):
    customer: int | None = None
    message: int | None = None


class VoteOut(Schema):
    id: int
    idea: int
    customer: int
    message: int | None
    created_at: datetime
    created: bool
    votes: int


@router.post("/ideas/{idea_id}/votes", response={200: VoteOut, 201: VoteOut})
def ideas_vote(request: HttpRequest, idea_id: int, body: VoteIn) -> Any:
    """Count a customer's vote (201), or return the one they gave already (200).

    Give ``customer``, or ``message``: the voter is then the customer who wrote it.
    """
    _require_agent(request)
    idea = _idea(idea_id)
    customer = _customer(request, body.customer) if body.customer is not None else None
    message = _message(body.message)
    author = message.author_profile.customer if message and message.author_profile else None
    if author is not None and not _may_see(request, author):
        raise HttpError(404, "no such message, or not in your teams")
    try:
        vote, created = idea_vote_add(idea=idea, actor=request.user, customer=customer, message=message)
    except IdeaError as exc:
        raise HttpError(422, str(exc)) from exc
    out = {
        "id": vote.pk,
        "idea": idea.pk,
        "customer": vote.customer_id,
        "message": vote.message_id,
        "created_at": vote.created_at,
        "created": created,
        "votes": idea.votes.count(),
    }
    return Status(201 if created else 200, out)


# --- offers -----------------------------------------------------------------------------


class OfferIn(Schema):
    name: str
    description: str = ""
    segment: str | None = None  # the segment's slug
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class OfferOut(Schema):
    id: int
    name: str
    description: str
    segment: str | None
    valid_from: datetime
    valid_until: datetime | None
    sent: int
    accepted: int

    @staticmethod
    def resolve_segment(obj: Offer) -> str | None:
        return obj.segment.slug if obj.segment else None

    @staticmethod
    def resolve_sent(obj: Offer) -> int:
        count = getattr(obj, "sent_count", None)
        return int(count) if count is not None else obj.sent.count()

    @staticmethod
    def resolve_accepted(obj: Offer) -> int:
        count = getattr(obj, "accepted_count", None)
        return int(count) if count is not None else obj.sent.filter(status=OfferStatus.ACCEPTED).count()


def _offer(offer_id: int) -> Offer:
    offer = Offer.objects.select_related("segment").filter(pk=offer_id).first()
    if offer is None:
        raise HttpError(404, "no such offer")
    return offer


@router.get("/offers", response=list[OfferOut])
def offers_list(request: HttpRequest) -> Any:
    """Every offer, newest first, with how many customers were sent it and accepted it (one query)."""
    return list(
        Offer.objects.select_related("segment").annotate(
            sent_count=Count("sent"),
            accepted_count=Count("sent", filter=Q(sent__status=OfferStatus.ACCEPTED)),
        )
    )


@router.post("/offers", response={201: OfferOut})
def offers_create(request: HttpRequest, body: OfferIn) -> Any:
    """Define an offer for a segment (leads and admins)."""
    _require(request, Role.LEAD, Role.ADMIN)
    segment = None
    if body.segment:
        segment = Segment.objects.filter(slug=body.segment).first()
        if segment is None:
            raise HttpError(422, f"no segment {body.segment!r}")
    try:
        offer = offer_create(
            name=body.name,
            description=body.description,
            segment=segment,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            actor=request.user,
        )
    except OfferError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, offer)


class OfferSendOut(Schema):
    offer: int
    new: int
    customers: list[int]
    total: int


@router.post("/offers/{offer_id}/send", response=OfferSendOut)
def offers_send(request: HttpRequest, offer_id: int) -> Any:
    """Send the offer to every current member of its segment who has not had it (leads and admins)."""
    _require(request, Role.LEAD, Role.ADMIN)
    offer = _offer(offer_id)
    try:
        new = offer_send(offer=offer, actor=request.user)
    except OfferError as exc:
        raise HttpError(422, str(exc)) from exc
    return {"offer": offer.pk, "new": len(new), "customers": new, "total": offer.sent.count()}


class OfferResponseIn(Schema):
    customer: int
    status: str


class OfferSentOut(Schema):
    offer: int
    customer: int
    status: str
    sent_at: datetime
    responded_at: datetime | None

    @staticmethod
    def resolve_offer(obj: OfferSent) -> int:
        return obj.offer_id

    @staticmethod
    def resolve_customer(obj: OfferSent) -> int:
        return obj.customer_id


@router.post("/offers/{offer_id}/responses", response=OfferSentOut)
def offers_respond(request: HttpRequest, offer_id: int, body: OfferResponseIn) -> Any:
    """Record a customer's answer to the offer: ``accepted`` or ``declined``."""
    _require_agent(request)
    try:
        return offer_respond(
            offer=_offer(offer_id),
            customer=_customer(request, body.customer),
            status=body.status,
            actor=request.user,
        )
    except OfferError as exc:
        raise HttpError(422, str(exc)) from exc
