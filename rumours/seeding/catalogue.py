"""The demo catalogue: rumours, their first rebuttal and its sources (seeds/rumours.yaml),
and their claims and rebuttals in other languages (seeds/rumours.<lang>.yaml)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from ..extensions import db
from ..models import (
    Rebuttal,
    RebuttalStatus,
    Rumour,
    RumourClaim,
    RumourStatus,
    Source,
    Theme,
)
from ..rules.review import DEFAULT_REVIEW_PERIOD
from ..services.catalogue import refresh_search_text


def seed_rumours(entries: list[dict]) -> None:
    """The catalogue: rumours with one English rebuttal each and its real sources.

    `entries` is the parsed seeds/rumours.yaml. A rumour already in the database is
    left alone: once loaded, coordinators own it (a new version or an archive must
    survive a rerun of the seed).
    """
    existing = set(db.session.scalars(db.select(Rumour.slug)))
    for r in entries:
        if r["slug"] in existing:
            continue
        rb = r["rebuttal"]
        published = RumourStatus(r["status"]) is RumourStatus.PUBLISHED and bool(rb.get("sources"))
        rumour = Rumour(
            slug=r["slug"],
            claim=r["claim"],
            also_heard_as=r.get("also_heard_as"),
            theme=Theme(r["theme"]),
            status=RumourStatus.PUBLISHED if published else RumourStatus.DRAFT,
            reviewed_on=r.get("reviewed_on"),
        )
        db.session.add(rumour)
        db.session.flush()
        reviewed = r.get("reviewed_on")
        rebuttal = Rebuttal(
            rumour_id=rumour.id,
            language=rb.get("language", "en"),
            version=1,
            status=RebuttalStatus.PUBLISHED if published else RebuttalStatus.DRAFT,
            short_answer=rb["short_answer"].strip(),
            explanation=rb["explanation"].strip(),
            review_due_on=reviewed + DEFAULT_REVIEW_PERIOD if reviewed else None,
            published_at=datetime.combine(reviewed, time(9), UTC) if published else None,
            sources=[
                Source(
                    url=s["url"],
                    title=s["title"],
                    publisher=s["publisher"],
                    published_on=s.get("published_on"),
                    supports=s["supports"].strip(),
                    checked_on=s.get("checked_on"),
                )
                for s in rb.get("sources") or []
            ],
        )
        db.session.add(rebuttal)
        db.session.flush()
        refresh_search_text(rumour)
    db.session.flush()


def _copy_sources(rebuttal: Rebuttal) -> list[Source]:
    fields = ("url", "title", "publisher", "published_on", "supports", "checked_on")
    return [Source(**{f: getattr(s, f) for f in fields}) for s in rebuttal.sources]


def seed_translations(language: str, entries: list[dict]) -> None:
    """Claims as people say them in `language`, and translated rebuttals of the published
    rumours citing the same sources as the original (never a new figure or source).

    `entries` is the parsed seeds/rumours.<language>.yaml. What exists already (a claim
    or any rebuttal in that language) is left alone, so coordinators' edits survive.
    """
    rumours = {r.slug: r for r in db.session.scalars(db.select(Rumour))}
    for entry in entries:
        rumour = rumours.get(entry["slug"])
        if rumour is None:
            continue
        if not any(t.language == language for t in rumour.translations):
            rumour.translations.append(RumourClaim(language=language, claim=entry["claim"]))
        translated = entry.get("rebuttal")
        original = next(
            (r for r in rumour.rebuttals if r.status is RebuttalStatus.PUBLISHED), None
        )
        if not translated or original is None or rumour.status is not RumourStatus.PUBLISHED:
            continue
        if any(r.language == language for r in rumour.rebuttals):
            continue
        db.session.add(
            Rebuttal(
                rumour_id=rumour.id,
                language=language,
                version=1,
                status=RebuttalStatus.PUBLISHED,
                short_answer=translated["short_answer"].strip(),
                explanation=translated["explanation"].strip(),
                review_due_on=original.review_due_on,
                published_at=original.published_at,
                sources=_copy_sources(original),
            )
        )
        db.session.flush()
        db.session.refresh(rumour)
        refresh_search_text(rumour)
    db.session.flush()
