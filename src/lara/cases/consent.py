"""Send "connect your accounts" links through a case and link records on the customer's proof.

The link is an ordinary reply in the outbox (``reply_create``), so it goes
out on the network the customer wrote from, is retried and logged like any
answer. When the customer proves the other account is theirs (the code sent
from it, or a confirmed e-mail address), the two records are merged by the
normal merge service, which moves cases and tasks and can be undone; the
audit trail says it was linked by the customer's consent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lara.customers.consent import (
    consent_codes_in,
    consent_email_token,
    consent_link_create,
    consent_link_for_code,
    consent_link_mark,
    consent_token,
)
from lara.customers.contacts import contact_owner, contact_point_verify
from lara.customers.merging import audit_record
from lara.customers.models import AuditAction, ConsentLink, ContactKind, Customer, CustomerMerge
from lara.mentions.models import Message

from .merge import MergeError, customer_merge
from .models import Case, Reply
from .services import reply_create

log = logging.getLogger(__name__)

CONSENT_REASON = "linked by the customer's consent"


def _language(code: str) -> str:
    supported = {c for c, _name in settings.LANGUAGES}
    return code if code in supported else settings.LANGUAGE_CODE


def consent_url(*, base_url: str, link: ConsentLink) -> str:
    base = (settings.LARA_PUBLIC_URL or base_url).rstrip("/")
    return base + reverse("connect", args=[consent_token(link)])


@dataclass(frozen=True)
class SentLink:
    link: ConsentLink
    reply: Reply
    url: str


def consent_link_send(*, case: Case, actor: Any, base_url: str) -> SentLink:
    """Queue a reply on the case carrying a new one-time link, in the customer's language."""
    language = _language(case.language)
    with transaction.atomic():
        link = consent_link_create(customer=case.customer, case_ref=case.pk, language=language, actor=actor)
        url = consent_url(base_url=base_url, link=link)
        with translation.override(language):
            text = _(
                "To connect your accounts with us, open this link: %(url)s (valid for %(hours)s hours)."
            ) % {"url": url, "hours": f"{float(settings.LARA_CONSENT_LINK_HOURS):g}"}
        reply = reply_create(case=case, author=actor, text=text)
    return SentLink(link=link, reply=reply, url=url)


def consent_email_send(*, link: ConsentLink, email: str, base_url: str) -> None:
    """Remember the address and mail it a confirmation link (in the link's language)."""
    link.email = email
    link.save(update_fields=["email"])
    base = (settings.LARA_PUBLIC_URL or base_url).rstrip("/")
    url = base + reverse("connect-confirm", args=[consent_email_token(link=link, email=email)])
    with translation.override(_language(link.language)):
        subject = _("Confirm your e-mail address")
        body = _("Open this link to connect this e-mail address to your accounts with us: %(url)s") % {
            "url": url
        }
    send_mail(subject, body, None, [email])


def _link_customers(*, link: ConsentLink, other: Customer, via: str, proof: str) -> CustomerMerge | None:
    """Merge ``other`` and the link's customer (the one the CRM knows stays); mark the link used."""
    mine = Customer.objects.get(pk=link.customer_id)
    while mine.merged_into_id is not None:  # merged since the link was sent
        mine = Customer.objects.get(pk=mine.merged_into_id)
    if other.pk == mine.pk:
        consent_link_mark(link=link, via=via, linked_customer=None)
        return None
    target, merged = (other, mine) if other.external_crm_id and not mine.external_crm_id else (mine, other)
    reason = f"{CONSENT_REASON} ({proof})"
    merge = customer_merge(target_id=target.pk, other_id=merged.pk, choices={}, actor=None, reason=reason)
    consent_link_mark(link=link, via=via, linked_customer=other)
    audit_record(
        action=AuditAction.CONSENT_LINK,
        customer=target,
        actor=None,
        reason=reason,
        data={"link": link.pk, "via": via, "merge": merge.pk, "customers": [mine.pk, other.pk]},
    )
    return merge


def consent_code_check(*, message: Message) -> CustomerMerge | None:
    """In the relate stage: a message carrying an open link's code links its author's record.

    Cheap for every other message: a regular expression, and a query only
    when the text holds something shaped like a code.
    """
    codes = consent_codes_in(message.text)
    if not codes or message.author_profile_id is None:
        return None
    with transaction.atomic():
        for code in codes:
            link = consent_link_for_code(code)
            if link is None:
                continue
            author = Customer.objects.get(pk=message.author_profile.customer_id)  # type: ignore[union-attr]
            proof = f"code sent from {message.channel.network} message {message.external_id}"
            try:
                with transaction.atomic():
                    return _link_customers(link=link, other=author, via="code", proof=proof)
            except MergeError as exc:  # never stop the pipeline over it; an agent can still merge
                log.warning("consent link %s could not link customer %s: %s", link.pk, author.pk, exc)
                return None
    return None


def consent_email_confirm(*, link: ConsentLink, email: str) -> CustomerMerge | None:
    """The customer clicked the confirmation link: the address is theirs, verified.

    If another record holds the address, the two are merged; either way the
    address ends up verified on the customer's (merged) record.
    """
    with transaction.atomic():
        link = ConsentLink.objects.select_for_update().get(pk=link.pk)
        owner = contact_owner(kind=ContactKind.EMAIL, value=email)
        merge = None
        if owner is not None:
            merge = _link_customers(link=link, other=owner, via="email", proof=f"e-mail {email} confirmed")
        else:
            consent_link_mark(link=link, via="email", linked_customer=None)
        customer = (
            Customer.objects.get(pk=merge.target_id) if merge else Customer.objects.get(pk=link.customer_id)
        )
        while customer.merged_into_id is not None:
            customer = Customer.objects.get(pk=customer.merged_into_id)
        if email not in customer.emails:
            customer.emails = [*customer.emails, email]
            customer.contact_source = "consent"
            customer.save()
        contact_point_verify(customer=customer, kind=ContactKind.EMAIL, value=email, source="consent")
        if merge is None:
            audit_record(
                action=AuditAction.CONSENT_LINK,
                customer=customer,
                actor=None,
                reason=f"{CONSENT_REASON} (e-mail {email} confirmed)",
                data={"link": link.pk, "via": "email", "merge": None, "customers": [customer.pk]},
            )
    return merge
