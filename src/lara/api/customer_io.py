"""REST endpoints: consent links from a case, the customers CSV export, background CSV imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from lara.cases.consent import consent_link_send
from lara.cases.selectors import case_visible_to
from lara.core.models import Role
from lara.core.selectors import user_role
from lara.customers.export import customers_csv_rows, customers_export_audit
from lara.customers.models import CustomerImport

router = Router(tags=["relate"])


class ConnectLinkOut(Schema):
    link: int
    reply: int
    case: str
    expires_at: datetime


@router.post("/cases/{case_id}/connect-link", response={201: ConnectLinkOut})
def cases_connect_link(request: HttpRequest, case_id: str) -> Any:
    """Send the customer a one-time "connect your accounts" link as a reply on this case.

    ``case_id`` is the case's reference (or its numeric id). The link lets the
    customer prove that another of their accounts is theirs; Lara then links
    the two records, recording that the customer consented.
    """
    visible = case_visible_to(request.user)
    lookup = Q(reference=case_id) | (Q(pk=int(case_id)) if case_id.isdigit() else Q(pk__in=[]))
    case = visible.filter(lookup).first()
    if case is None:
        raise HttpError(404, "no such case, or not in your teams")
    sent = consent_link_send(case=case, actor=request.user, base_url=request.build_absolute_uri("/"))
    return Status(
        201,
        {
            "link": sent.link.pk,
            "reply": sent.reply.pk,
            "case": case.reference,
            "expires_at": sent.link.expires_at,
        },
    )


@router.get("/customers/export.csv")
def customers_export_csv(request: HttpRequest) -> Any:
    """Every active customer as CSV: CRM fields, profiles, contact points, segments; streamed.

    Admins and leads only; each export is written to the customers' audit trail.
    """
    if user_role(request.user) not in (Role.LEAD, Role.ADMIN):
        raise HttpError(403, "only leads and admins may export customers")
    customers_export_audit(actor=request.user)
    response = StreamingHttpResponse(customers_csv_rows(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="customers.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


class ImportRunOut(Schema):
    id: int
    status: str
    dry_run: bool
    total: int
    done: int
    report: dict[str, Any]
    error: str
    created_at: datetime
    finished_at: datetime | None
    progress_url: str

    @staticmethod
    def resolve_progress_url(obj: CustomerImport) -> str:
        return f"/customers/imports/{obj.pk}/"


@router.get("/customers/imports/{import_id}", response=ImportRunOut)
def customers_import_status(request: HttpRequest, import_id: int) -> Any:
    """A background import's progress and, once done, its full report."""
    if user_role(request.user) not in (Role.LEAD, Role.ADMIN):
        raise HttpError(403, "only leads and admins import customers")
    run = CustomerImport.objects.filter(pk=import_id).first()
    if run is None:
        raise HttpError(404, "no such import")
    return Status(200, run)
