"""REST endpoints for agents' corrections of analysis labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from lara.analysis.models import LabelCorrection
from lara.analysis.selectors import correction_list
from lara.analysis.services import analysis_correct
from lara.mentions.models import Message
from lara.mentions.selectors import message_list

router = Router(tags=["analysis"])


class CorrectionIn(Schema):
    field: str
    value: str | bool


class CorrectionOut(Schema):
    id: int
    message: int
    field: str
    old: str
    new: str
    user: str | None
    created_at: datetime

    @staticmethod
    def resolve_message(obj: LabelCorrection) -> int:
        return int(obj.message_id)

    @staticmethod
    def resolve_old(obj: LabelCorrection) -> str:
        return obj.old_value

    @staticmethod
    def resolve_new(obj: LabelCorrection) -> str:
        return obj.new_value

    @staticmethod
    def resolve_user(obj: LabelCorrection) -> str | None:
        return obj.user.get_username() if obj.user else None


def _visible_message(message_id: int) -> Message:
    """Return the message if the caller may see it: any signed-in agent sees the mentions stream."""
    message = message_list().filter(pk=message_id).first()
    if message is None:
        raise HttpError(404, "no such message")
    return message


@router.post("/messages/{message_id}/corrections", response={201: CorrectionOut})
def corrections_post(request: HttpRequest, message_id: int, body: CorrectionIn) -> Any:
    """Correct one label (sentiment, type, purchase_intent or language) of a message's analysis."""
    from lara.analysis.engine.corrections import CorrectionError  # the engine loads lazily

    message = _visible_message(message_id)
    try:
        correction = analysis_correct(
            message_id=message.pk, field=body.field, value=body.value, user=request.user
        )
    except CorrectionError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, correction)


@router.get("/messages/{message_id}/corrections", response=list[CorrectionOut])
def corrections_list(request: HttpRequest, message_id: int) -> Any:
    """List a message's label corrections, oldest first, with who made each."""
    return list(correction_list(message_id=_visible_message(message_id).pk))
