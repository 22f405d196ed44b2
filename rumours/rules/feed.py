"""Reading another network's catalogue feed (docs/feed.md): the document's shape, each
item checked on its own (a malformed item is reported and skipped, never the whole
feed), and the digest of a rumour's content that tells an import whether anyone has
edited the draft it made."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

FEED_FORMAT = "rumours-catalogue"
SUPPORTED_VERSIONS = {1}
# A feed of a few hundred rumours in three languages is well under 1 MB.
MAX_FEED_BYTES = 5 * 1024 * 1024


class FeedRefused(Exception):
    """The document as a whole cannot be read: nothing is imported."""


@dataclass(frozen=True)
class SourceData:
    title: str
    publisher: str
    url: str
    published_on: date | None
    supports: str
    checked_on: date | None


@dataclass(frozen=True)
class RebuttalData:
    language: str
    version: int
    short_answer: str
    explanation: str
    sources: tuple[SourceData, ...]


@dataclass(frozen=True)
class FeedItem:
    slug: str
    url: str | None
    version: int
    claim: str
    claims: dict[str, str]
    also_heard_as: str | None
    theme_slug: str
    theme_name: str
    rebuttals: tuple[RebuttalData, ...]
    # Languages this city does not offer, left out of the import.
    dropped_languages: tuple[str, ...] = ()

    def content(self) -> dict:
        return content_of(
            claim=self.claim,
            also_heard_as=self.also_heard_as,
            theme=self.theme_slug,
            claims=self.claims,
            rebuttals=[
                (r.language, r.short_answer, r.explanation, r.sources) for r in self.rebuttals
            ],
        )

    @property
    def digest(self) -> str:
        return digest(self.content())


@dataclass
class FeedDocument:
    network: str
    url: str | None
    version: int
    items: list[FeedItem] = field(default_factory=list)
    # (position in the feed, the item's slug if it had one, why it was skipped)
    malformed: list[tuple[int, str | None, str]] = field(default_factory=list)


def content_of(*, claim, also_heard_as, theme, claims, rebuttals) -> dict:
    """A rumour's content in one canonical shape, from a feed item or from the database."""
    return {
        "claim": claim,
        "also_heard_as": also_heard_as or None,
        "theme": theme,
        "claims": dict(sorted(claims.items())),
        "rebuttals": sorted(
            [
                language,
                short_answer,
                explanation,
                [
                    [
                        s.title,
                        s.publisher,
                        s.url,
                        s.published_on.isoformat() if s.published_on else None,
                        s.supports,
                        s.checked_on.isoformat() if s.checked_on else None,
                    ]
                    for s in sources
                ],
            ]
            for language, short_answer, explanation, sources in rebuttals
        ),
    }


def digest(content: dict) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Malformed(ValueError):
    pass


def _text(data: dict, key: str, max_length: int, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise Malformed(str(_l("“%(field)s” is missing or not text", field=key)))
    value = value.strip()
    if len(value) > max_length:
        raise Malformed(
            str(_l("“%(field)s” is longer than %(max)d characters", field=key, max=max_length))
        )
    return value or None


def _date(data: dict, key: str) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise Malformed(str(_l("“%(field)s” is not a date", field=key))) from None


def _source(data) -> SourceData:
    if not isinstance(data, dict):
        raise Malformed(str(_l("a source is not an object")))
    return SourceData(
        title=_text(data, "title", 300),
        publisher=_text(data, "publisher", 200),
        url=_text(data, "url", 1000),
        published_on=_date(data, "published_on"),
        supports=_text(data, "supports", 10000),
        checked_on=_date(data, "checked_on"),
    )


def _rebuttal(data) -> RebuttalData:
    if not isinstance(data, dict):
        raise Malformed(str(_l("a rebuttal is not an object")))
    sources = data.get("sources", [])
    if not isinstance(sources, list):
        raise Malformed(str(_l("“%(field)s” is not a list", field="sources")))
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Malformed(str(_l("a rebuttal's version is not a positive whole number")))
    return RebuttalData(
        language=_text(data, "language", 8),
        version=version,
        short_answer=_text(data, "short_answer", 280),
        explanation=_text(data, "explanation", 50000),
        sources=tuple(_source(s) for s in sources),
    )


def parse_item(data, languages: Collection[str]) -> FeedItem:
    """One feed item, checked; raises Malformed naming what is wrong."""
    if not isinstance(data, dict):
        raise Malformed(str(_l("the item is not an object")))
    theme = data.get("theme")
    if not isinstance(theme, dict):
        raise Malformed(str(_l("“%(field)s” is missing", field="theme")))
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Malformed(str(_l("the item's version is not a positive whole number")))
    claims = data.get("claims") or {}
    rebuttals = data.get("rebuttals")
    if not isinstance(claims, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in claims.items()
    ):
        raise Malformed(str(_l("“%(field)s” is not a map of language to text", field="claims")))
    if not isinstance(rebuttals, list) or not rebuttals:
        raise Malformed(str(_l("the item has no rebuttal")))
    parsed = [_rebuttal(r) for r in rebuttals]
    if len({r.language for r in parsed}) != len(parsed):
        raise Malformed(str(_l("two rebuttals in one language")))
    kept = tuple(r for r in parsed if r.language in languages)
    dropped = sorted({r.language for r in parsed} - {r.language for r in kept})
    if not kept:
        raise Malformed(str(_l("no rebuttal in a language this city offers")))
    slug = _text(data, "slug", 120)
    return FeedItem(
        slug=slug,
        url=_text(data, "url", 1000, required=False),
        version=version,
        claim=_text(data, "claim", 300),
        claims={k[:8]: _text(claims, k, 300) for k in sorted(claims)},
        also_heard_as=_text(data, "also_heard_as", 500, required=False),
        theme_slug=_text(theme, "slug", 40),
        theme_name=_text(theme, "name", 120, required=False) or theme["slug"].strip(),
        rebuttals=kept,
        dropped_languages=tuple(dropped),
    )


def parse_feed(raw: bytes, languages: Collection[str]) -> FeedDocument:
    """The feed document: FeedRefused when it is not one we can read; each malformed item
    set aside with its reason while the others are kept."""
    if len(raw) > MAX_FEED_BYTES:
        raise FeedRefused(
            str(_l("The file is larger than %(size)d MB.", size=MAX_FEED_BYTES // 1024 // 1024))
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise FeedRefused(str(_l("This is not a JSON file."))) from None
    if not isinstance(data, dict) or data.get("format") != FEED_FORMAT:
        raise FeedRefused(str(_l("This JSON file is not a Rumours catalogue feed.")))
    version = data.get("version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        raise FeedRefused(
            str(
                _l(
                    "This feed's format version (%(version)s) is not one this install can read.",
                    version=json.dumps(version),
                )
            )
        )
    items = data.get("items")
    network = data.get("network")
    if not isinstance(items, list) or not isinstance(network, str) or not network.strip():
        raise FeedRefused(str(_l("This feed has no network name or no list of items.")))
    url = data.get("url") if isinstance(data.get("url"), str) else None
    document = FeedDocument(network=network.strip()[:200], url=url, version=version)
    seen: set[str] = set()
    for position, entry in enumerate(items, start=1):
        slug = entry.get("slug") if isinstance(entry, dict) else None
        slug = slug if isinstance(slug, str) else None
        try:
            if (
                isinstance(entry, dict)
                and "format_version" in entry
                and (entry["format_version"] not in SUPPORTED_VERSIONS)
            ):
                raise Malformed(str(_l("its format version is not one this install can read")))
            item = parse_item(entry, languages)
            if item.slug in seen:
                raise Malformed(str(_l("the same rumour appears twice in the feed")))
        except Malformed as problem:
            document.malformed.append((position, slug, str(problem)))
            continue
        seen.add(item.slug)
        document.items.append(item)
    return document
