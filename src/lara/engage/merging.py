"""Move survey answers, idea votes and offers with a customer merge, and put them back exactly.

``lara.cases.merge`` calls these inside its transaction. The ids that
changed hands go to ``CustomerMerge.moved`` (``survey_answers``,
``idea_votes``, ``offers_sent``, each only when some did, so a merge of
records without any keeps the shape it always had); whole rows that had to
leave go to ``CustomerMerge.snapshot["parked"]``.

A vote or an offer is unique per customer: when both records voted for the
same idea, or were both sent the same offer, only one row can stay on the
merged record. The one that says more stays (the earlier vote; the offer row
with a response, else the target's); the other is *parked*: deleted, with
every column kept in the merge row, and inserted again with the same id by
the unmerge. Counts stay right while merged (one person, one vote) and the
unmerge gives each record exactly the rows it had.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from lara.customers.models import Customer, CustomerMerge

from .models import IdeaVote, OfferSent, OfferStatus, SurveyAnswer

MOVED_KEYS = ("survey_answers", "idea_votes", "offers_sent")
_UNIQUE: dict[str, tuple[type[models.Model], str]] = {
    "idea_votes": (IdeaVote, "idea_id"),
    "offers_sent": (OfferSent, "offer_id"),
}


def _row(obj: models.Model) -> dict[str, Any]:
    """Every column of the row as JSON (field ``attname`` → value; datetimes as ISO text)."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        out[field.attname] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _unrow(model: type[models.Model], data: dict[str, Any]) -> models.Model:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return model(**{name: fields[name].to_python(value) for name, value in data.items()})


def _vote_keeps_other(target: Any, other: Any) -> bool:
    return bool((other.created_at, other.pk) < (target.created_at, target.pk))


def _offer_keeps_other(target: Any, other: Any) -> bool:
    return target.status == OfferStatus.SENT and other.status != OfferStatus.SENT


_KEEPS_OTHER: dict[str, Callable[[Any, Any], bool]] = {
    "idea_votes": _vote_keeps_other,
    "offers_sent": _offer_keeps_other,
}


def _move_unique(key: str, *, target: Customer, other: Customer) -> tuple[list[int], list[dict[str, Any]]]:
    model, unique = _UNIQUE[key]
    manager = model._default_manager
    theirs = list(manager.filter(customer=other).order_by("pk"))
    mine = {
        getattr(r, unique): r
        for r in manager.filter(customer=target, **{f"{unique}__in": [getattr(r, unique) for r in theirs]})
    }
    move: list[int] = []
    parked: list[models.Model] = []
    for row in theirs:
        clash = mine.get(getattr(row, unique))
        if clash is None:
            move.append(row.pk)
        elif _KEEPS_OTHER[key](clash, row):
            parked.append(clash)
            move.append(row.pk)
        else:
            parked.append(row)
    manager.filter(pk__in=[r.pk for r in parked]).delete()
    manager.filter(pk__in=move).update(customer=target)
    return move, [_row(r) for r in sorted(parked, key=lambda r: r.pk)]


def engage_merge_move(*, target: Customer, other: Customer) -> tuple[dict[str, list[int]], dict[str, Any]]:
    """Move ``other``'s answers, votes and offers to ``target``: (ids for ``moved``, parked rows)."""
    answers = list(SurveyAnswer.objects.filter(customer=other).order_by("pk").values_list("pk", flat=True))
    SurveyAnswer.objects.filter(pk__in=answers).update(customer=target)
    moved: dict[str, list[int]] = {"survey_answers": answers}
    parked: dict[str, Any] = {}
    for key in _UNIQUE:
        moved[key], parked[key] = _move_unique(key, target=target, other=other)
    return {k: v for k, v in moved.items() if v}, {k: v for k, v in parked.items() if v}


def _models() -> dict[str, type[models.Model]]:
    return {"survey_answers": SurveyAnswer, **{k: m for k, (m, _u) in _UNIQUE.items()}}


def engage_unmerge_blockers(merge: CustomerMerge) -> list[str]:
    """Say what stops putting the rows back exactly (empty when nothing does)."""
    problems = []
    for key, model in _models().items():
        ids = merge.moved.get(key, [])
        present = set(
            model._default_manager.filter(pk__in=ids, customer_id=merge.target_id).values_list(
                "pk", flat=True
            )
        )
        if gone := [pk for pk in ids if pk not in present]:
            label = key.replace("_", " ")
            problems.append(
                f"{label} {', '.join(map(str, gone))} no longer belong to customer {merge.target_id}"
            )
    for key, rows in merge.snapshot.get("parked", {}).items():
        model = _UNIQUE[key][0]
        taken = sorted(
            model._default_manager.filter(pk__in=[r["id"] for r in rows]).values_list("pk", flat=True)
        )
        if taken:
            problems.append(
                f"{key.replace('_', ' ')} {', '.join(map(str, taken))} exist again; cannot restore"
            )
    return problems


def engage_unmerge_restore(merge: CustomerMerge) -> None:
    """Give the merged record its rows back and re-insert the parked ones (after the checks pass)."""
    for key, model in _models().items():
        model._default_manager.filter(pk__in=merge.moved.get(key, [])).update(customer_id=merge.merged_id)
    for key, rows in merge.snapshot.get("parked", {}).items():
        model = _UNIQUE[key][0]
        model._default_manager.bulk_create([_unrow(model, r) for r in rows])
