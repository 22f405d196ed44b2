"""Bulk loads and checks: seeding, `flask stats rebuild` and `flask stats check`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Column,
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


def _finest(summary: Summary, among: tuple[Summary, ...]) -> Summary:
    """The day table every row of `summary` can be summed from: of the per-encounter or
    per-rumour day tables `among`, the one with the most dimensions (a superset of every
    other's)."""
    finest = max(
        (c for c in among if c.grain == "day" and c.per_rumour == summary.per_rumour),
        key=lambda c: len(c.dimensions),
    )
    if not set(summary.dimensions) <= set(finest.dimensions):
        raise LookupError(summary.name)
    return finest


def _bulk_table(finest: Summary) -> Table:
    """A temporary table shaped like `finest`, holding one load's contribution."""
    source = finest.table
    return Table(
        f"bulk_{source.name}",
        MetaData(),
        *(Column(c.name, c.type) for c in source.columns),
        prefixes=["TEMPORARY"],
    )


def _add_in_bulk(connection, where: str, values: dict, chosen: tuple[Summary, ...]) -> None:
    """Add many encounters at once to the `chosen` tables. A million rows read once per
    table (some joined with their rumours) cost most of a seed; instead the rows are
    read twice, into one temporary table per kind (per encounter, per rumour) at the
    finest grain, and every summary table is summed from those."""
    dialect = connection.dialect.name
    finest = {_finest(s, chosen) for s in chosen}
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
    for summary in chosen:
        table = staged[_finest(summary, chosen)]
        keys = [
            _period_of(summary.grain, table.c.period_start),
            *(table.c[f"{d}_id"] for d in summary.dimensions),
        ]
        if summary == _finest(summary, chosen):
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
