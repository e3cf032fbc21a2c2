"""Ask customers one question by a signed, expiring, one-time link, and keep their answer.

The link mirrors the consent link (``lara.customers.consent``): the token in
the URL is a ``django.core.signing`` signature of the ``SurveyLink`` id, so a
forged or altered token fails the signature; the row makes it one-time and
holds its expiry. Sending it through a case (an outbox reply) is the Act
layer's business, done by the API; this module creates, checks and records.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from lara.customers.consent import LinkState
from lara.customers.merging import active_customer
from lara.customers.models import Customer

from .models import SCALE_RANGE, Survey, SurveyAnswer, SurveyLink, SurveyScale
from .trail import engage_event_record

SALT = "lara.engage.survey"
COMMENT_MAX = 2000


class SurveyError(ValueError):
    """A survey or an answer that cannot be stored; the message says why, for a person."""


def survey_link_hours() -> float:
    """How long a link stays valid (``LARA_SURVEY_LINK_HOURS``, a week unless set)."""
    return float(settings.LARA_SURVEY_LINK_HOURS)


def survey_create(
    *, name: str, question: str, scale: str, translations: dict[str, str] | None = None
) -> Survey:
    name, question = name.strip(), question.strip()
    if not name or not question:
        raise SurveyError("a survey needs a name and a question")
    if scale not in SurveyScale.values:
        raise SurveyError(f"scale must be one of {', '.join(SurveyScale.values)}")
    clean = {str(k): str(v).strip() for k, v in (translations or {}).items() if str(v).strip()}
    return Survey.objects.create(name=name, question=question, scale=scale, translations=clean)


def survey_score_check(*, survey: Survey, score: Any) -> int:
    """Return the score as an int when it is on the survey's scale; refuse it otherwise."""
    low, high = SCALE_RANGE[SurveyScale(survey.scale)]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise SurveyError(f"the score must be a whole number from {low} to {high}")
    return score


def survey_link_create(
    *, survey: Survey, customer: Customer, case_ref: int | None, language: str, actor: Any
) -> SurveyLink:
    if not survey.active:
        raise SurveyError(f"survey {survey.pk} is not active")
    now = timezone.now()
    link = SurveyLink.objects.create(
        survey=survey,
        customer=customer,
        case_ref=case_ref,
        language=language[:8],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        expires_at=now + timedelta(hours=survey_link_hours()),
    )
    engage_event_record(
        action="survey_link_sent",
        customer=customer,
        actor=actor,
        data={"survey": survey.pk, "link": link.pk, "case": case_ref},
    )
    return link


def survey_token(link: SurveyLink) -> str:
    return signing.dumps(link.pk, salt=SALT, compress=True)


def _state(link: SurveyLink) -> LinkState:
    if link.used_at is not None:
        return LinkState.USED
    if link.expires_at <= timezone.now():
        return LinkState.EXPIRED
    return LinkState.VALID


def survey_link_from_token(token: str) -> tuple[LinkState, SurveyLink | None]:
    """Check a token from a URL: (state, link); the link is None when forged or signed too long ago."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=timedelta(hours=survey_link_hours()))
    except signing.SignatureExpired:
        return LinkState.EXPIRED, None
    except signing.BadSignature:
        return LinkState.FORGED, None
    link = (
        SurveyLink.objects.select_related("survey", "customer").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if link is None:
        return LinkState.FORGED, None
    return _state(link), link


class SurveyLinkSpent(SurveyError):
    """The link was used or expired between the page and the answer."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(f"the link is {state.value}")
        self.state = state


def survey_answer_record(*, link: SurveyLink, score: Any, comment: str = "") -> SurveyAnswer:
    """Store the customer's answer and spend the link, or store nothing and say why.

    The link row is locked, so two clicks racing each other store one answer
    (the ``OneToOne`` from answer to link would refuse a second one anyway).
    The answer goes to the customer's active record: if they were merged
    since the link was sent, it belongs where their history now is.
    """
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise SurveyError(f"the comment is longer than {COMMENT_MAX} characters")
    with transaction.atomic():
        link = SurveyLink.objects.select_for_update().select_related("survey").get(pk=link.pk)
        state = _state(link)
        if state is not LinkState.VALID:
            raise SurveyLinkSpent(state)
        score = survey_score_check(survey=link.survey, score=score)
        customer = active_customer(Customer.objects.get(pk=link.customer_id))
        now = timezone.now()
        answer = SurveyAnswer.objects.create(
            survey=link.survey,
            customer=customer,
            case_ref=link.case_ref,
            link=link,
            score=score,
            comment=comment,
            answered_at=now,
        )
        link.used_at = now
        link.save(update_fields=["used_at"])
        engage_event_record(
            action="survey_answered",
            customer=customer,
            actor=None,
            data={"survey": link.survey_id, "link": link.pk, "answer": answer.pk, "score": score},
        )
    return answer
