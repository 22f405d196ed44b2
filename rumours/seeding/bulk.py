"""Bulk loading of generated encounters: the driver's fastest path (executemany on
SQLite, COPY on PostgreSQL), the summary tables kept in step, and
`add_synthetic_encounters` for `flask seed --encounters N` (millions must work)."""

from __future__ import annotations

import gc
import multiprocessing
import queue
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from sqlalchemy import text
from sqlalchemy.engine import Engine

from .. import summaries
from ..extensions import db, insert_many
from ..models import Encounter, EncounterRumour
from .generator import EncounterContext, generate_encounters, load_context

ENCOUNTER_COLUMNS = (
    "id",
    "client_uuid",
    "content_hash",
    "agent_id",
    "organisation_id",
    "occurred_at",
    "local_day",
    "district_id",
    "neighbourhood_id",
    "setting",
    "people_reached",
    "outcome",
    "notes",
    "campaign_id",
    "created_at",
)
LINK_COLUMNS = ("encounter_id", "rumour_id", "rebuttal_id")
# Where a generated row (ENCOUNTER_COLUMNS without the id) holds what the summaries count.
_COUNTED_AT = tuple(
    ENCOUNTER_COLUMNS[1:].index(name)
    for name in ("local_day", "district_id", "neighbourhood_id", "organisation_id",
                 "campaign_id", "people_reached", "outcome", "setting")
)
# Above this many rows, bulk loads rebuild the secondary indexes once at the end.
REBUILD_INDEXES_FROM = 100_000
# Rows written (and, on a small load, counted into the summaries) per batch.
BATCH_ROWS = 50_000
# PostgreSQL: where a large load's rows wait for their burst flags (a temporary table).
_STAGED = "encounters_load"
# Rows per message from the process that makes them.
CHUNK_ROWS = 10_000


def counted(
    rows: Iterator[tuple[tuple, list]], counts: summaries.StagedCounts
) -> Iterator[tuple[tuple, list]]:
    """The rows, each added to `counts` as it passes."""
    values_of = itemgetter(*_COUNTED_AT)
    add = counts.add
    for item in rows:
        row, links = item
        add((*values_of(row), links))
        yield item


def bulk_insert_encounters(
    rows: Iterator[tuple[tuple, list]],
    total: int,
    progress: Callable[[int], None] | None = None,
    batch_size: int | None = None,
    staged: Callable[[], dict] | None = None,
) -> int:
    """Write generated encounters in large batches with the driver's fastest path
    (executemany on SQLite, COPY on PostgreSQL). Commits per batch; returns rows written.

    The summary tables get the rows' counts: `staged()` when the rows were counted where
    they were made (asked for once all rows are written, it answers
    `StagedCounts.take()`), else they are counted here."""
    dialect = db.engine.dialect.name
    batch_size = batch_size or BATCH_ROWS
    counts = None
    if staged is None:
        counts = summaries.StagedCounts()
        rows = counted(rows, counts)
        staged = counts.take
    written = 0
    next_id: int | None = None
    batch: list[tuple[tuple, list]] = []

    def flush_batch(conn) -> None:
        nonlocal written, next_id
        if dialect == "postgresql":
            # Reserve a block of ids: nothing else inserts encounters meanwhile.
            conn.execute(text("LOCK TABLE encounters IN EXCLUSIVE MODE"))
        if next_id is None or not staged_here:
            next_id = (
                conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM encounters")).scalar() or 0
            ) + 1
        encounter_rows, link_rows = [], []
        for eid, (row, links) in enumerate(batch, start=next_id):
            encounter_rows.append((eid, *row))
            link_rows.extend((eid, rumour_id, rebuttal_id) for rumour_id, rebuttal_id in links)
        next_id += len(batch)
        insert_many(conn, _STAGED if staged_here else "encounters", ENCOUNTER_COLUMNS,
                    encounter_rows)
        insert_many(conn, "encounter_rumours", LINK_COLUMNS, link_rows)
        if dialect == "postgresql" and not staged_here:
            _move_sequence(conn)
        if not rebuild and counts is not None:
            summaries.add_staged(conn, counts.take())
        written += len(batch)
        if progress:
            progress(len(batch))
        batch.clear()

    # The session's own connection: the caller's transaction rules apply (and tests
    # that roll back see the rows disappear too).
    rebuild = total >= REBUILD_INDEXES_FROM
    staged_here = False
    conn = db.session.connection()
    if dialect == "sqlite":
        # A large page cache keeps the indexes in memory while rows pour in.
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    if rebuild:
        # One transaction for everything: dropping the secondary indexes and
        # building them once at the end is several times faster than updating
        # them row by row; DDL is transactional on both databases, so an interrupted
        # load leaves the schema as it was.
        # On SQLite the first batch goes in before the indexes are dropped: its INSERT
        # opens the transaction (Python's sqlite3 would otherwise run DDL in autocommit).
        indexes = [*Encounter.__table__.indexes, *EncounterRumour.__table__.indexes]
        # On PostgreSQL the unique and foreign key constraints too, checked again once
        # at the end (by one join each, and the unique index built from sorted ids):
        # - random client ids land all over the unique index, and once it outgrows the
        #   server's buffers each row reads and dirties a page of it;
        # - each row checks its five references as it arrives.
        # SQLite cannot drop a constraint (and checks no foreign key here). Each comes
        # back as the database defined it (not from the models: SQLAlchemy's
        # AddConstraint would also leave the model's constraint out of any later
        # CREATE TABLE in this process).
        constraints = conn.execute(text(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype IN ('u', 'f')"
            " AND conrelid IN ('encounters'::regclass, 'encounter_rumours'::regclass)"
            " ORDER BY contype DESC, conname"
        )).all() if dialect == "postgresql" else []
        # On PostgreSQL the rows wait in a temporary table and go into encounters once,
        # each with its burst flag (`summaries.insert_flagged`), and the links refer to
        # them meanwhile: the constraints go before the first batch.
        staged_here = dialect == "postgresql"
        dropped = False
        if staged_here:
            _drop(conn, indexes, constraints)
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {_STAGED} ON COMMIT DROP AS"
                f" SELECT {', '.join(ENCOUNTER_COLUMNS)} FROM encounters WITH NO DATA"
            )
            dropped = True
        for item in rows:
            batch.append(item)
            if len(batch) >= batch_size:
                flush_batch(conn)
                if not dropped:
                    _drop(conn, indexes, constraints)
                    dropped = True
        if batch:
            flush_batch(conn)
        if staged_here:
            summaries.insert_flagged(conn, _STAGED, ENCOUNTER_COLUMNS)
            conn.exec_driver_sql(f"DROP TABLE {_STAGED}")
            _move_sequence(conn)
        else:
            # The burst flags before the indexes come back: a flag that changes writes
            # a new version of its row (a million with 464,605 flags: 74.5 → 65.9 s on
            # SQLite with the indexes back after it).
            summaries.recount_all_bursts(conn)
        if dropped:
            for table, name, definition in constraints:
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            for index in indexes:
                index.create(conn)
        # The summary tables get the whole load at once, not one batch at a time.
        summaries.add_staged(conn, staged())
        db.session.commit()
    else:
        for item in rows:
            batch.append(item)
            if len(batch) >= batch_size:
                flush_batch(conn)
                db.session.commit()
                conn = db.session.connection()
        if batch:
            flush_batch(conn)
        if counts is None:  # counted where the rows were made: complete only now
            summaries.add_staged(conn, staged())
        summaries.recount_all_bursts(db.session.connection())
        db.session.commit()
    if dialect == "sqlite":
        db.session.connection().exec_driver_sql("PRAGMA cache_size=-2000")
        db.session.commit()
    if written and dialect == "postgresql":
        _tidy_after_load(rebuild)
    return written


def _drop(conn, indexes, constraints) -> None:
    for index in indexes:
        index.drop(conn)
    for table, name, _definition in constraints:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def _move_sequence(conn) -> None:
    """PostgreSQL: the ids' sequence past the ids the load gave itself."""
    conn.execute(text(
        "SELECT setval(pg_get_serial_sequence('encounters', 'id'), "
        "(SELECT MAX(id) FROM encounters))"
    ))


def _tidy_after_load(rebuilt: bool) -> None:
    """PostgreSQL, after a committed load: fresh statistics for the planner (without
    them, after a load of millions, PostgreSQL looked up the small tables once per row;
    autovacuum gets there only later), and after a large load a VACUUM as well.

    No page of a freshly loaded table is marked all-visible, so no index-only scan can
    skip the table until a VACUUM has run. A rumour in an organisation's year read 210
    to 345 ms on the million as loaded, 112 to 115 ms after a VACUUM (6.6 s; the load
    then also left a dead version of each row its flags' UPDATE changed). VACUUM cannot
    run in a transaction: it runs on its own connection, and only when the session is
    not bound to one connection (a caller's transaction, as in tests, whose locks it
    would wait for), which gets ANALYZE alone."""
    tables = ["encounters", "encounter_rumours", *(s.name for s in summaries.SUMMARIES)]
    if rebuilt and isinstance(db.session.get_bind(), Engine):
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")
        return
    connection = db.session.connection()
    for table in tables:
        connection.exec_driver_sql(f"ANALYZE {table}")
    db.session.commit()


def _random_uuids(rng: random.Random) -> Callable[[int], uuid.UUID]:
    return lambda _i: uuid.UUID(int=rng.getrandbits(128), version=4)


def _produce(ctx: EncounterContext, seed: int, count: int, channel, chunk: int) -> None:
    """Child process: generate rows and send them in chunks (None ends), then their
    counts for the summaries. A thread sends while this one goes on generating, up to
    four chunks ahead of the writer (as multiprocessing's Queue would, but over a pipe
    only this process writes to: see add_synthetic_encounters)."""
    # Nothing made here holds a cycle, and the counts grow to a million objects that the
    # collector would go through again and again.
    gc.disable()
    outbox: queue.Queue = queue.Queue(maxsize=4)
    stop = object()

    def send() -> None:
        while (message := outbox.get()) is not stop:
            channel.send(message)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    rng = random.Random(seed)
    counts = summaries.StagedCounts()
    buffer = []
    for item in counted(generate_encounters(ctx, rng, count, _random_uuids(rng)), counts):
        buffer.append(item)
        if len(buffer) >= chunk:
            outbox.put(buffer)
            buffer = []
    if buffer:
        outbox.put(buffer)
    outbox.put(None)
    # Put in order while the writer still writes and builds its indexes.
    outbox.put(counts.take())
    outbox.put(stop)
    sender.join()
    channel.close()


def _receive(channel, producer):
    """The producer's next message; an error, not a wait without end, if it died (before
    or while sending: the pipe then ends, since only the producer holds its sending end)."""
    try:
        return channel.recv()
    except (EOFError, OSError):
        producer.join(timeout=5)
        raise RuntimeError(
            f"The process making the encounters stopped (exit code {producer.exitcode}); "
            "nothing of this load was kept."
        ) from None


def _drain(channel, producer) -> Iterator[tuple[tuple, list]]:
    while (chunk := _receive(channel, producer)) is not None:
        yield from chunk


def add_synthetic_encounters(
    count: int, progress: Callable[[int], None] | None = None, seed: int | None = None
) -> int:
    """Add `count` random encounters over the past year (for load and dashboard tests).

    Large loads generate rows in a second process while this one writes, so the
    two cores work at once.
    """
    today = datetime.now(UTC).date()
    rng = random.Random(seed)
    ctx = load_context(today - timedelta(days=365), today - timedelta(days=1), rng)
    db.session.commit()
    if count < REBUILD_INDEXES_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return bulk_insert_encounters(
            generate_encounters(ctx, rng, count, _random_uuids(rng)), count, progress
        )
    fork = multiprocessing.get_context("fork")
    receiving, sending = fork.Pipe(duplex=False)
    producer = fork.Process(
        target=_produce,
        args=(ctx, rng.getrandbits(64), count, sending, CHUNK_ROWS),
        daemon=True,
    )
    producer.start()
    # Only the producer sends: should it die, even in the middle of a message, reading
    # meets the end of the pipe instead of waiting for bytes nobody will write.
    sending.close()
    try:
        return bulk_insert_encounters(
            _drain(receiving, producer),
            count,
            progress,
            staged=lambda: _receive(receiving, producer),
        )
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join()
        receiving.close()
