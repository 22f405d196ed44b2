"""How names become addresses: one rule for rumours, campaigns and organisations."""

from collections.abc import Callable, Collection

from .search import fold


def slugify(text: str, *, fallback: str, max_length: int = 70) -> str:
    """Lower-case words without accents joined by hyphens, at most `max_length` long:
    'Tardor als mercats!' -> 'tardor-als-mercats'; `fallback` when nothing is left.
    Letters that have no accent to drop (Polish ł, Greek) are kept, so every city's
    names make readable addresses."""
    words = "".join(c if c.isalnum() else " " for c in fold(text)).split()
    slug = "-".join(words)[:max_length].strip("-")
    return slug or fallback


def unique_slug(
    text: str,
    *,
    fallback: str,
    taken: Callable[[str], bool],
    reserved: Collection[str] = (),
    max_length: int = 70,
) -> str:
    """A slug made from `text` that `taken` does not know yet: `name`, `name-2`, `name-3`...
    A reserved word (an address of the area's own pages) gets the fallback as a suffix."""
    base = slugify(text, fallback=fallback, max_length=max_length)
    if base in reserved:
        base = f"{base}-{fallback}"
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug
