"""Reads about reports (rumours heard that may not be in the catalogue): the rumours a
text looks like, the triage list and its flags. Plain queries on the reports table."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Rebuttal, Report, ReportStatus, Rumour, RumourStatus
from ..rules.matching import Match, rank, wordings
from .catalogue import pick_rebuttal

# An untriaged report older than this is flagged for the catalogue team.
TRIAGE_DUE = timedelta(days=7)
# The public page shows the runners-up only when they score this close to the best.
CLOSE_TO_BEST = 10.0


def _rumours(published_only: bool) -> list[Rumour]:
    query = db.select(Rumour).options(selectinload(Rumour.rebuttals)).order_by(Rumour.id)
    if published_only:
        query = query.where(Rumour.status == RumourStatus.PUBLISHED)
    else:
        query = query.where(Rumour.status != RumourStatus.ARCHIVED)
    return list(db.session.scalars(query))


def candidates(rumours: list[Rumour]) -> list[tuple[int, list[str]]]:
    """Each rumour's wordings for rules.matching.rank."""
    return [
        (r.id, wordings(r.claim, [t.claim for t in r.translations], r.also_heard_as))
        for r in rumours
    ]


@dataclass
class Similar:
    rumour: Rumour
    claim: str
    short_answer: str | None
    score: float


def similar_published(text: str, language: str | None, limit: int = 3) -> list[Similar]:
    """Anyone: the published rumours most like `text`, with their short answers in the
    reader's language (or its fallback)."""
    rumours = _rumours(published_only=True)
    by_id = {r.id: r for r in rumours}
    found = []
    matches = rank(text, candidates(rumours), limit=limit)
    # A reader wants the answer that fits, not the runners-up far behind it.
    close = [m for m in matches if m.score >= matches[0].score - CLOSE_TO_BEST] if matches else []
    for match in close:
        rumour = by_id[match.rumour_id]
        rebuttal: Rebuttal | None = pick_rebuttal(rumour, language)
        found.append(
            Similar(
                rumour,
                rumour.claim_in(language),
                rebuttal.short_answer if rebuttal else None,
                match.score,
            )
        )
    return found


@dataclass
class TriageRow:
    report: Report
    suggestions: list[tuple[Rumour, float]]
    overdue: bool


def triage_rows(
    status: ReportStatus | None = ReportStatus.UNTRIAGED, now: datetime | None = None
) -> list[TriageRow]:
    """Coordinators: reports (untriaged by default, oldest first) with their suggested
    matches among all rumours not archived, and the overdue flag."""
    now = now or datetime.now(UTC)
    query = db.select(Report).options(selectinload(Report.district), selectinload(Report.rumour))
    if status is not None:
        query = query.where(Report.status == status)
    reports = list(db.session.scalars(query.order_by(Report.created_at, Report.id).limit(500)))
    rumours = _rumours(published_only=False)
    by_id = {r.id: r for r in rumours}
    pool = candidates(rumours)
    rows = []
    for report in reports:
        matches: list[Match] = rank(report.claim, pool, limit=3)
        rows.append(
            TriageRow(
                report,
                [(by_id[m.rumour_id], m.score) for m in matches],
                report.status is ReportStatus.UNTRIAGED and now - report.created_at > TRIAGE_DUE,
            )
        )
    return rows


def report_districts() -> list:
    """The districts a public reporter may choose (not retired), in the city's order."""
    from ..models import District

    return list(
        db.session.scalars(
            db.select(District)
            .where(District.retired.is_(False))
            .order_by(District.position, District.code)
        )
    )


def similar_groups(rows: list[TriageRow]) -> list[list[TriageRow]]:
    """Untriaged reports that say the same thing (two or more), for one decision each."""
    from ..rules.matching import clusters

    untriaged = [r for r in rows if r.report.status is ReportStatus.UNTRIAGED]
    by_id = {r.report.id: r for r in untriaged}
    groups = clusters((r.report.id, r.report.claim) for r in untriaged)
    return [[by_id[i] for i in group] for group in groups if len(group) > 1]


def triage_rumours() -> list[Rumour]:
    """Every rumour a report may be linked to (not archived), by claim."""
    return sorted(_rumours(published_only=False), key=lambda r: r.claim.casefold())
