"""Find the organisation's products, brands and competitors in a message, in inflected forms.

A catalogue lists each entity once with its aliases (spellings, Cyrillic and
Hebrew transliterations).  Names are inflected in the languages Lara serves:
Hebrew glues the proclitics ו ה ב ל מ ש כ to the front ("ובוולטה"), Russian
and Ukrainian decline a transliterated name ("Вольту", "Пределіксом"), and
English adds a possessive or a plural ("Volta's", "Volta Kicks").  Each alias
therefore becomes a regex that allows those affixes, and all aliases of a
catalogue are joined into one pattern (longest first) so a message is scanned
once whatever the catalogue size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

KINDS = ("product", "brand", "competitor")
DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "catalogues" / "volta.json"

_HEBREW = re.compile(r"[\u0590-\u05ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Hebrew proclitics, up to three ("וכשה"), optionally hyphenated before a Latin name ("ב-Volta").
_HE_PREFIX = "(?:[ובהלמשכ]{1,3}-?)?"
# Russian and Ukrainian case and number endings of nouns (hard and soft stems).
_CYR_ENDINGS = "ами|ями|ові|еві|ою|ею|ой|ей|ом|ем|ам|ям|ах|ях|ів|ов|ев|ью|а|я|у|ю|ы|и|і|ї|е|є|о|ь|й"
_CYR_VOWELS = "аяоеєиіїыуюйь"
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'", "ё": "е", "Ё": "Е"})


@dataclass(frozen=True)
class CatalogueEntry:
    """Name one product, brand or competitor and the ways customers write it."""

    name: str
    kind: str
    aliases: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name!r}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not self.name.strip():
            raise ValueError("a catalogue entry needs a name")


def _word_pattern(word: str, last: bool) -> str:
    """Return the regex of one alias word with the affixes its script allows."""
    if _CYRILLIC.search(word):
        # A vowel-final name changes its vowel ("Вольта" -> "Вольту"); a
        # consonant-final one adds endings ("Пределікс" -> "Пределікса").
        # A vowel-final stem must keep some ending, so "вольт" (volts) is no hit.
        if word[-1].lower() in _CYR_VOWELS and len(word) > 3:
            return re.escape(word[:-1]) + f"(?:{_CYR_ENDINGS})"
        return re.escape(word) + f"(?:{_CYR_ENDINGS})?"
    if _HEBREW.search(word):
        return re.escape(word)
    return re.escape(word) + ("(?:'s|s'|es|s|')?" if last else "")


def alias_pattern(alias: str) -> str:
    """Return the regex for one alias: Hebrew prefixes in front, inflections on its words."""
    words = alias.split()
    body = r"[\s\-]*".join(_word_pattern(w, i == len(words) - 1) for i, w in enumerate(words))
    return rf"(?<![\w]){_HE_PREFIX}(?:{body})(?![\w])"


@dataclass(frozen=True)
class Catalogue:
    """Hold an organisation's entities and match them in text."""

    entries: tuple[CatalogueEntry, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalogue:
        """Build a catalogue from ``{"entries": [{"name", "kind", "aliases"}, ...]}``."""
        entries = []
        for item in data.get("entries", ()):
            aliases = tuple(dict.fromkeys([item["name"], *item.get("aliases", ())]))
            entries.append(CatalogueEntry(item["name"], item["kind"], aliases))
        return cls(tuple(entries))

    @classmethod
    def from_json(cls, path: Path) -> Catalogue:
        """Read a catalogue JSON file (the shape of ``catalogues/volta.json``)."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape ``from_dict`` reads."""
        return {
            "entries": [{"name": e.name, "kind": e.kind, "aliases": list(e.aliases)} for e in self.entries]
        }

    @cached_property
    def _matcher(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, list[CatalogueEntry]]:
        pairs = [(alias, entry) for entry in self.entries for alias in entry.aliases if alias.strip()]
        # Longest alias first: "Volta City" must win over the brand "Volta".
        pairs.sort(key=lambda p: -len(p[0]))
        if not pairs:
            return None, None, []
        pattern = "|".join(f"(?P<a{i}>{alias_pattern(alias)})" for i, (alias, _) in enumerate(pairs))
        # Most messages name nothing from the catalogue; the first three letters
        # of every alias (never inflected) rule those out with one cheap search.
        anchors = sorted({alias.split()[0][:3].lower() for alias, _ in pairs}, key=len, reverse=True)
        prefilter = re.compile("|".join(re.escape(a) for a in anchors), re.IGNORECASE)
        return re.compile(pattern, re.IGNORECASE), prefilter, [entry for _, entry in pairs]

    def find(self, text: str) -> tuple[dict[str, str], ...]:
        """Return ``{"name", "kind", "text"}`` per entity mentioned, first mention first, each once."""
        pattern, prefilter, owners = self._matcher
        if pattern is None or prefilter is None or not text or not prefilter.search(text):
            return ()
        folded = text.translate(_APOSTROPHES)  # one-to-one, so offsets stay valid
        found: dict[str, dict[str, str]] = {}
        for m in pattern.finditer(folded):
            assert m.lastgroup is not None
            entry = owners[int(m.lastgroup[1:])]
            if entry.name not in found:
                found[entry.name] = {
                    "name": entry.name,
                    "kind": entry.kind,
                    "text": text[m.start() : m.end()],
                }
        return tuple(found.values())


def default_catalogue() -> Catalogue:
    """Return the demo brand's catalogue (Volta), shipped in the engine package."""
    return _load_default()


_default: Catalogue | None = None


def _load_default() -> Catalogue:
    global _default
    if _default is None:
        _default = Catalogue.from_json(DEFAULT_CATALOGUE)
    return _default


def catalogue_from(entries: Iterable[Mapping[str, Any]]) -> Catalogue:
    """Build a catalogue from entry dicts (a convenience for callers and tests)."""
    return Catalogue.from_dict({"entries": list(entries)})
