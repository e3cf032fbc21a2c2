"""REST endpoints of the Relate side: identity links, merges, CRM sync, privacy."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from lara.cases.merge import MergeError, customer_merge, customer_unmerge, suggestion_accept
from lara.cases.models import WebhookDelivery, WebhookEndpoint
from lara.cases.outgoing import customer_payload, webhook_endpoint_create
from lara.cases.privacy import customer_erase, customer_export
from lara.core.models import Role
from lara.core.selectors import user_role
from lara.customers.attributes import AttributeValueError, attribute_definition_create
from lara.customers.imports import customer_import_start, import_rows_count
from lara.customers.models import AttributeDefinition, Customer, CustomerMerge, LinkSuggestion
from lara.customers.services import CustomerConflict, customer_upsert_by_crm_id, customers_import_csv
from lara.customers.suggestions import suggestion_list, suggestion_reject

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
    """Customers who may be the same person, best first, with the reasons.

    Read-only: suggestions are computed in the background when a customer
    changes and periodically for everyone, never on a GET.
    """
    customer = _customer(customer_id)
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


# --- CRM import and upsert ------------------------------------------------------------

MAX_IMPORT_BYTES = 200 * 1024 * 1024


def _import_input(request: HttpRequest) -> tuple[str, dict[str, str], bool]:
    """Read the CSV, the mapping and the dry-run flag from a multipart form or a JSON body."""
    if (request.content_type or "").startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise HttpError(422, 'send the CSV as the form field "file"')
        if upload.size and upload.size > MAX_IMPORT_BYTES:
            raise HttpError(413, "the file is too large")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise HttpError(422, "the file is not UTF-8 text") from exc
        raw_mapping: Any = request.POST.get("mapping") or "{}"
        try:
            raw_mapping = json.loads(raw_mapping)
        except json.JSONDecodeError as exc:
            raise HttpError(422, "mapping must be a JSON object") from exc
        dry_run = (request.POST.get("dry_run") or "").lower() in {"1", "true", "yes", "on"}
    else:
        try:
            body = json.loads(request.body or b"{}")
        except json.JSONDecodeError as exc:
            raise HttpError(422, "the body is not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("csv"), str):
            raise HttpError(422, 'send {"csv": "...", "mapping": {...}, "dry_run": true} or a multipart file')
        text, raw_mapping, dry_run = body["csv"], body.get("mapping") or {}, body.get("dry_run") is True
    if not isinstance(raw_mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw_mapping.items()
    ):
        raise HttpError(422, "mapping must map the file's column names to Lara's")
    return text, raw_mapping, dry_run


@router.post("/customers/import", response={200: dict[str, Any], 202: dict[str, Any]})
def customers_import(request: HttpRequest, background: bool = False) -> Any:
    """Import a CRM export (multipart ``file`` or JSON ``csv``) with a column mapping.

    ``dry_run`` stores nothing and sends nothing.

    The report gives counts and, per line, new / updated / conflicting / rejected with the reason.
    A file of more than ``LARA_IMPORT_INLINE_ROWS`` rows (or ``?background=true``) runs as a
    background job instead: the answer is 202 with the import's id and ``progress_url`` (a
    page with a progress bar); ``GET /api/customers/imports/{id}`` gives the report when done.
    """
    _require(request, Role.LEAD, Role.ADMIN)
    text, mapping, dry_run = _import_input(request)
    if background or import_rows_count(text) > settings.LARA_IMPORT_INLINE_ROWS:
        with transaction.atomic():
            run = customer_import_start(text=text, mapping=mapping, dry_run=dry_run, actor=request.user)
        return Status(
            202,
            {
                "id": run.pk,
                "status": run.status,
                "dry_run": run.dry_run,
                "total": run.total,
                "progress_url": f"/customers/imports/{run.pk}/",
            },
        )
    return customers_import_csv(text=text, mapping=mapping, dry_run=dry_run).as_dict()


class CustomerUpsertIn(Schema):
    name: str | None = None
    status: str | None = None
    tier: str | None = None
    lifetime_value: Decimal | None = None
    company: str | None = None
    owner: str | None = None
    city: str | None = None
    emails: list[str] = []
    phones: list[str] = []
    attributes: dict[str, Any] = {}


@router.put("/customers/by-crm-id/{external_id}", response={200: dict[str, Any], 201: dict[str, Any]})
def customers_upsert_by_crm_id(request: HttpRequest, external_id: str, body: CustomerUpsertIn) -> Any:
    """Create (201) or update (200) the customer with this CRM id; fields left out stay as they are.

    E-mails and phones are added and attributes merged, never wiped. 422 for
    invalid values; 409 when an e-mail or phone belongs to another customer.
    """
    _require(request, Role.LEAD, Role.ADMIN)
    sent = body.model_dump(exclude_unset=True)
    fields = {
        key: (str(value) if value is not None else None)
        for key, value in sent.items()
        if key not in {"emails", "phones", "attributes"}
    }
    try:
        customer, created = customer_upsert_by_crm_id(
            external_id=external_id,
            fields=fields,
            emails=body.emails,
            phones=body.phones,
            attributes=body.attributes,
        )
    except CustomerConflict as exc:
        raise HttpError(409, str(exc)) from exc
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201 if created else 200, customer_payload(customer))


# --- custom attributes ----------------------------------------------------------------


class AttributeIn(Schema):
    key: str
    label: str
    type: str = "text"
    choices: list[str] = []
    required: bool = False


class AttributeOut(Schema):
    key: str
    label: str
    type: str
    choices: list[str]
    required: bool
    position: int


@router.get("/attributes", response=list[AttributeOut])
def attributes_list(request: HttpRequest) -> Any:
    """The custom attributes customers carry (text, number, date, choice), in display order."""
    return list(AttributeDefinition.objects.order_by("position", "pk"))


@router.post("/attributes", response={201: AttributeOut})
def attributes_create(request: HttpRequest, body: AttributeIn) -> Any:
    """Define a custom attribute (leads and admins); 422 with the reason for a bad key, type or choices.

    From then on every CSV import, CRM upsert and merge checks its values.
    """
    _require(request, Role.LEAD, Role.ADMIN)
    try:
        definition = attribute_definition_create(
            key=body.key, label=body.label, type=body.type, choices=body.choices, required=body.required
        )
    except AttributeValueError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, definition)


# --- outgoing webhooks ----------------------------------------------------------------


class WebhookIn(Schema):
    url: str
    events: list[str]
    secret: str = ""
    active: bool = True
    description: str = ""


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    description: str
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str


class DeliveryOut(Schema):
    id: int
    uuid: str
    event: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    attempt_log: list[dict[str, Any]]
    payload: dict[str, Any]
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None

    @staticmethod
    def resolve_uuid(obj: WebhookDelivery) -> str:
        return str(obj.uuid)


@router.get("/webhooks", response=list[WebhookOut])
def webhooks_list(request: HttpRequest) -> Any:
    """The endpoints that hear about customer and case events (secrets are never shown again); admins."""
    _require(request, Role.ADMIN)
    return list(WebhookEndpoint.objects.all())


@router.post("/webhooks", response={201: WebhookCreatedOut})
def webhooks_create(request: HttpRequest, body: WebhookIn) -> Any:
    """Register an endpoint for some events; the answer shows the signing secret, this once only."""
    _require(request, Role.ADMIN)
    try:
        endpoint, secret = webhook_endpoint_create(
            url=body.url,
            events=body.events,
            secret=body.secret,
            active=body.active,
            description=body.description,
        )
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, {**WebhookOut.model_validate(endpoint).model_dump(), "secret": secret})


@router.get("/webhooks/{endpoint_id}/deliveries", response=list[DeliveryOut])
def webhooks_deliveries(request: HttpRequest, endpoint_id: int, limit: int = 100) -> Any:
    """The delivery log of one endpoint, newest first, with every attempt; admins."""
    _require(request, Role.ADMIN)
    if not WebhookEndpoint.objects.filter(pk=endpoint_id).exists():
        raise HttpError(404, "no such webhook")
    return list(WebhookDelivery.objects.filter(endpoint_id=endpoint_id)[: max(1, min(limit, 500))])
