"""Demo settings of the Act side: PR's 24/7 crisis SLA and a few saved replies in four languages.

Kept beside ``defaults`` (which every install gets) because these are the
demo organisation's choices, installed by ``lara.demo.seed`` only.
"""

from __future__ import annotations

from typing import Any

from lara.core.models import Team

from .models import SavedReply, SlaPolicy
from .saved_replies import saved_reply_save

#: PR answers a crisis at night and at weekends: counted in calendar time, not business hours.
PR_CRISIS_POLICY: dict[str, Any] = {
    "name": "PR P1 crisis (24/7)",
    "priorities": ["P1"],
    "first_response_minutes": 30,
    "resolution_minutes": 8 * 60,
    "warn_before_minutes": 10,
    "business_hours_only": False,
}

#: name, language, text — shared with every team.
SAVED_REPLIES = [
    (
        "Sorry, we are on it",
        "en",
        "Hi {first_name}, I'm sorry about this. I'm {agent_name} from {brand} and I'm looking into it now "
        "(case {case_reference}).",
    ),
    (
        "Where to buy",
        "en",
        "Hi {first_name}! You can order directly on our site or visit a {brand} dealer near you.",
    ),
    (
        "מצטערים, מטפלים בזה",
        "he",
        "היי {first_name}, מצטערים על זה. כאן {agent_name} מ-{brand}, "
        "אני בודק/ת את זה עכשיו (פנייה {case_reference}).",
    ),
    (
        "Извините, уже разбираемся",
        "ru",
        "Здравствуйте, {first_name}! Приносим извинения. Меня зовут {agent_name}, {brand}; "
        "я уже разбираюсь (обращение {case_reference}).",
    ),
    (
        "Вибачте, вже розбираємось",
        "uk",
        "Вітаємо, {first_name}! Перепрошуємо. Мене звати {agent_name}, {brand}; "
        "я вже розбираюся (звернення {case_reference}).",
    ),
]


def act_demo_install() -> None:
    """Create PR's crisis policy and the saved replies once; never overwrite a lead's edits."""
    pr = Team.objects.filter(slug="pr").first()
    if pr is not None and not SlaPolicy.objects.filter(name=PR_CRISIS_POLICY["name"]).exists():
        SlaPolicy.objects.create(team=pr, **PR_CRISIS_POLICY)
    if not SavedReply.objects.exists():
        for name, language, text in SAVED_REPLIES:
            saved_reply_save(name=name, language=language, text=text, team=None, owner=None, actor=None)
