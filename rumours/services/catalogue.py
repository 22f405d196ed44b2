"""Curating the catalogue: rumours, rebuttal drafts and versions, sources.

Only coordinators call these (the views check). Every change goes to the audit log;
every publication makes a new rebuttal version and keeps the older ones readable.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..extensions import db
from ..models import (
    Rebuttal,
    RebuttalStatus,
    Rumour,
    RumourStatus,
    Source,
    User,
)
from ..rules.errors import DomainError
from ..rules.review import DEFAULT_REVIEW_PERIOD
from ..rules.search import SEARCH_SEPARATOR, fold
from . import free_slug, record_audit


@dataclass
class SourceInput:
    title: str
    publisher: str
    url: str
    published_on: date | None
    supports: str
    checked_on: date | None

    def is_blank(self) -> bool:
        return not any((self.title, self.publisher, self.url, self.supports))


@dataclass
class RebuttalInput:
    short_answer: str
    explanation: str
    review_due_on: date | None
    sources: list[SourceInput] = field(default_factory=list)


# Addresses under /rumours/ that a rumour's slug must not take.
RESERVED_SLUGS = {"pocket", "cards", "search", "new"}


def _rebuttal_with_status(rumour: Rumour, language: str, status: RebuttalStatus):
    # At most one published and one draft version per language: publish() keeps it so.
    return db.session.execute(
        db.select(Rebuttal).where(
            Rebuttal.rumour_id == rumour.id,
            Rebuttal.language == language,
            Rebuttal.status == status,
        )
    ).scalar_one_or_none()


def published_rebuttal(rumour: Rumour, language: str) -> Rebuttal | None:
    """The version of a rumour's rebuttal in `language` that the public sees now."""
    return _rebuttal_with_status(rumour, language, RebuttalStatus.PUBLISHED)


def working_draft(rumour: Rumour, language: str) -> Rebuttal | None:
    """The unpublished version being written in `language`, if any."""
    return _rebuttal_with_status(rumour, language, RebuttalStatus.DRAFT)


def refresh_search_text(rumour: Rumour) -> None:
    """Fold the claim and the published rebuttals into the search column:
    claim, short answers and explanations in three sections, for ranking."""
    published = db.session.scalars(
        db.select(Rebuttal).where(
            Rebuttal.rumour_id == rumour.id, Rebuttal.status == RebuttalStatus.PUBLISHED
        )
    ).all()
    claims = [rumour.claim, rumour.also_heard_as or ""] + [t.claim for t in rumour.translations]
    rumour.search_text = SEARCH_SEPARATOR.join(
        (
            fold(" ".join(claims)),
            fold(" ".join(r.short_answer for r in published)),
            fold(" ".join(r.explanation for r in published)),
        )
    )


def create_rumour(
    *,
    actor: User,
    claim: str,
    theme: str,
    also_heard_as: str | None = None,
    reviewed_on: date | None = None,
) -> Rumour:
    """Coordinators: add a rumour as a draft (it has no rebuttal yet)."""
    rumour = Rumour(
        slug=free_slug(
            Rumour, claim, fallback="rumour", reserved=RESERVED_SLUGS, max_length=100
        ),
        claim=claim.strip(),
        theme=theme,
        also_heard_as=(also_heard_as or "").strip() or None,
        status=RumourStatus.DRAFT,
        reviewed_on=reviewed_on,
    )
    db.session.add(rumour)
    db.session.flush()
    refresh_search_text(rumour)
    record_audit("create rumour", "rumour", rumour.id, actor=actor, details={"claim": rumour.claim})
    return rumour


def has_published_rebuttal(rumour: Rumour) -> bool:
    return (
        db.session.scalar(
            db.select(func.count())
            .select_from(Rebuttal)
            .where(Rebuttal.rumour_id == rumour.id, Rebuttal.status == RebuttalStatus.PUBLISHED)
        )
        > 0
    )


def update_rumour(
    rumour: Rumour,
    *,
    actor: User,
    claim: str,
    theme: str,
    status: RumourStatus,
    also_heard_as: str | None = None,
    reviewed_on: date | None = None,
) -> Rumour:
    """Coordinators: change a rumour's claim, theme, status or review date."""
    if status is RumourStatus.PUBLISHED and not has_published_rebuttal(rumour):
        raise DomainError(
            str(_l("Publish a rebuttal first: a rumour is published only with its answer.")),
            {"status": [str(_l("This rumour has no published rebuttal yet."))]},
        )
    before = {
        "claim": rumour.claim,
        "theme": rumour.theme,
        "status": rumour.status.value,
        "also_heard_as": rumour.also_heard_as,
        "reviewed_on": rumour.reviewed_on.isoformat() if rumour.reviewed_on else None,
    }
    rumour.claim = claim.strip()
    rumour.theme = theme
    rumour.status = status
    rumour.also_heard_as = (also_heard_as or "").strip() or None
    rumour.reviewed_on = reviewed_on
    after = {
        "claim": rumour.claim,
        "theme": rumour.theme,
        "status": rumour.status.value,
        "also_heard_as": rumour.also_heard_as,
        "reviewed_on": rumour.reviewed_on.isoformat() if rumour.reviewed_on else None,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        refresh_search_text(rumour)
        record_audit("edit rumour", "rumour", rumour.id, actor=actor, details=changes)
    return rumour


def archive_rumour(rumour: Rumour, *, actor: User) -> None:
    """Coordinators: take a rumour out of the public catalogue, keeping its history."""
    rumour.status = RumourStatus.ARCHIVED
    record_audit("archive rumour", "rumour", rumour.id, actor=actor)


def _apply(rebuttal: Rebuttal, data: RebuttalInput) -> None:
    rebuttal.short_answer = data.short_answer.strip()
    rebuttal.explanation = data.explanation.strip()
    rebuttal.review_due_on = data.review_due_on
    rebuttal.sources = [
        Source(
            title=s.title.strip(),
            publisher=s.publisher.strip(),
            url=s.url.strip(),
            published_on=s.published_on,
            supports=s.supports.strip(),
            checked_on=s.checked_on,
        )
        for s in data.sources
        if not s.is_blank()
    ]


def save_draft(rumour: Rumour, language: str, data: RebuttalInput, *, actor: User) -> Rebuttal:
    """Coordinators: keep the work in progress on a rumour's answer in one language."""
    draft = working_draft(rumour, language)
    if draft is None:
        latest = db.session.scalar(
            db.select(func.max(Rebuttal.version)).where(
                Rebuttal.rumour_id == rumour.id, Rebuttal.language == language
            )
        )
        draft = Rebuttal(
            rumour_id=rumour.id,
            language=language,
            version=(latest or 0) + 1,
            status=RebuttalStatus.DRAFT,
            short_answer="",
            explanation="",
        )
        db.session.add(draft)
    draft.author_id = actor.id
    _apply(draft, data)
    db.session.flush()
    record_audit(
        "save rebuttal draft",
        "rebuttal",
        draft.id,
        actor=actor,
        details={"rumour": rumour.slug, "language": language, "version": draft.version},
    )
    return draft


def missing_for_publication(data: RebuttalInput) -> dict[str, list[str]]:
    """What a rebuttal still lacks before it can be published, by form field."""
    missing: dict[str, list[str]] = {}
    if not data.short_answer.strip():
        missing["short_answer"] = [str(_l("Write the short answer an agent can say."))]
    if not data.explanation.strip():
        missing["explanation"] = [str(_l("Write the full explanation."))]
    complete = [
        s
        for s in data.sources
        if s.title.strip() and s.publisher.strip() and s.url.strip() and s.supports.strip()
    ]
    if not complete:
        missing["sources"] = [
            str(
                _l(
                    "Cite at least one source with its title, publisher, address and the "
                    "figure or quote it supports."
                )
            )
        ]
    return missing


def publish(
    rumour: Rumour,
    language: str,
    data: RebuttalInput,
    *,
    actor: User,
    now: datetime | None = None,
) -> Rebuttal:
    """Coordinators: publish the draft as the new version; the previous one is kept as
    superseded. A draft rumour becomes published with its first published answer."""
    missing = missing_for_publication(data)
    if missing:
        raise DomainError(str(_l("This rebuttal cannot be published yet.")), missing)
    now = now or datetime.now(UTC)
    draft = save_draft(rumour, language, data, actor=actor)
    previous = published_rebuttal(rumour, language)
    if previous is not None:
        previous.status = RebuttalStatus.SUPERSEDED
        db.session.flush()
    draft.status = RebuttalStatus.PUBLISHED
    draft.published_at = now
    if draft.review_due_on is None:
        draft.review_due_on = (now + DEFAULT_REVIEW_PERIOD).date()
    rumour.reviewed_on = now.date()
    if rumour.status is RumourStatus.DRAFT:
        rumour.status = RumourStatus.PUBLISHED
    db.session.flush()
    refresh_search_text(rumour)
    record_audit(
        "publish rebuttal",
        "rebuttal",
        draft.id,
        actor=actor,
        details={
            "rumour": rumour.slug,
            "language": language,
            "version": draft.version,
            "replaces": previous.version if previous else None,
        },
    )
    return draft


SHAPE_HEADINGS = (
    ("fact", ("the fact", "el fet", "el hecho", "fact")),
    ("myth", ("the myth", "el mite", "el mito", "myth")),
    ("fallacy", ("why it misleads", "per que enganya", "por que engana", "misleads")),
    ("fact_again", ("the fact again", "el fet de nou", "el hecho de nuevo", "again")),
)


def explanation_shape(explanation: str) -> dict[str, bool]:
    """Which parts of the Debunking Handbook's shape the explanation has, in order:
    the fact, the myth (named once, with a warning), why it misleads, the fact again."""
    headings = [
        fold(line.lstrip("#").strip())
        for line in explanation.splitlines()
        if line.lstrip().startswith("#")
    ]
    found = {}
    position = 0
    for key, names in SHAPE_HEADINGS:
        found[key] = False
        for index in range(position, len(headings)):
            if any(name in headings[index] for name in names):
                found[key] = True
                position = index + 1
                break
    return found
