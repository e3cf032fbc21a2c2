"""Normalise and tokenise message text the same way at training and at inference.

Keeping one normaliser for both sides is what makes the hashed features of the
shipped model line up with the features it was trained on.
"""

from __future__ import annotations

import re

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_REPEAT = re.compile(r"(.)\1{3,}")
_SPACE = re.compile(r"\s+")
# Typographic apostrophes (Ukrainian uses ’ and ʼ inside words) and Hebrew
# geresh/gershayim are folded so that cue lists can be written with ASCII marks.
_TRANSLATE = str.maketrans(
    {
        "’": "'",
        "ʼ": "'",
        "‘": "'",
        "`": "'",
        "״": '"',
        "׳": "'",
        "“": '"',
        "”": '"',
        "«": '"',
        "»": '"',
        "ё": "е",
        "Ё": "Е",
        "\u200f": " ",  # right-to-left mark
        "\u200e": " ",  # left-to-right mark
    }
)
# Words, or single non-space non-word characters (punctuation and emoji), so
# that "?" "!" and "😡" are tokens for the word-level model too.
TOKEN_RE = re.compile(r"\w+(?:['\-]\w+)*|[^\w\s]")
WORD_RE = re.compile(r"\w+(?:['\-]\w+)*")


def normalize(text: str) -> str:
    """Return lowercased text with URLs, mentions and letter runs folded.

    Social-media noise (links, handles, "soooooo") carries little signal and
    would otherwise spread the hashed vocabulary thin.
    """
    text = text.translate(_TRANSLATE)
    text = _URL.sub(" httpurl ", text)
    text = _MENTION.sub(" @user ", text)
    text = _REPEAT.sub(r"\1\1\1", text)
    return _SPACE.sub(" ", text).strip().lower()


def tokenize(normalized: str) -> list[str]:
    """Split already-normalised text into word and symbol tokens."""
    return TOKEN_RE.findall(normalized)


def words(normalized: str) -> list[str]:
    """Return only the word tokens of already-normalised text."""
    return WORD_RE.findall(normalized)
