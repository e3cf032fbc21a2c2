"""REST endpoints of the Relate side: identity links, merges, CRM sync, privacy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from lara.cases.merge import MergeError, customer_merge, customer_unmerge, suggestion_accept
from lara.cases.privacy import customer_erase, customer_export
from lara.core.models import Role
from lara.core.selectors import user_role
from lara.customers.models import Customer, CustomerMerge, LinkSuggestion
from lara.customers.suggestions import suggestion_list, suggestion_reject, suggestions_compute

router = Router(tags=["relate"])


def _require(request: HttpRequest, *roles: str) -> None:
    if user_role(request.user) not in roles:
        raise HttpError(403, f"only {' and '.join(roles)}s may do this")


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise HttpError(404, "no such customer")
    return customer


# --- merge and unmerge ----------------------------------------------------------------


class MergeIn(Schema):
    other: int
    choices: dict[str, str] = {}
    reason: str = ""


class UnmergeIn(Schema):
    reason: str = ""


class MergeOut(Schema):
    id: int
    target: int
    merged: int
    actor: str | None
    reason: str
    choices: dict[str, str]
    moved: dict[str, list[int]]
    created_at: datetime
    undone_at: datetime | None

    @staticmethod
    def resolve_target(obj: CustomerMerge) -> int:
        return obj.target_id

    @staticmethod
    def resolve_merged(obj: CustomerMerge) -> int:
        return obj.merged_id

    @staticmethod
    def resolve_actor(obj: CustomerMerge) -> str | None:
        return obj.actor.get_username() if obj.actor else None


@router.post("/customers/{customer_id}/merge", response=MergeOut)
def customers_merge(request: HttpRequest, customer_id: int, body: MergeIn) -> Any:
    """Merge customer ``other`` into this one; each CRM field "keep" (ours) or "take" (theirs)."""
    _require(request, Role.LEAD, Role.ADMIN)
    _customer(customer_id)
    _customer(body.other)
    try:
        return customer_merge(
            target_id=customer_id,
            other_id=body.other,
            choices=body.choices,
            actor=request.user,
            reason=body.reason,
        )
    except MergeError as exc:
        raise HttpError(409, str(exc)) from exc


@router.post("/merges/{merge_id}/unmerge", response=MergeOut)
def merges_unmerge(request: HttpRequest, merge_id: int, body: UnmergeIn | None = None) -> Any:
    """Undo a merge exactly; 409 with the reasons when it cannot be exact."""
    _require(request, Role.LEAD, Role.ADMIN)
    if not CustomerMerge.objects.filter(pk=merge_id).exists():
        raise HttpError(404, "no such merge")
    try:
        return customer_unmerge(merge_id=merge_id, actor=request.user, reason=body.reason if body else "")
    except MergeError as exc:
        raise HttpError(409, str(exc)) from exc


# --- identity suggestions -------------------------------------------------------------


class ReasonOut(Schema):
    code: str
    text: str


class SuggestionOut(Schema):
    id: int
    customer: int
    other: int
    other_name: str
    score: float
    reasons: list[ReasonOut]
    status: str


class DecisionIn(Schema):
    reason: str = ""
    choices: dict[str, str] = {}


class DecisionOut(Schema):
    id: int
    status: str
    decided_by: str | None
    merge: int | None


def _suggestion_out(suggestion: LinkSuggestion, customer_id: int) -> dict[str, Any]:
    other = suggestion.customer_b if suggestion.customer_a_id == customer_id else suggestion.customer_a
    return {
        "id": suggestion.pk,
        "customer": customer_id,
        "other": other.pk,
        "other_name": other.name,
        "score": suggestion.score,
        "reasons": suggestion.reasons,
        "status": suggestion.status,
    }


def _decision_out(suggestion: LinkSuggestion) -> dict[str, Any]:
    return {
        "id": suggestion.pk,
        "status": suggestion.status,
        "decided_by": suggestion.decided_by.get_username() if suggestion.decided_by else None,
        "merge": suggestion.merge_id,
    }


@router.get("/customers/{customer_id}/suggestions", response=list[SuggestionOut])
def customers_suggestions(request: HttpRequest, customer_id: int) -> Any:
    """Customers who may be the same person, best first, with the reasons."""
    customer = _customer(customer_id)
    if customer.merged_into_id is None:
        suggestions_compute(customer_id=customer.pk)
    return [_suggestion_out(s, customer.pk) for s in suggestion_list(customer_id=customer.pk)]


def _suggestion(suggestion_id: int) -> LinkSuggestion:
    suggestion = LinkSuggestion.objects.filter(pk=suggestion_id).first()
    if suggestion is None:
        raise HttpError(404, "no such suggestion")
    return suggestion


@router.post("/suggestions/{suggestion_id}/accept", response=DecisionOut)
def suggestions_accept(request: HttpRequest, suggestion_id: int, body: DecisionIn | None = None) -> Any:
    """Accept: the two records are merged (a merge, so leads and admins only)."""
    _require(request, Role.LEAD, Role.ADMIN)
    _suggestion(suggestion_id)
    try:
        suggestion = suggestion_accept(
            suggestion_id=suggestion_id,
            actor=request.user,
            reason=body.reason if body else "",
            choices=body.choices if body else None,
        )
    except MergeError as exc:
        raise HttpError(409, str(exc)) from exc
    return _decision_out(suggestion)


@router.post("/suggestions/{suggestion_id}/reject", response=DecisionOut)
def suggestions_reject(request: HttpRequest, suggestion_id: int, body: DecisionIn | None = None) -> Any:
    """Reject: the pair is never suggested again. Any agent may say two people are not one."""
    _require(request, Role.AGENT, Role.LEAD, Role.ADMIN)
    try:
        suggestion = suggestion_reject(
            suggestion=_suggestion(suggestion_id), actor=request.user, reason=body.reason if body else ""
        )
    except MergeError as exc:
        raise HttpError(409, str(exc)) from exc
    return _decision_out(suggestion)


# --- privacy --------------------------------------------------------------------------


class EraseIn(Schema):
    reason: str = ""


@router.get("/customers/{customer_id}/export", response=dict[str, Any])
def customers_export(request: HttpRequest, customer_id: int, reason: str = "") -> Any:
    """Everything Lara holds about the customer, as JSON (data-subject access request); admins only."""
    _require(request, Role.ADMIN)
    return customer_export(customer=_customer(customer_id), actor=request.user, reason=reason)


@router.post("/customers/{customer_id}/erase")
def customers_erase(request: HttpRequest, customer_id: int, body: EraseIn | None = None) -> Any:
    """Anonymise the customer; rows stay so counts stay right; admins only."""
    _require(request, Role.ADMIN)
    customer = customer_erase(
        customer=_customer(customer_id), actor=request.user, reason=body.reason if body else ""
    )
    return {"id": customer.pk, "name": customer.name, "erased": True}
