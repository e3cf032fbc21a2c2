"""Keep reusable answers with variables, and fill them in with a case's values.

A template may use only the known variables; an unknown one (or a stray
brace) is refused when the template is saved, with the variable named, so
an agent never sends "Hi {frist_name}" to a customer. Rendering fills them
from the case: the customer's first and full name, the case reference, the
agent's name and the brand (``LARA_BRAND``, else the channel's account).
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import IntegerField, Q, QuerySet, Value, When

from lara.core.models import Team
from lara.core.selectors import user_sees_all_teams, user_team_ids

from .models import Case, SavedReply

VARIABLES = ("first_name", "customer_name", "case_reference", "agent_name", "brand")


class SavedReplyError(ValueError):
    """The template cannot be saved as it is; the message says what to fix."""


def template_variables(text: str) -> list[str]:
    """The variables a template uses; raises SavedReplyError on an unknown one or a stray brace."""
    try:
        fields = [name for _lit, name, spec, conv in Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise SavedReplyError(
            f"unbalanced braces in the text ({exc}); write {{{{ and }}}} for a literal brace"
        ) from exc
    unknown = [name for name in fields if name not in VARIABLES]
    if unknown:
        known = ", ".join("{" + v + "}" for v in VARIABLES)
        raise SavedReplyError(f"unknown variable {{{unknown[0]}}}; use one of {known}")
    return fields


def saved_reply_save(
    *,
    name: str,
    language: str,
    text: str,
    team: Team | None,
    owner: Any | None,
    actor: Any,
    saved: SavedReply | None = None,
) -> SavedReply:
    """Create or update a saved reply after checking its variables."""
    name, text, language = name.strip(), text.strip(), language.strip().lower()
    if not name or not text:
        raise SavedReplyError("a saved reply needs a name and a text")
    if not language or len(language) > 8:
        raise SavedReplyError("choose the language the reply is written in")
    template_variables(text)
    with transaction.atomic():
        saved = saved or SavedReply(created_by=actor)
        saved.name, saved.language, saved.text = name[:120], language, text
        saved.team, saved.owner = team, owner
        saved.save()
    return saved


def _first_name(full: str) -> str:
    return full.split()[0] if full.split() else ""


def saved_reply_values(*, case: Case, agent: Any | None) -> dict[str, str]:
    """The variables' values; with no agent (an automatic reply) the agent's name is the brand's."""
    customer_name = case.customer.name or ""
    brand = settings.LARA_BRAND or case.channel.account_name.lstrip("@") or case.channel.name
    return {
        "first_name": _first_name(customer_name),
        "customer_name": customer_name,
        "case_reference": case.reference or "",
        "agent_name": (agent.get_full_name() or agent.get_username()) if agent is not None else brand,
        "brand": brand,
    }


def saved_reply_render(*, saved: SavedReply, case: Case, agent: Any | None) -> str:
    """The template's text with the case's values in place of its variables."""
    return saved.text.format(**saved_reply_values(case=case, agent=agent))


def saved_reply_list_for(*, user: Any, language: str = "") -> QuerySet[SavedReply]:
    """Shared replies of everyone or the user's teams, plus the user's own; ``language`` first."""
    qs = SavedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    if not user_sees_all_teams(user):
        qs = qs.filter(Q(team__isnull=True) | Q(team_id__in=user_team_ids(user)) | Q(owner=user))
    first = CaseWhen(When(language=language, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.annotate(language_first=first).order_by("language_first", "language", "name", "pk")
