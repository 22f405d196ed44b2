"""The summary tables: which exist, their grains and dimensions, and the SQL that
counts encounter rows into them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    Date,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from ..models import (
    NEIGHBOURHOOD_DIMENSIONS,
    NEIGHBOURHOOD_TOTAL_DIMENSIONS,
    RUMOUR_NEIGHBOURHOOD_DIMENSIONS,
    RUMOUR_ORGANISATION_DIMENSIONS,
    SETTING_CODES,
    SETTING_DIMENSIONS,
    Encounter,
    EncounterRumour,
    Outcome,
    Setting,
    campaign_rumour_stats_day,
    campaign_rumour_stats_month,
    encounter_stats_day,
    encounter_stats_month,
    encounter_stats_week,
    neighbourhood_stats_day,
    neighbourhood_stats_month,
    neighbourhood_totals_day,
    neighbourhood_totals_month,
    rumour_district_stats_day,
    rumour_district_stats_month,
    rumour_neighbourhood_stats_day,
    rumour_neighbourhood_stats_month,
    rumour_organisation_stats_month,
    rumour_stats_day,
    rumour_stats_month,
    setting_stats_month,
)

GRAINS = ("day", "week", "month")


class week_start(FunctionElement):
    """The Monday of a date's week."""

    type = Date()
    inherit_cache = True


class month_start(FunctionElement):
    """The first day of a date's month."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "sqlite")
def _week_start_sqlite(element, compiler, **kw):
    # 'weekday 0' moves forward to Sunday (or stays); six days back is that week's Monday.
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(month_start, "postgresql")
def _month_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@dataclass(frozen=True)
class Summary:
    """One summary table: its time grain and the dimensions it keeps."""

    table: object
    grain: str
    dimensions: tuple[str, ...]

    @property
    def per_rumour(self) -> bool:
        return "rumour" in self.dimensions

    @property
    def name(self) -> str:
        return self.table.name


# Coarse and narrow first: the reader takes the first table that can answer.
SUMMARIES: tuple[Summary, ...] = (
    Summary(encounter_stats_month, "month", ("district", "organisation", "campaign")),
    Summary(encounter_stats_week, "week", ("district", "organisation", "campaign")),
    Summary(encounter_stats_day, "day", ("district", "organisation", "campaign")),
    Summary(neighbourhood_totals_month, "month", NEIGHBOURHOOD_TOTAL_DIMENSIONS),
    Summary(neighbourhood_totals_day, "day", NEIGHBOURHOOD_TOTAL_DIMENSIONS),
    Summary(neighbourhood_stats_month, "month", NEIGHBOURHOOD_DIMENSIONS),
    Summary(neighbourhood_stats_day, "day", NEIGHBOURHOOD_DIMENSIONS),
    Summary(rumour_district_stats_month, "month", ("district", "rumour", "rebuttal")),
    Summary(rumour_district_stats_day, "day", ("district", "rumour", "rebuttal")),
    Summary(campaign_rumour_stats_month, "month", ("campaign", "district", "rumour", "rebuttal")),
    Summary(campaign_rumour_stats_day, "day", ("campaign", "district", "rumour", "rebuttal")),
    Summary(
        rumour_stats_month, "month", ("district", "organisation", "campaign", "rumour", "rebuttal")
    ),
    Summary(
        rumour_stats_day, "day", ("district", "organisation", "campaign", "rumour", "rebuttal")
    ),
    # Only these keep a rumour's neighbourhoods: read only when one is asked for.
    Summary(rumour_neighbourhood_stats_month, "month", RUMOUR_NEIGHBOURHOOD_DIMENSIONS),
    Summary(rumour_neighbourhood_stats_day, "day", RUMOUR_NEIGHBOURHOOD_DIMENSIONS),
    # The review's usual crowd per setting (reports.encounters); no dashboard reads it.
    Summary(setting_stats_month, "month", SETTING_DIMENSIONS),
    # A member's view of a rumour: its neighbourhoods by organisation, whole months only
    # (reports.geography reads it; no other view does).
    Summary(rumour_organisation_stats_month, "month", RUMOUR_ORGANISATION_DIMENSIONS),
)


def _period_of(grain: str, day: ColumnElement) -> ColumnElement:
    if grain == "week":
        return week_start(day)
    if grain == "month":
        return month_start(day)
    return day


def _period(grain: str) -> ColumnElement:
    return _period_of(grain, Encounter.__table__.c.local_day)


def dimension_column(name: str) -> ColumnElement:
    """The raw-row expression of a dimension (0 where an encounter has none)."""
    e, link = Encounter.__table__.c, EncounterRumour.__table__.c
    return {
        "district": e.district_id,
        "neighbourhood": func.coalesce(e.neighbourhood_id, 0),
        "organisation": func.coalesce(e.organisation_id, 0),
        "campaign": func.coalesce(e.campaign_id, 0),
        "rumour": link.rumour_id,
        "rebuttal": func.coalesce(link.rebuttal_id, 0),
        # Written out, not bound: the same CASE appears in the SELECT and the GROUP BY.
        "setting": case(
            *((e.setting == literal_column(f"'{value}'"), literal_column(str(code)))
              for value, code in SETTING_CODES.items())
        ),
    }[name]


def encounter_rows(per_rumour: bool):
    """The encounters, or (per rumour) one row per rumour each encounter mentioned."""
    source = Encounter.__table__
    if per_rumour:
        link = EncounterRumour.__table__
        source = source.join(link, link.c.encounter_id == source.c.id)
    return source


def measure_columns(sign: int = 1) -> list[ColumnElement]:
    """SUM expressions over encounter rows for SUMMARY_MEASURES, in that order."""
    e = Encounter.__table__.c
    one = literal(sign)
    columns = [func.count() * one, func.sum(e.people_reached) * one]
    columns += [func.sum(case((e.outcome == o.value, sign), else_=0)) for o in Outcome]
    columns += [func.sum(case((e.setting == s.value, sign), else_=0)) for s in Setting]
    return columns


def _aggregate(summary: Summary, where: ColumnElement, sign: int):
    """SELECT period, dimensions, measures FROM the raw rows matching `where`."""
    keys = [_period(summary.grain), *(dimension_column(d) for d in summary.dimensions)]
    return (
        select(*keys, *measure_columns(sign))
        .select_from(encounter_rows(summary.per_rumour))
        # An entry a coordinator excluded counts nowhere; reinstated, it counts again
        # (the flush subtracts its old contribution and adds its new one).
        .where(where, Encounter.__table__.c.excluded_at.is_(None))
        .group_by(*keys)
        # A fixed order of row locks: concurrent writers never deadlock on PostgreSQL.
        .order_by(*keys)
    )


def _key_names(summary: Summary) -> list[str]:
    return ["period_start", *(f"{d}_id" for d in summary.dimensions)]


# Which encounters a delta counts, as a bound condition: the statements below are built
# once per process and executed with values (building nine upserts' expressions anew on
# every write cost more than running them).
_WHERE = {
    "ids": lambda: Encounter.__table__.c.id.in_(bindparam("ids", expanding=True)),
    "all": lambda: literal(True),
}


def _floor(day: date, grain: str) -> date:
    if grain == "week":
        return date.fromordinal(day.toordinal() - day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day

