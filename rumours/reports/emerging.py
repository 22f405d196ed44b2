"""What rises: reports (from agents and the public) per week and district, and clusters
of similar untriaged reports, for the dashboard's "emerging" panel, and the same
counts as they may leave the app (suppressed; docs/reports.md). Plain queries on the
reports table."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from ..exports.tables import SUPPRESSED, Column, Table
from ..extensions import db
from ..models import District, Report, ReportSource, ReportStatus, Rumour, RumourStatus
from ..rules.city import city
from ..rules.matching import clusters
from ..rules.suppression import SuppressedTable, is_small, suppress_table
from .filters import StatsFilter
from .people import city_midnight
from .stats import bucket_of, figures

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


# ---------------------------------------------------------------------------
# What leaves the app (`/api/v1/stats`, the indicators report): counts only, for the
# whole network, small counts suppressed like every other statistic
# ---------------------------------------------------------------------------

# The column of reports that name no district.
NO_DISTRICT = "none"


def _network_wide(filters: StatsFilter) -> bool:
    """Reports belong to no organisation and no campaign, so they are counted only in a
    view that is not limited to one (an organisation's figures never hold them)."""
    return filters.organisation_id is None and filters.campaign_id is None


def _weeks_apply(filters: StatsFilter) -> bool:
    """Reports per week: network-wide and not limited to one rumour."""
    return _network_wide(filters) and filters.rumour_id is None


def report_table_infos(filters: StatsFilter) -> list[tuple]:
    """(name, title, description) of the report tables this view's exports hold."""
    return [
        info
        for info, applies in (
            (REPORTS_BY_WEEK, _weeks_apply(filters)),
            (PUBLIC_REPORTS, _network_wide(filters)),
        )
        if applies
    ]


def _in_period(filters: StatsFilter) -> list:
    return [
        Report.created_at >= city_midnight(filters.start),
        Report.created_at < city_midnight(filters.end + timedelta(days=1)),
        *([Report.district_id == filters.district_id] if filters.district_id else []),
    ]


@dataclass
class ReportWeeks:
    """Reports per week (Monday) and district slug (NO_DISTRICT for none), zeros
    included, for every week of the period and every district."""

    weeks: list[date]
    districts: list[tuple[str, str]]  # (slug, name), official order, NO_DISTRICT last
    counts: dict[tuple[date, str], int]


def reports_by_week(filters: StatsFilter) -> ReportWeeks | None:
    """Coordinators' view of the network: every report received (from agents and the
    public, whatever its triage) per week and district; None for a view limited to an
    organisation, a campaign or a rumour (reports belong to none of them)."""
    if not _weeks_apply(filters):
        return None
    weeks = []
    monday = bucket_of(filters.start, "week")
    while monday <= filters.end:
        weeks.append(monday)
        monday += timedelta(days=7)
    rows = db.session.execute(
        db.select(Report.created_at, District.slug)
        .outerjoin(District, Report.district_id == District.id)
        .where(*_in_period(filters))
    ).all()
    counts = Counter((_week_start(moment), slug or NO_DISTRICT) for moment, slug in rows)
    query = db.select(District).order_by(District.position, District.code)
    if filters.district_id:
        query = query.where(District.id == filters.district_id)
    districts = [
        (d.slug, d.name)
        for d in db.session.scalars(query)
        if not d.retired or any(slug == d.slug for _w, slug in counts)
    ]
    if not filters.district_id:
        districts.append((NO_DISTRICT, _("Not said")))
    return ReportWeeks(
        weeks,
        districts,
        {(w, slug): counts.get((w, slug), 0) for w in weeks for slug, _name in districts},
    )


def suppressed_weeks(found: ReportWeeks, threshold: int) -> SuppressedTable:
    """The week-by-district table as it may leave the app: the rules of every other
    table (small cells hidden, and a second one wherever a total would give it away)."""
    return suppress_table(found.counts, threshold)


def public_reports_by_rumour(filters: StatsFilter) -> dict[int, int] | None:
    """Public reports triaged into each rumour (linked or promoted) in the view's period
    and district, by rumour id: how often the public reported it. None for a view
    limited to an organisation or campaign (a public report belongs to neither)."""
    if not _network_wide(filters):
        return None
    query = (
        db.select(Report.rumour_id, func.count())
        .where(
            Report.source == ReportSource.PUBLIC,
            Report.status.in_((ReportStatus.LINKED, ReportStatus.PROMOTED)),
            Report.rumour_id.is_not(None),
            *_in_period(filters),
        )
        .group_by(Report.rumour_id)
    )
    if filters.rumour_id is not None:
        query = query.where(Report.rumour_id == filters.rumour_id)
    return dict(db.session.execute(query).all())


def public_report_rows(
    counts: dict[int, int], filters: StatsFilter, heard: dict[int, int] | None = None
) -> list[tuple[Rumour, int, int]]:
    """Coordinators (inside the app, drafts included): each rumour the public reported
    in the view, with those reports and the conversations in which agents heard it,
    most reported first (`heard`: those conversations by rumour id, when already read)."""
    if not counts:
        return []
    rumours = db.session.scalars(db.select(Rumour).where(Rumour.id.in_(list(counts))))
    if heard is None:
        heard = {key[0]: value.encounters for key, value in figures(filters, ("rumour",)).items()}
    return sorted(
        ((r, counts[r.id], heard.get(r.id, 0)) for r in rumours),
        key=lambda item: (-item[1], item[0].claim.casefold()),
    )


def suppressed_public_reports(counts: dict[int, int], threshold: int) -> list:
    """Public reports per rumour as they may leave the app, most first: rumours that are
    published or archived only (a draft's wording is unchecked, often a report's own
    words: it stays inside), small counts hidden (None). No total is published (as for
    the rumours heard), so no hidden count can be worked out from one."""
    rumours = {
        r.id: r
        for r in db.session.scalars(
            db.select(Rumour).where(
                Rumour.id.in_(list(counts)), Rumour.status != RumourStatus.DRAFT
            )
        )
    }
    ranked = sorted(
        ((rumours[i], n) for i, n in counts.items() if i in rumours and n),
        key=lambda item: (-item[1], item[0].slug),
    )
    return [(r, None if is_small(n, threshold) else n) for r, n in ranked]


def emerging_json(filters: StatsFilter, threshold: int) -> dict:
    """The `emerging` and `reported_by_public` parts of `/api/v1/stats` (null in a view
    they do not apply to). Clusters never leave the app (docs/reports.md)."""
    weeks = reports_by_week(filters)
    emerging_part = None
    if weeks is not None:
        table = suppressed_weeks(weeks, threshold)
        emerging_part = {
            "weeks": [
                {
                    "week": w.isoformat(),
                    "reports": table.row_totals.get(w, 0),
                    "districts": {s: table.cells.get((w, s), 0) for s, _n in weeks.districts},
                }
                for w in weeks.weeks
            ],
            "districts": {s: table.column_totals.get(s, 0) for s, _n in weeks.districts},
            "reports": table.grand_total,
        }
    counts = public_reports_by_rumour(filters)
    public_part = None
    if counts is not None:
        public_part = {
            "rumours": [
                {"rumour": r.slug, "claim": r.claim, "reports": n}
                for r, n in suppressed_public_reports(counts, threshold)
            ]
        }
    return {"emerging": emerging_part, "reported_by_public": public_part}


REPORTS_BY_WEEK = (
    "reports-by-week",
    _l("Reports by week and district"),
    _l(
        "Rumours agents and the public reported, by week (from its Monday) and district. "
        "An empty district is every district; an empty week is the whole period. "
        "Network-wide views only."
    ),
)
PUBLIC_REPORTS = (
    "public-reports-by-rumour",
    _l("Reported by the public"),
    _l(
        "Reports from the public that coordinators linked to each published rumour. "
        "Network-wide views only."
    ),
)


def report_tables(filters: StatsFilter, threshold: int) -> list[Table]:
    """The indicators report's tables about reports, suppressed like the others (none
    in a view limited to an organisation, campaign or rumour)."""
    tables = []
    weeks = reports_by_week(filters)
    if weeks is not None:
        cells = suppressed_weeks(weeks, threshold)
        rows = []
        for w in weeks.weeks:
            rows += [(w, name, _cell(cells.cells[(w, slug)])) for slug, name in weeks.districts]
            rows.append((w, None, _cell(cells.row_totals[w])))
        rows += [(None, name, _cell(cells.column_totals[slug])) for slug, name in weeks.districts]
        rows.append((None, None, _cell(cells.grand_total)))
        name, title, description = REPORTS_BY_WEEK
        tables.append(
            Table(
                name,
                str(title),
                str(description),
                [
                    Column("week", _("Week"), "date", _("The Monday the week starts on.")),
                    Column("district", _("District"), "string", _("The district's name.")),
                    Column("reports", _("Reports"), "integer", _("Reports received.")),
                ],
                rows,
            )
        )
    counts = public_reports_by_rumour(filters)
    if counts is not None:
        public = suppressed_public_reports(counts, threshold)
        name, title, description = PUBLIC_REPORTS
        tables.append(
            Table(
                name,
                str(title),
                str(description),
                [
                    Column("rumour", _("Rumour"), "string", _("The rumour's stable key.")),
                    Column("claim", _("Claim"), "string", _("The rumour as people say it.")),
                    Column(
                        "reports", _("Reports"), "integer", _("Reports from the public about it.")
                    ),
                ],
                [(r.slug, r.claim, _cell(n)) for r, n in public],
            )
        )
    return tables


def _cell(value: int | None):
    return SUPPRESSED if value is None else value
