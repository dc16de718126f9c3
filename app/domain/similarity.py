"""Which cards say the same thing, or something close: TF-IDF on the server, no outside service.

Each card becomes two sparse vectors, both TF-IDF weighted (sublinear term frequency, smoothed
inverse document frequency over the cards of the whole workshop, L2-normalised):

* **word stems**: lower-cased words without stop words, stemmed with the Snowball stemmer of
  the workshop's language (German or English; ``snowballstemmer``, pure Python), so
  "Ehrenamtliche" and "ehrenamtlich", "Radwege" and "Radweg" meet;
* **character n-grams** (3 to 5 characters, inside words padded with a space), which catch
  German compounds ("Stadtlabor" / "Stadtlabore" / "Labor") and small spelling differences.

The similarity of two cards is a weighted mean of the two cosines. Pairs at or above
``DUPLICATE`` are offered as duplicates (merge one into the other), pairs at or above
``RELATED`` as related (put into the same cluster). Nothing is merged or moved without the
moderator; a dismissed pair is never offered again (``app/domain/suggestions.py``).

The thresholds were set on the demo's hand-labelled German duplicates
(``tests/test_suggestions.py`` reports the precision of the top suggestions).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]  # pure Python, ships no type hints

#: Weight of the word-stem cosine; the character n-grams get the rest.
WORD_WEIGHT = 0.5
DUPLICATE = 0.35
RELATED = 0.15
NGRAMS = (3, 4, 5)

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Words that carry no topic on a workshop card (German and English): articles, pronouns,
# auxiliaries, particles. Short on purpose: the IDF already weighs common words down.
_STOP_WORDS_TEXT = """
    aber alle allem allen aller alles als also am an auch auf aus bei beim bin bis bisher bleibt
    da damit dann das dass dem den denn der des die dies diese diesem diesen dieser doch dort du
    durch ein eine einem einen einer eines er es etwa etwas euch für gibt hat haben hier ich ihr
    ihre im in ist ja je jede jeder jedes kann kein keine können man mehr mit muss müssen nach
    nicht noch nur ob oder ohne schon sehr sein seine sich sie sind so soll sollte sollen statt
    um und uns unser unsere vom von vor war wenn wer werden wie wir wird wo zu zum zur über
    a an and are as at be but by for from has have how if in into is it its more must no not of
    on or our so than that the their them there they this to us was we what when where which
    who will with without would you your
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@lru_cache(maxsize=4)
def _stemmer(language: str) -> object:
    return snowballstemmer.stemmer("german" if language == "de" else "english")


def fold(text: str) -> str:
    """Lower case, compatibility-normalised (ligatures, full-width letters), ß as ss."""
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if len(w) > 1 and w not in STOP_WORDS]


def stems(text: str, language: str) -> list[str]:
    stemmer = _stemmer(language)
    return [str(s) for s in stemmer.stemWords(words(text))]  # type: ignore[attr-defined]


def char_grams(text: str) -> list[str]:
    out: list[str] = []
    for word in words(text):
        padded = f" {word} "
        for n in NGRAMS:
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


Vector = dict[str, float]


def _tfidf(documents: Sequence[list[str]]) -> list[Vector]:
    df: Counter[str] = Counter()
    for doc in documents:
        df.update(set(doc))
    n = len(documents)
    vectors: list[Vector] = []
    for doc in documents:
        counts = Counter(doc)
        vector = {t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vectors.append({t: w / norm for t, w in vector.items()})
    return vectors


def _cosines(vectors: Sequence[Vector], among: Sequence[int]) -> dict[tuple[int, int], float]:
    """Cosines of every pair in ``among`` that shares a term (an inverted index: pairs with
    nothing in common cost nothing)."""
    index: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for i in among:
        for term, weight in vectors[i].items():
            index[term].append((i, weight))
    sums: defaultdict[tuple[int, int], float] = defaultdict(float)
    for postings in index.values():
        for x, (i, wi) in enumerate(postings):
            for j, wj in postings[x + 1 :]:
                sums[(i, j) if i < j else (j, i)] += wi * wj
    return sums


@dataclass(frozen=True)
class Pair:
    """Two documents (by index) and how alike they are."""

    a: int
    b: int
    score: float
    kind: str  # "duplicate" | "related"


def similar_pairs(
    texts: Sequence[str], *, language: str, among: Iterable[int] | None = None, corpus_only: Iterable[int] = ()
) -> list[Pair]:
    """Pairs of ``texts`` (indices from ``among``; default: all) that score at least
    ``RELATED``, best first. Texts listed in ``corpus_only`` only inform the IDF (the rest
    of the workshop), they are never paired."""
    skip = set(corpus_only)
    chosen = [i for i in (range(len(texts)) if among is None else among) if i not in skip]
    by_word = _cosines(_tfidf([stems(t, language) for t in texts]), chosen)
    by_char = _cosines(_tfidf([char_grams(t) for t in texts]), chosen)
    pairs = []
    for key in by_word.keys() | by_char.keys():
        score = WORD_WEIGHT * by_word.get(key, 0.0) + (1 - WORD_WEIGHT) * by_char.get(key, 0.0)
        if score >= RELATED:
            kind = "duplicate" if score >= DUPLICATE else "related"
            pairs.append(Pair(a=key[0], b=key[1], score=round(score, 4), kind=kind))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs
