"""Merge two customers and undo it exactly, cases and tasks included.

The customers app holds the records, their profiles and the merge rows but
may not import cases; a merge moves cases and tasks too, so the whole merge
runs here, in one transaction: ``lara.customers.merging`` does the
customers' half, this module moves the cases and tasks, writes their paper
trail and the audit line; ``lara.engage.merging`` moves survey answers, idea
votes and offers (and parks a duplicate vote or offer to restore it later).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from lara.customers.merging import (
    MergeError,
    audit_record,
    customers_merge_records,
    customers_unmerge_records,
    unmerge_blockers,
)
from lara.customers.models import AuditAction, Customer, CustomerMerge, LinkSuggestion, SuggestionStatus
from lara.customers.suggestions import match_keys_refresh
from lara.engage.merging import engage_merge_move, engage_unmerge_blockers, engage_unmerge_restore

from .models import Case, EventKind, Task
from .outgoing import customer_event_forward, customer_merged_emit
from .services import case_event_add

__all__ = ["MergeError", "customer_merge", "customer_unmerge", "suggestion_accept"]


def _locked(*pks: int) -> dict[int, Customer]:
    rows = Customer.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    return {c.pk: c for c in rows}


def customer_merge(
    *, target_id: int, other_id: int, choices: dict[str, str] | None, actor: Any, reason: str = ""
) -> CustomerMerge:
    """Merge customer ``other_id`` into ``target_id``: profiles, cases, tasks, contacts, attributes.

    Each CRM field is kept from the target or taken from the other, as
    ``choices`` says; the other record stays, inactive, "merged into" the
    target, and the merge row remembers enough to undo it exactly.
    """
    with transaction.atomic():
        customers = _locked(target_id, other_id)
        if target_id not in customers or other_id not in customers:
            raise MergeError("no such customer")
        target, other = customers[target_id], customers[other_id]
        merge = customers_merge_records(
            target=target, other=other, choices=choices or {}, actor=actor, reason=reason
        )
        cases = list(Case.objects.filter(customer=other).order_by("pk"))
        task_ids = list(Task.objects.filter(customer=other).order_by("pk").values_list("pk", flat=True))
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(customer=target)
        Task.objects.filter(pk__in=task_ids).update(customer=target)
        for case in cases:
            case_event_add(
                case=case,
                kind=EventKind.CUSTOMER_MERGED,
                actor=actor,
                data={"merge": merge.pk, "from_customer": other.pk, "to_customer": target.pk},
                reason=reason,
            )
        engaged, parked = engage_merge_move(target=target, other=other)
        merge.moved = {**merge.moved, "cases": [c.pk for c in cases], "tasks": task_ids, **engaged}
        if parked:  # a duplicate vote or offer, kept whole to be put back by the unmerge
            merge.snapshot = {**merge.snapshot, "parked": parked}
        merge.save(update_fields=["moved", "snapshot"])
        audit_record(
            action=AuditAction.MERGE,
            customer=target,
            actor=actor,
            reason=reason,
            data={"merge": merge.pk, "merged": other.pk, "choices": merge.choices, "moved": merge.moved},
        )
        match_keys_refresh(customer_ids=[target.pk, other.pk])
        customer_merged_emit(target=target, merged=other, merge_id=merge.pk)
    return merge


def unmerge_check(merge: CustomerMerge) -> list[str]:
    """Say what stops an exact unmerge (empty when nothing does)."""
    problems = unmerge_blockers(merge)
    if merge.undone_at is not None:
        return problems
    case_ids = merge.moved.get("cases", [])
    present = set(Case.objects.filter(pk__in=case_ids, customer=merge.target).values_list("pk", flat=True))
    if gone := [pk for pk in case_ids if pk not in present]:
        problems.append(f"case(s) {', '.join(map(str, gone))} no longer belong to customer {merge.target_id}")
    task_ids = merge.moved.get("tasks", [])
    present = set(Task.objects.filter(pk__in=task_ids, customer=merge.target).values_list("pk", flat=True))
    if gone := [pk for pk in task_ids if pk not in present]:
        problems.append(f"task(s) {', '.join(map(str, gone))} no longer belong to customer {merge.target_id}")
    problems += engage_unmerge_blockers(merge)
    # A case opened after the merge from a moved profile would be split from its messages' author.
    mixed = (
        Case.objects.filter(
            customer=merge.target,
            created_at__gt=merge.created_at,
            case_messages__message__author_profile_id__in=merge.moved.get("profiles", []),
        )
        .exclude(pk__in=case_ids)
        .distinct()
    )
    if refs := [str(c) for c in mixed]:
        problems.append(
            f"case(s) {', '.join(refs)} were opened after the merge from the merged customer's profiles; "
            "move or close them by hand first"
        )
    return problems


def customer_unmerge(*, merge_id: int, actor: Any, reason: str = "") -> CustomerMerge:
    """Undo a merge exactly, or refuse with every reason it cannot be exact."""
    with transaction.atomic():
        merge = CustomerMerge.objects.select_for_update().filter(pk=merge_id).first()
        if merge is None:
            raise MergeError("no such merge")
        customers = _locked(merge.target_id, merge.merged_id)
        merge.target, merge.merged = customers[merge.target_id], customers[merge.merged_id]
        problems = unmerge_check(merge)
        if problems:
            raise MergeError("cannot undo this merge exactly: " + "; ".join(problems))
        customers_unmerge_records(merge=merge, actor=actor, reason=reason)
        cases = list(Case.objects.filter(pk__in=merge.moved.get("cases", [])).order_by("pk"))
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(customer=merge.merged)
        Task.objects.filter(pk__in=merge.moved.get("tasks", [])).update(customer=merge.merged)
        engage_unmerge_restore(merge)
        for case in cases:
            case_event_add(
                case=case,
                kind=EventKind.CUSTOMER_UNMERGED,
                actor=actor,
                data={"merge": merge.pk, "from_customer": merge.target_id, "to_customer": merge.merged_id},
                reason=reason,
            )
        audit_record(
            action=AuditAction.UNMERGE,
            customer=merge.target,
            actor=actor,
            reason=reason,
            data={"merge": merge.pk, "restored": merge.merged_id, "moved_back": merge.moved},
        )
        match_keys_refresh(customer_ids=[merge.target_id, merge.merged_id])
        for customer in (merge.target, merge.merged):
            customer_event_forward(event="customer.updated", customer=customer)
    return merge


def suggestion_accept(
    *, suggestion_id: int, actor: Any, reason: str = "", choices: dict[str, str] | None = None
) -> LinkSuggestion:
    """Accept a suggested pair by merging it (through ``customer_merge``).

    The record with the company's CRM id is kept as the target, so the CRM
    data stays where the CRM sync looks for it; otherwise the older record.
    """
    with transaction.atomic():
        suggestion = LinkSuggestion.objects.select_for_update().filter(pk=suggestion_id).first()
        if suggestion is None:
            raise MergeError("no such suggestion")
        if suggestion.status != SuggestionStatus.OPEN:
            raise MergeError(f"suggestion {suggestion.pk} was already {suggestion.status}")
        a, b = suggestion.customer_a, suggestion.customer_b
        target, other = (b, a) if b.external_crm_id and not a.external_crm_id else (a, b)
        merge = customer_merge(
            target_id=target.pk,
            other_id=other.pk,
            choices=choices,
            actor=actor,
            reason=reason or f"accepted suggestion {suggestion.pk}",
        )
        suggestion.status = SuggestionStatus.ACCEPTED
        suggestion.decided_by = actor
        suggestion.decided_at = timezone.now()
        suggestion.merge = merge
        suggestion.save()
        audit_record(
            action=AuditAction.SUGGESTION_ACCEPTED,
            customer=merge.target,
            actor=actor,
            reason=reason,
            data={"suggestion": suggestion.pk, "merge": merge.pk, "score": suggestion.score},
        )
    return suggestion
