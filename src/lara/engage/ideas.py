"""Collect ideas and count the customers who want each one (one vote per customer and idea)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet

from lara.customers.merging import active_customer
from lara.customers.models import Customer
from lara.mentions.models import Message

from .models import Idea, IdeaStatus, IdeaVote
from .trail import engage_event_record


class IdeaError(ValueError):
    """An idea or a vote that cannot be stored; the message says why, for a person."""


def idea_create(
    *, title: str, description: str = "", actor: Any, source_message: Message | None = None
) -> Idea:
    title = title.strip()
    if not title:
        raise IdeaError("an idea needs a title")
    return Idea.objects.create(
        title=title[:200],
        description=description.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        source_message=source_message,
    )


def idea_status_set(*, idea: Idea, status: str, actor: Any) -> Idea:
    if status not in IdeaStatus.values:
        raise IdeaError(f"status must be one of {', '.join(IdeaStatus.values)}")
    idea.status = status
    idea.save(update_fields=["status"])
    return idea


def idea_list(*, status: str | None = None) -> QuerySet[Idea]:
    """Ideas newest first, each with ``vote_count`` (one query)."""
    qs = Idea.objects.annotate(vote_count=Count("votes"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def _message_customer(message: Message) -> Customer:
    if message.author_profile_id is None:
        raise IdeaError(f"message {message.pk} has no known author")
    return active_customer(Customer.objects.get(pk=message.author_profile.customer_id))  # type: ignore[union-attr]


def idea_vote_add(
    *, idea: Idea, actor: Any, customer: Customer | None = None, message: Message | None = None
) -> tuple[IdeaVote, bool]:
    """Count the customer's vote once: (vote, created); a second vote returns the first.

    From a message, the voter is the customer who wrote it; given both, they
    must agree. The vote goes to the customer's active record.
    """
    if message is not None:
        author = _message_customer(message)
        if customer is not None and active_customer(customer).pk != author.pk:
            raise IdeaError(f"message {message.pk} was not written by customer {customer.pk}")
        customer = author
    if customer is None:
        raise IdeaError("say which customer votes, or the message they voted in")
    customer = active_customer(customer)
    with transaction.atomic():
        vote, created = IdeaVote.objects.get_or_create(
            idea=idea, customer=customer, defaults={"message": message}
        )
        if created:
            engage_event_record(
                action="idea_voted",
                customer=customer,
                actor=actor,
                data={"idea": idea.pk, "vote": vote.pk, "message": message.pk if message else None},
            )
    return vote, created
