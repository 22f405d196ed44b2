"""Bulk loads and checks: seeding, `flask stats rebuild` and `flask stats check`."""

from __future__ import annotations

from collections.abc import Iterable

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

from ..models import (
    SUMMARY_MEASURES,
)
from .tables import (
    _WHERE,
    SUMMARIES,
    Summary,
    _aggregate,
    _key_names,
    _period_of,
)


def add_encounters(connection, first_id: int, last_id: int) -> None:
    """Count encounters `first_id`..`last_id` (a bulk load that bypassed the ORM)."""
    _add_in_bulk(connection, "range", {"first": first_id, "last": last_id}, SUMMARIES)


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
    return found


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
    dialect = connection.dialect.name
    stagings = _stagings(chosen)
    staged = {}
    for number, staging in enumerate(dict.fromkeys(stagings.values())):
        table = _bulk_table(staging, number)
        table.drop(connection, checkfirst=True)
        table.create(connection)
        connection.execute(
            insert(table).from_select(
                [*_key_names(staging), *SUMMARY_MEASURES],
                _aggregate(staging, _WHERE[where](), 1).order_by(None),
            ),
            values,
        )
        staged[staging] = table
    for summary in chosen:
        staging = stagings[summary]
        table = staged[staging]
        keys = [
            _period_of(summary.grain, table.c.period_start),
            *(table.c[f"{d}_id"] for d in summary.dimensions),
        ]
        if summary.grain == "day" and summary.dimensions == staging.dimensions:
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
