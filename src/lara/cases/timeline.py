"""Read a customer's whole history, newest first, one keyset page at a time.

Used by the timeline API and the customer page alike.

A customer may have tens of thousands of interactions, so the timeline never
counts and never offsets: each source (messages, cases, tasks, notes, survey
answers, idea votes, offers) is read with a keyset condition on its
``(timestamp, id)`` and ``LIMIT n + 1`` along an index, the sources are merged
in Python (at most ``7 × (n + 1)`` rows), and the cursor is the last row's
``(timestamp, kind, id)``. Deep pages cost the same as the first one.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from lara.channels.models import Channel
from lara.core.selectors import user_sees_all_teams
from lara.customers.models import Customer, SocialProfile
from lara.engage.models import IdeaVote, OfferSent, SurveyAnswer
from lara.mentions.models import Message

from .models import Case, CaseNote, Task
from .selectors import case_visible_to

KINDS = ("message", "case", "task", "note", "survey", "idea", "offer")
MAX_LIMIT = 200


@dataclass(frozen=True)
class Cursor:
    at: datetime
    kind: str
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.kind, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            at, kind, pk = json.loads(raw)
            cursor = cls(datetime.fromisoformat(at), str(kind), int(pk))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise ValueError("the cursor is not one this API gave out") from exc
        if cursor.kind not in KINDS or cursor.at.tzinfo is None:
            raise ValueError("the cursor is not one this API gave out")
        return cursor

    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)


def _before(kind: str, cursor: Cursor | None, field: str = "created_at") -> Q:
    """Rows of ``kind`` strictly after the cursor in (time desc, kind desc, id desc) order.

    The kind is constant within a source, so the three-part comparison
    becomes a two-part one on ``(created_at, id)``, which an index serves.
    """
    if cursor is None:
        return Q()
    if kind < cursor.kind:
        return Q(**{f"{field}__lte": cursor.at})
    if kind > cursor.kind:
        return Q(**{f"{field}__lt": cursor.at})
    return Q(**{f"{field}__lt": cursor.at}) | Q(**{field: cursor.at, "pk__lt": cursor.id})


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    id: int
    channel: str | None
    data: dict[str, Any]

    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)


def _newest(qs: QuerySet[Any], limit: int, *fields: str, at: str = "created_at") -> list[dict[str, Any]]:
    """The newest ``limit`` rows by ``at`` as plain dicts: no model instances, no JSON columns decoded."""
    return list(qs.order_by(f"-{at}", "-pk").values("pk", at, *fields)[:limit])


def customer_timeline_page(
    *,
    user: Any,
    customer: Customer,
    before: Cursor | None = None,
    limit: int = 50,
    channel: str | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> tuple[list[Entry], Cursor | None]:
    """One page of the customer's interactions the user may see, newest first, and the next cursor.

    An agent sees messages that belong to no case or to a case of their
    teams, and only those cases, tasks and notes, as on the case page.
    """
    sees_all = user_sees_all_teams(user)
    visible_cases = case_visible_to(user).filter(customer=customer).values("pk")
    channel_id: int | None = None
    if channel:
        channel_id = Channel.objects.filter(slug=channel).values_list("pk", flat=True).first()
        if channel_id is None:
            return [], None
    take = limit + 1
    entries: list[Entry] = []
    fields: tuple[str, ...]

    if "message" in kinds:
        profile_ids = list(SocialProfile.objects.filter(customer=customer).values_list("pk", flat=True))
        sources = [
            # One query per profile: each walks the (author_profile, created_at) index in order
            # and stops after n + 1 rows; an IN over all profiles would sort every message.
            *(Message.objects.filter(author_profile_id=pk) for pk in profile_ids),
            # Replies sent and messages of other authors attached to this customer's cases.
            Message.objects.filter(case_link__case__customer=customer).exclude(
                author_profile_id__in=profile_ids
            ),
        ]
        seen: set[int] = set()
        for qs in sources:
            if channel_id is not None:
                qs = qs.filter(channel_id=channel_id)
            if not sees_all:
                qs = qs.filter(Q(case_link__isnull=True) | Q(case_link__case__in=visible_cases))
            fields = (
                "channel__slug",
                "direction",
                "kind",
                "text",
                "url",
                "case_link__case__reference",
            )
            for m in _newest(qs.filter(_before("message", before)), take, *fields):
                if m["pk"] in seen:
                    continue
                seen.add(m["pk"])
                data = {
                    "direction": m["direction"],
                    "message_kind": m["kind"],
                    "text": m["text"],
                    "url": m["url"],
                    "case": m["case_link__case__reference"],
                }
                entries.append(Entry(m["created_at"], "message", m["pk"], m["channel__slug"], data))
    cases = (
        Case.objects.filter(pk__in=visible_cases) if not sees_all else Case.objects.filter(customer=customer)
    )
    if channel_id is not None:
        cases = cases.filter(channel_id=channel_id)
    if "case" in kinds:
        fields = ("channel__slug", "reference", "status", "priority", "subject")
        for c in _newest(cases.filter(_before("case", before)), take, *fields):
            data = {
                "case": c["reference"],
                "status": c["status"],
                "priority": c["priority"],
                "subject": c["subject"],
            }
            entries.append(Entry(c["created_at"], "case", c["pk"], c["channel__slug"], data))
    if "task" in kinds:
        tasks = Task.objects.filter(case__in=cases.values("pk"))
        if channel_id is None:
            own = Task.objects.filter(customer=customer, case__isnull=True)
            tasks = Task.objects.filter(Q(pk__in=tasks.values("pk")) | Q(pk__in=own.values("pk")))
        fields = ("case__channel__slug", "title", "status", "due_at", "case__reference")
        for t in _newest(tasks.filter(_before("task", before)), take, *fields):
            data = {
                "title": t["title"],
                "status": t["status"],
                "due_at": t["due_at"],
                "case": t["case__reference"],
            }
            entries.append(Entry(t["created_at"], "task", t["pk"], t["case__channel__slug"], data))
    if "note" in kinds:
        notes = CaseNote.objects.filter(case__in=cases.values("pk"))
        fields = ("case__channel__slug", "text", "author__username", "case__reference")
        for n in _newest(notes.filter(_before("note", before)), take, *fields):
            data = {"text": n["text"], "author": n["author__username"], "case": n["case__reference"]}
            entries.append(Entry(n["created_at"], "note", n["pk"], n["case__channel__slug"], data))
    entries += _engagement(
        customer=customer,
        cases=cases,
        before=before,
        take=take,
        channel_id=channel_id,
        kinds=kinds,
        sees_all=sees_all,
    )

    page = heapq.nlargest(take, entries, key=Entry.sort_key)
    more = len(page) > limit
    page = page[:limit]
    last = page[-1] if page else None
    return page, (Cursor(last.at, last.kind, last.id) if more and last else None)


def _engagement(
    *,
    customer: Customer,
    cases: QuerySet[Case],
    before: Cursor | None,
    take: int,
    channel_id: int | None,
    kinds: tuple[str, ...],
    sees_all: bool,
) -> list[Entry]:
    """The customer's survey answers, idea votes and offers, newest first (``take`` of each).

    An answer about a case shows where the case shows (its channel, its
    team); votes show under the channel of the message they came from;
    offers belong to no channel, so a channel filter leaves them out.
    """
    entries: list[Entry] = []
    fields: tuple[str, ...]
    if "survey" in kinds:
        answers = SurveyAnswer.objects.filter(customer=customer)
        if channel_id is not None:
            answers = answers.filter(case_ref__in=cases.values("pk"))
        elif not sees_all:
            answers = answers.filter(Q(case_ref__isnull=True) | Q(case_ref__in=cases.values("pk")))
        fields = ("survey__name", "survey__scale", "score", "comment", "case_ref")
        rows = _newest(
            answers.filter(_before("survey", before, "answered_at")), take, *fields, at="answered_at"
        )
        about = {
            pk: (reference, slug)
            for pk, reference, slug in Case.objects.filter(
                pk__in={r["case_ref"] for r in rows if r["case_ref"]}
            ).values_list("pk", "reference", "channel__slug")
        }
        for r in rows:
            data = {
                "survey": r["survey__name"],
                "scale": r["survey__scale"],
                "score": r["score"],
                "comment": r["comment"],
                "case": about.get(r["case_ref"], (None, None))[0],
            }
            channel = about.get(r["case_ref"], (None, None))[1]
            entries.append(Entry(r["answered_at"], "survey", r["pk"], channel, data))
    if "idea" in kinds:
        votes = IdeaVote.objects.filter(customer=customer)
        if channel_id is not None:
            votes = votes.filter(message__channel_id=channel_id)
        fields = ("idea_id", "idea__title", "idea__status", "message_id", "message__channel__slug")
        for v in _newest(votes.filter(_before("idea", before)), take, *fields):
            data = {
                "idea": v["idea_id"],
                "title": v["idea__title"],
                "status": v["idea__status"],
                "message": v["message_id"],
            }
            entries.append(Entry(v["created_at"], "idea", v["pk"], v["message__channel__slug"], data))
    if "offer" in kinds and channel_id is None:
        offers = OfferSent.objects.filter(customer=customer)
        fields = ("offer_id", "offer__name", "status", "responded_at")
        for o in _newest(offers.filter(_before("offer", before, "sent_at")), take, *fields, at="sent_at"):
            data = {
                "offer": o["offer_id"],
                "name": o["offer__name"],
                "status": o["status"],
                "responded_at": o["responded_at"],
            }
            entries.append(Entry(o["sent_at"], "offer", o["pk"], None, data))
    return entries
