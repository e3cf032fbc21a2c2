"""How names are read and compared across Latin, Cyrillic and Hebrew (no database here).

Cyrillic is transliterated to Latin (Russian or Ukrainian readings), and
Latin readings are *folded* so that transliteration variants meet (Iuliia,
Yulia and Julia all give ``iulia``). Because Hebrew is written without most
vowels, a word is also reduced to a consonant *skeleton* (``Levi`` and
``לוי`` both give ``lb``): the only way to compare Hebrew with Latin.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

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
    "א": "", "ב": "b", "ג": "g", "ד": "d", "ה": "", "ו": "", "ז": "s", "ח": "k", "ט": "t",
    "י": "", "כ": "k", "ך": "k", "ל": "l", "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s",
    "ע": "", "פ": "p", "ף": "p", "צ": "c", "ץ": "c", "ק": "k", "ר": "r", "ש": "s", "ת": "t",
}  # fmt: skip
# Digraphs become upper-case classes so the single-letter classes below leave them alone
# (ts is צ, "c", not the k of a Latin c); z and s share a class as ז and ס do in transliteration.
_LATIN_DIGRAPHS = (("sch", "S"), ("sh", "S"), ("ch", "K"), ("kh", "K"), ("ph", "P"), ("tz", "C"),
                   ("ts", "C"), ("ck", "K"), ("zh", "S"))  # fmt: skip
_LATIN_CLASSES = str.maketrans(
    {"c": "k", "q": "k", "f": "p", "v": "b", "w": "b", "x": "k", "j": "g", "z": "s"}
)
# A geresh turns a Hebrew letter into a sound Hebrew lacks: צ' is ch, ג' is j, ז' is zh.
_HEBREW_GERESH = {"צ": "k", "ג": "g", "ז": "s", "ת": "t"}
_APOSTROPHES = "'׳’"
_DROPPED = set("aeiouyh")


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
    # An apostrophe inside a word stays (O'Brien, the geresh of צ'); one around it goes.
    words = (w.strip(_APOSTROPHES) for w in re.split(r"[^\w'׳’]+", text.lower()))
    return [w for w in words if w and not w.isdigit()]


@lru_cache(maxsize=65536)
def _transliterations(text: str) -> tuple[str, ...]:
    """The Latin readings of a word: Cyrillic without і/ї/є/ґ may be Russian or Ukrainian."""
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
    word = word.translate(_LATIN_CLASSES).lower()
    consonants = [ch for ch in word if ch.isalpha() and ch not in _DROPPED]
    return "".join(ch for i, ch in enumerate(consonants) if i == 0 or ch != consonants[i - 1])


def _hebrew_skeleton(word: str, *, vav_is_consonant: bool, chet_is_silent: bool = False) -> str:
    # Latin writes ח as ch or kh (Mizrachi, a k) or as an h it drops (Mizrahi): chet_is_silent.
    letters = []
    for i, ch in enumerate(word):
        if ch in _APOSTROPHES:
            continue
        if ch in _HEBREW_GERESH and word[i + 1 : i + 2] in set(_APOSTROPHES):
            letters.append(_HEBREW_GERESH[ch])
        elif ch == "ו" and vav_is_consonant:
            letters.append("b")
        elif ch == "ח" and chet_is_silent:
            continue
        else:
            letters.append(_HEBREW_SKELETON.get(ch, ""))
    consonants = [ch for ch in "".join(letters) if ch]
    return "".join(ch for i, ch in enumerate(consonants) if i == 0 or ch != consonants[i - 1])


# --- The words of a name, as compared -----------------------------------------------------------

WORD_AGREES = 0.85  # Jaro-Winkler of the readings (or ratio of the skeletons) at which two words agree
WORD_SAME = 0.95  # from here a word agrees as well as an exact match (one typo in a long word)
_VOWEL_START = set("aeiouyh") | set("אהעי")
# Spellings that transliterations of one name swap: Yuliya / Iuliia / Julia, Ksenia / Xenia.
_FOLDS = (("kh", "h"), ("ks", "x"), ("ph", "f"), ("w", "v"), ("j", "y"), ("y", "i"))


def fold(reading: str) -> str:
    """A Latin reading with transliteration variants folded: Iuliia, Yulia, Julia → iulia."""
    for spelt, folded in _FOLDS:
        reading = reading.replace(spelt, folded)
    return re.sub(r"(.)\1+", r"\1", reading)


@dataclass(frozen=True)
class NameWord:
    """One word of a name: its folded Latin readings, consonant skeletons and possible initials."""

    shown: str
    readings: tuple[str, ...]  # folded Latin readings; none for Hebrew
    spelling: str  # a Hebrew word as written, compared letter by letter with other Hebrew words
    skeletons: tuple[str, ...]
    initials: frozenset[str]  # the first consonant's class, "_" when the word opens with a vowel
    hebrew: bool
    letters: int


def _initials(word: str, readings: tuple[str, ...], skels: tuple[str, ...]) -> frozenset[str]:
    if readings:
        return frozenset("_" if r[0] in _VOWEL_START else _latin_skeleton(r[0]) or "_" for r in readings)
    if word[0] in _VOWEL_START:
        return frozenset("_")
    if word[0] == "ו":  # vav opens as v or as a vowel
        return frozenset({"b", "_"})
    return frozenset(s[0] for s in skels if s) or frozenset("_")


@lru_cache(maxsize=65536)
def name_words(name: str) -> tuple[NameWord, ...]:
    """Split a name into comparable words (cached: a run compares each name with dozens of others)."""
    hebrew = script_of(name) == "hebrew"
    found: list[NameWord] = []
    for word in _words(name):
        if hebrew:
            readings: tuple[str, ...] = ()
            spelling = "".join(ch for ch in word if ch not in _APOSTROPHES)
            variants = (
                _hebrew_skeleton(word, vav_is_consonant=v, chet_is_silent=c)
                for v in (True, False)
                for c in (False, True)
            )
            skels = tuple(sorted({s for s in variants if s}))
            letters = len(spelling)
        else:
            raw = [r.replace("'", "") for r in _transliterations(word)]
            readings, spelling = tuple(sorted({fold(r) for r in raw if r})), ""
            skels = tuple(sorted({s for r in raw if (s := _latin_skeleton(r))}))
            letters = max((len(r) for r in raw), default=0)
        if letters:
            initials = _initials(word, readings, skels)
            found.append(NameWord(word, readings, spelling, skels, initials, hebrew, letters))
    return tuple(found)


@lru_cache(maxsize=16384)
def joined_variants(name: str) -> tuple[tuple[NameWord, ...], ...]:
    """The name with two neighbouring words written as one ("tiana gr een" → "tiana green")."""
    words = _words(name)
    return tuple(
        name_words(" ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]]))
        for i in range(len(words) - 1)
    )


def word_similarity(a: NameWord, b: NameWord) -> float:
    """0..1: Jaro-Winkler of the spellings within a script, the skeletons across Hebrew and Latin.

    A skeleton drops the vowels, so across scripts short skeletons must be
    equal (יעל and Yael, ``l``) and only long ones may differ by a letter.
    """
    if a.hebrew and b.hebrew:
        return JaroWinkler.similarity(a.spelling, b.spelling)
    if a.hebrew or b.hebrew:
        return max(
            (
                1.0 if x == y else fuzz.ratio(x, y) / 100 if min(len(x), len(y)) >= 4 else 0.0
                for x in a.skeletons
                for y in b.skeletons
            ),
            default=0.0,
        )
    if any(_gendered(x, y) for x in a.readings for y in b.readings):
        return 0.5  # Pavlov and Pavlova: one family, two people
    return max(JaroWinkler.similarity(x, y) for x in a.readings for y in b.readings)


def _gendered(x: str, y: str) -> bool:
    """Whether two folded readings are the masculine and feminine forms of a Slavic family name."""
    short, long = sorted((x, y), key=len)
    if long == short + "a" and short.endswith(("ov", "ev", "in")):  # Pavlov / Pavlova, Ilin / Ilina
        return True
    return long.endswith("skaia") and short == long[:-4] + "i"  # Vysotski / Vysotskaia


def initial_agrees(initial: NameWord, word: NameWord) -> bool:
    if initial.readings and word.readings:
        return any(a[0] == w[0] for a in initial.readings for w in word.readings)
    return bool(initial.initials & word.initials)


INITIAL = -1.0  # the similarity given to an initial that agrees with a word


def align_words(
    left: tuple[NameWord, ...], right: tuple[NameWord, ...]
) -> list[tuple[NameWord, NameWord, float]]:
    """Pair the words of two names, most alike first, whatever their order."""
    cells: list[tuple[float, int, int]] = []
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if a.letters == 1 and b.letters == 1:
                continue
            if a.letters == 1 or b.letters == 1:
                initial, word = (a, b) if a.letters == 1 else (b, a)
                cells.append((0.5 if initial_agrees(initial, word) else 0.0, i, j))
            else:
                cells.append((word_similarity(a, b), i, j))
    cells.sort(key=lambda c: -c[0])
    used_left: set[int] = set()
    used_right: set[int] = set()
    aligned = []
    for similarity, i, j in cells:
        if i in used_left or j in used_right:
            continue
        used_left.add(i)
        used_right.add(j)
        abbreviated = left[i].letters == 1 or right[j].letters == 1
        aligned.append((left[i], right[j], INITIAL if abbreviated and similarity else similarity))
    return aligned


def latin_pieces(name: str) -> set[str]:
    """The Latin readings of a name's words, as written and folded (what a handle is spelt from)."""
    pieces: set[str] = set()
    for word in _words(name):
        for reading in _transliterations(word):
            reading = reading.replace("'", "")
            pieces.update((reading, fold(reading)))
    return {p for p in pieces if p}
