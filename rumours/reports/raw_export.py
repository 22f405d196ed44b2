"""The raw conversation export as bytes, fast (coordinators only): the same file, byte for
byte, as `reports.raw.raw_encounters_csv` writes through `exports.csvfiles`, read and
formatted with as little Python per row as each database allows.

- PostgreSQL formats every cell itself (city time with its offset, formula escaping,
  mentions joined in code-point order) and streams the rows with `COPY ... TO STDOUT`
  in CSV, whose quoting rules are the csv module's; Python only turns LF into CRLF.
- SQLite (`raw_export_sqlite`) reads plain tuples (its stored text) through the
  driver's cursor, each window's links grouped into one text per conversation and
  then its rows, in one read transaction, and writes each row as one f-string: no
  ORM rows, each name escaped and quoted once, each distinct set of mentions joined
  once, the city time of each stored hour worked out once. (Formatting in SQL, as on
  PostgreSQL, measured slower there: SQLite evaluates expressions more slowly than
  Python looks names up; and csv.writer, which looks at every character of every
  cell, took more than half of the Python's time.)

Both read windows of ids and end each window's read transaction before yielding, as
`reports.raw` does: memory stays flat whatever the export's size, and no transaction
is held while the client downloads."""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import String, case, cast, func, literal, select, type_coerce
from sqlalchemy.engine import Engine

from ..exports.csvfiles import BYTE_ORDER_MARK, RAW_ENCOUNTER_COLUMNS, csv_text
from ..extensions import db
from ..models import (
    AgentProfile,
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Neighbourhood,
    Organisation,
    Outcome,
    Rebuttal,
    Rumour,
    Setting,
)
from ..rules.localtime import city_timezone
from ..rules.suppression import FORMULA_PREFIXES
from .filters import StatsFilter
from .raw import HIGH, LOW, compiled_window, encounter_conditions
from .raw_export_sqlite import written

# Ids per window, by database: each window's file is held in memory (about 200 bytes a
# row, a few copies on the way out), a fixed cost per statement spread over many rows.
WINDOWS = {"postgresql": 20_000, "sqlite": 20_000}
HEADER = (BYTE_ORDER_MARK + csv_text([RAW_ENCOUNTER_COLUMNS])).encode()


def raw_export_csv(
    filters: StatsFilter, window: int | None = None, sparse: bool | None = None,
    helper: bool | None = None,
) -> Iterator[bytes]:
    """Coordinators: every encounter in the filter as UTF-8 CSV, the header and then one
    chunk per window of `window` ids (by default the database's) that holds any row;
    the same bytes as `reports.raw.raw_encounters_csv` encoded.

    `sparse` (tests) fixes which statement reads the windows' mentions: None lets the
    windows already read decide (see `_copied` and `raw_export_sqlite.written`); `helper`
    (tests, SQLite) whether a helper process formats every other window, None letting
    the export's length decide."""
    yield HEADER
    session = db.session
    dialect = session.get_bind().dialect.name
    window = window or WINDOWS.get(dialect, WINDOWS["sqlite"])
    e = Encounter.__table__.c
    conditions = encounter_conditions(filters)
    first, last = session.execute(select(func.min(e.id), func.max(e.id)).where(*conditions)).one()
    session.rollback()
    if first is None:
        return
    if dialect == "postgresql":
        chunks = _copied(session, conditions, first, last, window, sparse)
    else:
        chunks = written(session, conditions, first, last, window, sparse, helper)
    for chunk in chunks:
        if chunk:
            yield chunk


# ---------------------------------------------------------------------------
# PostgreSQL: COPY writes the CSV
# ---------------------------------------------------------------------------

def _escaped(text):
    """`escape_formula` in SQL: a quote before a leading = + - @ tab or CR."""
    return case(
        (func.substr(text, 1, 1).in_(FORMULA_PREFIXES), literal("'", String) + text),
        else_=text,
    )


def _cell(text):
    """A text cell: escaped, and '' as NULL, since COPY writes NULL as an empty cell (as
    the csv module writes None and '') but '' as a quoted pair."""
    return func.nullif(_escaped(text), "")


def _cells(name: str, key, text, *joins):
    """A small table's cells, (key, cell) worked out once per statement: a MATERIALIZED
    CTE, so the escaping runs once per name rather than once per exported row."""
    query = select(key.label("key"), text.label("cell"))
    for table, on in joins:
        query = query.outerjoin(table, on)
    return query.cte(name).prefix_with("MATERIALIZED")


def _enum_cell(column, enum_cls):
    """A stored enum value as a cell: its CHECK constraint allows only the enum's values,
    escaped here only if one of them could ever need it."""
    if any(member.value.startswith(FORMULA_PREFIXES) for member in enum_cls):
        return _cell(type_coerce(column, String))
    return type_coerce(column, String)


def _copy_statement(conditions: list, sparse: bool):
    """The export's SELECT on PostgreSQL for the window (:low, :high]: the moment as
    ISO 8601 in the session's time zone, names from once-escaped cells, each
    encounter's mentions joined by string_agg in code-point order.

    `sparse`: the mentions of the rows the filter keeps only (the links joined to the
    window's encounters again), else of every id in the window: cheaper when the
    filter keeps most ids, costly when it keeps few (docs/performance.md)."""
    e, link = Encounter.__table__, EncounterRumour.__table__
    rumour, rebuttal = Rumour.__table__, Rebuttal.__table__
    names = {
        model.__tablename__: _cells(f"{model.__tablename__}_cells", key, _cell(text))
        for model, key, text in (
            (District, District.id, District.slug),
            (Neighbourhood, Neighbourhood.id, Neighbourhood.slug),
            (Campaign, Campaign.id, Campaign.slug),
            (Organisation, Organisation.id, Organisation.slug),
            (AgentProfile, AgentProfile.user_id, AgentProfile.pseudonym),
        )
    }
    slugs = _cells("rumour_cells", rumour.c.id, func.coalesce(_escaped(rumour.c.slug), ""))
    versions = _cells(
        "rebuttal_cells", rebuttal.c.id,
        _escaped(func.coalesce(rumour.c.slug, "") + ":" + rebuttal.c.language + ":v"
                 + cast(rebuttal.c.version, String)),
        (rumour, rumour.c.id == rebuttal.c.rumour_id),
    )
    # string_agg(... ORDER BY ...) sorts every group on its own (tens of µs a group on
    # PostgreSQL 15). Instead the aggregate reads a subquery sorted by encounter and
    # (slug, version) in code-point order (COLLATE "C" on a UTF-8 database), as the
    # Python writer sorts: a subquery with ORDER BY is not flattened and its rows reach
    # the aggregate in that order (the way PostgreSQL's documentation of aggregates
    # offers). The equality test holds it to the Python writer.
    listed = (
        select(link.c.encounter_id, slugs.c.cell.label("slug"), versions.c.cell.label("version"))
        .join(slugs, slugs.c.key == link.c.rumour_id)
        .outerjoin(versions, versions.c.key == link.c.rebuttal_id)
        .where(link.c.encounter_id > LOW, link.c.encounter_id <= HIGH)
    )
    if sparse:
        listed = listed.join(e, e.c.id == link.c.encounter_id).where(
            e.c.id > LOW, e.c.id <= HIGH, *conditions
        )
    listed = listed.order_by(
        link.c.encounter_id, slugs.c.cell.collate("C"), versions.c.cell.collate("C")
    ).subquery("listed")
    mentions = (
        select(
            listed.c.encounter_id,
            func.nullif(func.string_agg(listed.c.slug, literal(";")), "").label("rumours"),
            func.string_agg(listed.c.version, literal(";")).label("versions"),
        )
        .group_by(listed.c.encounter_id)
        .subquery("mentions")
    )
    c = e.c
    moment = func.to_char(
        type_coerce(c.occurred_at, String).op("AT TIME ZONE")("UTC"),
        'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM',
    )
    joined = [
        (names["districts"], c.district_id), (names["neighbourhoods"], c.neighbourhood_id),
        (names["campaigns"], c.campaign_id), (names["organisations"], c.organisation_id),
        (names["agent_profiles"], c.agent_id),
    ]
    query = select(
        c.id, moment, c.local_day,
        names["districts"].c.cell, names["neighbourhoods"].c.cell,
        _enum_cell(c.setting, Setting), c.people_reached, _enum_cell(c.outcome, Outcome),
        mentions.c.rumours, mentions.c.versions,
        names["campaigns"].c.cell, names["organisations"].c.cell, names["agent_profiles"].c.cell,
    ).select_from(e)
    for cells, key in joined:
        query = query.outerjoin(cells, cells.c.key == key)
    return (
        query.outerjoin(mentions, mentions.c.encounter_id == c.id)
        .where(c.id > LOW, c.id <= HIGH, *conditions)
        .order_by(c.id)
    )


# Below this share of a window's ids kept by the filter, the next windows gather the
# mentions of the kept rows only (`_copy_statement`'s `sparse`).
SPARSE_BELOW = 0.5
# Windows in flight at once on PostgreSQL. The server formats the rows (one process per
# connection, one core each) while Python only moves bytes: with a second window's COPY
# running on its own connection while the first one's bytes are handed on, both cores
# work. Each window still ends its own read transaction; at most AHEAD windows are held.
AHEAD = 2


def _copied(
    session, conditions: list, first: int, last: int, window: int, sparse: bool | None
) -> Iterator[bytes]:
    """Each window's rows through COPY, read to the end before its transaction ends.

    Unless `sparse` is given, each window's statement follows the share of ids the
    filter kept in the last window read (the first ones read every id's mentions)."""
    statements = {}
    for kind in (False, True):
        compiled = compiled_window(session, _copy_statement(conditions, kind))
        statements[kind] = (f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params)
    zone = city_timezone().key
    lows = range(first - 1, last, window)
    kept = 1.0  # the share of the last window's ids that the filter kept

    def statement(low: int) -> tuple[str, dict]:
        copy_sql, params = statements[kept < SPARSE_BELOW if sparse is None else sparse]
        return copy_sql, {**params, "low": low, "high": low + window}

    def read(chunk: bytes) -> bytes:
        nonlocal kept
        # Lines, not rows (a name may hold a line break): a rough share is enough.
        kept = chunk.count(b"\n") / window
        return chunk

    bind = session.get_bind()
    if not isinstance(bind, Engine) or len(lows) < 2:
        # A session bound to one connection (a caller's open transaction, whose rows
        # other connections cannot see yet) reads its windows on that connection.
        for low in lows:
            chunk = _copy_window(session.connection().connection.driver_connection,
                                 *statement(low), zone)
            session.rollback()
            yield read(chunk)
        return
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="export") as pool:
        try:
            for low in lows:
                pending.append(pool.submit(_copy_on_own_connection, bind, *statement(low), zone))
                if len(pending) >= AHEAD:
                    yield read(pending.popleft().result())
            while pending:
                yield read(pending.popleft().result())
        finally:
            # The client went away: windows not started are dropped, running ones end.
            for future in pending:
                future.cancel()


def _copy_on_own_connection(engine: Engine, copy_sql: str, params: dict, zone: str) -> bytes:
    with engine.connect() as connection:
        try:
            return _copy_window(connection.connection.driver_connection, copy_sql, params, zone)
        finally:
            connection.rollback()


def _copy_window(raw, copy_sql: str, params: dict, zone: str) -> bytes:
    """One window through COPY on the driver connection `raw`, as CRLF-ended CSV."""
    cursor = raw.cursor()
    try:
        # For this transaction only: TZH:TZM write the session's offset, so the city's;
        # a date is written YYYY-MM-DD (ISO DateStyle, cheaper than to_char); the
        # window's sorts stay in memory; and the small tables are hashed rather than
        # looked up once per row, as the planner would choose when the table's
        # statistics are missing or stale (after a bulk load).
        cursor.execute(
            "SELECT set_config('TimeZone', %s, true),"
            " set_config('DateStyle', 'ISO, YMD', true),"
            " set_config('work_mem', '64MB', true), set_config('enable_nestloop', 'off', true)",
            (zone,),
        )
        chunk = bytearray()
        with cursor.copy(copy_sql, params) as copy:
            while row := copy.read():
                chunk += row
    finally:
        cursor.close()
    return _crlf(chunk)


def _crlf(chunk: bytearray) -> bytes:
    """COPY's CSV (rows ended by LF) with rows ended by CRLF as the csv module ends them.
    A cell holding a line break is quoted, so in a chunk without quotes every LF ends a
    row; a chunk with quotes (rare: slugs and pseudonyms hold none) is read and written
    again by the csv module, which quotes by the same rule as COPY."""
    if b'"' not in chunk:
        return bytes(chunk.replace(b"\n", b"\r\n"))
    rows = csv.reader(io.StringIO(chunk.decode(), newline=""))
    return csv_text(rows).encode()
