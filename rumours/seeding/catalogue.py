"""The demo catalogue: rumours, their first rebuttal and its sources (seeds/rumours.yaml)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from ..extensions import db
from ..models import Rebuttal, RebuttalStatus, Rumour, RumourStatus, Source, Theme
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
