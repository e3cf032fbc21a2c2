"""Write private notes on a case, and tell the colleagues a note @mentions.

A note is plain text (no markdown), escaped wherever it is shown. An
``@username`` of someone who may see the case sends them an in-app
notification and an e-mail. Someone who may not see the case is skipped —
notifying them would leak the case (the customer, the text) to a person
outside its teams — and the author is told who was skipped and why, so the
note is never silently half-delivered.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from lara.core.services import notification_create

from .models import Case, CaseNote, EventKind
from .selectors import case_visible_to
from .services import case_event_add

log = logging.getLogger(__name__)

#: An @ not preceded by a word character (so e-mail addresses are not mentions), then a
#: Django username (letters, digits, @ . + - _), trailing punctuation left out.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]*[\w+-])")
MAX_LENGTH = 5000


@dataclass(frozen=True)
class NoteResult:
    note: CaseNote
    notified: list[str] = field(default_factory=list)
    #: (handle as written, why it was skipped)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def mentions_in(text: str) -> list[str]:
    """The distinct @handles in the text, in order of first appearance."""
    seen: dict[str, None] = {}
    for handle in MENTION.findall(text):
        seen.setdefault(handle, None)
    return list(seen)


def _may_see(user: Any, case: Case) -> bool:
    return user.is_active and case_visible_to(user).filter(pk=case.pk).exists()


def note_add(*, case: Case, author: Any, text: str) -> NoteResult:
    """Add a note, notify the mentioned who may see the case, and say who was skipped."""
    text = text.strip()
    if not text:
        raise ValueError("a note needs some text")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"a note takes at most {MAX_LENGTH} characters")
    users = get_user_model().objects
    notified: list[Any] = []
    skipped: list[tuple[str, str]] = []
    for handle in mentions_in(text):
        user = users.filter(username__iexact=handle).first()
        if user is None:
            skipped.append((handle, "no such user"))
        elif user.pk == author.pk:
            continue
        elif not _may_see(user, case):
            skipped.append((handle, "cannot see this case"))
        elif user not in notified:
            notified.append(user)
    with transaction.atomic():
        note = CaseNote.objects.create(
            case=case, author=author, text=text, mentioned=[u.get_username() for u in notified]
        )
        case_event_add(
            case=case,
            kind=EventKind.NOTE,
            actor=author,
            reason=text,
            data={
                "note": note.pk,
                "mentioned": note.mentioned,
                "skipped": [handle for handle, _why in skipped],
            },
        )
        url = f"/cases/{case.reference}/"
        summary = f"{author.get_username()} mentioned you on {case.reference}"
        for user in notified:
            notification_create(user=user, text=f"{summary}: {text}"[:500], url=url)
        case.save(update_fields=["updated_at"])
    # Mail after the commit: a rolled-back note must not have told anyone.
    for user in notified:
        _mail(user=user, summary=summary, text=text, url=url, case=case)
    return NoteResult(note=note, notified=note.mentioned, skipped=skipped)


def _mail(*, user: Any, summary: str, text: str, url: str, case: Case) -> None:
    """E-mail the mention like a task reminder; a mail failure loses only the mail."""
    if not user.email:
        return
    try:
        send_mail(
            subject=f"[Lara] {summary}"[:200],
            message=f"{summary}:\n\n{text}\n\n{url}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except OSError:
        log.exception("could not e-mail the mention on %s", case.reference)
