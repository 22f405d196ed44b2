"""How much a report looks like a rumour: accent- and case-insensitive fuzzy matching
with rapidfuzz, in Python, so SQLite and PostgreSQL rank alike (the catalogue holds
tens of rumours, not millions: a linear pass is cheap).

A rumour is matched through every wording it has: its claim, its claim in each
language and each "also heard as" phrase. Words that carry no meaning in the three
demo languages ("the", "els", "los") are dropped before comparing, so "els
immigrants ens prenen la feina" meets "Ens prenen la feina" on what matters."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from .search import fold

# A suggestion below this score is noise rather than a likely match.
MIN_SCORE = 45.0
_WORD = re.compile(r"[a-z0-9]+")
# Function words in en, ca and es; content words (verbs, nouns) are what matches.
STOPWORDS = frozenset(
    """
    a an the and or of to in on at for from by with is are be it its they them their
    we us our here there that this so all any some more most than very just
    el la els les l un una uns unes i o de del dels d a al als en amb per que es son
    ens nos ho hi se s li ls lo los las y u con por para como mas muy les le su sus
    aqui alli tot tots totes todo todos todas
    """.split()
)
# "also heard as" keeps several wordings separated by "/", ";" or new lines.
_PHRASES = re.compile(r"\s*(?:/|;|\n)\s*")


def key_words(text: str) -> str:
    """The folded words of `text` that carry meaning, in order."""
    return " ".join(w for w in _WORD.findall(fold(text)) if w not in STOPWORDS)


def wordings(claim: str, translations: Iterable[str], also_heard_as: str | None) -> list[str]:
    """Every way a rumour is said, as key words (empty ones dropped)."""
    phrases = [claim, *translations, *_PHRASES.split(also_heard_as or "")]
    keys = [key_words(p) for p in phrases if p and p.strip()]
    return [k for k in dict.fromkeys(keys) if k]


def similarity(report: str, wording: str) -> float:
    """0-100: how alike a report's key words and one wording's key words are.

    token_set_ratio forgives extra words on either side ("ens prenen la feina als
    joves" against "prenen feina"); the plain ratio keeps short, different phrases
    apart. Their mean ranks paraphrases best on the demo paraphrase set."""
    if not report or not wording:
        return 0.0
    return (fuzz.token_set_ratio(report, wording) + fuzz.ratio(report, wording)) / 2


@dataclass(frozen=True)
class Match:
    rumour_id: int
    score: float


def rank(report: str, candidates: Iterable[tuple[int, list[str]]], limit: int = 3) -> list[Match]:
    """The `limit` rumours most like `report`, best first, from (rumour id, wordings)
    pairs as `wordings` makes them; those under MIN_SCORE are left out."""
    words = key_words(report)
    scored = []
    for rumour_id, keys in candidates:
        best = max((similarity(words, k) for k in keys), default=0.0)
        if best >= MIN_SCORE:
            scored.append(Match(rumour_id, round(best, 1)))
    scored.sort(key=lambda m: (-m.score, m.rumour_id))
    return scored[:limit]


# Two reports this alike are taken to say the same thing (for bulk triage and clusters).
SAME_CLAIM = 70.0


def clusters(texts: Iterable[tuple[int, str]], threshold: float = SAME_CLAIM) -> list[list[int]]:
    """Group (id, text) pairs that say the same thing: each joins the first group whose
    first text it resembles at `threshold` or more. Groups in order of their first id."""
    groups: list[tuple[str, list[int]]] = []
    for item_id, text in texts:
        words = key_words(text)
        for seed, members in groups:
            if similarity(words, seed) >= threshold:
                members.append(item_id)
                break
        else:
            groups.append((words, [item_id]))
    return [members for _, members in groups]
