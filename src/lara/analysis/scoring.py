"""Combine the analyzer's labels with the author's reach into impact and priority.

Kept apart from the trained models: these are product rules a lead can read,
and every priority comes with the words that explain it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ACTION_TYPES = {"question", "complaint", "suggestion"}
PRIVATE_KINDS = {"direct", "email", "chat"}


@dataclass(frozen=True)
class Signals:
    type: str
    sentiment: str
    sentiment_score: float
    purchase_intent: bool
    urgency: str
    followers: int | None
    verified: bool
    public: bool
    kind: str


def impact_score(followers: int | None, verified: bool, public: bool) -> float:
    """Return 0..1: log-scaled reach, a bonus when verified, a fraction when private."""
    reach = math.log10((followers or 0) + 1) / 6  # a million followers ≈ 1.0
    score = min(1.0, reach + (0.15 if verified else 0.0))
    return round(score if public else score * 0.3, 3)


def _followers_words(followers: int | None) -> str:
    if not followers:
        return ""
    if followers >= 1000:
        return f"{followers / 1000:.0f}k followers"
    return f"{followers} followers"


def action_required(s: Signals) -> bool:
    """Decide whether someone must answer: questions, complaints, ideas, leads, urgency, DMs."""
    return (
        s.type in ACTION_TYPES
        or s.purchase_intent
        or s.urgency in {"high", "critical"}
        or (s.kind in PRIVATE_KINDS and s.type != "other")
        or (s.kind == "review" and s.sentiment == "negative")
    )


def priority(s: Signals) -> tuple[str, str]:
    """Return (P1..P4, the reason in words)."""
    impact = impact_score(s.followers, s.verified, s.public)
    if s.urgency == "critical" or (s.type == "complaint" and s.sentiment == "negative" and impact >= 0.66):
        level = "P1"
    elif s.urgency == "high" or (s.type == "complaint" and s.sentiment == "negative"):
        level = "P2"
    elif s.purchase_intent or s.type in ("question", "complaint"):
        level = "P3"
    else:
        level = "P4"
    words = [s.type, f"{s.sentiment} {s.sentiment_score:.2f}"]
    if s.purchase_intent:
        words.append("purchase intent")
    if s.urgency in {"high", "critical"}:
        words.append(f"urgency {s.urgency}")
    if reach := _followers_words(s.followers):
        words.append(reach + (" ✓" if s.verified else ""))
    return level, " · ".join(words) + f" → {level}"
