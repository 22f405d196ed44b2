"""Portable text folding for search: lower case, accents removed."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Between the claim, the short answers and the explanations in Rumour.search_text.
SEARCH_SEPARATOR = "\x1e"


def fold(text: str) -> str:
    """'Inmigración  Ñ' -> 'inmigracion n': what both databases store and compare."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()
