"""Merge two customer records with a choice per field, and undo a merge, from the customer page.

Leads and admins only, as in the API. The merge page shows both records side
by side and asks, for every field where they differ, which value to keep; the
merge and the unmerge go through the same services as the API, so the audit
trail, the case events and the exact undo are the same.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lara.cases.merge import customer_merge, customer_unmerge
from lara.core.selectors import user_sees_all_teams
from lara.customers.merging import CHOICE_KEYS, MergeError
from lara.customers.models import Customer, CustomerMerge

from .views import _customer_or_404

FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "status": gettext_lazy("Status"),
    "tier": gettext_lazy("Tier"),
    "lifetime_value": gettext_lazy("Lifetime value"),
    "owner": gettext_lazy("Owner"),
    "company": gettext_lazy("Company"),
    "city": gettext_lazy("City"),
    "external_crm_id": gettext_lazy("CRM id"),
    "attributes": gettext_lazy("Custom attributes"),
}


def _lead(request: HttpRequest) -> None:
    if not user_sees_all_teams(request.user):
        raise PermissionDenied("Only leads and admins may merge customers")


def _value(customer: Customer, field: str) -> Any:
    value = getattr(customer, field)
    return "" if value in (None, {}, []) else value


@login_required
def customer_merge_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Pick the other record (``?other=<id>``) and a value per differing field; POST merges."""
    _lead(request)
    customer = _customer_or_404(request, customer_id)
    raw = (request.POST if request.method == "POST" else request.GET).get("other", "").strip()
    other = Customer.objects.filter(pk=int(raw), merged_into__isnull=True).first() if raw.isdigit() else None
    if raw and (other is None or other.pk == customer.pk):
        flash.error(request, _("Choose another active customer by its number."))
        other = None
    rows = [
        (field, FIELD_LABELS[field], _value(customer, field), _value(other, field))
        for field in CHOICE_KEYS
        if other is not None
    ]
    if request.method == "POST" and other is not None:
        choices = {field: request.POST.get(f"choice_{field}", "keep") for field in CHOICE_KEYS}
        try:
            customer_merge(
                target_id=customer.pk,
                other_id=other.pk,
                choices=choices,
                actor=request.user,
                reason=request.POST.get("reason", "").strip() or "merged on the customer page",
            )
        except MergeError as exc:
            flash.error(request, str(exc))
        else:
            flash.success(request, _("The two records were merged."))
            return redirect("customer", customer_id=customer.pk)
    context = {"customer": customer, "other": other, "rows": rows, "other_raw": raw}
    return render(request, "lara/customer_merge.html", context)


@login_required
@require_POST
def customer_unmerge_view(request: HttpRequest, customer_id: int, merge_id: int) -> HttpResponse:
    """Undo one merge into this customer exactly, or say what prevents it."""
    _lead(request)
    customer = _customer_or_404(request, customer_id)
    merge = CustomerMerge.objects.filter(pk=merge_id, target=customer, undone_at__isnull=True).first()
    if merge is None:
        raise Http404("No such merge into this customer")
    try:
        customer_unmerge(merge_id=merge.pk, actor=request.user, reason=request.POST.get("reason", "").strip())
    except MergeError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("The merge was undone; both records are as they were."))
    return redirect("customer", customer_id=customer.pk)
