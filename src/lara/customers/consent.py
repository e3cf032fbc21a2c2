"""Let customers link their own accounts: signed one-time links, short codes, e-mail confirmation.

An agent sends a "connect your accounts" link from a case; the page it opens
shows a short code the customer sends us from another account, or takes an
e-mail address to confirm. Either proof lets Lara join the two records
*because the customer said so*, without an agent guessing.

The token in the URL is a ``django.core.signing`` signature of the link's id
(forged or altered tokens fail the signature) with an expiry; the stored
``ConsentLink`` row makes it one-time. Merging moves cases too, so it is
done by ``lara.cases.consent``; this module only checks and records.
"""

from __future__ import annotations

import enum
import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone

from .models import ConsentLink, Customer

SALT = "lara.customers.consent"
EMAIL_SALT = "lara.customers.consent.email"
# No 0/O, 1/I/L: a code is read off a screen and typed into another app.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
#: A code as it appears in a message ("LARA-7KQ3MX", any case); only such texts cost a query.
CODE_PATTERN = re.compile(r"\bLARA-([2-9A-HJ-NP-Z]{6})\b", re.IGNORECASE)


class LinkState(enum.Enum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    FORGED = "forged"


def _hours() -> float:
    return float(settings.LARA_CONSENT_LINK_HOURS)


def consent_link_create(
    *, customer: Customer, case_ref: int | None, language: str, actor: Any
) -> ConsentLink:
    """Store a new link for this customer with a fresh code no open link uses."""
    now = timezone.now()
    while True:
        code = "LARA-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not consent_links_open().filter(code=code).exists():
            break
    return ConsentLink.objects.create(
        customer=customer,
        case_ref=case_ref,
        code=code,
        language=language[:8],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        expires_at=now + timedelta(hours=_hours()),
    )


def consent_links_open(*, now: Any = None) -> QuerySet[ConsentLink]:
    return ConsentLink.objects.filter(used_at__isnull=True, expires_at__gt=now or timezone.now())


def consent_token(link: ConsentLink) -> str:
    return signing.dumps(link.pk, salt=SALT, compress=True)


def _state(link: ConsentLink) -> LinkState:
    if link.used_at is not None:
        return LinkState.USED
    if link.expires_at <= timezone.now():
        return LinkState.EXPIRED
    return LinkState.VALID


def consent_link_from_token(token: str) -> tuple[LinkState, ConsentLink | None]:
    """Check a token from a URL: (state, link); the link is None when forged or signed too long ago."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=timedelta(hours=_hours()))
    except signing.SignatureExpired:
        return LinkState.EXPIRED, None
    except signing.BadSignature:  # an altered or made-up token
        return LinkState.FORGED, None
    link = (
        ConsentLink.objects.select_related("customer").filter(pk=pk).first() if isinstance(pk, int) else None
    )
    if link is None:
        return LinkState.FORGED, None
    return _state(link), link


def consent_email_token(*, link: ConsentLink, email: str) -> str:
    return signing.dumps({"l": link.pk, "e": email}, salt=EMAIL_SALT, compress=True)


def consent_email_from_token(token: str) -> tuple[LinkState, ConsentLink | None, str]:
    """Check an e-mail confirmation token: (state, link, e-mail); expires with its link."""
    try:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=timedelta(hours=_hours()))
    except signing.SignatureExpired:
        return LinkState.EXPIRED, None, ""
    except signing.BadSignature:
        return LinkState.FORGED, None, ""
    if not isinstance(data, dict) or not isinstance(data.get("l"), int) or not isinstance(data.get("e"), str):
        return LinkState.FORGED, None, ""
    link = ConsentLink.objects.select_related("customer").filter(pk=data["l"]).first()
    if link is None or link.email != data["e"]:
        return LinkState.FORGED, None, ""
    return _state(link), link, data["e"]


def consent_codes_in(text: str) -> list[str]:
    """The codes a message carries, normalised ("LARA-7KQ3MX"); cheap, no query."""
    return [f"LARA-{code.upper()}" for code in CODE_PATTERN.findall(text or "")]


def consent_link_for_code(code: str) -> ConsentLink | None:
    """The open link with this code, if any (used and expired links never match)."""
    return consent_links_open().select_related("customer").filter(code=code).first()


def consent_link_mark(*, link: ConsentLink, via: str, linked_customer: Customer | None) -> None:
    """Make the link spent: whatever happens next, it never links anything again."""
    link.used_at = timezone.now()
    link.used_via = via
    link.linked_customer_ref = linked_customer.pk if linked_customer else None
    link.save(update_fields=["used_at", "used_via", "linked_customer_ref"])
