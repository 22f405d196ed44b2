"""The indicators report that organisations send to funders and the network to the
city council (the Council of Europe's C4i indicators: organisations in the network,
agents trained, trainings held, people reached and shifts in attitude), for a period
and for the whole network or one organisation, per month and per district.

Counts come from the dashboard's reports, so a report and the dashboard agree; the
conversation figures are suppressed here (`reports.suppressed`), before they leave the
app; which figures are, and why, is `rules.disclosure`'s table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..exports.tables import Column, Report, Table
from ..extensions import db
from ..models import AgentProfile
from ..rules.disclosure import FIGURES, disclosure_notes
from ..rules.localtime import city_timezone
from ..rules.suppression import check_threshold
from . import dashboard as reports
from . import people
from .emerging import report_table_infos, report_tables
from .filters import ParsedFilters
from .stats import OUTCOME_KEYS, Figures
from .suppressed import OUTCOMES, TOTAL, Breakdowns, suppress_breakdowns


@dataclass(frozen=True)
class TableInfo:
    """A table of the report as the export page lists it, before any figure is read."""

    name: str
    title: str
    description: str


SUMMARY = TableInfo("summary", _l("Summary"), _l("The period's indicators in one table."))
BY_MONTH = TableInfo(
    "by-month", _l("Month by month"), _l("The indicators for each calendar month of the period.")
)
BY_DISTRICT = TableInfo(
    "by-district",
    _l("District by district"),
    _l("The conversation indicators for each district over the period."),
)
# In the order the report holds them.
INDICATOR_TABLES = (SUMMARY, BY_MONTH, BY_DISTRICT)


def indicator_tables(parsed: ParsedFilters) -> tuple[TableInfo, ...]:
    """The tables the view's report holds: the indicators, and in a network-wide view
    the reports received (not in a rumour's view) and the public's per rumour."""
    extra = report_table_infos(parsed.filters)
    return INDICATOR_TABLES + tuple(TableInfo(*info) for info in extra)


def _table(info: TableInfo, columns: list[Column], rows: list[tuple]) -> Table:
    return Table(
        name=info.name,
        title=str(info.title),
        description=str(info.description),
        columns=columns,
        rows=rows,
    )


def _certified_by_month(parsed: ParsedFilters) -> Counter:
    """Agents certified in the period, by city month (within the organisation, if any)."""
    f = parsed.filters
    query = select(AgentProfile.certified_at).where(
        AgentProfile.certified_at >= people.city_midnight(f.start),
        AgentProfile.certified_at < people.city_midnight(f.end + timedelta(days=1)),
        *people.agents_in_scope(f),
    )
    zone = city_timezone()
    months: Counter = Counter()
    for (moment,) in db.session.execute(query):
        local = moment.astimezone(zone).date()
        if f.start <= local <= f.end:
            months[local.replace(day=1)] += 1
    return months


def _count_cells(table: str, key, cells: Breakdowns) -> tuple:
    """One row's conversations, people reached and outcomes, hidden cells marked."""
    return tuple(
        cells.get(table, key, name)
        for name in ("conversations", "people_reached", *OUTCOMES)
    )


def _count_columns() -> list[Column]:
    return [
        Column("conversations", _("Conversations"), "integer",
               _("Conversations agents logged.")),
        Column("people_reached", _("People reached"), "integer",
               _("People who took part in those conversations.")),
        *(
            Column(f"outcome_{key}", _label(key), "integer",
                   _("Conversations that ended this way."))
            for key in OUTCOME_KEYS
        ),
    ]


def _label(key: str) -> str:
    from ..rules.labels import label

    return label(key)


def indicator_report(parsed: ParsedFilters, *, threshold: int) -> Report:
    """The C4i indicators for the view: a summary, month by month and district by
    district, with the conversation figures suppressed as `rules.disclosure` decides."""
    check_threshold(threshold)
    f = parsed.filters
    held = people.trainings_held(f)
    counted = people.people(f)
    months = reports.series(f, "month")
    districts = reports.by_district(f)
    totals = Figures()
    for _month, figures in months:
        totals.add(figures)
    cells = suppress_breakdowns(
        {"month": months, "district": [(d.slug, v) for d, v in districts]}, totals, threshold
    )
    certified = _certified_by_month(parsed)
    tables = [
        _summary(counted.network, counted.training, certified, cells),
        _by_month(months, held, certified, cells),
        _by_district(districts, held, cells),
        # Reports (rumours heard, from agents and the public): network-wide views only.
        *report_tables(f, threshold),
    ]
    scope = parsed.organisation.name if parsed.organisation else _("Whole network")
    return Report(
        title=_("Anti-rumours indicators: %(scope)s", scope=scope),
        description=_(
            "Organisations, agents, trainings, conversations, people reached and how "
            "conversations ended, from %(start)s to %(end)s.",
            start=f.start.isoformat(),
            end=f.end.isoformat(),
        ),
        generated_at=datetime.now(UTC),
        period_start=f.start,
        period_end=f.end,
        scope=scope,
        threshold=threshold,
        notes=_notes(parsed, threshold, tables),
        tables=tables,
    )


def _by_month(months, held, certified: Counter, cells: Breakdowns) -> Table:
    """The month-by-month table."""
    sessions, hours = _trainings_by_month(held)
    return _table(
        BY_MONTH,
        columns=[
            Column("month", _("Month"), "date", _("The first day of the month.")),
            *_count_columns(),
            Column("trainings_held", _("Trainings held"), "integer",
                   _("Training sessions that took place.")),
            Column("training_hours", _("Training hours"), "number",
                   _("Hours of training given.")),
            Column("agents_certified", _("Agents certified"), "integer",
                   _("Agents certified in the month.")),
        ],
        rows=[
            (
                m,
                *_count_cells("month", m, cells),
                sessions.get(m, 0),
                round(hours.get(m, 0.0), 1),
                certified.get(m, 0),
            )
            for m, _v in months
        ],
    )


def _trainings_by_month(held) -> tuple[Counter, Counter]:
    """Training sessions held and hours given, by the city month they started in."""
    zone = city_timezone()
    sessions: Counter = Counter()
    hours: Counter = Counter()
    for s in held:
        month = s.starts_at.astimezone(zone).date().replace(day=1)
        sessions[month] += 1
        hours[month] += (s.ends_at - s.starts_at).total_seconds() / 3600
    return sessions, hours


def _by_district(districts, held, cells: Breakdowns) -> Table:
    """The district-by-district table."""
    sessions = Counter(s.district_id for s in held)
    return _table(
        BY_DISTRICT,
        columns=[
            Column("district", _("District"), "string", _("The district's official name.")),
            *_count_columns(),
            Column("trainings_held", _("Trainings held"), "integer",
                   _("Training sessions held in the district.")),
        ],
        rows=[
            (d.name, *_count_cells("district", d.slug, cells), sessions.get(d.id, 0))
            for d, _v in districts
        ],
    )


def _summary(network, board_training, certified: Counter, cells: Breakdowns) -> Table:
    """The headline figures: the network's size as it is, the conversation totals as
    the suppression of all tables together left them."""
    rows = [
        ("organisations", _("Organisations in the network"), network.organisations),
        ("agents", _("Agents"), network.agents),
        ("agents_certified_now", _("Agents certified today"),
         network.agents_by_status.get("certified", 0)),
        ("agents_certified_in_period", _("Agents certified in the period"),
         sum(certified.values())),
        ("trainings_held", _("Trainings held"), board_training.sessions),
        ("training_hours", _("Training hours"), board_training.hours),
        ("training_attendances", _("Training attendances"), board_training.attended),
        ("conversations", _("Conversations"), cells.get(TOTAL, "conversations")),
        ("people_reached", _("People reached"), cells.get(TOTAL, "people_reached")),
        *(
            (f"outcome_{key}", _label(key), cells.get(TOTAL, f"outcome_{key}"))
            for key in OUTCOME_KEYS
        ),
    ]
    return _table(
        SUMMARY,
        columns=[
            Column("indicator", _("Indicator"), "string", _("A stable key for the indicator.")),
            Column("title", _("Title"), "string", _("What the indicator counts.")),
            Column("value", _("Value"), "number", _("The count (hours for training hours).")),
        ],
        rows=rows,
    )


def _notes(parsed: ParsedFilters, threshold: int, tables: list[Table]) -> list[str]:
    """Why counts are hidden and which figures may be (`rules.disclosure`), and which
    rumour or campaign the conversations are limited to."""
    titles = {row[0]: row[1] for row in tables[0].rows}
    for table in tables[1:]:
        titles.update((c.name, c.title) for c in table.columns if c.name in FIGURES)
    return [
        _(
            "Counts from 1 to %(below)s are suppressed to protect the people "
            "involved, and so is a second count wherever a suppressed one could "
            "be worked out from a total.",
            below=threshold - 1,
        ),
        *disclosure_notes(titles),
        *(
            [_("Conversations about the rumour “%(claim)s” only.", claim=parsed.rumour.claim)]
            if parsed.rumour
            else []
        ),
        *(
            [_("Conversations of the campaign “%(name)s” only.", name=parsed.campaign.name)]
            if parsed.campaign
            else []
        ),
    ]
