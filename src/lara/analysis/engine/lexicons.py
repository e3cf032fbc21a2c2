"""Match hand-written cue lists in English, Hebrew, Russian and Ukrainian.

Labelled data exists almost only for English (and hardly at all for
Ukrainian), so the multilingual parts of the analyzer -- question, suggestion,
purchase intent, urgency, and a sentiment prior -- rest on short cue lists
written for this project (not copied from any corpus).  All languages are
tried on every text,
because the scripts rarely collide and a Russian/Ukrainian mix-up of the
language detector must not switch the cues off.

Cue syntax: words separated by spaces; ``stem*`` matches any ending (for the
rich inflection of Russian and Ukrainian); ``...`` allows up to three words in
between.  Hebrew words may carry the one-letter proclitics ו ה ב ל מ ש כ
(e.g. ``והבלמים``), so a Hebrew cue also matches with up to three of them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_HEBREW_PROCLITICS = frozenset("ובהלמשכ")
_HEBREW_CHAR = re.compile(r"[\u0590-\u05ff]")
_WORD = re.compile(r"\w+(?:['\-]\w+)*")
_PLAIN_TOKEN = re.compile(r"^[\w'\-]+\*?$")
_MAX_GAP = 3
_CLAUSE_END = re.compile(r"[.!?;,:()\n]")

Cue = str | tuple[str, float]


@dataclass(frozen=True)
class _Token:
    text: str
    stem: bool
    gap_before: bool
    hebrew: bool

    def matches(self, variants: tuple[str, ...]) -> bool:
        """Tell whether a text word (given as its lookup forms) matches this token."""
        for body in variants if self.hebrew else variants[:1]:
            if body == self.text or (self.stem and body.startswith(self.text)):
                return True
        return False


@dataclass(frozen=True)
class _Cue:
    tokens: tuple[_Token, ...]
    weight: float
    lang: str


def _hebrew_variants(word: str) -> list[str]:
    """Return ``word`` and the forms left after stripping 1-3 Hebrew proclitics."""
    out = [word]
    for k in range(1, 4):
        if len(word) - k < 2 or word[k - 1] not in _HEBREW_PROCLITICS:
            break
        out.append(word[k:])
    return out


_CACHE_SIZE = 16384


# Every cue set files its cues under their first word (exact form or stem);
# this index maps such a key to the cue sets using it, so a text's words are
# looked up once for all sets instead of once per set.
_FIRST_KEYS: dict[str, list[int]] = {}
_STEM_LENGTHS: list[int] = []
_registered = 0


def _register(exact: Iterable[str], stems: Iterable[str]) -> int:
    """File a new cue set's first-word keys in the shared index and return its id."""
    global _registered
    set_id = _registered
    _registered += 1
    for key in set(exact) | set(stems):
        _FIRST_KEYS.setdefault(key, []).append(set_id)
    _STEM_LENGTHS[:] = sorted(set(_STEM_LENGTHS) | {len(stem) for stem in stems})
    _words.cache_clear()
    _FORM_SETS.clear()
    return set_id


@dataclass(frozen=True)
class _Words:
    """Hold a text's words (as their lookup forms) and where each cue set may start a hit.

    ``variants[i]`` are word ``i``'s lookup forms (Hebrew: also without
    proclitics); ``starts`` maps a cue set's id to the words that are (or
    begin with) the first word of one of its cues -- found with one pass over
    the text for all sets, so a set without such words costs one dictionary
    lookup (most texts hit no cue of most sets).  Offsets are only needed for
    hits, so they are found lazily.
    """

    text: str
    variants: tuple[tuple[str, ...], ...]
    starts: dict[int, list[int]]

    @functools.cached_property
    def chars(self) -> frozenset[str]:
        """Return the characters of the text (symbol cues are looked for only when their first is there)."""
        return frozenset(self.text)

    def span(self, i: int) -> tuple[int, int]:
        """Return the start and end offsets of word ``i``."""
        return _spans(self.text)[i]


@functools.lru_cache(maxsize=_CACHE_SIZE // 4)
def _words(normalized: str) -> _Words:
    """Return each word with the forms to look up (Hebrew: minus proclitics)."""
    found = _WORD.findall(normalized)
    if _HEBREW_CHAR.search(normalized):
        variants = tuple(tuple(_hebrew_variants(w)) if _HEBREW_CHAR.match(w) else (w,) for w in found)
    else:
        variants = tuple((w,) for w in found)
    starts: dict[int, list[int]] = {}
    for i, forms in enumerate(variants):
        for form in forms:
            set_ids = _FORM_SETS.get(form)
            if set_ids is None:
                set_ids = _form_sets(form)
            for set_id in set_ids:
                at = starts.setdefault(set_id, [])
                if not at or at[-1] != i:
                    at.append(i)
    return _Words(normalized, variants, starts)


# Which cue sets a word form can start a cue of; words repeat a lot, so this
# is memoised (and emptied when it grows past the limit).
_FORM_SETS: dict[str, tuple[int, ...]] = {}
_FORM_SETS_LIMIT = 200_000


def _form_sets(form: str) -> tuple[int, ...]:
    found: list[int] = list(_FIRST_KEYS.get(form, ()))
    for k in _STEM_LENGTHS:
        if k >= len(form):
            break
        found.extend(_FIRST_KEYS.get(form[:k], ()))
    if len(_FORM_SETS) >= _FORM_SETS_LIMIT:
        _FORM_SETS.clear()
    _FORM_SETS[form] = result = tuple(sorted(set(found)))
    return result


@functools.lru_cache(maxsize=256)
def _spans(normalized: str) -> tuple[tuple[int, int], ...]:
    return tuple(m.span() for m in _WORD.finditer(normalized))


def clear_caches() -> None:
    """Drop memoised cue hits (used by benchmarks to measure cold runs)."""
    _words.cache_clear()
    _spans.cache_clear()
    _FORM_SETS.clear()
    CueSet._finditer_cached.cache_clear()


@dataclass(frozen=True)
class CueMatch:
    """Record one cue hit: the matched surface text, its weight and language."""

    text: str
    start: int
    end: int
    weight: float
    lang: str


class CueSet:
    """Index a ``{lang: [cue, ...]}`` mapping for fast matching over word tokens.

    Cues are indexed by their first word (exact form, or the first two letters
    of a stem), so a text is scanned once per cue set instead of trying every
    cue at every position -- this keeps analysis at thousands of texts per
    second.  Cues made of symbols (emoji, ``:)``, ``עו"ד``) use a small regex.
    """

    def __init__(self, name: str, cues: Mapping[str, Iterable[Cue]]) -> None:
        self.name = name
        self._exact: dict[str, list[_Cue]] = {}
        self._stems: dict[str, list[_Cue]] = {}
        raw: list[tuple[str, _Cue]] = []
        for lang, items in cues.items():
            for item in items:
                text, weight = (item, 1.0) if isinstance(item, str) else item
                text = text.lower()
                parts = text.split()
                if not all(p == "..." or _PLAIN_TOKEN.match(p) for p in parts):
                    raw.append((text, _Cue((), weight, lang)))
                    continue
                tokens, gap = [], False
                for part in parts:
                    if part == "...":
                        gap = True
                        continue
                    star = part.endswith("*")
                    body = part[:-1] if star else part
                    hebrew = lang == "he" and bool(_HEBREW_CHAR.match(body))
                    tokens.append(_Token(body, star, gap, hebrew))
                    gap = False
                cue = _Cue(tuple(tokens), weight, lang)
                first = tokens[0]
                if first.stem and len(first.text) < 2:
                    raise ValueError(f"cue {text!r}: a leading stem needs at least two letters")
                if first.stem:
                    self._stems.setdefault(first.text[:2], []).append(cue)
                else:
                    self._exact.setdefault(first.text, []).append(cue)
        self._raw = [
            (
                re.compile(
                    ("(?<![\\w'])" if re.match(r"\w", text) else "")
                    + re.escape(text)
                    + ("(?!\\w)" if re.search(r"\w$", text) else "")
                ),
                cue,
            )
            for text, cue in raw
        ]
        self._id = _register(self._exact, {c.tokens[0].text for cues in self._stems.values() for c in cues})
        # The characters symbol cues start with, and one pattern telling
        # whether any of them occurs at all.
        self._raw_first = frozenset(text[0] for text, _ in raw)
        self._raw_any = re.compile("|".join(p.pattern for p, _ in self._raw)) if self._raw else None

    def _candidates(self, variants: tuple[str, ...]) -> list[_Cue]:
        out: list[_Cue] = []
        for body in variants:
            out.extend(self._exact.get(body, ()))
            for cue in self._stems.get(body[:2], ()):
                if body.startswith(cue.tokens[0].text):
                    out.append(cue)
        return out

    @staticmethod
    def _match_rest(cue: _Cue, words: Sequence[tuple[str, ...]], i: int) -> int:
        """Return the index of the last word matched by ``cue`` from word ``i``, or -1."""
        pos = i
        for token in cue.tokens[1:]:
            limit = _MAX_GAP + 1 if token.gap_before else 1
            for j in range(pos + 1, min(pos + 1 + limit, len(words))):
                if token.matches(words[j]):
                    pos = j
                    break
            else:
                return -1
        return pos

    def finditer(self, normalized: str) -> tuple[CueMatch, ...]:
        """Return the non-overlapping cue hits in already-normalised text, in order.

        Results are memoised per text, because sentiment features, the type
        rules and topic extraction all ask for the same cue hits.
        """
        return self._finditer_cached(normalized)

    @functools.lru_cache(maxsize=_CACHE_SIZE)  # noqa: B019 - cue sets are module-level singletons
    def _finditer_cached(self, normalized: str) -> tuple[CueMatch, ...]:
        indexed = _words(normalized)
        words = indexed.variants
        hits: list[CueMatch] = []
        starts = indexed.starts.get(self._id, ())
        after = 0  # hits do not overlap: the next one starts after the last word matched
        for i in starts:
            if i < after:
                continue
            variants = words[i]
            best: tuple[int, _Cue] | None = None
            for cue in self._candidates(variants):
                last = self._match_rest(cue, words, i)
                if last >= 0 and (best is None or last > best[0]):
                    best = (last, cue)
            if best is None:
                continue
            last, cue = best
            start, end = indexed.span(i)[0], indexed.span(last)[1]
            hits.append(CueMatch(normalized[start:end], start, end, cue.weight, cue.lang))
            after = last + 1
        if (
            self._raw_any is None
            or self._raw_first.isdisjoint(indexed.chars)
            or not self._raw_any.search(normalized)
        ):
            return tuple(hits)
        for pattern, cue in self._raw:
            for m in pattern.finditer(normalized):
                if not any(h.start < m.end() and m.start() < h.end for h in hits):
                    hits.append(CueMatch(m.group(0), m.start(), m.end(), cue.weight, cue.lang))
        hits.sort(key=lambda h: h.start)
        return tuple(hits)

    def match_at_start(self, normalized: str) -> CueMatch | None:
        """Return the hit starting the text (``finditer(normalized)[0]`` at offset 0), else ``None``.

        Sentence openers are asked of every sentence and clause; most start
        with a word that begins no cue, which one lookup settles.
        """
        if not self._raw:
            first = _WORD.match(normalized)
            if first is None:
                return None
            word = first.group()
            variants = tuple(_hebrew_variants(word)) if _HEBREW_CHAR.match(word) else (word,)
            if not self._candidates(variants):
                return None
        hits = self.finditer(normalized)
        return hits[0] if hits and hits[0].start == 0 else None

    def score(self, normalized: str) -> float:
        """Return the weight of the strongest hit, or 0.0 without a hit."""
        return max((m.weight for m in self.finditer(normalized)), default=0.0)


# --------------------------------------------------------------------------- negation

NEGATORS = frozenset(
    {
        # en
        "not",
        "no",
        "never",
        "nothing",
        "without",
        "hardly",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "wont",
        "nor",
        # ru / uk
        "не",
        "нет",
        "ни",
        "никогда",
        "без",
        "ні",
        "ніколи",
        "нема",
        "немає",
        # he
        "לא",
        "אין",
        "בלי",
        "אינו",
        "אינה",
        "מעולם",
    }
)


def is_negated(normalized: str, start: int, window: int = 3) -> bool:
    """Tell whether one of the ``window`` words before ``start`` negates the cue.

    "not bad" / "не плохо" / "לא רע" must not count as negative evidence.
    """
    clause = _CLAUSE_END.split(normalized[:start])[-1]
    before = re.findall(r"\w+(?:'\w+)?", clause)[-window:]
    return any(word in NEGATORS or word.endswith("n't") for word in before)


# --------------------------------------------------------------------------- sentiment

# fmt: off
POSITIVE = CueSet(
    "positive",
    {
        "en": [
            "love*", "loving", "great", "amazing", "awesome", "excellent", "perfect*", "fantastic",
            "wonderful", "best", "happy", "glad", "thank*", "thx", "recommend*", "brilliant", "beautiful",
            "nice", "good", "impressive", "impressed", "enjoy*", "delight*", "superb", "outstanding",
            "well done", "pleased", "satisfied", "helpful", "friendly", "kudos", "cool", "fun", "smooth",
            "reliable", "favourite", "favorite", "appreciate*", "congrat*",
        ],
        "ru": [
            "спасибо", "благодар*", "отличн*", "прекрасн*", "замечательн*", "супер", "класс", "классн*",
            "круто", "крут*", "люблю", "нравит*", "понравил*", "восторг*", "лучш*", "рекоменд*", "доволен",
            "довольн*", "рад", "рада", "хорош*", "молодц*", "удобн*", "великолепн*", "шикарн*", "идеальн*",
            "чудесн*", "приятн*", "кайф*", "надежн*",
        ],
        "uk": [
            "дякую", "дяку*", "вдячн*", "чудов*", "відмінн*", "прекрасн*", "супер", "клас", "класн*",
            "круто", "крут*", "люблю", "подоба*", "сподобал*", "найкращ*", "кращ*", "рекоменд*",
            "задоволен*", "радий", "рада", "добре", "добр*", "гарн*", "молодц*", "зручн*", "неймовірн*",
            "ідеальн*", "приємн*", "надійн*", "захоплен*",
        ],
        "he": [
            "תודה", "מעולה", "מעולים", "מעולות", "מדהים*", "מושלם*", "נהדר*", "אוהב*", "אהבתי", "הכי טוב*",
            "טוב", "טובה", "טובים", "יופי", "כל הכבוד", "ממליץ*", "מרוצה", "מרוצים", "שמח", "שמחה", "אחלה",
            "מקסים*", "יפה", "יפים", "נפלא*", "כיף", "בהצלחה", "גאה", "גאים", "אלוף", "אלופים", "תותחים",
            "מצוין", "מצוינת", "מצוינים", "נוח", "נוחה",
        ],
        "*": [
            "❤", "❤️", "😍", "😊", "🥰", "👍", "🙏", "😀", "😁", "😃", "👏", "💪", "🔥", "💯",
            ":)", ":-)", ":d",
        ],
    },
)
# fmt: on

# fmt: off
NEGATIVE = CueSet(
    "negative",
    {
        "en": [
            "hate*", "terrible", "awful", "horrible", "worst", "bad", "poor*", "disappoint*", "broke",
            "broken", "useless", "annoy*", "angry", "furious", "ridiculous", "unacceptable", "scam*",
            "rip off", "ripoff", "rude", "slow", "waste*", "faulty", "defect*", "fail*", "crap*", "sucks",
            "suck", "disgust*", "frustrat*", "not working", "doesn't work", "does not work",
            "stopped working", "pathetic", "shame*", "sad", "upset", "worse", "nightmare", "joke",
            "garbage", "trash", "ugh", "damaged", "dangerous", "unsafe", "caught fire", "exploded",
        ],
        "ru": [
            "ужасн*", "отвратит*", "плох*", "худш*", "хуже", "разочарова*", "сломал*", "слома*",
            "не работа*", "недоволен", "недовольн*", "обман*", "мошенни*", "кошмар*", "позор*", "бесит",
            "бесят", "хамств*", "хамят", "отстой", "дерьм*", "медленн*", "ненавиж*", "ненавид*", "обидн*",
            "грустн*", "печальн*", "жаль", "зл*", "бракован*", "испорч*", "отврат*", "ужас", "бред",
            "фигня", "возмущ*", "опасн*", "загорелс*", "загорелас*", "взорвал*",
        ],
        "uk": [
            "жахлив*", "жах", "огидн*", "поган*", "найгірш*", "гірш*", "розчарова*", "зламал*", "злама*",
            "не працю*", "незадоволен*", "обман*", "шахра*", "ганьб*", "бісить", "хамств*", "сумн*", "сум",
            "повільн*", "ненавиджу", "ненавид*", "дратує", "прикро", "шкода", "зл*", "бракован*",
            "зіпсова*", "обурлив*", "обурен*", "кошмар*", "небезпечн*", "загорів*", "загорілас*",
            "вибухну*",
        ],
        "he": [
            "גרוע*", "נורא*", "מאוכזב*", "אכזבה", "התקלקל*", "מקולקל*", "שבור*", "נשבר*", "לא עובד*",
            "זוועה", "מזעזע*", "מבאס*", "בושה", "חרפה", "שונא*", "עצוב*", "כועס*", "רמאות", "רמאים",
            "נוכלים", "גועל", "מגעיל*", "איטי*", "תלונה", "חבל", "בזיון", "פגום*", "נוראי*", "מחפיר*",
            "מתבייש*", "שקרן*", "שקרים", "מסוכן*", "התפוצץ*", "נשרף*",
        ],
        "*": [
            "😡", "😠", "🤬", "👎", "😤", "😭", "😢", "💩", "😞", "😒", "🙄", ":(", ":-(",
        ],
    },
)
# fmt: on


def sentiment_counts(normalized: str) -> tuple[int, int]:
    """Count positive and negative cue hits, flipping negated ones.

    The counts feed the sentiment model as language-independent features, so a
    weight learned from English or Russian cue hits also applies to the
    Ukrainian cues, for which there is almost no training data.
    """
    pos = neg = 0
    for m in POSITIVE.finditer(normalized):
        if is_negated(normalized, m.start):
            neg += 1
        else:
            pos += 1
    for m in NEGATIVE.finditer(normalized):
        if m.text.split()[0] in NEGATORS:  # the cue already contains its negation
            neg += 1
        elif is_negated(normalized, m.start):
            pos += 1
        else:
            neg += 1
    return pos, neg


# --------------------------------------------------------------------------- message type

# fmt: off
COMPLAINT = CueSet(
    "complaint",
    {
        "en": [
            "broke*", "broken", "failed", "fails", "not working", "doesn't work", "does not work",
            "stopped working", "still waiting", "never arrived", "hasn't arrived", "has not arrived",
            "haven't received", "have not received", "never received", "no response", "no reply", "refund*",
            "defect*", "faulty", "damaged", "missing", "wrong order", "charged twice", "overcharg*",
            "disappoint*", "unacceptable", "complain*", "worst", "terrible", "awful", "horrible", "ruined",
            "delayed", "fix this", "fix it", "keeps breaking", "stopped charging", "won't turn on",
            "doesn't turn on", "fell apart", "rip off", "scam*", "waste of money", "poor quality",
            "poor service", "rude", "ignored", "useless", "waiting since", "been waiting", "ignoring",
            "not heard back", "haven't heard back", "no call back", "no callback", "supposed to",
            "still can't", "still cant", "still not", "still no", "yet to receive", "glitch*", "bug",
            "bugs", "error*", "unable to", "can't connect", "cannot connect", "uncooperative", "unhelpful",
            "not helpful", "wasn't helpful", "shocking", "stranded", "hung up", "fail", "smh",
            "for no reason", "again",
        ],
        "ru": [
            "сломал*", "слома*", "не работа*", "не пришл*", "не приш*", "до сих пор", "жду уже", "уже жду",
            "жалоб*", "верните", "возврат*", "бракован*", "брак", "поврежд*", "разочарова*", "ужасн*",
            "обман*", "списали дважды", "не отвеча*", "недоволен", "недовольн*", "задерж*", "опозда*",
            "потеряли", "не включа*", "не заряжа*", "развалил*", "отвратит*", "хамств*", "безобрази*",
            "испорч*", "отвалил*", "жду с", "игнорир*", "не перезвонил*", "никто не перезвон*",
            "должны были", "до сих пор не", "все еще не", "глюк*", "баг", "баги", "ошибк*", "не могу",
            "не получается", "бесполезн*", "бросили трубку", "без причины", "опять", "снова",
            "сколько можно",
        ],
        "uk": [
            "зламал*", "злама*", "не працю*", "не прийш*", "досі", "чекаю вже", "вже чекаю", "скарг*",
            "поверніть", "повернення", "бракован*", "брак", "пошкодж*", "розчарова*", "жахлив*", "обман*",
            "списали двічі", "не відповіда*", "незадоволен*", "затрим*", "запізн*", "загубили", "не вмика*",
            "не заряджа*", "розвалил*", "огидн*", "хамств*", "неподобств*", "зіпсова*", "відвалил*",
            "чекаю з", "ігнору*", "не передзвонил*", "ніхто не передзвон*", "мали б", "досі не",
            "все ще не", "глюк*", "баг", "баги", "помилк*", "не можу", "не виходить", "марн*",
            "кинули трубку", "без причини", "знову", "скільки можна",
        ],
        "he": [
            "התקלקל*", "מקולקל*", "שבור*", "נשבר*", "לא עובד*", "לא הגיע*", "עדיין מחכה", "מחכה כבר",
            "תלונה", "להתלונן", "החזר כספי", "פגום*", "פגם", "מאוכזב*", "אכזבה", "גרוע*", "לא עונים",
            "לא עונה", "אף אחד לא עונה", "עיכוב", "מאחר*", "הלך לאיבוד", "לא נדלק*", "לא נטען*", "זוועה",
            "שירות גרוע", "חצופים", "בושה", "נורא*", "תחזירו", "מחכה מ*", "מתעלמים", "התעלמות",
            "לא חזרו אליי", "לא חזר אליי", "היו אמורים", "עדיין לא", "באג", "באגים", "תקלה", "תקלות",
            "שגיאה", "לא מצליח", "לא מצליחה", "לא עוזר*", "ניתקו לי", "בלי סיבה", "שוב", "כמה אפשר",
            "נמאס*",
        ],
        "*": [
            "😡", "😠", "🤬", "👎", "😤",
        ],
    },
)
# fmt: on

# fmt: off
PRAISE = CueSet(
    "praise",
    {
        "en": [
            "thank*", "thx", "love*", "amazing", "awesome", "great", "excellent", "best", "perfect",
            "fantastic", "well done", "kudos", "impressed", "impressive", "recommend*", "5 stars",
            "five stars", "brilliant", "wonderful", "beautiful", "you guys rock", "you rock", "shout out",
            "shoutout", "superb", "outstanding", "happy with", "pleased with", "appreciate*", "the best",
            "good job", "great job",
        ],
        "ru": [
            "спасибо", "благодар*", "отличн*", "лучш*", "супер", "класс", "классн*", "молодц*", "восхищ*",
            "рекоменд*", "прекрасн*", "великолепн*", "люблю", "шикарн*", "восторг*", "доволен", "довольн*",
            "замечательн*",
        ],
        "uk": [
            "дякую", "дяку*", "вдячн*", "чудов*", "найкращ*", "супер", "клас", "класн*", "молодц*",
            "рекоменд*", "прекрасн*", "неймовірн*", "люблю", "захоплен*", "задоволен*", "відмінн*",
        ],
        "he": [
            "תודה", "כל הכבוד", "מדהים*", "מעולה", "מעולים", "מושלם*", "הכי טוב*", "ממליץ*", "אוהב*",
            "אהבתי", "שירות מעולה", "אלופים", "תותחים", "מקסים*", "נהדר*", "מרוצה", "מצוין", "מצוינת",
        ],
        "*": [
            "❤", "❤️", "😍", "🥰", "👍", "🙏", "👏", "💯",
        ],
    },
)
# fmt: on

# fmt: off
SUGGESTION = CueSet(
    "suggestion",
    {
        "en": [
            "would be great if", "would be nice if", "would be nice to", "would be great to",
            "would be cool if", "would be awesome if", "would love to see", "would love it if",
            "it'd be great", "it'd be nice", "please add", "could you add", "can you add", "you should add",
            "should add", "feature request", "suggestion", "suggest*", "i wish", "wish you would",
            "wish there was", "why not add", "consider adding", "how about adding", "it would help if",
            "please make", "please consider", "add an option", "add support", "add a",
            "should have an option", "idea:", "my idea", "would be helpful", "would be useful", "propose",
            "proposal",
        ],
        "ru": [
            "хорошо бы", "было бы хорошо", "было бы здорово", "было бы неплохо", "было бы круто",
            "было бы удобно", "было бы отлично", "было бы классно", "добавьте", "добавить бы", "предлага*",
            "предложени*", "хотелось бы", "сделайте", "почему бы не", "почему бы вам", "идея",
            "прошу добавить", "не хватает", "можно было бы", "стоит добавить",
        ],
        "uk": [
            "було б добре", "було б чудово", "було б класно", "було б зручно", "було б непогано",
            "було б круто", "було б гарно", "було б варто", "додайте", "додати", "пропону*", "пропозиці*",
            "хотілося б", "зробіть", "чому б не", "чому б вам", "ідея", "прошу додати", "не вистачає",
            "можна було б", "варто додати",
        ],
        "he": [
            "הייתי שמח אם", "הייתי שמחה אם", "היה נחמד אם", "יהיה נחמד", "יהיה נחמד אם", "היה כדאי",
            "כדאי להוסיף", "תוסיפו", "להוסיף", "אפשר להוסיף", "הצעה", "מציע*", "למה לא להוסיף", "רעיון",
            "שווה להוסיף", "חבל שאין", "הייתי מציע*", "בקשה לפיצ'ר",
        ],
    },
)
# fmt: on

# fmt: off
PURCHASE = CueSet(
    "purchase",
    {
        "en": [
            "where can i buy", "where to buy", "where do i buy", "where can i get", "where can i order",
            ("how much", 0.85), "price*", "pricing", ("cost*", 0.7), "want to buy", "wanna buy",
            "going to buy", "gonna buy", "thinking of buying", "thinking about buying", "planning to buy",
            "plan to buy", "should i buy", "should i get", "is it worth", "worth buying", "worth the money",
            ("worth it", 0.6), ("vs", 0.6), ("versus", 0.6), "in stock", "back in stock",
            ("available in", 0.7), ("discount*", 0.7), "coupon*", "promo code", "pre-order", "preorder",
            ("buy", 0.6), ("buying", 0.6), ("purchase", 0.6), "test ride", "test drive", "nearest store",
            "nearest dealer", "how do i order", "can i order", "want to order", "i'd like to order",
            "financing", "installments", "want to get", "wanna get", "can't wait to get", "need a new",
            "i want the", "i want one", "i need the", "i need one", "thinking of getting",
            "thinking about getting", "going to get", "gonna get", "getting a new", "just ordered",
            "pre-ordered", "preordered", "should i upgrade", "upgrade to", "upgrading to", "saving up for",
            "where can i find", "do you ship", "do you deliver", "how much does", "how much is",
        ],
        "ru": [
            "сколько стоит", "сколько стоят", "сколько будет стоить", "цена", "цены", "цену", "ценник",
            "стоимость", "где купить", "где можно купить", "где можно заказать", "хочу купить",
            "хочу заказать", "собираюсь купить", "планирую купить", "стоит ли брать", "стоит ли покупать",
            ("купить", 0.6), ("заказать", 0.6), ("куплю", 0.6), "в наличии", "есть в наличии",
            ("скидк*", 0.7), "промокод*", "предзаказ*", "тест-драйв", "рассрочк*", "в кредит",
            "думаю купить", "подумываю купить", "хочу такой", "хочу такую", "хочу себе", "присматриваюсь к",
            "посоветуйте", "что лучше купить", "какой выбрать", "какую выбрать",
        ],
        "uk": [
            "скільки коштує", "скільки коштують", "скільки буде коштувати", "ціна", "ціни", "ціну",
            "цінник", "вартість", "де купити", "де можна купити", "де можна замовити", "хочу купити",
            "хочу замовити", "збираюся купити", "планую купити", "чи варто брати", "чи варто купувати",
            ("купити", 0.6), ("замовити", 0.6), ("куплю", 0.6), "в наявності", "є в наявності",
            ("знижк*", 0.7), "промокод*", "передзамовлен*", "тест-драйв", "розстрочк*", "думаю купити",
            "хочу такий", "хочу таку", "хочу собі", "придивляюся до", "порадьте", "що краще купити",
            "який обрати", "яку обрати",
        ],
        "he": [
            "כמה עולה", "כמה זה עולה", "כמה עולים", "כמה עולות", "מחיר*", "איפה אפשר לקנות", "איפה קונים",
            "איפה אפשר להזמין", "רוצה לקנות", "רוצה להזמין", "מתכנן לקנות", "מתכננת לקנות", "שווה לקנות",
            "כדאי לקנות", ("לקנות", 0.6), ("להזמין", 0.6), "במלאי", ("הנחה", 0.7), "קופון", "קוד קופון",
            "נסיעת מבחן", "תשלומים", "רוצה כזה", "רוצה כזאת", "מתלבט בין", "מתלבטת בין", "שווה את הכסף",
            "מה עדיף לקנות", "איזה לקנות", "ממליצים לקנות",
        ],
    },
)
# fmt: on

# Interrogatives that make a sentence a question when they open it.
# fmt: off
QUESTION_OPENERS = CueSet(
    "question_opener",
    {
        "en": [
            "how", "where", "when", "why", "what", "which", "who", "whom", "whose", "can", "could", "would",
            "will", "is", "are", "am", "do", "does", "did", "should", "shall", "may", "have you", "has",
            "was", "were", "anyone", "anybody", "any idea", "any news", "any update",
        ],
        "ru": [
            "как", "где", "когда", "почему", "зачем", "что", "какой", "какая", "какое", "какие", "каким",
            "какую", "сколько", "кто", "куда", "откуда", "чей", "чья", "можно ли", "можно", "разве",
            "неужели", "есть ли", "подскажите", "скажите", "не подскажете",
        ],
        "uk": [
            "як", "де", "коли", "чому", "навіщо", "що", "який", "яка", "яке", "які", "якою", "яку",
            "скільки", "хто", "куди", "звідки", "чий", "чия", "чи", "хіба", "невже", "можна", "підкажіть",
            "скажіть",
        ],
        "he": [
            "איך", "איפה", "מתי", "למה", "מדוע", "מה", "מי", "כמה", "האם", "איזה", "איזו", "אילו", "לאן",
            "מאיפה", "יש מצב", "אפשר", "תגידו", "מישהו יודע",
        ],
    },
)
# fmt: on

# Markers that signal a question anywhere in the sentence.
# fmt: off
QUESTION_ANYWHERE = CueSet(
    "question_anywhere",
    {
        "en": [
            "does anyone know", "anyone know", "can someone tell me", "can anyone tell me",
            "please tell me", "i wonder", "i was wondering", "let me know if", "any idea", "how can i",
            "how do i", "how can we", "how do we", "where can i", "where do i", "can you help me",
            "could you help me", "can i get some help", "can someone help",
        ],
        "ru": [
            "ли", "подскажите", "не подскажете", "скажите пожалуйста", ("интересно", 0.7), "как мне",
            "где можно", "как можно",
        ],
        "uk": [
            "чи", "підкажіть", "скажіть будь ласка", ("цікаво", 0.7), "як мені", "де можна", "як можна",
        ],
        "he": [
            "האם", "מישהו יודע", "תגידו", "אשמח לדעת", "רציתי לשאול", "שאלה", "איך אפשר", "איפה אפשר",
        ],
    },
)
# fmt: on
