"""Turn messages into hashed TF-IDF vectors plus a few lexicon counts.

Hashing (instead of a fitted vocabulary) keeps the shipped artifact to a few
arrays of numbers, and character n-grams work for every script without a
tokenizer per language -- Hebrew, Cyrillic and Latin alike.  The lexicon
columns carry hand-written cue counts that transfer across languages (see
``lexicons.sentiment_counts``).  Nothing here is pickled as a scikit-learn
object, so the artifact loads with any scikit-learn version.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from . import lexicons
from .text import tokenize


@dataclass(frozen=True)
class FeatureConfig:
    """Describe the feature space; stored in the artifact so inference rebuilds it."""

    char_bits: int = 18
    word_bits: int = 17
    char_min_n: int = 2
    char_max_n: int = 5
    word_max_n: int = 2
    lexicon_scale: float = 1.0

    @property
    def n_features(self) -> int:
        return 2**self.char_bits + 2**self.word_bits + N_LEXICON

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


LEXICON_FEATURES = (
    "lex_pos",
    "lex_neg",
    "lex_balance",
    "lex_complaint",
    "lex_praise",
    "question_mark",
    "exclaim",
)
N_LEXICON = len(LEXICON_FEATURES)


def lexicon_features(normalized: str) -> list[float]:
    """Compute the language-independent cue columns for one normalised text."""
    pos, neg = lexicons.sentiment_counts(normalized)
    return [
        math.log1p(pos),
        math.log1p(neg),
        float(np.sign(pos - neg)),
        math.log1p(len(lexicons.COMPLAINT.finditer(normalized))),
        math.log1p(len(lexicons.PRAISE.finditer(normalized))),
        1.0 if "?" in normalized else 0.0,
        1.0 if "!" in normalized else 0.0,
    ]


class Featurizer:
    """Vectorise normalised texts; ``idf`` is learnt once at training time."""

    def __init__(self, config: FeatureConfig, idf: np.ndarray | None = None) -> None:
        self.config = config
        self.idf = idf
        self._char = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(config.char_min_n, config.char_max_n),
            n_features=2**config.char_bits,
            alternate_sign=False,
            norm=None,
            lowercase=False,
            dtype=np.float32,
        )
        # The char vectorizer's own hasher, fed with n-grams listed by
        # ``_char_ngrams`` (see ``char_counts``).
        self._char_ns = range(config.char_min_n, config.char_max_n + 1)
        self._char_hasher = FeatureHasher(
            n_features=2**config.char_bits, input_type="string", alternate_sign=False, dtype=np.float32
        )
        self._word = HashingVectorizer(
            analyzer="word",
            tokenizer=tokenize,
            token_pattern=None,
            ngram_range=(1, config.word_max_n),
            n_features=2**config.word_bits,
            alternate_sign=False,
            norm=None,
            lowercase=False,
            dtype=np.float32,
        )

    def _char_ngrams(self, word: str) -> list[str]:
        """Return the ``char_wb`` n-grams of one word exactly as scikit-learn lists them.

        The word is padded with one space each side; a padded word no longer
        than ``n`` is one n-gram and ends the list (scikit-learn's rule for
        short words).
        """
        padded = f" {word} "
        size = len(padded)
        if size > self.config.char_max_n:  # most words: every n fits
            return [padded[i : i + n] for n in self._char_ns for i in range(size - n + 1)]
        out: list[str] = []
        for n in self._char_ns:
            if size <= n:
                out.append(padded)
                break
            out.extend([padded[i : i + n] for i in range(size - n + 1)])
        return out

    def counts(self, normalized: Sequence[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Return raw hashed n-gram counts (char block, word block)."""
        return self.char_counts(normalized), self._word.transform(normalized)

    def char_counts(self, normalized: Sequence[str]) -> sparse.csr_matrix:
        """Return the hashed ``char_wb`` n-gram counts, hashing each distinct word once.

        ``char_wb`` n-grams never cross a space, so a text's counts are the sum
        of its words' counts: the n-grams of the batch's distinct words
        (about half of its words) are hashed once and summed per text with a
        sparse product -- the same matrix as hashing every text, for about
        half the cost.
        """
        vocabulary: dict[str, int] = {}
        indices: list[int] = []
        indptr = [0]
        for text in normalized:
            indices.extend(vocabulary.setdefault(word, len(vocabulary)) for word in text.split())
            indptr.append(len(indices))
        occurrences = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int64), indptr),
            shape=(len(normalized), len(vocabulary)),
        )
        per_word = self._char_hasher.transform(self._char_ngrams(word) for word in vocabulary).tocsr()
        counts = (occurrences @ per_word).tocsr()
        counts.sort_indices()
        return counts

    def fit_idf(self, normalized: Sequence[str]) -> np.ndarray:
        """Learn smoothed inverse document frequencies over both hashed blocks."""
        char, word = self.counts(normalized)
        n = len(normalized)
        df = np.concatenate([np.bincount(m.indices, minlength=m.shape[1]) for m in (char, word)])
        idf = np.log((1 + n) / (1 + df)) + 1.0
        # The artifact stores the IDF as float16; round here so the figures
        # measured at training time are exactly those of the shipped model.
        self.idf = idf.astype(np.float16).astype(np.float32)
        return self.idf

    def transform(self, normalized: Sequence[str]) -> sparse.csr_matrix:
        """Return sublinear-tf x idf blocks (each L2-normalised) and lexicon columns."""
        if self.idf is None:
            raise RuntimeError("fit_idf() must run before transform()")
        char, word = self.counts(normalized)
        n_char = char.shape[1]
        blocks = []
        for block, idf in ((char, self.idf[:n_char]), (word, self.idf[n_char:])):
            block = block.tocsr()
            block.data = (1.0 + np.log(block.data)).astype(np.float32)
            block = block @ sparse.diags(idf)
            blocks.append(l2_normalize(block, copy=False))
        lex = (
            np.asarray([lexicon_features(t) for t in normalized], dtype=np.float32)
            * self.config.lexicon_scale
        )
        blocks.append(sparse.csr_matrix(lex))
        return sparse.hstack(blocks, format="csr", dtype=np.float32)
