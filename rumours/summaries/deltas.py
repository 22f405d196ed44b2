"""Adding and subtracting encounters in every summary table, inside the writing
transaction: through SQL for changes to stored encounters, from memory for new ones,
and on PostgreSQL a POST's new encounter through one database function."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import closing, nullcontext
from datetime import date
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    DDL,
    bindparam,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import Base
from ..models import (
    SETTING_CODES,
    SUMMARY_MEASURES,
    Encounter,
    Outcome,
    Setting,
)
from .tables import _WHERE, GRAINS, SUMMARIES, Summary, _aggregate, _floor, _key_names


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


class NewEncounter(NamedTuple):
    """What a new encounter counts in the summaries (its values already in memory)."""

    local_day: date
    district_id: int
    neighbourhood_id: int | None
    organisation_id: int | None
    campaign_id: int | None
    people_reached: int
    outcome: object  # an Outcome or its value
    setting: object  # a Setting or its value
    links: Sequence[tuple[int, int | None]]  # (rumour_id, rebuttal_id or None)


def contributions(encounters: Iterable[NewEncounter]) -> dict[Summary, list[tuple]]:
    """What new encounters add to each summary table, as (key..., measure...) rows in key
    order (a fixed order of row locks: concurrent writers never deadlock on PostgreSQL)."""
    totals: dict[Summary, dict[tuple, list[int]]] = {s: {} for s in SUMMARIES}
    floors = {grain: {} for grain in GRAINS}
    for (day, district, neighbourhood, organisation, campaign, people, outcome, setting,
         links) in encounters:
        setting = _value(setting)
        measures = _measures(people, _value(outcome), setting)
        values = {"district": district, "neighbourhood": neighbourhood or 0,
                  "organisation": organisation or 0, "campaign": campaign or 0,
                  "setting": SETTING_CODES[setting]}
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


def add_contributions(connection, encounters: Iterable[NewEncounter]) -> None:
    """Add new encounters (see `contributions`) to every summary table: one prepared
    upsert per table, all of the flush's rows at once."""
    write_contributions(connection, contributions(encounters))


def write_contributions(
    connection, changes: dict[Summary, list[tuple]], first: Sequence[tuple[str, list]] = ()
) -> None:
    """Write what `contributions` worked out (before the transaction began writing, so
    the write lock is held only for the statements), after the statements `first`
    ((driver SQL, rows) pairs: the caller's own rows, sent in the same round trip)."""
    dialect = connection.dialect.name
    statements = [
        *first,
        *((_add_sql(dialect, summary), rows) for summary, rows in changes.items()),
    ]
    # Straight to the driver: fifteen statements through SQLAlchemy's execution cost
    # more Python than the database's own work, all of it while this request holds
    # SQLite's write lock or, on PostgreSQL, the summary rows every same-day write
    # updates. On PostgreSQL one round trip for them all (psycopg's pipeline mode; the
    # server runs them in the order sent).
    raw = connection.connection.driver_connection
    batch = raw.pipeline() if dialect == "postgresql" else nullcontext()
    with batch, closing(raw.cursor()) as cursor:
        for sql, rows in statements:
            cursor.executemany(sql, rows)


# ---------------------------------------------------------------------------
# A new encounter on PostgreSQL: one function call for every table
# ---------------------------------------------------------------------------

ADD_ENCOUNTER = "rumours_add_encounter"
# The function's parameters: the encounter's values, its measures (SUMMARY_MEASURES
# order) and its links, sorted, as two arrays (0 for "none", as the tables keep it).
_PARAMETERS = {
    "district": "p_district", "neighbourhood": "p_neighbourhood",
    "organisation": "p_organisation", "campaign": "p_campaign", "setting": "p_setting",
    "rumour": "link.rumour", "rebuttal": "link.rebuttal",
}
_PERIODS = {"day": "p_day", "week": "v_week", "month": "v_month"}


def add_encounter_body(summaries: Sequence[Summary] = SUMMARIES) -> str:
    """The PL/pgSQL body of `rumours_add_encounter`: one upsert per summary table, in
    SUMMARIES order and each table's rows in key order (the row locks taken in the same
    order as `write_contributions` takes them: concurrent writers never deadlock). The
    migration that creates the function keeps its own copy of what this wrote then;
    tests/test_migrations.py checks the two are the same."""
    measures = [f"p_measures[{i}]" for i in range(1, len(SUMMARY_MEASURES) + 1)]
    upserts = []
    for summary in summaries:
        keys = _key_names(summary)
        values = [_PERIODS[summary.grain], *(_PARAMETERS[d] for d in summary.dimensions)]
        rows = (
            f"SELECT {', '.join([*values, *measures])} "
            "FROM unnest(p_rumours, p_rebuttals) AS link(rumour, rebuttal) "
            "ORDER BY link.rumour, link.rebuttal"
            if summary.per_rumour
            else f"VALUES ({', '.join([*values, *measures])})"
        )
        name = summary.table.name
        upserts.append(
            f"  INSERT INTO {name} AS t ({', '.join([*keys, *SUMMARY_MEASURES])})\n"
            f"  {rows}\n"
            f"  ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
            + ", ".join(f"{m} = t.{m} + excluded.{m}" for m in SUMMARY_MEASURES)
            + ";\n"
        )
    return (
        "\nDECLARE\n"
        "  v_week date := CAST(date_trunc('week', p_day) AS date);\n"
        "  v_month date := CAST(date_trunc('month', p_day) AS date);\n"
        "BEGIN\n" + "".join(upserts) + "END\n"
    )


ADD_ENCOUNTER_SIGNATURE = (
    f"{ADD_ENCOUNTER}(p_day date, p_district integer, p_neighbourhood integer, "
    "p_organisation integer, p_campaign integer, p_setting integer, "
    "p_measures integer[], p_rumours integer[], p_rebuttals integer[])"
)


def create_add_encounter(body: str) -> str:
    """The statement that creates (or replaces) `rumours_add_encounter` with `body`."""
    return (
        f"CREATE OR REPLACE FUNCTION {ADD_ENCOUNTER_SIGNATURE} RETURNS void "
        f"LANGUAGE plpgsql AS $body${body}$body$"
    )


# The schema create_all builds (the tests') has the function too; the migrations'
# schema gets it from its own migration.
event.listen(
    Base.metadata, "after_create",
    DDL(create_add_encounter(add_encounter_body())).execute_if(dialect="postgresql"),
)
event.listen(
    Base.metadata, "before_drop",
    DDL(f"DROP FUNCTION IF EXISTS {ADD_ENCOUNTER}").execute_if(dialect="postgresql"),
)


def add_encounter_call(encounter: NewEncounter) -> tuple[str, list[tuple]]:
    """A POST's new encounter added to every summary table on PostgreSQL, as a (driver
    SQL, rows) pair for `write_contributions` to send with the POST's other statements:
    one statement where the upserts took one per table. The database runs the same
    upserts from its cached plans; the server's Python sends one statement instead of
    seventeen (measured in docs/performance.md, eighteenth slice)."""
    setting = _value(encounter.setting)
    links = sorted((rumour, rebuttal or 0) for rumour, rebuttal in encounter.links)
    return (
        f"SELECT {ADD_ENCOUNTER}(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [(
            encounter.local_day, encounter.district_id, encounter.neighbourhood_id or 0,
            encounter.organisation_id or 0, encounter.campaign_id or 0,
            SETTING_CODES[setting],
            list(_measures(encounter.people_reached, _value(encounter.outcome), setting)),
            [rumour for rumour, _ in links], [rebuttal for _, rebuttal in links],
        )],
    )
