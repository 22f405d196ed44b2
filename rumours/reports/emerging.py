"""What rises: reports (from agents and the public) per week and district, and clusters
of similar untriaged reports, for the dashboard's "emerging" panel. Plain queries on
the reports table (the encounter summaries are not involved)."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Report, ReportStatus
from ..rules.city import city
from ..rules.matching import clusters

WEEKS = 8
# Three or more untriaged reports saying the same thing within two weeks are flagged.
CLUSTER_SIZE = 3
CLUSTER_WINDOW = timedelta(days=14)


@dataclass
class Cluster:
    claims: list[str]
    report_ids: list[int]


@dataclass
class Emerging:
    weeks: list[date]
    # (district name or None, {week start: reports})
    rows: list[tuple[str | None, dict[date, int]]]
    clusters: list[Cluster]


def _week_start(moment: datetime) -> date:
    day = moment.astimezone(city().zone).date()
    return day - timedelta(days=day.weekday())


def emerging(now: datetime | None = None) -> Emerging:
    """Coordinators: reports per week (last eight, Monday first, city time) and district,
    and the flagged clusters of similar untriaged reports."""
    now = now or datetime.now(UTC)
    this_week = _week_start(now)
    weeks = [this_week - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    since = datetime.combine(weeks[0], datetime.min.time(), tzinfo=city().zone)
    reports = list(
        db.session.scalars(
            db.select(Report)
            .options(selectinload(Report.district))
            .where(Report.created_at >= since)
            .order_by(Report.created_at, Report.id)
        )
    )
    counts = Counter(
        (r.district.name if r.district else None, _week_start(r.created_at)) for r in reports
    )
    names = sorted({name for name, _ in counts}, key=lambda n: (n is None, n or ""))
    rows = [(name, {w: counts.get((name, w), 0) for w in weeks}) for name in names]
    recent = [
        r
        for r in reports
        if r.status is ReportStatus.UNTRIAGED and now - r.created_at <= CLUSTER_WINDOW
    ]
    by_id = {r.id: r for r in recent}
    flagged = [
        Cluster([by_id[i].claim for i in group], group)
        for group in clusters((r.id, r.claim) for r in recent)
        if len(group) >= CLUSTER_SIZE
    ]
    return Emerging(weeks, rows, flagged)
