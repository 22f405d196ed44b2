"""Summary tables: encounter counts per period and dimensions, shaped for the dashboard.

A million encounters take a second or more to GROUP BY; the dashboard reads these
tables instead. They are kept equal to the raw rows in the same transaction as every
write: a flush that changes encounters first subtracts their old contribution, then
adds the new one (an upsert that adds to the counts, safe with several app servers).
Bulk loads call `add_encounters` or `rebuild`; `flask stats rebuild` recomputes them.

A new encounter (the common write: a POST from a phone) is counted from the values
already in memory: its contribution to each table is worked out in Python and sent as
one prepared upsert per table (`INSERT ... VALUES ... ON CONFLICT DO UPDATE`), instead of
nine `INSERT ... SELECT`s that read the rows just written back. Changes to existing
encounters (corrections, deletions, exclusions) subtract and add through SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import (
    Column,
    Date,
    MetaData,
    Table,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from .models import (
    SUMMARY_MEASURES,
    Encounter,
    EncounterRumour,
    Outcome,
    Setting,
    campaign_rumour_stats_day,
    campaign_rumour_stats_month,
    encounter_stats_day,
    encounter_stats_month,
    encounter_stats_week,
    rumour_district_stats_day,
    rumour_district_stats_month,
    rumour_stats_day,
    rumour_stats_month,
)
from .rules.localtime import local_day

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
)


def _period(grain: str) -> ColumnElement:
    day = Encounter.__table__.c.local_day
    if grain == "week":
        return week_start(day)
    if grain == "month":
        return month_start(day)
    return day


def dimension_column(name: str) -> ColumnElement:
    """The raw-row expression of a dimension (0 where an encounter has none)."""
    e, link = Encounter.__table__.c, EncounterRumour.__table__.c
    return {
        "district": e.district_id,
        "organisation": func.coalesce(e.organisation_id, 0),
        "campaign": func.coalesce(e.campaign_id, 0),
        "rumour": link.rumour_id,
        "rebuttal": func.coalesce(link.rebuttal_id, 0),
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
    "range": lambda: Encounter.__table__.c.id.between(bindparam("first"), bindparam("last")),
    "all": lambda: literal(True),
}


@cache
def _upsert(dialect: str, summary: Summary, sign: int, where: str):
    """INSERT ... SELECT the contribution of the matching rows, adding to the counts on
    conflict (sign 1 adds, sign -1 subtracts)."""
    table = summary.table
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = insert.from_select(
        [*_key_names(summary), *SUMMARY_MEASURES], _aggregate(summary, _WHERE[where](), sign)
    )
    return statement.on_conflict_do_update(
        index_elements=_key_names(summary),
        set_={m: table.c[m] + statement.excluded[m] for m in SUMMARY_MEASURES},
    )


@cache
def _edge_days(where: str):
    day = Encounter.__table__.c.local_day
    return select(func.min(day), func.max(day)).where(_WHERE[where]())


@cache
def _delete_zeros(summary: Summary):
    table = summary.table
    return delete(table).where(
        table.c.encounters == 0,
        table.c.period_start >= bindparam("first_day"),
        table.c.period_start <= bindparam("last_day"),
    )


def _apply(connection, summary: Summary, sign: int, where: str, values: dict) -> None:
    """Add (sign 1) or subtract (sign -1) the contribution of the matching rows."""
    connection.execute(_upsert(connection.dialect.name, summary, sign, where), values)


def _apply_delta(connection, sign: int, where: str, values: dict) -> None:
    if sign < 0:
        first, last = connection.execute(_edge_days(where), values).one()
        if first is None:
            return
    for summary in SUMMARIES:
        _apply(connection, summary, sign, where, values)
    if sign < 0:
        for summary in SUMMARIES:
            connection.execute(
                _delete_zeros(summary),
                {"first_day": _floor(first, summary.grain), "last_day": last},
            )


def apply_delta(connection, ids: Iterable[int], sign: int) -> None:
    """Add or subtract the encounters `ids` in every summary table; rows that fall to
    zero are removed."""
    _apply_delta(connection, sign, "ids", {"ids": sorted(ids)})


def _floor(day: date, grain: str) -> date:
    if grain == "week":
        return date.fromordinal(day.toordinal() - day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def add_encounters(connection, first_id: int, last_id: int) -> None:
    """Count encounters `first_id`..`last_id` (a bulk load that bypassed the ORM)."""
    _add_in_bulk(connection, "range", {"first": first_id, "last": last_id})


def rebuild(connection) -> None:
    """Empty every summary table and recompute it from the raw rows."""
    for summary in SUMMARIES:
        connection.execute(delete(summary.table))
    _add_in_bulk(connection, "all", {})


# ---------------------------------------------------------------------------
# Bulk loads: two passes over the rows, the other tables rolled up from them
# ---------------------------------------------------------------------------


def _finest(summary: Summary) -> Summary:
    """The day table every row of `summary` can be summed from: the per-encounter or the
    per-rumour day table with all the dimensions."""
    for candidate in SUMMARIES:
        if (
            candidate.grain == "day"
            and candidate.per_rumour == summary.per_rumour
            and set(summary.dimensions) <= set(candidate.dimensions)
            and len(candidate.dimensions) == max(
                len(c.dimensions)
                for c in SUMMARIES
                if c.grain == "day" and c.per_rumour == summary.per_rumour
            )
        ):
            return candidate
    raise LookupError(summary.name)


def _bulk_table(finest: Summary) -> Table:
    """A temporary table shaped like `finest`, holding one load's contribution."""
    source = finest.table
    return Table(
        f"bulk_{source.name}",
        MetaData(),
        *(Column(c.name, c.type) for c in source.columns),
        prefixes=["TEMPORARY"],
    )


def _period_of(grain: str, day: ColumnElement) -> ColumnElement:
    if grain == "week":
        return week_start(day)
    if grain == "month":
        return month_start(day)
    return day


def _add_in_bulk(connection, where: str, values: dict) -> None:
    """Add many encounters at once. A million rows read nine times (once per table,
    four of them joined with their rumours) cost most of a seed; instead the rows are
    read twice, into one temporary table per kind (per encounter, per rumour) at the
    finest grain, and every summary table is summed from those."""
    dialect = connection.dialect.name
    finest = {_finest(s) for s in SUMMARIES}
    staged = {}
    for source in sorted(finest, key=lambda s: s.name):
        table = _bulk_table(source)
        table.drop(connection, checkfirst=True)
        table.create(connection)
        connection.execute(
            insert(table).from_select(
                [*_key_names(source), *SUMMARY_MEASURES],
                _aggregate(source, _WHERE[where](), 1).order_by(None),
            ),
            values,
        )
        staged[source] = table
    for summary in SUMMARIES:
        table = staged[_finest(summary)]
        keys = [
            _period_of(summary.grain, table.c.period_start),
            *(table.c[f"{d}_id"] for d in summary.dimensions),
        ]
        rolled = (
            select(*keys, *(func.sum(table.c[m]) for m in SUMMARY_MEASURES))
            .group_by(*keys)
            .order_by(*keys)
        )
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            summary.table
        ).from_select([*_key_names(summary), *SUMMARY_MEASURES], rolled)
        connection.execute(
            upsert.on_conflict_do_update(
                index_elements=_key_names(summary),
                set_={m: summary.table.c[m] + upsert.excluded[m] for m in SUMMARY_MEASURES},
            )
        )
    for table in staged.values():
        table.drop(connection)


# ---------------------------------------------------------------------------
# New encounters, counted from memory
# ---------------------------------------------------------------------------

_OUTCOMES = tuple(o.value for o in Outcome)
_SETTINGS = tuple(s.value for s in Setting)


def _value(member) -> str:
    return getattr(member, "value", member)


def _measures(people: int, outcome: str, setting: str) -> tuple[int, ...]:
    """One encounter's measures, in SUMMARY_MEASURES order."""
    return (
        1,
        people,
        *(int(outcome == o) for o in _OUTCOMES),
        *(int(setting == s) for s in _SETTINGS),
    )


def contributions(encounters: Iterable[tuple]) -> dict[Summary, list[tuple]]:
    """What new encounters add to each summary table, as (key..., measure...) rows in key
    order (a fixed order of row locks: concurrent writers never deadlock on PostgreSQL).

    Each encounter is (local_day, district_id, organisation_id, campaign_id,
    people_reached, outcome, setting, [(rumour_id, rebuttal_id), ...])."""
    totals: dict[Summary, dict[tuple, list[int]]] = {s: {} for s in SUMMARIES}
    floors = {grain: {} for grain in GRAINS}
    for day, district, organisation, campaign, people, outcome, setting, links in encounters:
        measures = _measures(people, _value(outcome), _value(setting))
        values = {"district": district, "organisation": organisation or 0,
                  "campaign": campaign or 0}
        rumour_rows = [{**values, "rumour": r, "rebuttal": b or 0} for r, b in links]
        for summary in SUMMARIES:
            period = floors[summary.grain].get(day)
            if period is None:
                period = floors[summary.grain][day] = _floor(day, summary.grain)
            rows = rumour_rows if summary.per_rumour else (values,)
            table = totals[summary]
            for row in rows:
                key = (period, *(row[d] for d in summary.dimensions))
                total = table.get(key)
                if total is None:
                    table[key] = list(measures)
                else:
                    for i, m in enumerate(measures):
                        total[i] += m
    return {
        summary: [(*key, *totals[summary][key]) for key in sorted(totals[summary])]
        for summary in SUMMARIES
        if totals[summary]
    }


@cache
def _add_sql(dialect: str, summary: Summary) -> str:
    """The upsert adding one row of counts to `summary`, as the driver's SQL."""
    columns = [*_key_names(summary), *SUMMARY_MEASURES]
    marker = "?" if dialect == "sqlite" else "%s"
    name = summary.table.name
    return (
        f"INSERT INTO {name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)}) "
        f"ON CONFLICT ({', '.join(_key_names(summary))}) DO UPDATE SET "
        + ", ".join(f"{m} = {name}.{m} + excluded.{m}" for m in SUMMARY_MEASURES)
    )


def add_contributions(connection, encounters: Iterable[tuple]) -> None:
    """Add new encounters (see `contributions`) to every summary table: one prepared
    upsert per table, all of the flush's rows at once."""
    dialect = connection.dialect.name
    changes = contributions(encounters)
    if dialect == "postgresql":
        # One round trip for all nine tables (psycopg's pipeline mode): the summary rows
        # stay locked until the commit, so every round trip here is time another
        # request's same-day write waits. The server runs them in the order sent.
        raw = connection.connection.driver_connection
        with raw.pipeline(), raw.cursor() as cursor:
            for summary, rows in changes.items():
                cursor.executemany(_add_sql(dialect, summary), rows)
        return
    for summary, rows in changes.items():
        connection.exec_driver_sql(_add_sql(dialect, summary), rows)


def _inserted(session: Session) -> list[tuple]:
    """The encounters this flush inserted, with their rumour links, as `contributions`
    takes them. Every link of a new encounter is new in the same flush (it needs the
    encounter's id), so the session holds them all."""
    links: dict[int, list[tuple[int, int | None]]] = {}
    for obj in session.new:
        if isinstance(obj, EncounterRumour):
            links.setdefault(obj.encounter_id, []).append((obj.rumour_id, obj.rebuttal_id))
    return [
        (
            e.local_day, e.district_id, e.organisation_id, e.campaign_id,
            e.people_reached, e.outcome, e.setting, links.get(e.id, ()),
        )
        for e in session.new
        # An entry excluded from the start counts nowhere.
        if isinstance(e, Encounter) and e.id is not None and e.excluded_at is None
    ]


# ---------------------------------------------------------------------------
# Keeping them equal on every ORM write
# ---------------------------------------------------------------------------

_PENDING = "rumours.summary_ids"


def _changed_encounter_ids(session: Session, objects: Iterable) -> set[int]:
    ids = set()
    for obj in objects:
        if isinstance(obj, Encounter) and obj.id is not None:
            if obj in session.deleted or session.is_modified(obj):
                ids.add(obj.id)
        elif isinstance(obj, EncounterRumour):
            if obj.encounter_id is not None:
                ids.add(obj.encounter_id)
            elif obj.encounter is not None and obj.encounter.id is not None:
                ids.add(obj.encounter.id)
    return ids


def _before_flush(session: Session, flush_context, instances) -> None:
    # A flush that failed earlier (its savepoint rolled back) leaves nothing behind.
    session.info.pop(_PENDING, None)
    touched = [*session.new, *session.dirty, *session.deleted]
    if not any(isinstance(o, Encounter | EncounterRumour) for o in touched):
        return
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Encounter) and obj.occurred_at is not None:
            day = local_day(obj.occurred_at)
            if obj.local_day != day:
                obj.local_day = day
    # Existing encounters about to change or go: take away what they counted.
    old = _changed_encounter_ids(session, [*session.dirty, *session.deleted, *session.new])
    if old:
        apply_delta(session.connection(), old, -1)
    session.info[_PENDING] = old


def _after_flush(session: Session, flush_context) -> None:
    old = session.info.pop(_PENDING, None)
    if old is None:
        return
    inserted = {o.id for o in session.new if isinstance(o, Encounter)}
    new = set(old)
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Encounter) and obj.id is not None:
            new.add(obj.id)
        elif isinstance(obj, EncounterRumour) and obj.encounter_id is not None:
            new.add(obj.encounter_id)
    new -= {o.id for o in session.deleted if isinstance(o, Encounter)}
    # Encounters inserted by this flush are counted from memory; the rest from the rows.
    if inserted:
        add_contributions(session.connection(), _inserted(session))
    new -= inserted
    if new:
        apply_delta(session.connection(), new, 1)


def init_app(app) -> None:
    """Keep the summary tables equal to the encounter rows on every flush of every ORM
    session (registered once, however many apps are created)."""
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def mismatches(connection) -> dict[str, int]:
    """For each summary table, how many rows differ from a fresh count of the raw rows
    (both directions). All zeros means the summaries are right."""
    result = {}
    everything = literal(True)
    for summary in SUMMARIES:
        fresh = _aggregate(summary, everything, 1).order_by(None)
        stored = select(*(summary.table.c[k] for k in _key_names(summary)),
                        *(summary.table.c[m] for m in SUMMARY_MEASURES))
        missing = connection.execute(
            select(func.count()).select_from(fresh.except_(stored).subquery())
        ).scalar_one()
        extra = connection.execute(
            select(func.count()).select_from(stored.except_(fresh).subquery())
        ).scalar_one()
        result[summary.name] = missing + extra
    return result
