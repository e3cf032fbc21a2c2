"""Read agents' label corrections, for the API and for training exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import LabelCorrection

if TYPE_CHECKING:
    from .engine.corrections import CorrectionRow


def correction_list(*, message_id: int) -> QuerySet[LabelCorrection]:
    """Return a message's corrections, oldest first, with who made them."""
    return (
        LabelCorrection.objects.filter(message_id=message_id)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def correction_export_rows() -> list[CorrectionRow]:
    """Return the latest correction per message and field, as training rows.

    An agent may correct a label twice (or two agents may disagree); the last
    word is what the model should learn.  ``language`` is the message's
    current language, so a language correction also tags the other rows.
    """
    from .engine.corrections import CorrectionRow

    latest: dict[tuple[int, str], LabelCorrection] = {}
    for c in LabelCorrection.objects.select_related("message").order_by("created_at", "pk"):
        latest[(c.message_id, c.field)] = c
    rows = sorted(latest.values(), key=lambda c: (c.message_id, c.field))
    return [CorrectionRow(c.message.text, c.field, c.new_value, c.message.language or "und") for c in rows]
