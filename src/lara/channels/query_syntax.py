"""Read Lara's monitoring-query syntax: one small language for every search and every match.

Search APIs (X, Reddit, Mastodon, Bluesky, Discourse) run a query on the
network; a message pushed to Lara (webhook, e-mail, chat) never went
through a search, so every stored message is also matched here; and some
searches cannot express everything (Reddit finds posts only, forum searches
know no exclusions), so adapters match locally too. The syntax: words that
must all appear, "quoted phrases", ``OR`` between alternatives, ``-word`` to
exclude, ``#hashtag`` and ``@handle`` as words. Matching is by word prefix
on case-folded text, so "вольт" finds the inflected "Вольты" and "Volta"
finds "Volta's"; Hebrew prefix letters (ה, ו, ב, ל, מ, ש, כ) are allowed
before a word. It lives in ``lara.channels`` so adapters may use it;
``lara.mentions.queries`` re-exports it for the rest of the product.
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
    """All of ``required`` must appear and none of ``excluded`` (terms as written)."""

    required: tuple[str, ...]
    excluded: tuple[str, ...]


@lru_cache(maxsize=512)
def query_parse(query: str) -> tuple[Clause, ...]:
    """Split a query into OR-ed clauses; raise ValueError saying what is wrong with it."""
    try:
        tokens = shlex.split(query, posix=True)
    except ValueError as exc:
        raise ValueError(f"the query has an unbalanced quote: {query!r}") from exc
    found: list[Clause] = []
    required: list[str] = []
    excluded: list[str] = []
    for token in [*tokens, "OR"]:
        if token == "OR":  # noqa: S105 - a query operator, not a password
            if required:
                found.append(Clause(tuple(required), tuple(excluded)))
            elif excluded:
                raise ValueError("a part of the query only excludes words; add a word to look for")
            required, excluded = [], []
        elif token.startswith("-") and len(token) > 1:
            excluded.append(token[1:])
        else:
            required.append(token)
    if not found:
        raise ValueError("the query is empty")
    return tuple(found)


def clauses(query: str) -> list[tuple[list[str], list[str]]]:
    """The clauses as (required, excluded) lists, for adapters that build a network's search."""
    return [(list(c.required), list(c.excluded)) for c in query_parse(query)]


def _term(term: str) -> str:
    return f'"{term}"' if " " in term else term


def lucene(query: str) -> str:
    """Translate ``Volta Kick -job OR "Volta Cargo"`` into ``(Volta AND Kick NOT job) OR ("Volta Cargo")``."""
    parts = []
    for required, excluded in clauses(query):
        text = " AND ".join(_term(t) for t in required)
        text += "".join(f" NOT {_term(t)}" for t in excluded)
        parts.append(text)
    return parts[0] if len(parts) == 1 else " OR ".join(f"({p})" for p in parts)


def _contains(words: tuple[str, ...], folded: str, term: str) -> bool:
    term = term.casefold()
    if " " in term:
        return term in folded
    return any(
        word.startswith(term) or (word[:1] in HEBREW_PREFIXES and word[1:].startswith(term)) for word in words
    )


def query_matches(query: str, text: str) -> bool:
    """Tell whether ``text`` matches ``query``; raise ValueError for a malformed query."""
    folded = text.casefold()
    words = tuple(WORD.findall(folded))
    return any(
        all(_contains(words, folded, t) for t in c.required)
        and not any(_contains(words, folded, t) for t in c.excluded)
        for c in query_parse(query)
    )


def matches(query: str, text: str) -> bool:
    """Like ``query_matches``, but a malformed query matches nothing (for adapters mid-poll)."""
    try:
        return query_matches(query, text)
    except ValueError:
        return False
