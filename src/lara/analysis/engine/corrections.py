"""Validate agents' label corrections and turn an exported file into training rows.

Kept free of Django so that ``lara train --corrections FILE`` runs without a
database: the app exports corrections as JSON lines (``lara
export-corrections``) and training reads them from here.  The same
``correction_validate`` checks a correction when an agent makes it and when
a file is read back, so a file can never teach the model a label the API
would have refused.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .datasets import Example
from .message_type import TYPE_LABELS
from .result import SENTIMENT_LABELS

CORRECTION_FIELDS: tuple[str, ...] = ("sentiment", "type", "purchase_intent", "language")
SOURCE = "corrections"
_LANGUAGE = re.compile(r"[a-z]{2}")
_BOOLEANS = {"true": "true", "false": "false"}


class CorrectionError(ValueError):
    """Say why a correction is refused, in words an agent can act on."""


def correction_validate(field: str, value: object) -> str:
    """Return ``value`` normalised to its stored text form, or raise :class:`CorrectionError`.

    sentiment: negative | neutral | positive; type: question | complaint |
    compliment | suggestion | other; purchase_intent: true | false (a JSON
    boolean is accepted too); language: a two-letter ISO 639-1 code.
    """
    if field not in CORRECTION_FIELDS:
        raise CorrectionError(f"field must be one of {', '.join(CORRECTION_FIELDS)}; got {field!r}")
    if isinstance(value, bool):
        if field != "purchase_intent":
            raise CorrectionError(f"{field}: expected a string, got a boolean")
        return "true" if value else "false"
    if not isinstance(value, str):
        raise CorrectionError(f"{field}: expected a string value, got {type(value).__name__}")
    text = value.strip().lower()
    if field == "sentiment" and text not in SENTIMENT_LABELS:
        raise CorrectionError(f"sentiment must be one of {', '.join(SENTIMENT_LABELS)}; got {value!r}")
    if field == "type" and text not in TYPE_LABELS:
        raise CorrectionError(f"type must be one of {', '.join(TYPE_LABELS)}; got {value!r}")
    if field == "purchase_intent":
        if text not in _BOOLEANS:
            raise CorrectionError(f"purchase_intent must be true or false; got {value!r}")
        text = _BOOLEANS[text]
    if field == "language" and not _LANGUAGE.fullmatch(text):
        raise CorrectionError(f"language must be a two-letter ISO 639-1 code such as en or uk; got {value!r}")
    return text


@dataclass(frozen=True)
class CorrectionRow:
    """Hold one exported correction: the message text and the label an agent gave it."""

    text: str
    field: str
    value: str
    language: str

    def as_dict(self) -> dict[str, str]:
        return {"text": self.text, "field": self.field, "value": self.value, "language": self.language}


def corrections_read(path: Path) -> list[CorrectionRow]:
    """Read the JSON lines written by ``lara export-corrections``; raise on a bad line.

    A broken line stops training (with its line number) rather than being
    skipped: silently dropping an agent's label is worse than a clear error.
    """
    rows: list[CorrectionRow] = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise CorrectionError('expected an object with a string "text"')
                field = str(item.get("field", ""))
                value = correction_validate(field, item.get("value"))
            except ValueError as exc:
                raise CorrectionError(f"{path}:{line_no}: {exc}") from exc
            rows.append(CorrectionRow(item["text"], field, value, str(item.get("language") or "und")))
    return rows


def correction_examples(rows: Iterable[CorrectionRow]) -> dict[str, list[Example]]:
    """Map corrections to the training sets of the three trained heads.

    sentiment rows feed the sentiment model as they are; type rows become
    complaint / not for the complaint model (the other types have rule-based
    scores, nothing to train); purchase_intent rows become yes / no for the
    purchase model.  Language corrections train nothing (lingua is not
    retrained here) and are counted under ``unused``.
    """
    out: dict[str, list[Example]] = {"sentiment": [], "complaint": [], "purchase": [], "unused": []}
    for r in rows:
        if not r.text.strip():
            continue
        if r.field == "sentiment":
            out["sentiment"].append(Example(r.text, r.value, r.language, SOURCE))
        elif r.field == "type":
            label = "complaint" if r.value == "complaint" else "not"
            out["complaint"].append(Example(r.text, label, r.language, SOURCE))
        elif r.field == "purchase_intent":
            out["purchase"].append(Example(r.text, "yes" if r.value == "true" else "no", r.language, SOURCE))
        else:
            out["unused"].append(Example(r.text, r.value, r.language, SOURCE))
    return out


def correction_counts(examples: dict[str, list[Example]]) -> dict[str, dict[str, int]]:
    """Count the correction rows per head and label (for the report and the model card)."""
    return {
        task: dict(sorted(Counter(e.label for e in rows).items())) for task, rows in examples.items() if rows
    }
