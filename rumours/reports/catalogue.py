"""Reading the catalogue: search, the public and pocket lists, the JSON twin and the
schema.org ClaimReview block. Shared by pages, the API and the print sheet.

Search is one portable design on both databases: `Rumour.search_text` holds the claim,
the short answers and the explanations folded (lower case, accents removed) in three
sections. A query is folded the same way, every word must appear (SQL LIKE narrows the
rows), and the few hundred candidates are ranked in Python: a word in the claim weighs
most, then the short answer, then the explanation, and the whole phrase earns a bonus.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Rebuttal, RebuttalStatus, Rumour, RumourStatus
from ..rules.city import city
from ..rules.review import review_due
from ..rules.search import SEARCH_SEPARATOR, fold
from ..rules.themes import theme_order

WEIGHTS = (5.0, 3.0, 1.0)
MAX_QUERY_WORDS = 8


@dataclass(frozen=True)
class Filters:
    query: str = ""
    theme: str | None = None
    status: RumourStatus | None = None
    language: str | None = None
    review_due: bool = False


@dataclass(frozen=True)
class SearchPage:
    items: list[Rumour]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def query_words(query: str) -> list[str]:
    words = [w for w in "".join(c if c.isalnum() else " " for c in fold(query)).split() if w]
    return words[:MAX_QUERY_WORDS]


def score(search_text: str, words: list[str], phrase: str) -> float:
    """How well a rumour's folded text matches: claim > short answer > explanation."""
    sections = (search_text.split(SEARCH_SEPARATOR) + ["", "", ""])[:3]
    total = 0.0
    for weight, section in zip(WEIGHTS, sections, strict=True):
        padded = f" {section} "
        for word in words:
            if f" {word} " in padded:
                total += weight * 1.5  # a whole word
            elif word in section:
                total += weight
        if len(words) > 1 and phrase in section:
            total += weight * 2
    return total


def search_rumours(
    filters: Filters,
    *,
    public: bool,
    page: int = 1,
    per_page: int = 20,
    today: date | None = None,
) -> SearchPage:
    """Rumours matching the filters, best first (or by theme and claim without a query).
    `public` limits to published rumours and published rebuttals."""
    # Rank on a few light columns first; load the full rumours of one page only.
    statement = db.select(Rumour.id, Rumour.search_text, Rumour.claim, Rumour.theme)
    if public:
        statement = statement.where(Rumour.status == RumourStatus.PUBLISHED)
    elif filters.status is not None:
        statement = statement.where(Rumour.status == filters.status)
    if filters.theme is not None:
        statement = statement.where(Rumour.theme == filters.theme)
    if filters.language:
        statuses = [RebuttalStatus.PUBLISHED] if public else list(RebuttalStatus)
        statement = statement.where(
            Rumour.rebuttals.any(
                (Rebuttal.language == filters.language) & Rebuttal.status.in_(statuses)
            )
        )
    words = query_words(filters.query)
    # Words hold letters and digits only (see query_words), so LIKE needs no escaping.
    for word in words:
        statement = statement.where(Rumour.search_text.like(f"%{word}%"))
    rows = db.session.execute(statement).all()
    if words:
        phrase = " ".join(words)
        rows.sort(key=lambda r: (-score(r.search_text, words, phrase), fold(r.claim)))
    else:
        order = theme_order()
        rows.sort(key=lambda r: (order.get(r.theme, len(order)), fold(r.claim)))
    ids = [r.id for r in rows]
    if filters.review_due and not public:
        ids = [r.id for r in load_rumours(ids) if rumour_review_due(r, today)]
    page = max(1, page)
    start = (page - 1) * per_page
    return SearchPage(load_rumours(ids[start : start + per_page]), len(ids), page, per_page)


def load_rumours(ids: list[int]) -> list[Rumour]:
    """Rumours with their rebuttals and sources, in the order of `ids`."""
    if not ids:
        return []
    loaded = db.session.scalars(
        db.select(Rumour)
        .options(selectinload(Rumour.rebuttals).selectinload(Rebuttal.sources))
        .where(Rumour.id.in_(ids))
    ).all()
    by_id = {r.id: r for r in loaded}
    return [by_id[i] for i in ids]


def current_rebuttals(rumour: Rumour) -> dict[str, Rebuttal]:
    """The published rebuttal of each language."""
    return {r.language: r for r in rumour.rebuttals if r.status is RebuttalStatus.PUBLISHED}


def pick_rebuttal(rumour: Rumour, language: str | None) -> Rebuttal | None:
    """The published rebuttal in the asked language, else the city's default language,
    else English (the source), else any: never nothing while one is published."""
    published = current_rebuttals(rumour)
    for choice in (language, city().default_language, "en"):
        if choice in published:
            return published[choice]
    return next(iter(published.values()), None)


def rumour_review_due(rumour: Rumour, today: date | None = None) -> bool:
    """A rumour is due for review when any of its published rebuttals is."""
    return any(review_due(r, today) for r in current_rebuttals(rumour).values())


def get_published_rumour(slug: str) -> Rumour | None:
    """A published rumour by slug, with its rebuttals and sources loaded, or None."""
    return db.session.execute(
        db.select(Rumour)
        .options(selectinload(Rumour.rebuttals).selectinload(Rebuttal.sources))
        .where(Rumour.slug == slug, Rumour.status == RumourStatus.PUBLISHED)
    ).scalar_one_or_none()


def published_version(rumour: Rumour, language: str, version: int) -> Rebuttal | None:
    """A published or superseded version, readable by anyone."""
    return db.session.execute(
        db.select(Rebuttal).where(
            Rebuttal.rumour_id == rumour.id,
            Rebuttal.language == language,
            Rebuttal.version == version,
            Rebuttal.status.in_([RebuttalStatus.PUBLISHED, RebuttalStatus.SUPERSEDED]),
        )
    ).scalar_one_or_none()


def version_history(rumour: Rumour, language: str) -> list[Rebuttal]:
    """Published and superseded versions in one language, newest first."""
    return list(
        db.session.scalars(
            db.select(Rebuttal)
            .where(
                Rebuttal.rumour_id == rumour.id,
                Rebuttal.language == language,
                Rebuttal.status.in_([RebuttalStatus.PUBLISHED, RebuttalStatus.SUPERSEDED]),
            )
            .order_by(Rebuttal.version.desc())
        )
    )


@dataclass(frozen=True)
class ThemeGroup:
    theme: str
    items: list[tuple[Rumour, Rebuttal]]


def pocket_list(language: str | None = None) -> list[ThemeGroup]:
    """Published rumours grouped by theme, each with the rebuttal to carry."""
    rumours = db.session.scalars(
        db.select(Rumour)
        .options(selectinload(Rumour.rebuttals).selectinload(Rebuttal.sources))
        .where(Rumour.status == RumourStatus.PUBLISHED)
    ).all()
    groups: dict[str, list[tuple[Rumour, Rebuttal]]] = {}
    for rumour in sorted(rumours, key=lambda r: fold(r.claim)):
        rebuttal = pick_rebuttal(rumour, language)
        if rebuttal is not None:
            groups.setdefault(rumour.theme, []).append((rumour, rebuttal))
    order = theme_order()
    ordered = sorted(groups, key=lambda slug: order.get(slug, len(order)))
    return [ThemeGroup(slug, groups[slug]) for slug in ordered]


def rebuttal_json(rebuttal: Rebuttal) -> dict:
    return {
        "language": rebuttal.language,
        "version": rebuttal.version,
        "short_answer": rebuttal.short_answer,
        "explanation": rebuttal.explanation,
        "published_at": rebuttal.published_at.isoformat() if rebuttal.published_at else None,
        "review_due_on": rebuttal.review_due_on.isoformat() if rebuttal.review_due_on else None,
        "sources": [
            {
                "title": s.title,
                "publisher": s.publisher,
                "url": s.url,
                "published_on": s.published_on.isoformat() if s.published_on else None,
                "supports": s.supports,
                "checked_on": s.checked_on.isoformat() if s.checked_on else None,
            }
            for s in rebuttal.sources
        ],
    }


def catalogue_json(url_for_rumour) -> list[dict]:
    """The published catalogue for offline use: every rumour with its current rebuttals."""
    result = []
    for group in pocket_list():
        for rumour, _ in group.items:
            result.append(
                {
                    "slug": rumour.slug,
                    "claim": rumour.claim,
                    "claims": {t.language: t.claim for t in rumour.translations},
                    "theme": rumour.theme,
                    "reviewed_on": rumour.reviewed_on.isoformat() if rumour.reviewed_on else None,
                    "url": url_for_rumour(rumour),
                    "rebuttals": [
                        rebuttal_json(r)
                        for r in sorted(
                            current_rebuttals(rumour).values(), key=lambda r: r.language
                        )
                    ],
                }
            )
    return result


def claim_review(
    rumour: Rumour, rebuttal: Rebuttal, page_url: str, network_name: str, network_url: str
) -> dict:
    """schema.org ClaimReview for a published rumour, so search engines can show the check."""
    published = rebuttal.published_at or datetime.now(UTC)
    first = min(
        (
            r.published_at
            for r in rumour.rebuttals
            if r.published_at and r.language == rebuttal.language
        ),
        default=published,
    )
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": page_url,
        "claimReviewed": rumour.claim_in(rebuttal.language),
        "datePublished": first.date().isoformat(),
        "dateModified": published.date().isoformat(),
        "inLanguage": rebuttal.language,
        "author": {"@type": "Organization", "name": network_name, "url": network_url},
        "itemReviewed": {"@type": "Claim", "name": rumour.claim_in(rebuttal.language)},
        "citation": [
            {
                "@type": "CreativeWork",
                "name": s.title,
                "url": s.url,
                "publisher": {"@type": "Organization", "name": s.publisher},
            }
            for s in rebuttal.sources
        ],
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 1,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "False",
        },
        "reviewBody": rebuttal.short_answer,
    }
