"""Suggest customers who may be one person; an agent decides, nothing merges by itself.

Each active customer keeps its blocking keys in ``CustomerMatchKey`` (written
whenever its name, profiles or e-mails change), so suggesting for one
customer reads only the customers that share a key with it, and a run over
everyone goes in batches without ever comparing all pairs. The same table
holds each customer's frequency keys (its name words and city): counting
them tells the scoring how common a name is among the customers, so a
common name alone is never enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lara.core.jobs import job_enqueue
from lara.core.models import Job, JobStatus

from .identity import (
    SUGGEST_THRESHOLD,
    Frequencies,
    Identity,
    email_local_part,
    frequency_keys,
    handle_normalize,
    identity_keys,
    is_frequency_key,
    pair_score,
)
from .merging import MergeError, audit_record
from .models import AuditAction, Customer, CustomerMatchKey, LinkSuggestion, SuggestionStatus

# A key shared by more customers than this says too little to compare them all.
MAX_BLOCK = 500
KEY_LENGTH = 120  # CustomerMatchKey.key's max_length


def identities_load(customer_ids: Iterable[int]) -> dict[int, Identity]:
    """Read what the records say about the people behind them (active customers only)."""
    identities: dict[int, Identity] = {}
    customers = (
        Customer.objects.filter(pk__in=list(customer_ids), merged_into__isnull=True)
        .only("pk", "name", "emails", "city")
        .prefetch_related("profiles")
    )
    for customer in customers:
        identity = Identity(customer_id=customer.pk, city=customer.city)
        names = [customer.name]
        emails = list(customer.emails)
        for profile in customer.profiles.all():
            names.append(profile.display_name)
            if handle := handle_normalize(profile.handle):
                identity.handles.add((profile.network, handle))
            if profile.email:
                emails.append(profile.email)
        identity.names = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        identity.email_locals = {local for e in emails if (local := email_local_part(e))}
        identities[customer.pk] = identity
    return identities


def match_keys_refresh(*, customer_ids: Iterable[int]) -> None:
    """Rewrite the blocking and frequency keys of these customers (a merged one keeps none).

    Only the keys that changed are written: the periodic run refreshes
    everyone, and most customers have not changed since the last one.
    """
    ids = list(customer_ids)
    identities = identities_load(ids)
    wanted = {
        (pk, key[:KEY_LENGTH])
        for pk, identity in identities.items()
        for key in identity_keys(identity) | frequency_keys(identity)
    }
    with transaction.atomic():
        held = {
            (pk, key): row
            for row, pk, key in CustomerMatchKey.objects.filter(customer_id__in=ids).values_list(
                "pk", "customer_id", "key"
            )
        }
        stale = sorted(row for pair, row in held.items() if pair not in wanted)
        for start in range(0, len(stale), 500):
            CustomerMatchKey.objects.filter(pk__in=stale[start : start + 500]).delete()
        CustomerMatchKey.objects.bulk_create(
            CustomerMatchKey(customer_id=pk, key=key) for pk, key in sorted(wanted - held.keys())
        )


def frequencies_load(identities: Iterable[Identity]) -> Frequencies:
    """How many active customers hold each frequency key of these records, out of how many."""
    wanted = {key[:KEY_LENGTH]: key for identity in identities for key in frequency_keys(identity)}
    counts: dict[str, int] = {}
    stored = sorted(wanted)
    for start in range(0, len(stored), 500):
        rows = (
            CustomerMatchKey.objects.filter(key__in=stored[start : start + 500])
            .values("key")
            .annotate(n=Count("pk"))
            .values_list("key", "n")
        )
        counts.update({wanted[key]: n for key, n in rows})
    customers = Customer.objects.filter(merged_into__isnull=True).count()
    return Frequencies(customers=customers, counts=counts)


def _candidates(customer_ids: list[int]) -> dict[int, set[int]]:
    """Map each customer to the others sharing a blocking key with it, skipping too-common keys."""
    rows = [
        (pk, key)
        for pk, key in CustomerMatchKey.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "key"
        )
        if not is_frequency_key(key)
    ]
    keys = sorted({key for _pk, key in rows})
    members: dict[str, set[int]] = {}
    # A few hundred keys a query: a batch of customers holds thousands.
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        crowded = set(
            CustomerMatchKey.objects.filter(key__in=chunk)
            .values("key")
            .annotate(n=Count("pk"))
            .filter(n__gt=MAX_BLOCK)
            .values_list("key", flat=True)
        )
        wanted = [key for key in chunk if key not in crowded]
        for pk, key in CustomerMatchKey.objects.filter(key__in=wanted).values_list("customer_id", "key"):
            members.setdefault(key, set()).add(pk)
    found: dict[int, set[int]] = {pk: set() for pk in customer_ids}
    for pk, key in rows:
        found[pk] |= members.get(key, set()) - {pk}
    return found


@dataclass
class SuggestReport:
    compared: int = 0
    suggested: int = 0


def _pairs_decided(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], LinkSuggestion]:
    """The stored rows of these pairs, read a few hundred pairs' customers at a time."""
    found: dict[tuple[int, int], LinkSuggestion] = {}
    wanted = set(pairs)
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        rows = LinkSuggestion.objects.filter(
            customer_a_id__in={a for a, _b in chunk}, customer_b_id__in={b for _a, b in chunk}
        )
        found.update({key: row for row in rows if (key := (row.customer_a_id, row.customer_b_id)) in wanted})
    return found


def _suggest_pairs(pairs: set[tuple[int, int]], report: SuggestReport) -> None:
    identities = identities_load({pk for pair in pairs for pk in pair})
    ordered = sorted(p for p in pairs if p[0] in identities and p[1] in identities)
    decided = _pairs_decided(ordered)
    frequencies = frequencies_load(identities.values())
    for a, b in ordered:
        report.compared += 1
        existing = decided.get((a, b))
        if existing is not None and existing.status != SuggestionStatus.OPEN:
            continue  # decided once: a rejected pair is never suggested again
        scored = pair_score(identities[a], identities[b], frequencies)
        if scored.score < SUGGEST_THRESHOLD:
            if existing is not None:
                existing.delete()
            continue
        report.suggested += 1
        if existing is None:
            LinkSuggestion.objects.create(
                customer_a_id=a, customer_b_id=b, score=scored.score, reasons=scored.reasons
            )
        elif (existing.score, existing.reasons) != (scored.score, scored.reasons):
            existing.score, existing.reasons = scored.score, scored.reasons
            existing.save(update_fields=["score", "reasons", "updated_at"])


def suggestions_compute(*, customer_id: int) -> SuggestReport:
    """Compare one customer with those sharing a blocking key; store the pairs above the threshold."""
    match_keys_refresh(customer_ids=[customer_id])
    report = SuggestReport()
    others = _candidates([customer_id])[customer_id]
    _suggest_pairs({(min(customer_id, o), max(customer_id, o)) for o in others}, report)
    return report


def suggestions_compute_all(*, batch_size: int = 1000) -> SuggestReport:
    """Refresh every active customer's keys, then suggest pairs block by block, in batches."""
    report = SuggestReport()
    ids = list(Customer.objects.filter(merged_into__isnull=True).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        match_keys_refresh(customer_ids=ids[start : start + batch_size])
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        # Each pair is taken up by its lower id, so no pair is scored twice.
        pairs = {(pk, other) for pk, others in _candidates(batch).items() for other in others if other > pk}
        _suggest_pairs(pairs, report)
    return report


SUGGEST_TASK = "lara.customers.suggestions.suggestions_compute_task"


def suggestions_enqueue(*, customer_ids: Iterable[int]) -> None:
    """Compute these customers' suggestions in the background (once per customer while queued).

    Reading suggestions never computes them: a GET stays read-only and fast,
    and the periodic ``suggestions_compute_all_task`` catches anything missed.
    """
    for pk in customer_ids:
        if not Job.objects.filter(task=SUGGEST_TASK, status=JobStatus.QUEUED, args=[pk]).exists():
            job_enqueue(task=SUGGEST_TASK, args=[pk])


SUGGEST_MANY_TASK = "lara.customers.suggestions.suggestions_compute_many_task"


def suggestions_enqueue_many(*, customer_ids: Iterable[int]) -> None:
    """Compute a batch of customers' suggestions in one background job (a CSV import's batch).

    One job per batch rather than per customer: a 100,000-row import would
    otherwise queue 100,000 jobs, and a batch reads its candidates in a few
    queries instead of a few per customer.
    """
    ids = sorted(set(customer_ids))
    if ids:
        job_enqueue(task=SUGGEST_MANY_TASK, args=[ids])


def suggestions_compute_many(*, customer_ids: Iterable[int]) -> SuggestReport:
    """Like ``suggestions_compute`` for many customers at once; each pair is scored once."""
    ids = list(
        Customer.objects.filter(pk__in=list(customer_ids), merged_into__isnull=True).values_list(
            "pk", flat=True
        )
    )
    match_keys_refresh(customer_ids=ids)
    report = SuggestReport()
    pairs = {(min(pk, o), max(pk, o)) for pk, others in _candidates(ids).items() for o in others}
    _suggest_pairs(pairs, report)
    return report


def suggestions_compute_many_task(customer_ids: list[int]) -> None:
    """Job entry point: a batch of customers' suggestions (those merged away since are skipped)."""
    suggestions_compute_many(customer_ids=customer_ids)


def suggestions_compute_batch_task(args_list: list[list[int]]) -> None:
    """Batch entry point: the queued one-customer jobs of many customers, compared in one pass."""
    suggestions_compute_many(customer_ids=[args[0] for args in args_list])


def suggestions_compute_task(customer_id: int) -> None:
    """Job entry point: one customer's suggestions (skipped once the record is merged away)."""
    if Customer.objects.filter(pk=customer_id, merged_into__isnull=True).exists():
        suggestions_compute(customer_id=customer_id)


def suggestions_compute_all_task() -> None:
    """Periodic job entry point: every active customer, in batches."""
    suggestions_compute_all()


def suggestion_list(*, customer_id: int) -> QuerySet[LinkSuggestion]:
    """The open suggestions involving this customer between active records, best first."""
    return (
        LinkSuggestion.objects.filter(Q(customer_a_id=customer_id) | Q(customer_b_id=customer_id))
        .filter(
            status=SuggestionStatus.OPEN,
            customer_a__merged_into__isnull=True,
            customer_b__merged_into__isnull=True,
        )
        .select_related("customer_a", "customer_b")
        .order_by("-score", "pk")
    )


def suggestion_reject(*, suggestion: LinkSuggestion, actor: Any, reason: str = "") -> LinkSuggestion:
    """Mark the pair as not one person; it is never suggested again."""
    with transaction.atomic():
        suggestion = LinkSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if suggestion.status != SuggestionStatus.OPEN:
            raise MergeError(f"suggestion {suggestion.pk} was already {suggestion.status}")
        suggestion.status = SuggestionStatus.REJECTED
        suggestion.decided_by = actor
        suggestion.decided_at = timezone.now()
        suggestion.save()
        audit_record(
            action=AuditAction.SUGGESTION_REJECTED,
            customer=suggestion.customer_a,
            actor=actor,
            reason=reason,
            data={"suggestion": suggestion.pk, "pair": [suggestion.customer_a_id, suggestion.customer_b_id]},
        )
    return suggestion
