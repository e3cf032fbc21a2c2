"""Read Lara's monitoring-query language: one small language for every search and every match.

Search APIs (X, Reddit, Mastodon, Bluesky, Discourse) run a query on the
network; a message pushed to Lara (webhook, e-mail, chat) never went
through a search, so every stored message is also matched here; and no
network search expresses everything (proximity, Hebrew prefixes, Russian
declension), so adapters match their hits locally too. It lives in
``lara.channels`` so adapters may use it; ``lara.mentions.queries``
re-exports it for the rest of the product. ``docs/monitoring-queries.md``
is the user's guide.

Syntax (a recursive-descent parser; precedence NOT > NEAR > AND > OR):

* terms: ``word``, ``"exact phrase"`` (its words in this order, adjacent),
  ``#hashtag``, ``@handle``;
* ``a AND b`` or just ``a b``; ``a OR b``; ``NOT a`` or ``-a`` (also
  ``-(a OR b)``); parentheses;
* ``a NEAR/n b``: both terms with at most ``n`` words between them, in
  either order (``a NEAR/2 b NEAR/3 c`` means ``a NEAR/2 b AND b NEAR/3 c``).

Operators are written in capitals; quote them (``"or"``) to search for the
word. A malformed query raises ``ValueError`` naming the problem and its
1-based character position.

Matching rules, applied to message and query alike:

* normalisation: Unicode NFKC, case-folding, Hebrew niqqud and cantillation
  marks dropped, Hebrew final letters (ך ם ן ף ץ) read as their ordinary
  forms, ``ё`` read as ``е``, accents dropped from Latin letters (not from
  Cyrillic ``й``/``ї``); apostrophes (’ ׳) and gershayim (״) unified, so
  ``צה״ל`` and ``צה"ל`` are one word;
* words are runs of letters and digits (``\\w``), joined by an apostrophe
  (``volta's``, Ukrainian ``м'ясо``) and keeping a leading ``#`` or ``@``;
  hyphens and other punctuation separate words, so the query word
  ``e-bike`` is the phrase ``"e bike"``;
* a word of 4+ letters matches any word it begins (``вольт`` finds
  ``Вольты``, ``вольтом``; ``refund`` finds ``refunds``), never the middle
  of one (``Volta`` does not find ``revolt``); a shorter word matches the
  whole word or the word plus a common ending (Latin ``s``/``es``/``'s``;
  Russian/Ukrainian case endings; Hebrew plural/possessive endings);
* a Russian/Ukrainian word ending in a case ending also matches by its
  stem: by prefix when the word has 5+ letters and the stem 4+ (``Вольта``
  finds ``Вольту``, ``Вольтой``), else the stem plus a case ending as the
  whole word (``ёлка`` finds ``ёлку``, ``їжа`` finds ``їжу``, ``вода``
  does not find ``водитель``);
* Hebrew words may carry up to three prefix letters (ו ה ב ל מ ש כ:
  ``בוולטה``, ``וכשוולטה``);
* ``#tag`` and ``@handle`` terms match that tag or handle exactly; a plain
  word also matches inside a tag or handle (``volta`` finds ``#volta``).

Networks get a disjunctive normal form (``clauses``): parentheses expanded,
``NEAR`` sent as AND, ``NOT`` of a group pushed down by De Morgan, and a
negated ``NEAR`` left out of the network's search (it is applied locally).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

HEBREW_PREFIXES = "ובלמשכה"
HEBREW_MAX_PREFIXES = 3
#: Words this long (in letters) match by prefix; shorter ones need a whole word or a listed ending.
PREFIX_MIN = 4
#: Russian/Ukrainian query words this long (with a stem of PREFIX_MIN+) match by their stem as a prefix.
STEM_MIN = 5
#: More network alternatives than this and the query is refused as too complex.
MAX_CLAUSES = 64
MAX_NEAR = 50


def _listed(words: str) -> tuple[str, ...]:
    return tuple(words.split())


LATIN_ENDINGS = frozenset(_listed("s es 's s'"))
CYRILLIC_ENDINGS = frozenset(
    _listed("а я у ю е и і ї ы о ой ей ою ею ом ем ам ям ами ями ах ях ов ев ів ого его ому ему ые ие ий")
)
#: Hebrew endings after normalisation (final letters read as ordinary ones: ם → מ, ן → נ).
HEBREW_ENDINGS = frozenset(_listed("ימ ות ה ת י יו יה כ נו כמ הנ המ ינ"))
#: Endings stripped from Russian/Ukrainian query words to find their stem (longest first).
CYRILLIC_STEM_ENDINGS = tuple(
    sorted(
        _listed(
            "ами ями ого его ому ему ой ей ою ею ом ем ам ям ах ях ов ев ів "
            "ую юю ая яя ое ее ые ие ий ый ій ої а я о е у ю ы и і ї й ь"
        ),
        key=len,
        reverse=True,
    )
)

_HEBREW_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
_CHARS = str.maketrans(
    {
        "ё": "е",
        "ך": "כ",
        "ם": "מ",
        "ן": "נ",
        "ף": "פ",
        "ץ": "צ",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "׳": "'",
        "״": '"',
    }
)
_WORD = re.compile(r"[#@]?\w+(?:(?:'|(?<=[\u05d0-\u05ea])\"(?=[\u05d0-\u05ea]))\w+)*")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_HEBREW = re.compile("[\u05d0-\u05ea]")
_QUOTES = '"“”„«»'
_OPERATORS = ("AND", "OR", "NOT")


def normalize(text: str) -> str:
    """Fold ``text`` the way every query and message is compared (see the module docstring)."""
    text = _HEBREW_MARKS.sub("", unicodedata.normalize("NFKC", text).casefold()).translate(_CHARS)
    out: list[str] = []
    latin = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if latin:
                continue  # an accent on a Latin letter; Cyrillic й and ї keep theirs
        else:
            latin = char < "\u0250"
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=256)
def tokenize(text: str) -> tuple[str, ...]:
    """The normalised words of ``text``, with a leading ``#`` or ``@`` kept."""
    return tuple(_WORD.findall(normalize(text)))


# --- the tree ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word, phrase, #hashtag or @handle: ``text`` as written, ``words`` normalised."""

    text: str
    words: tuple[str, ...]
    quoted: bool = False


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Near:
    left: Term
    right: Term
    distance: int


Node = Term | Not | And | Or | Near


@dataclass(frozen=True)
class Clause:
    """All of ``required`` must appear and none of ``excluded`` (terms as written)."""

    required: tuple[str, ...]
    excluded: tuple[str, ...]


# --- reading a query -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # ( ) WORD PHRASE AND OR NOT MINUS NEAR
    text: str
    pos: int  # 1-based
    distance: int = 0


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, size = 0, len(query)
    while i < size:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, char, i + 1))
            i += 1
        elif char in _QUOTES:
            end = next((j for j in range(i + 1, size) if query[j] in _QUOTES), -1)
            if end < 0:
                raise ValueError(
                    f"the query has an unbalanced quote: {query!r} (the quote at {i + 1} is never closed)"
                )
            tokens.append(_Token("PHRASE", query[i + 1 : end], i + 1))
            i = end + 1
        elif char == "-" and i + 1 < size and not query[i + 1].isspace():
            tokens.append(_Token("MINUS", "-", i + 1))
            i += 1
        else:
            start = i
            while i < size and not query[i].isspace() and query[i] not in "()":
                if query[i] in _QUOTES and not (
                    i > start and _HEBREW.match(query[i - 1]) and i + 1 < size and _HEBREW.match(query[i + 1])
                ):
                    break  # a quote opens a phrase unless it sits inside a Hebrew acronym (צה"ל)
                i += 1
            tokens.append(_word_token(query[start:i], start + 1))
    return tokens


def _word_token(word: str, pos: int) -> _Token:
    if word in _OPERATORS:
        return _Token(word, word, pos)
    if word == "NEAR" or word.startswith("NEAR/"):
        digits = word[5:]
        if not digits.isdigit():
            raise ValueError(f"NEAR/n needs a number at {pos}: write e.g. NEAR/3")
        if int(digits) > MAX_NEAR:
            raise ValueError(f"NEAR/{digits} at {pos} is too far apart; use at most NEAR/{MAX_NEAR}")
        return _Token("NEAR", word, pos, int(digits))
    return _Token("WORD", word, pos)


_STARTS_TERM = frozenset({"WORD", "PHRASE", "(", "NOT", "MINUS"})


class _Parser:
    """Recursive descent over the tokens: or → and → near → unary → primary."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.at = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _after(self, token: _Token) -> None:
        """Insist that a term follows the operator just read."""
        nxt = self.peek()
        if nxt is None or nxt.kind not in _STARTS_TERM:
            name = "-" if token.kind == "MINUS" else token.text
            raise ValueError(f"{name} needs a term after it at {token.pos}")

    def parse(self) -> Node:
        if not self.tokens:
            raise ValueError("the query is empty")
        node = self.or_()
        if (extra := self.peek()) is not None:  # only a stray ")" can be left over
            raise ValueError(f"unbalanced parenthesis at {extra.pos}: nothing opened it")
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self._after(token)
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.near()]
        while (token := self.peek()) is not None and token.kind in {"AND", *_STARTS_TERM}:
            if token.kind == "AND":
                self.take()
                self._after(token)
            items.append(self.near())
        return items[0] if len(items) == 1 else And(tuple(items))

    def near(self) -> Node:
        first = self.unary()
        terms, links = [first], []
        while (token := self.peek()) is not None and token.kind == "NEAR":
            self.take()
            self._after(token)
            terms.append(self.unary())
            links.append(token)
        if not links:
            return first
        checked: list[Term] = []
        for term, token in zip(terms, [links[0], *links], strict=True):
            if not isinstance(term, Term):
                raise ValueError(
                    f"{token.text} at {token.pos} joins two terms or phrases, not a group or NOT"
                )
            checked.append(term)
        pairs = [
            Near(left, right, token.distance)
            for left, right, token in zip(checked[:-1], checked[1:], links, strict=True)
        ]
        return pairs[0] if len(pairs) == 1 else And(tuple(pairs))

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind in ("NOT", "MINUS"):
            self.take()
            self._after(token)
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token is None:  # every caller checked that a term follows
            raise ValueError("the query ends where a term was expected")
        if token.kind == "(":
            self.take()
            if (nxt := self.peek()) is not None and nxt.kind == ")":
                raise ValueError(f"empty parentheses at {token.pos}")
            if nxt is None:
                raise ValueError(f"unbalanced parenthesis at {token.pos}: it is never closed")
            node = self.or_()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise ValueError(f"unbalanced parenthesis at {token.pos}: it is never closed")
            self.take()
            return node
        if token.kind in ("WORD", "PHRASE"):
            self.take()
            words = tokenize(token.text)
            if not words:
                raise ValueError(f"nothing to search for in {token.text!r} at {token.pos}")
            return Term(token.text.strip(), words, quoted=token.kind == "PHRASE")
        if token.kind == ")":
            raise ValueError(f"unbalanced parenthesis at {token.pos}: nothing opened it")
        raise ValueError(f"{token.text} needs a term before it at {token.pos}")


@lru_cache(maxsize=512)
def query_tree(query: str) -> Node:
    """Parse ``query`` into its tree; raise ValueError saying what is wrong and where."""
    tree = _Parser(query).parse()
    _dnf_checked(tree)
    return tree


# --- matching ------------------------------------------------------------------------------------


def _ending_match(term: str, word: str, endings: frozenset[str]) -> bool:
    if len(term) >= PREFIX_MIN:
        return word.startswith(term)
    return word == term or (word.startswith(term) and word[len(term) :] in endings)


def _cyrillic_stem(term: str) -> str | None:
    """The term without its case ending (``вольта`` → ``вольт``), or None when it has none."""
    for ending in CYRILLIC_STEM_ENDINGS:
        if term.endswith(ending) and len(term) - len(ending) >= 2:
            return term[: -len(ending)]
    return None


def _cyrillic_match(term: str, word: str) -> bool:
    if _ending_match(term, word, CYRILLIC_ENDINGS):
        return True
    stem = _cyrillic_stem(term)
    if stem is None:
        return False
    if len(term) >= STEM_MIN and len(stem) >= PREFIX_MIN:
        return word.startswith(stem)
    return word.startswith(stem) and word[len(stem) :] in CYRILLIC_ENDINGS


def word_matches(term: str, word: str) -> bool:
    """Whether the normalised message ``word`` is a form of the normalised query ``term``."""
    if term[:1] in "#@":
        return word == term
    if word[:1] in "#@":
        word = word[1:]
    if _HEBREW.search(term):
        for cut in range(min(HEBREW_MAX_PREFIXES, len(word) - 1) + 1):
            if cut and word[cut - 1] not in HEBREW_PREFIXES:
                break
            if _ending_match(term, word[cut:], HEBREW_ENDINGS):
                return True
        return False
    if _CYRILLIC.search(term):
        return _cyrillic_match(term, word)
    return _ending_match(term, word, LATIN_ENDINGS)


def _spans(term: Term, words: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """Where the term's words appear in order, adjacent: (first index, last index)."""
    width = len(term.words)
    for start in range(len(words) - width + 1):
        if all(word_matches(t, words[start + k]) for k, t in enumerate(term.words)):
            yield start, start + width - 1


def _near(node: Near, words: tuple[str, ...]) -> bool:
    rights = list(_spans(node.right, words))
    for a_start, a_end in _spans(node.left, words):
        for b_start, b_end in rights:
            if b_start > a_end:
                gap = b_start - a_end - 1
            elif a_start > b_end:
                gap = a_start - b_end - 1
            else:
                continue  # the same words found twice are not two terms near each other
            if gap <= node.distance:
                return True
    return False


def evaluate(node: Node, words: tuple[str, ...]) -> bool:
    """Evaluate a parsed query against a message's words (``tokenize``)."""
    if isinstance(node, Term):
        return next(_spans(node, words), None) is not None
    if isinstance(node, Not):
        return not evaluate(node.child, words)
    if isinstance(node, And):
        return all(evaluate(c, words) for c in node.children)
    if isinstance(node, Or):
        return any(evaluate(c, words) for c in node.children)
    return _near(node, words)


def query_matches(query: str, text: str) -> bool:
    """Tell whether ``text`` matches ``query``; raise ValueError for a malformed query."""
    return evaluate(query_tree(query), tokenize(text))


def matches(query: str, text: str) -> bool:
    """Like ``query_matches``, but a malformed query matches nothing (for adapters mid-poll)."""
    try:
        return query_matches(query, text)
    except ValueError:
        return False


# --- network searches ----------------------------------------------------------------------------

_Alternatives = list[tuple[tuple[str, ...], tuple[str, ...]]]


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _too_complex() -> ValueError:
    return ValueError(
        f"the query is too complex for the networks' searches (over {MAX_CLAUSES} alternatives); simplify it"
    )


def _combine(parts: list[_Alternatives]) -> _Alternatives:
    if _size(parts) > MAX_CLAUSES:
        raise _too_complex()
    out: _Alternatives = []
    for combo in product(*parts):
        required = _unique(tuple(t for r, _ in combo for t in r))
        excluded = _unique(tuple(t for _, e in combo for t in e))
        out.append((required, excluded))
    return out


def _size(parts: list[_Alternatives]) -> int:
    total = 1
    for part in parts:
        total *= max(len(part), 1)
    return total


def _dnf(node: Node, negated: bool = False) -> tuple[_Alternatives, bool]:
    """The alternatives (required, excluded) and whether they say exactly what the tree says."""
    if isinstance(node, Term):
        return ([((), (node.text,))] if negated else [((node.text,), ())]), True
    if isinstance(node, Not):
        return _dnf(node.child, not negated)
    if isinstance(node, Near):
        if negated:  # "not near each other" has no network form: left to the local match
            return [((), ())], False
        return [((node.left.text, node.right.text), ())], False
    results = [_dnf(c, negated) for c in node.children]
    exact = all(e for _, e in results)
    alternatives = [a for a, _ in results]
    conjunction = isinstance(node, And) != negated  # De Morgan: NOT (a OR b) = NOT a AND NOT b
    if conjunction:
        return _combine(alternatives), exact
    flat = [alt for alts in alternatives for alt in alts]
    if len(flat) > MAX_CLAUSES:
        raise _too_complex()
    return flat, exact


def _dnf_checked(tree: Node) -> tuple[tuple[Clause, ...], bool]:
    alternatives, exact = _dnf(tree)
    found: list[Clause] = []
    for required, excluded in alternatives:
        if not required:
            raise ValueError("a part of the query only excludes words; add a word to look for")
        clause = Clause(required, excluded)
        if clause not in found:
            found.append(clause)
    return tuple(found), exact


@lru_cache(maxsize=512)
def query_parse(query: str) -> tuple[Clause, ...]:
    """The query as OR-ed clauses (its network form); raise ValueError saying what is wrong with it."""
    return _dnf_checked(query_tree(query))[0]


def network_exact(query: str) -> bool:
    """Whether ``query_parse`` says all the query says (no NEAR, no negated NEAR left out)."""
    return _dnf_checked(query_tree(query))[1]


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


def plain_searches(query: str) -> list[str]:
    """One plain-text search per clause, required terms only (phrases quoted), for simple searches."""
    return [" ".join(_quoted(t) for t in required) for required, _ in clauses(query)]


def _quoted(term: str) -> str:
    return f'"{term}"' if " " in term or "-" in term else term


def _x(node: Node, inside: bool) -> str:
    if isinstance(node, Term):
        return _quoted(node.text) if node.quoted or len(node.words) > 1 else node.text
    if isinstance(node, Not):
        child = node.child
        return f"-{_x(child, True)}" if isinstance(child, Term) else f"-({_x(child, False)})"
    if isinstance(node, Near):  # X's recent search has no proximity: both words, checked locally
        return f"{_x(node.left, True)} {_x(node.right, True)}"
    if isinstance(node, And):
        return " ".join(f"({_x(c, False)})" if isinstance(c, Or) else _x(c, True) for c in node.children)
    text = " OR ".join(_x(c, True) for c in node.children)
    return f"({text})" if inside else text


def twitter_query(query: str) -> str:
    """The query in X's search syntax: space for AND, ``OR``, ``-`` for NOT, parentheses, phrases.

    ``NEAR/n`` becomes a plain AND (the hits are matched locally afterwards).
    """
    return _x(query_tree(query), False)
