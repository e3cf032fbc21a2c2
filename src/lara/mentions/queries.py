"""Match messages against the monitoring queries, whichever way they arrived.

Search APIs (X, Reddit, Mastodon, Bluesky) run a query on the network; a
message pushed to Lara (webhook, e-mail, chat) never went through a search,
so every stored message is also matched here. One small syntax serves both:
words that must all appear, "quoted phrases", ``OR`` between alternatives,
``-word`` to exclude, ``#hashtag`` and ``@handle`` as words. Matching is by
word prefix on case-folded text, so "вольт" finds the inflected "Вольты" and
"Volta" finds "Volta's"; Hebrew prefix letters (ה, ו, ב, ל, מ, ש, כ) are
allowed before a word.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache

WORD = re.compile(r"[#@]?[\w'’-]+", re.UNICODE)
HEBREW_PREFIXES = "הובלמשכ"


@dataclass(frozen=True)
class Clause:
    """All of ``required`` must appear and none of ``excluded``."""

    required: tuple[str, ...]
    excluded: tuple[str, ...]


@lru_cache(maxsize=512)
def query_parse(query: str) -> tuple[Clause, ...]:
    """Split a query into OR-ed clauses; raise ValueError on an unbalanced quote or an empty query."""
    try:
        tokens = shlex.split(query, posix=True)
    except ValueError as exc:
        raise ValueError(f"the query has an unbalanced quote: {query!r}") from exc
    clauses: list[Clause] = []
    required: list[str] = []
    excluded: list[str] = []
    for token in [*tokens, "OR"]:
        if token == "OR":  # noqa: S105
            if required:
                clauses.append(Clause(tuple(required), tuple(excluded)))
            elif excluded:
                raise ValueError("a part of the query only excludes words; add a word to look for")
            required, excluded = [], []
        elif token.startswith("-") and len(token) > 1:
            excluded.append(token[1:].casefold())
        else:
            required.append(token.casefold())
    if not clauses:
        raise ValueError("the query is empty")
    return tuple(clauses)


def _contains(words: tuple[str, ...], text: str, term: str) -> bool:
    if " " in term:
        return term in text
    for word in words:
        if word.startswith(term):
            return True
        if word[:1] in HEBREW_PREFIXES and word[1:].startswith(term):
            return True
    return False


def query_matches(query: str, text: str) -> bool:
    """Tell whether ``text`` matches ``query`` (see the module docstring)."""
    folded = text.casefold()
    words = tuple(WORD.findall(folded))
    for clause in query_parse(query):
        if all(_contains(words, folded, t) for t in clause.required) and not any(
            _contains(words, folded, t) for t in clause.excluded
        ):
            return True
    return False
