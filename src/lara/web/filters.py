"""Name the values the inbox and the mentions stream filter by, translated for the select boxes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

SENTIMENTS = (
    ("negative", gettext_lazy("negative")),
    ("neutral", gettext_lazy("neutral")),
    ("positive", gettext_lazy("positive")),
)
MESSAGE_TYPES = (
    ("question", gettext_lazy("question")),
    ("complaint", gettext_lazy("complaint")),
    ("compliment", gettext_lazy("compliment")),
    ("suggestion", gettext_lazy("suggestion")),
    ("other", gettext_lazy("other")),
)
LANGUAGES = ("en", "he", "ru", "uk")
PRIORITIES = (("P1", "P1 urgent"), ("P2", "P2 high"), ("P3", "P3 normal"), ("P4", "P4 low"))
INTENT = (("true", gettext_lazy("purchase intent")), ("false", gettext_lazy("no purchase intent")))


def correction_choices(request: Any) -> dict[str, Any]:
    """Give every template the values a label can be corrected to (the chips are on several pages)."""
    return {
        "correction_sentiments": SENTIMENTS,
        "correction_types": MESSAGE_TYPES,
        "correction_intent": INTENT,
        "correction_languages": tuple((code, code) for code in LANGUAGES),
        "task_priorities": PRIORITIES,
    }
