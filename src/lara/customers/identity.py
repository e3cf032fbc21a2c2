"""Tell how likely two customer records are one person, and say why (no database here).

Names are compared across scripts: Cyrillic is transliterated to Latin, and
because Hebrew is written without most vowels, names are also reduced to a
consonant *skeleton* (``Dana Levi`` and ``דנה לוי`` both give ``dn lb``) that
rapidfuzz compares. Candidates are blocked by cheap keys (the initials of a
name's skeleton, a handle, an e-mail local part), so no run compares every
pair.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo", "є": "ye",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
# Ukrainian reads г as h and и as y (Ганна = Hanna, Лисенко = Lysenko).
_UKRAINIAN = {"г": "h", "и": "y"}
_UKRAINIAN_LETTERS = set("іїєґ")

# A readable Hebrew rendition (vowels are mostly unwritten, so it is only a guide).
_HEBREW = {
    "א": "a", "ב": "b", "ג": "g", "ד": "d", "ה": "h", "ו": "v", "ז": "z", "ח": "kh", "ט": "t",
    "י": "y", "כ": "k", "ך": "k", "ל": "l", "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s",
    "ע": "", "פ": "p", "ף": "f", "צ": "ts", "ץ": "ts", "ק": "k", "ר": "r", "ש": "sh", "ת": "t",
}  # fmt: skip
# Consonant classes for the skeleton: letters that may be vowels (א ה ו י ע) drop,
# and sounds Latin spells several ways share one class (כ ק ח → k, ב ו → b, פ → p).
_HEBREW_SKELETON = {
    "א": "", "ב": "b", "ג": "g", "ד": "d", "ה": "", "ו": "", "ז": "z", "ח": "k", "ט": "t",
    "י": "", "כ": "k", "ך": "k", "ל": "l", "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s",
    "ע": "", "פ": "p", "ף": "p", "צ": "c", "ץ": "c", "ק": "k", "ר": "r", "ש": "s", "ת": "t",
}  # fmt: skip
_LATIN_DIGRAPHS = (("sch", "s"), ("sh", "s"), ("ch", "k"), ("kh", "k"), ("ph", "p"), ("tz", "c"),
                   ("ts", "c"), ("ck", "k"), ("zh", "z"))  # fmt: skip
_LATIN_CLASSES = str.maketrans({"c": "k", "q": "k", "f": "p", "v": "b", "w": "b", "x": "k", "j": "g"})
_DROPPED = set("aeiouyh")

_GENERIC_LOCAL_PARTS = {"info", "support", "contact", "admin", "hello", "sales", "office", "mail", "noreply"}


def script_of(text: str) -> str:
    """Return "hebrew", "cyrillic" or "latin" by the letters the text is mostly written in."""
    hebrew = sum(1 for ch in text if "\u0590" <= ch <= "\u05ff")
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    if hebrew > cyrillic and hebrew > 0:
        return "hebrew"
    if cyrillic > 0:
        return "cyrillic"
    return "latin"


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", text.lower()) if w and not w.isdigit()]


def transliterations(text: str) -> list[str]:
    """Return the Latin readings of a name: Cyrillic without і/ї/є/ґ may be Russian or Ukrainian."""
    return list(_transliterations(text))


@lru_cache(maxsize=65536)
def _transliterations(text: str) -> tuple[str, ...]:
    # Cached: a suggestion run compares each name with dozens of others.
    lowered = text.lower()
    if script_of(text) != "cyrillic" or any(ch in _UKRAINIAN_LETTERS for ch in lowered):
        return (transliterate(text),)
    return tuple(sorted({transliterate(text), transliterate(text, ukrainian=True)}))


def transliterate(text: str, *, ukrainian: bool | None = None) -> str:
    """Render a name in lower-case Latin letters: Дмитрий Соколов → dmitriy sokolov."""
    if ukrainian is None:
        ukrainian = any(ch in _UKRAINIAN_LETTERS for ch in text.lower())
    out = []
    for ch in text.lower():
        if ukrainian and ch in _UKRAINIAN:
            out.append(_UKRAINIAN[ch])
        elif ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _HEBREW:
            out.append(_HEBREW[ch])
        else:
            out.append(ch)
    ascii_text = unicodedata.normalize("NFKD", "".join(out)).encode("ascii", "ignore").decode()
    return " ".join(_words(ascii_text))


def _latin_skeleton(word: str) -> str:
    for digraph, cls in _LATIN_DIGRAPHS:
        word = word.replace(digraph, cls)
    word = word.translate(_LATIN_CLASSES)
    consonants = [ch for ch in word if ch.isalpha() and ch not in _DROPPED]
    return "".join(ch for i, ch in enumerate(consonants) if i == 0 or ch != consonants[i - 1])


def _hebrew_skeleton(word: str, *, vav_is_consonant: bool) -> str:
    letters = []
    for ch in word:
        if ch == "ו" and vav_is_consonant:
            letters.append("b")
        else:
            letters.append(_HEBREW_SKELETON.get(ch, ""))
    consonants = [ch for ch in "".join(letters) if ch]
    return "".join(ch for i, ch in enumerate(consonants) if i == 0 or ch != consonants[i - 1])


def skeletons(name: str) -> list[str]:
    """Return the consonant skeletons of a name (two for Hebrew: ו read as v or as a vowel)."""
    return list(_skeletons(name))


@lru_cache(maxsize=65536)
def _skeletons(name: str) -> tuple[str, ...]:
    words = _words(name)
    if not words:
        return ()
    if script_of(name) == "hebrew":
        variants = {
            " ".join(filter(None, (_hebrew_skeleton(w, vav_is_consonant=v) for w in words)))
            for v in (True, False)
        }
        return tuple(sorted(v for v in variants if v))
    found = {
        " ".join(filter(None, (_latin_skeleton(w) for w in _words(reading))))
        for reading in _transliterations(name)
    }
    return tuple(sorted(s for s in found if s))


@dataclass(frozen=True)
class NameMatch:
    similarity: float
    across_scripts: bool
    left: str
    right: str


def name_similarity(left: str, right: str) -> NameMatch:
    """Compare two names in any of Latin, Cyrillic and Hebrew, 0..1.

    Latin and Cyrillic carry their vowels, so their transliterations are
    compared whole; when either name is Hebrew only the skeletons can be.
    """
    across = script_of(left) != script_of(right)
    if script_of(left) == "hebrew" or script_of(right) == "hebrew":
        pairs = [(a, b) for a in skeletons(left) for b in skeletons(right)]
        # Two consonants are too little to tell people apart.
        pairs = [(a, b) for a, b in pairs if min(len(a.replace(" ", "")), len(b.replace(" ", ""))) >= 3]
        score = max((fuzz.token_sort_ratio(a, b) for a, b in pairs), default=0.0)
    else:
        score = max(
            fuzz.token_sort_ratio(a, b) for a in transliterations(left) for b in transliterations(right)
        )
    return NameMatch(similarity=score / 100, across_scripts=across, left=left, right=right)


def handle_normalize(handle: str) -> str:
    """Return a handle as compared across networks ("" for e-mail addresses and short ones)."""
    handle = handle.strip().lower().lstrip("@")
    if "@" in handle or len(handle) < 4:
        return ""
    return handle


def email_local_part(email: str) -> str:
    local = email.strip().lower().split("@", 1)[0]
    if len(local) < 4 or local in _GENERIC_LOCAL_PARTS:
        return ""
    return local


@dataclass
class Identity:
    """What a customer record tells about the person behind it."""

    customer_id: int
    names: list[str] = field(default_factory=list)
    handles: set[tuple[str, str]] = field(default_factory=set)  # (network, normalised handle)
    email_locals: set[str] = field(default_factory=set)
    city: str = ""


def identity_keys(identity: Identity) -> set[str]:
    """Return the blocking keys: only records that share one are ever compared."""
    keys: set[str] = set()
    for name in identity.names:
        for skeleton in skeletons(name):
            words = skeleton.split()
            if len(words) >= 2:
                keys.add("n:" + "".join(sorted(w[0] for w in words)))
            elif words and len(words[0]) >= 2:
                keys.add("n1:" + words[0][:3])
    keys.update(f"h:{handle}" for _network, handle in identity.handles)
    keys.update(f"e:{local}" for local in identity.email_locals)
    return keys


# How much each kind of evidence alone says; combined as independent evidence.
WEIGHT_FULL_NAME = 0.85
WEIGHT_SINGLE_NAME = 0.45
WEIGHT_HANDLE = 0.75
WEIGHT_EMAIL_LOCAL = 0.8
WEIGHT_CITY = 0.2
NAME_THRESHOLD = 0.85
SUGGEST_THRESHOLD = 0.6


@dataclass(frozen=True)
class PairScore:
    score: float
    reasons: list[dict[str, str]]


def pair_score(left: Identity, right: Identity) -> PairScore:
    """Score a pair 0..1 and list the reasons, strongest first."""
    evidence: list[tuple[float, dict[str, str]]] = []
    best: NameMatch | None = None
    for a in left.names:
        for b in right.names:
            match = name_similarity(a, b)
            if best is None or match.similarity > best.similarity:
                best = match
    if best is not None and best.similarity >= NAME_THRESHOLD:
        full = len(_words(best.left)) >= 2 and len(_words(best.right)) >= 2
        weight = (WEIGHT_FULL_NAME if full else WEIGHT_SINGLE_NAME) * best.similarity
        code, label = (
            ("name_across_scripts", "similar name across scripts")
            if best.across_scripts
            else ("name", "similar name")
        )
        text = f"{label}: {best.left} ~ {best.right} ({round(best.similarity * 100)}%)"
        evidence.append((weight, {"code": code, "text": text}))
    left_handles = {h: n for n, h in left.handles}
    for network, handle in sorted(right.handles):
        other = left_handles.get(handle)
        if other is not None and other != network:
            text = f"same handle {handle} on {' and '.join(sorted((other, network)))}"
            evidence.append((WEIGHT_HANDLE, {"code": "handle", "text": text}))
            break
    shared_locals = sorted(left.email_locals & right.email_locals)
    if shared_locals:
        text = f"same email local part {shared_locals[0]}"
        evidence.append((WEIGHT_EMAIL_LOCAL, {"code": "email_local_part", "text": text}))
    if left.city and left.city.strip().lower() == right.city.strip().lower():
        evidence.append((WEIGHT_CITY, {"code": "city", "text": f"same city {left.city}"}))
    remaining = 1.0
    for weight, _reason in evidence:
        remaining *= 1 - weight
    evidence.sort(key=lambda e: -e[0])
    return PairScore(score=round(1 - remaining, 4), reasons=[reason for _w, reason in evidence])


def candidate_pairs(identities: Iterable[Identity], *, max_block: int = 2000) -> set[tuple[int, int]]:
    """Return the pairs (lower id first) that share a blocking key, never all pairs.

    A key shared by more than ``max_block`` records says too little to be
    worth the quadratic cost and is skipped.
    """
    blocks: dict[str, list[int]] = {}
    for identity in identities:
        for key in identity_keys(identity):
            blocks.setdefault(key, []).append(identity.customer_id)
    pairs: set[tuple[int, int]] = set()
    for ids in blocks.values():
        if len(ids) > max_block:
            continue
        ordered = sorted(set(ids))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs.add((a, b))
    return pairs
