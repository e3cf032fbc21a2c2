"""Analyze social messages: language, sentiment, type, purchase intent, entities, urgency, topics.

This package is the first message analyzer of Lara.  It has no Django
dependency so that it can run in workers, scripts and tests alike; callers use
``analyze()`` (or ``get_analyzer()`` for the shared instance) and store
``AnalysisResult.as_dict()`` together with ``model_version``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from .analyzer import TriageAnalyzer, get_analyzer
from .entities import Catalogue, CatalogueEntry, default_catalogue
from .result import AnalysisResult

__all__ = [
    "AnalysisResult",
    "Analyzer",
    "Catalogue",
    "CatalogueEntry",
    "TriageAnalyzer",
    "analyze",
    "default_catalogue",
    "get_analyzer",
]


@runtime_checkable
class Analyzer(Protocol):
    """Describe what any message analyzer must provide (for swapping models).

    ``languages`` is optional so that callers can always pass the
    organisation's configured languages; an analyzer may ignore it.
    """

    version: str

    def analyze(
        self, texts: Sequence[str], *, languages: Sequence[str] | None = None
    ) -> list[AnalysisResult]: ...


def analyze(
    texts: Sequence[str], *, languages: Sequence[str] | None = None, catalogue: Catalogue | None = None
) -> list[AnalysisResult]:
    """Analyze ``texts`` with the shared default analyzer, one result per text.

    ``languages`` (ISO 639-1 codes, e.g. an organisation's configured
    languages) restricts language detection to those codes; ``catalogue``
    replaces the demo brand's products and competitors with the caller's.
    """
    return get_analyzer(catalogue).analyze(texts, languages=languages)
