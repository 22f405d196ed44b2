"""The catalogue feed (`/rumours/feed.json`): this network's published rumours, with their
claims in every language, themes, published rebuttals with versions and sources, and a
schema.org ClaimReview per language, for another network to import as drafts.

Nothing about agents, encounters or people ever goes in it. The format is documented in
docs/feed.md; `FEED_VERSION` changes only when a reader of version 1 could misread it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Rebuttal, RebuttalStatus, Rumour, RumourStatus
from ..rules.city import city
from ..rules.search import fold
from ..rules.themes import theme_label, theme_order
from .catalogue import claim_review, current_rebuttals, rebuttal_json

FEED_FORMAT = "rumours-catalogue"
FEED_VERSION = 1


def item_version(rumour: Rumour) -> int:
    """How many times this rumour's answers were published, in any language: it grows with
    every publication, so an importer can tell a newer item from one it has seen."""
    return sum(
        1
        for r in rumour.rebuttals
        if r.status in (RebuttalStatus.PUBLISHED, RebuttalStatus.SUPERSEDED)
    )


def feed_item(rumour: Rumour, page_url: Callable[[Rumour, str | None], str], network: dict) -> dict:
    """One published rumour as a feed item (its rebuttals sorted by language)."""
    rebuttals = sorted(current_rebuttals(rumour).values(), key=lambda r: r.language)
    return {
        "slug": rumour.slug,
        "url": page_url(rumour, None),
        "version": item_version(rumour),
        "claim": rumour.claim,
        "claims": {t.language: t.claim for t in rumour.translations},
        "also_heard_as": rumour.also_heard_as,
        "theme": {"slug": rumour.theme, "name": theme_label(rumour.theme)},
        "reviewed_on": rumour.reviewed_on.isoformat() if rumour.reviewed_on else None,
        "rebuttals": [rebuttal_json(r) for r in rebuttals],
        "claim_reviews": [
            claim_review(rumour, r, page_url(rumour, r.language), network["name"], network["url"])
            for r in rebuttals
        ],
    }


def catalogue_feed(
    *,
    feed_url: str,
    network_url: str,
    page_url: Callable[[Rumour, str | None], str],
    now: datetime | None = None,
) -> dict:
    """The whole feed document: anyone may read it (it holds published content only)."""
    settings = city()
    network = {"name": settings.network_name, "url": network_url}
    rumours = db.session.scalars(
        db.select(Rumour)
        .options(selectinload(Rumour.rebuttals).selectinload(Rebuttal.sources))
        .where(Rumour.status == RumourStatus.PUBLISHED)
    ).all()
    order = theme_order()
    rumours = sorted(rumours, key=lambda r: (order.get(r.theme, len(order)), fold(r.claim)))
    items = [feed_item(r, page_url, network) for r in rumours if current_rebuttals(r)]
    return {
        "format": FEED_FORMAT,
        "version": FEED_VERSION,
        "network": settings.network_name,
        "city": settings.city,
        "url": feed_url,
        "home": network_url,
        "languages": list(settings.languages),
        "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "count": len(items),
        "items": items,
    }
