"""The indicators report that organisations send to funders and the network to the
city council (the Council of Europe's C4i indicators: organisations in the network,
agents trained, trainings held, people reached and shifts in attitude), for a period
and for the whole network or one organisation, per month and per district.

Counts come from the dashboard's reports, so a report and the dashboard agree; small
counts are suppressed here, before the figures leave the app."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..exports.tables import SUPPRESSED, Column, Report, Table
from ..extensions import db
from ..models import AgentProfile
from ..rules.localtime import city_timezone
from ..rules.suppression import (
    SuppressedTable,
    check_threshold,
    is_small,
    suppress_table,
)
from . import dashboard as reports
from .filters import ParsedFilters
from .stats import OUTCOME_KEYS


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


def _table(info: TableInfo, columns: list[Column], rows: list[tuple]) -> Table:
    return Table(
        name=info.name,
        title=str(info.title),
        description=str(info.description),
        columns=columns,
        rows=rows,
    )


def _hidden(value):
    return SUPPRESSED if value is None else value


def _certified_by_month(parsed: ParsedFilters) -> Counter:
    """Agents certified in the period, by city month (within the organisation, if any)."""
    f = parsed.filters
    query = select(AgentProfile.certified_at).where(
        AgentProfile.certified_at >= reports.city_midnight(f.start),
        AgentProfile.certified_at < reports.city_midnight(f.end + timedelta(days=1)),
        *reports.agents_in_scope(f),
    )
    zone = city_timezone()
    months: Counter = Counter()
    for (moment,) in db.session.execute(query):
        local = moment.astimezone(zone).date()
        if f.start <= local <= f.end:
            months[local.replace(day=1)] += 1
    return months


def _one_way(counts: dict, threshold: int, also_hide=()) -> tuple[dict, int | None]:
    """A list of counts and its total: the cells (None where hidden, and hidden wherever
    `also_hide` says) and the total, or None when even the total would give a hidden
    cell away."""
    suppressed = suppress_table(
        {(key, "n"): value for key, value in counts.items()},
        threshold,
        also_hide=[(key, "n") for key in also_hide],
    )
    return {key: suppressed.cells[(key, "n")] for key in counts}, suppressed.grand_total


def _outcome_table(rows: dict, threshold: int) -> SuppressedTable:
    """Outcome counts per row with row totals (conversations) and column totals."""
    return suppress_table(
        {(key, outcome): figures.outcomes[outcome] for key, figures in rows.items()
         for outcome in OUTCOME_KEYS},
        threshold,
    )


def _count_cells(key, outcomes: SuppressedTable, people: dict) -> tuple:
    """One row's conversations, people reached and outcomes, hidden cells marked."""
    return (
        _hidden(outcomes.row_totals[key]),
        _hidden(people[key]),
        *(_hidden(outcomes.cells[(key, outcome)]) for outcome in OUTCOME_KEYS),
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


@dataclass(frozen=True)
class _Part:
    """A month or district table and the totals the summary may publish from it."""

    table: Table
    outcomes: SuppressedTable
    people_total: int | None


def indicator_report(parsed: ParsedFilters, *, threshold: int) -> Report:
    """The C4i indicators for the view: a summary, month by month and district by
    district, with small counts suppressed."""
    check_threshold(threshold)
    f = parsed.filters
    board_training = reports.training(f)
    network = reports.network(f)
    held = reports.trainings_held(f)
    by_month, certified_total = _by_month(parsed, held, threshold)
    by_district = _by_district(parsed, held, threshold)
    summary = _summary(
        network, board_training, certified_total, by_month, by_district, threshold
    )
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
        notes=_notes(parsed, threshold),
        tables=[summary, by_month.table, by_district.table],
    )


def _by_month(parsed: ParsedFilters, held, threshold: int) -> tuple[_Part, int | None]:
    """The month-by-month table, and the agents certified in the period (None if hidden)."""
    months = reports.series(parsed.filters, "month")
    outcomes = _outcome_table({m: figures for m, figures in months}, threshold)
    # People reached are hidden wherever that row's conversations are.
    people, people_total = _one_way(
        {m: v.people for m, v in months},
        threshold,
        also_hide=[m for m, _v in months if outcomes.row_totals[m] is None],
    )
    certified = _certified_by_month(parsed)
    month_certified, certified_total = _one_way(
        {m: certified.get(m, 0) for m, _v in months}, threshold
    )
    sessions, hours = _trainings_by_month(held)
    table = _table(
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
                *_count_cells(m, outcomes, people),
                sessions.get(m, 0),
                round(hours.get(m, 0.0), 1),
                _hidden(month_certified[m]),
            )
            for m, _v in months
        ],
    )
    return _Part(table, outcomes, people_total), certified_total


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


def _by_district(parsed: ParsedFilters, held, threshold: int) -> _Part:
    """The district-by-district table."""
    districts = reports.by_district(parsed.filters)
    outcomes = _outcome_table({d.slug: figures for d, figures in districts}, threshold)
    people, people_total = _one_way(
        {d.slug: v.people for d, v in districts},
        threshold,
        also_hide=[d.slug for d, _v in districts if outcomes.row_totals[d.slug] is None],
    )
    sessions = Counter(s.district_id for s in held)
    table = _table(
        BY_DISTRICT,
        columns=[
            Column("district", _("District"), "string", _("The district's official name.")),
            *_count_columns(),
            Column("trainings_held", _("Trainings held"), "integer",
                   _("Training sessions held in the district.")),
        ],
        rows=[
            (d.name, *_count_cells(d.slug, outcomes, people), sessions.get(d.id, 0))
            for d, _v in districts
        ],
    )
    return _Part(table, outcomes, people_total)


def _summary(network, board_training, certified_total, by_month: _Part,
             by_district: _Part, threshold: int) -> Table:
    """The headline figures; totals are the other tables' (see `_both`)."""

    def person_count(value: int):
        return SUPPRESSED if is_small(value, threshold) else value

    months, districts = by_month.outcomes, by_district.outcomes
    rows = [
        ("organisations", _("Organisations in the network"), network.organisations),
        ("agents", _("Agents"), person_count(network.agents)),
        ("agents_certified_now", _("Agents certified today"),
         person_count(network.agents_by_status.get("certified", 0))),
        ("agents_certified_in_period", _("Agents certified in the period"),
         _hidden(certified_total)),
        ("trainings_held", _("Trainings held"), board_training.sessions),
        ("training_hours", _("Training hours"), board_training.hours),
        ("training_attendances", _("Training attendances"),
         person_count(board_training.attended)),
        ("conversations", _("Conversations"), _both(months.grand_total, districts.grand_total)),
        ("people_reached", _("People reached"),
         _both(by_month.people_total, by_district.people_total)),
        *(
            (f"outcome_{key}", _label(key),
             _both(
                 months.column_totals[key],
                 # No districts yet: that table has no columns to hide.
                 districts.column_totals.get(key, months.column_totals[key]),
             ))
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


def _both(first, second):
    """A total published in the summary is the month and district tables' total: shown
    only when neither table had to hide it."""
    return SUPPRESSED if first is None or second is None else first


def _notes(parsed: ParsedFilters, threshold: int) -> list[str]:
    """Why counts are hidden, and which rumour or campaign the conversations are limited to."""
    return [
        _(
            "Counts from 1 to %(below)s are suppressed to protect the people "
            "involved, and so is a second count wherever a suppressed one could "
            "be worked out from a total.",
            below=threshold - 1,
        ),
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
