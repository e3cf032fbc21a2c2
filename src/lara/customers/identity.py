"""Tell how likely two customer records are one person, and say why (no database here).

Scoring weighs evidence as record linkage does (Fellegi–Sunter): each piece
multiplies the odds that two records are one person by how often it holds
for one person's two records over how often for two people. A name word
counts for more the rarer it is among the customers (names are read across
Latin, Cyrillic and Hebrew by ``names``), so a common name alone is not
enough and a second piece of evidence (a city, a handle, an e-mail local
part) is needed, while a different city counts against. Candidates are
blocked by cheap keys that survive a typo, swapped names or a missing given
name, so no run compares every pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from .names import (
    INITIAL,
    WORD_AGREES,
    WORD_SAME,
    NameWord,
    align_words,
    fold,
    joined_variants,
    latin_pieces,
    name_words,
    script_of,
    transliterate,
)

_GENERIC_LOCAL_PARTS = {"info", "support", "contact", "admin", "hello", "sales", "office", "mail", "noreply"}


# --- How common a name word or a city is among the customers ------------------------------------

# Shares are smoothed towards a typical one with this many pseudo-customers, so a small base
# neither calls every name unique nor every name common.
PSEUDO_CUSTOMERS = 200
TYPICAL_WORD_SHARE = 0.005  # a given name or surname is typically shared by 1 person in 200
TYPICAL_CITY_SHARE = 0.01
_FREQUENCY_PREFIXES = ("fw:", "fh:", "fs:", "fc:")


@dataclass(frozen=True)
class Frequencies:
    """How many active customers hold each frequency key, out of how many customers."""

    customers: int
    counts: Mapping[str, int] = field(default_factory=dict)

    def share(self, key: str, typical: float, *, held: int = 0) -> float:
        """The share of *other* customers holding the key: ``held`` of the pair compared hold it too."""
        others = max(self.counts.get(key, 0) - held, 0)
        return (others + PSEUDO_CUSTOMERS * typical) / (self.customers + PSEUDO_CUSTOMERS)


def is_frequency_key(key: str) -> bool:
    """Frequency keys are counted, never used to pick candidates."""
    return key.startswith(_FREQUENCY_PREFIXES)


def city_normalize(city: str) -> str:
    """Lower-case Latin letters and single spaces: "Тель-Авив" → "tel aviv"."""
    return transliterate(city)


def frequency_keys(identity: Identity) -> set[str]:
    """The keys whose counts tell how common this record's name words and city are.

    A word is counted by its folded Latin readings (``fw:``) or its Hebrew
    spelling (``fh:``), and by its skeletons (``fs:``) for comparisons across
    Hebrew and Latin; a city by its normal form.
    """
    keys: set[str] = set()
    for name in identity.names:
        for word in name_words(name):
            if word.letters > 1:
                keys.update(f"fw:{r}" for r in word.readings)
                keys.update(f"fs:{s}" for s in word.skeletons)
                if word.spelling:
                    keys.add(f"fh:{word.spelling}")
    if city := city_normalize(identity.city):
        keys.add(f"fc:{city}")
    return keys


def _word_share(a: NameWord, b: NameWord, frequencies: Frequencies) -> float:
    """The share of customers whose word would agree by chance (the commoner spelling, to be safe)."""
    if a.hebrew and b.hebrew:
        left, right = {f"fh:{a.spelling}"}, {f"fh:{b.spelling}"}
        keys = left | right
    elif a.hebrew or b.hebrew:
        # Any name with the Latin word's skeleton would fit the Hebrew spelling as well.
        left, right = {f"fs:{s}" for s in a.skeletons}, {f"fs:{s}" for s in b.skeletons}
        keys = right if a.hebrew else left
    else:
        left, right = {f"fw:{r}" for r in a.readings}, {f"fw:{r}" for r in b.readings}
        keys = left | right
    share = max(
        frequencies.share(key, TYPICAL_WORD_SHARE, held=(key in left) + (key in right)) for key in keys
    )
    if min(a.letters, b.letters) <= 2:
        share = max(share, U_INITIAL)  # de, la, Li: two letters tell little more than an initial
    return share


# --- Accounts: handles and e-mail local parts ---------------------------------------------------


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


def account_stem(account: str) -> str:
    """An account name without separators and trailing digits ("galina.kozlova1991" → "galinakozlova")."""
    stem = re.sub(r"[^a-z0-9]+", "", account.lower()).rstrip("0123456789")
    return stem if len(stem) >= 6 else ""


@dataclass
class Identity:
    """What a customer record tells about the person behind it."""

    customer_id: int
    names: list[str] = field(default_factory=list)
    handles: set[tuple[str, str]] = field(default_factory=set)  # (network, normalised handle)
    email_locals: set[str] = field(default_factory=set)
    city: str = ""


def _accounts(identity: Identity) -> set[str]:
    return {handle for _network, handle in identity.handles} | identity.email_locals


# --- Blocking ------------------------------------------------------------------------------------

MAX_NAME_WORDS = 5  # a long display name ("Volta fans club Tel Aviv…") keys by its first words only


def identity_keys(identity: Identity) -> set[str]:
    """Return the blocking keys: only records that share one are ever compared.

    Each name word's skeleton is paired with the initial of another word of
    the name (``p:``), in both orders, so a typo in one word, swapped given
    and family names or an initial instead of a given name still meet; each
    word's skeleton with the city's first letters (``c:``) catches a replaced
    or missing given name; handles and e-mail local parts share one space
    (``a:``), so a handle meets the same word as another's e-mail local part.
    Only the first ``MAX_NAME_WORDS`` words of a name make keys.
    """
    keys: set[str] = set()
    city = city_normalize(identity.city).replace(" ", "")[:3]
    for name in identity.names:
        words = name_words(name)[:MAX_NAME_WORDS]
        for i, word in enumerate(words):
            if word.letters == 1:
                continue
            for skeleton in word.skeletons:
                for j, other in enumerate(words):
                    if j != i:
                        keys.update(f"p:{skeleton}+{initial}" for initial in other.initials)
                if city:
                    keys.add(f"c:{skeleton}@{city}")
    keys.update(f"a:{account}" for account in _accounts(identity))
    return keys


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


def frequencies_of(identities: Iterable[Identity]) -> Frequencies:
    """Count the frequency keys of these records (all the customers, when scoring without a database)."""
    counts: dict[str, int] = {}
    total = 0
    for identity in identities:
        total += 1
        for key in frequency_keys(identity):
            counts[key] = counts.get(key, 0) + 1
    return Frequencies(customers=total, counts=counts)


# --- Scoring ---------------------------------------------------------------------------------------

# Each piece of evidence multiplies the odds that two records are one person by m / u: how often it
# holds between two records of one person (m) over how often between two people (u). The odds start
# from EXPECTED_DUPLICATES / customers: any one other record is rarely the same person.
EXPECTED_DUPLICATES = 0.1  # other records of the same person a record has, before any evidence
M_WORD = 0.9  # a name word still agrees (typos within WORD_AGREES) between one person's records
M_WORD_DIFFERS = 0.1  # a name word was replaced, a nickname used, or mistyped past recognition
NEAR_MISS_SPREAD = 3  # people within a near miss (Calvin / Carly) of a name, for each who bears it
COUNTED_WORDS = 2  # a given name and a family name: further agreeing words (de, la) add nothing
M_INITIAL, U_INITIAL = 0.9, 0.05  # an initial ("O.") agrees with a word; 1 in 20 by chance
M_CITY = 0.9
M_CITY_DIFFERS = 0.1  # one person's records name two cities (a move, a mistake)
# Accounts are chosen to be told apart: two people rarely share a handle or an e-mail local part,
# unless it is spelt from their name, which namesakes spell alike too.
M_ACCOUNT = 0.6
U_HANDLE = 1e-7
U_EMAIL_LOCAL = 1e-6
U_ACCOUNT_ALIKE = 1e-5  # dana_rides / dana.rides91
U_ACCOUNT_FROM_NAME = 0.01  # pavel_romanov on two networks: namesakes may both have picked it
SUGGEST_THRESHOLD = 0.6  # the chance of one person at which an agent is asked


@dataclass(frozen=True)
class PairScore:
    score: float
    reasons: list[dict[str, str]]


Evidence = tuple[float, dict[str, str]]  # likelihood ratio, reason shown to agents


@dataclass(frozen=True)
class NameComparison:
    """What two names say, word by word, and how much it weighs."""

    left: str
    right: str
    ratio: float  # the likelihood ratio: agreeing words weigh by their rarity, differing ones against
    namesakes: float  # customers expected to bear the agreeing words by chance
    agreeing: tuple[tuple[NameWord, NameWord, float], ...]  # with their similarity
    initials: int  # initials that agree with a word ("O." and Ohana)
    differing: int  # aligned words that differ

    @property
    def similarity(self) -> float:
        """The mean similarity of the agreeing words (0 when none agrees)."""
        return sum(s for _a, _b, s in self.agreeing) / len(self.agreeing) if self.agreeing else 0.0

    @property
    def across_scripts(self) -> bool:
        return script_of(self.left) != script_of(self.right)


def _weigh(
    names: tuple[str, str], words: tuple[tuple[NameWord, ...], tuple[NameWord, ...]], frequencies: Frequencies
) -> NameComparison:
    ratio, namesakes, initials, differing = 1.0, float(frequencies.customers), 0, 0
    agreeing, shares = [], []
    for a, b, similarity in align_words(*words):
        if similarity == INITIAL:
            ratio *= M_INITIAL / U_INITIAL
            namesakes *= U_INITIAL
            initials += 1
        elif similarity >= WORD_AGREES:
            agreeing.append((a, b, similarity))
            # A near miss (Calvin / Carly, a typo) is also met among more people than an exact match.
            near = 1.0 if similarity >= WORD_SAME else NEAR_MISS_SPREAD
            shares.append(min(1.0, _word_share(a, b, frequencies) * near))
        else:
            ratio *= M_WORD_DIFFERS
            differing += 1
    for share in sorted(shares)[:COUNTED_WORDS]:
        ratio *= M_WORD / share
        namesakes *= share
    return NameComparison(*names, ratio, namesakes, tuple(agreeing), initials, differing)


def name_compare(left: str, right: str, frequencies: Frequencies) -> NameComparison | None:
    """Compare two names word by word, in any order and script (None when either has no word).

    A name with more words is also read with two neighbouring words joined,
    in case a space slipped in ("tiana gr een").
    """
    left_words, right_words = name_words(left), name_words(right)
    if not left_words or not right_words:
        return None
    options = [(left_words, right_words)]
    if len(left_words) > len(right_words):
        options += [(joined, right_words) for joined in joined_variants(left)]
    elif len(right_words) > len(left_words):
        options += [(left_words, joined) for joined in joined_variants(right)]
    return max((_weigh((left, right), words, frequencies) for words in options), key=lambda c: c.ratio)


def _name_evidence(names: NameComparison) -> Evidence:
    """The reason for a name comparison: it agrees, agrees in part, or differs."""
    left, right = names.left, names.right
    if not names.agreeing and not names.initials:
        return names.ratio, {"code": "name_differs", "text": f"names differ: {left} / {right}"}
    if names.differing:
        words = [a.shown if a.shown == b.shown else f"{a.shown} ~ {b.shown}" for a, b, _s in names.agreeing]
        words += ["an initial"] * bool(names.initials)
        text = f"part of the name agrees: {' and '.join(words)} ({left} / {right})"
        return names.ratio, {"code": "name_part", "text": text}
    details = [f"{round(100 * names.similarity)}%"] if names.agreeing else []
    details += ["initials agree"] * bool(names.initials)
    if names.namesakes < 0.1:
        details.append("a rare name here")
    elif names.namesakes >= 1:
        details.append("a common name here")
    code, label = (
        ("name_across_scripts", "similar name across scripts")
        if names.across_scripts
        else ("name", "similar name")
    )
    return names.ratio, {"code": code, "text": f"{label}: {left} ~ {right} ({'; '.join(details)})"}


def _spelt_from(account: str, pieces: set[str]) -> bool:
    """Whether an account is cut from name words and initials, one whole word at least (vromanov).

    Digits make an account its holder's own (mmizrahi1992): namesakes do not spell those alike.
    """
    if any(ch.isdigit() for ch in account):
        return False
    initials = {p[0] for p in pieces}
    for stem in {re.sub(r"[^a-z]+", "", account), fold(re.sub(r"[^a-z]+", "", account))}:
        reached: dict[int, bool] = {0: False}  # position → reached through a whole word
        for end in range(1, len(stem) + 1):
            for start in [s for s in reached if s < end]:
                piece = stem[start:end]
                if len(piece) > 1 and piece in pieces:
                    reached[end] = True
                elif len(piece) == 1 and piece in initials:
                    reached[end] = reached.get(end, False) or reached[start]
        if reached.get(len(stem)):
            return True
    return False


def _account_evidence(left: Identity, right: Identity) -> Evidence | None:
    """The strongest account link: one handle on two networks, one e-mail local part, or alike ones.

    An account spelt from the name (pavel_romanov) weighs little: namesakes spell it alike.
    """
    pieces = {piece for identity in (left, right) for name in identity.names for piece in latin_pieces(name)}
    left_handles = {h: n for n, h in left.handles}
    for network, handle in sorted(right.handles):
        other = left_handles.get(handle)
        if other is not None and other != network:
            u = U_ACCOUNT_FROM_NAME if _spelt_from(handle, pieces) else U_HANDLE
            text = f"same handle {handle} on {' and '.join(sorted((other, network)))}"
            return M_ACCOUNT / u, {"code": "handle", "text": text}
    shared = sorted((_accounts(left) & _accounts(right)) - {h for _n, h in left.handles & right.handles})
    if shared:
        local = shared[0]
        u = U_ACCOUNT_FROM_NAME if _spelt_from(local, pieces) else U_EMAIL_LOCAL
        if local in left.email_locals and local in right.email_locals:
            text = f"same email local part {local}"
        else:
            text = f"handle {local} is the other record's email local part"
        return M_ACCOUNT / u, {"code": "email_local_part", "text": text}
    left_stems = {fold(stem): a for a in _accounts(left) if (stem := account_stem(a))}
    for account in sorted(_accounts(right)):
        other = left_stems.get(fold(account_stem(account)) or "-")
        if other is not None and not (_spelt_from(account, pieces) or _spelt_from(other, pieces)):
            text = f"alike handles: {other} ~ {account}"
            return M_ACCOUNT / U_ACCOUNT_ALIKE, {"code": "handle_alike", "text": text}
    return None


def _cities_agree(a: str, b: str) -> bool:
    a, b = a.replace(" ", ""), b.replace(" ", "")
    return a == b or (min(len(a), len(b)) >= 4 and OSA.distance(a, b) <= 1) or fuzz.ratio(a, b) >= 85


def _city_evidence(left: Identity, right: Identity, frequencies: Frequencies) -> Evidence | None:
    a, b = city_normalize(left.city), city_normalize(right.city)
    if not a or not b:
        return None
    scripts = {script_of(left.city), script_of(right.city)}
    if "hebrew" in scripts and len(scripts) > 1:
        return None  # Hebrew place names transliterate too loosely to call two cities different
    if _cities_agree(a, b):
        held = {c: (c == a) + (c == b) for c in (a, b)}
        share = max(frequencies.share(f"fc:{c}", TYPICAL_CITY_SHARE, held=held[c]) for c in (a, b))
        text = f"same city {left.city}" if a == b else f"similar city: {left.city} ~ {right.city}"
        return M_CITY / share, {"code": "city", "text": text}
    return M_CITY_DIFFERS, {"code": "city_differs", "text": f"different city: {left.city} / {right.city}"}


def pair_score(left: Identity, right: Identity, frequencies: Frequencies) -> PairScore:
    """The chance (0..1) that two records are one person, and the reasons, strongest first.

    A name alone passes only when it is rare enough among the customers that a
    namesake is unlikely; a common name needs a second piece of evidence (a
    city, a handle, an e-mail local part), and a different city counts against.
    Reasons that count against (``city_differs``, ``name_differs``) come last.
    """
    evidence: list[Evidence] = []
    names = [c for a in left.names for b in right.names if (c := name_compare(a, b, frequencies))]
    if names:
        evidence.append(_name_evidence(max(names, key=lambda c: c.ratio)))
    for found in (_account_evidence(left, right), _city_evidence(left, right, frequencies)):
        if found is not None:
            evidence.append(found)
    odds = EXPECTED_DUPLICATES / max(frequencies.customers, 1)
    for ratio, _reason in evidence:
        odds *= ratio
    evidence.sort(key=lambda e: -e[0])
    return PairScore(score=round(odds / (1 + odds), 4), reasons=[reason for _r, reason in evidence])
