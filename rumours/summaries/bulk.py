"""Bulk loads and checks: seeding, `flask stats rebuild` and `flask stats check`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from operator import itemgetter

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import insert_many
from ..models import (
    SETTING_CODES,
    SUMMARY_MEASURES,
    Outcome,
    Setting,
)
from .deltas import NewEncounter
from .tables import (
    _WHERE,
    SUMMARIES,
    Summary,
    _aggregate,
    _key_names,
    _period_of,
)

# The dimensions in the order `StagedCounts` holds an encounter's values (a rumour's
# two last).
_DIMENSIONS = (
    "district", "neighbourhood", "organisation", "campaign", "setting", "rumour", "rebuttal",
)
# Where each outcome and setting is counted in SUMMARY_MEASURES.
_OUTCOME_AT = {o.value: SUMMARY_MEASURES.index(f"outcome_{o.value}") for o in Outcome}
_SETTING_AT = {s.value: SUMMARY_MEASURES.index(f"setting_{s.value}") for s in Setting}


def add_staged(connection, staged: dict[tuple[str, ...], list[tuple]]) -> None:
    """Add a bulk load's encounters to every summary table, from their counts at each
    staging grain (`StagedCounts.take`)."""
    if not any(staged.values()):
        return
    stagings = _stagings(SUMMARIES)
    tables = {}
    for number, staging in enumerate(dict.fromkeys(stagings.values())):
        table = _new_bulk_table(connection, staging, number)
        insert_many(
            connection, table.name, [c.name for c in table.columns],
            staged.get(staging.dimensions, []),
        )
        tables[staging] = table
    _roll_up(connection, SUMMARIES, stagings, tables)


def rebuild(connection, names: Iterable[str] | None = None) -> None:
    """Empty every summary table (or those `names`: a migration recounts the tables of
    its own revision) and recompute it from the raw rows."""
    chosen = tuple(s for s in SUMMARIES if names is None or s.name in set(names))
    for summary in chosen:
        connection.execute(delete(summary.table))
    _add_in_bulk(connection, "all", {}, chosen)


# ---------------------------------------------------------------------------
# Bulk loads: two passes over the rows, the other tables rolled up from them
# ---------------------------------------------------------------------------


def _stagings(chosen: tuple[Summary, ...]) -> dict[Summary, Summary]:
    """For each table `chosen`, the day grain it is summed from: one per group of tables
    of a kind (per encounter, per rumour) whose dimensions the group's widest table
    holds. A rumour's neighbourhoods get their own group: staged with the rumour tables'
    dimensions, every link would be nearly its own row, and each rumour table's roll-up
    would read them all."""
    groups: list[Summary] = []
    found = {}
    for summary in sorted(chosen, key=lambda c: (-len(c.dimensions), c.name)):
        staging = next(
            (g for g in groups if g.per_rumour == summary.per_rumour
             and set(summary.dimensions) <= set(g.dimensions)),
            None,
        )
        if staging is None:
            staging = Summary(None, "day", summary.dimensions)
            groups.append(staging)
        found[summary] = staging
    # A group of month tables alone (the usual crowd per setting; a member's view of a
    # rumour, which by day would stage nearly a row per link) is staged by month.
    monthly = {
        g: Summary(None, "month", g.dimensions)
        for g in groups
        if all(s.grain == "month" for s, t in found.items() if t == g)
    }
    return {summary: monthly.get(g, g) for summary, g in found.items()}


def _bulk_table(staging: Summary, number: int) -> Table:
    """A temporary table for one load's contribution at the `staging` grain."""
    return Table(
        f"bulk_summary_{number}",
        MetaData(),
        Column("period_start", Date),
        *(Column(f"{d}_id", Integer) for d in staging.dimensions),
        *(Column(m, Integer) for m in SUMMARY_MEASURES),
        prefixes=["TEMPORARY"],
    )


def _add_in_bulk(connection, where: str, values: dict, chosen: tuple[Summary, ...]) -> None:
    """Add many encounters at once to the `chosen` tables. A million rows read once per
    table (some joined with their rumours) cost most of a seed; instead the rows are
    read once per group of tables (`_stagings`: per encounter; per rumour; a rumour's
    neighbourhoods) into a temporary table at the group's finest grain, and every
    summary table is summed from its group's."""
    stagings = _stagings(chosen)
    staged = {}
    for number, staging in enumerate(dict.fromkeys(stagings.values())):
        table = _new_bulk_table(connection, staging, number)
        connection.execute(
            insert(table).from_select(
                [*_key_names(staging), *SUMMARY_MEASURES],
                _aggregate(staging, _WHERE[where](), 1).order_by(None),
            ),
            values,
        )
        staged[staging] = table
    _roll_up(connection, chosen, stagings, staged)


def _new_bulk_table(connection, staging: Summary, number: int) -> Table:
    table = _bulk_table(staging, number)
    table.drop(connection, checkfirst=True)
    table.create(connection)
    return table


def _roll_up(connection, chosen, stagings: dict[Summary, Summary], staged: dict) -> None:
    """Every table `chosen` summed from its group's staging table; the staging tables
    are dropped."""
    dialect = connection.dialect.name
    for summary in chosen:
        staging = stagings[summary]
        table = staged[staging]
        keys = [
            _period_of(summary.grain, table.c.period_start),
            *(table.c[f"{d}_id"] for d in summary.dimensions),
        ]
        if summary.grain == staging.grain and summary.dimensions == staging.dimensions:
            # The staged rows are this table's own, one per key already: no GROUP BY.
            rolled = select(*keys, *(table.c[m] for m in SUMMARY_MEASURES)).order_by(*keys)
        else:
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



class StagedCounts:
    """A bulk load's counts at each staging grain (`_stagings`), added up in Python as its
    rows are made. Reading a million rows back and grouping them in SQL took about 17 s
    of a seed's 62 on SQLite; while `flask seed` writes, its other process makes the rows
    and counts them here, in time the writer would otherwise wait."""

    def __init__(self) -> None:
        stagings = tuple(dict.fromkeys(_stagings(SUMMARIES).values()))
        self.totals: dict[tuple[str, ...], dict[tuple, list[int]]] = {
            s.dimensions: {} for s in stagings
        }
        # Each staging's table and how to take its key from an encounter's values
        # (day and month first, then _DIMENSIONS), all in C: a million rows are counted
        # here.
        self._by_encounter, self._by_rumour = [], []
        self._months: dict[date | str, date | str] = {}
        for staging in stagings:
            period = 1 if staging.grain == "month" else 0
            key_of = itemgetter(
                period, *(2 + _DIMENSIONS.index(d) for d in staging.dimensions)
            )
            group = self._by_rumour if staging.per_rumour else self._by_encounter
            group.append((self.totals[staging.dimensions], key_of))

    def add(self, encounter: NewEncounter) -> None:
        """Count one encounter (a NewEncounter, or a tuple in its order)."""
        (day, district, neighbourhood, organisation, campaign, people, outcome, setting,
         links) = encounter
        outcome_at = _OUTCOME_AT[getattr(outcome, "value", outcome)]
        setting = getattr(setting, "value", setting)
        setting_at = _SETTING_AT[setting]
        month = self._months.get(day)
        if month is None:  # a date, or its ISO text (a load's rows as SQLite takes them)
            month = self._months[day] = (
                day[:8] + "01" if isinstance(day, str) else day.replace(day=1)
            )
        values = (day, month, district, neighbourhood or 0, organisation or 0, campaign or 0,
                  SETTING_CODES[setting])
        rows = [(values, self._by_encounter)]
        rows += [((*values, rumour, rebuttal or 0), self._by_rumour) for rumour, rebuttal in links]
        for row, stagings in rows:
            for table, key_of in stagings:
                key = key_of(row)
                total = table.get(key)
                if total is None:
                    total = table[key] = [0] * len(SUMMARY_MEASURES)
                total[0] += 1
                total[1] += people
                total[outcome_at] += 1
                total[setting_at] += 1

    def take(self) -> dict[tuple[str, ...], list[tuple]]:
        """The counts so far as (day, keys..., measures...) rows for each staging's
        dimensions, in key order (rolled up about a third faster than unordered on
        SQLite), and start again from nothing."""
        rows = {
            dimensions: [(*key, *measures) for key, measures in sorted(table.items())]
            for dimensions, table in self.totals.items()
        }
        for table in self.totals.values():
            table.clear()
        return rows


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
