"""Writers on one SQLite file take turns through the kernel, not SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the file locked sleeps
in SQLite's busy handler and looks again after 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50,
100 ms: under load it wakes long after the lock came free (a conversation's write holds
it about a millisecond), and those sleeps were most of the POST's p99. The hot write
path (an agent's conversation) takes a turn first: a lock in this process for the app
server's threads and an exclusive `flock` on a file beside the database for the other
worker processes on this machine, which the kernel hands to the next writer as soon as
it is released. The turn ends with the session's transaction (commit, rollback or
close). Writers that take no turn still meet the busy handler as before, so correctness
never depends on the turn; PostgreSQL's writers need none.

What cannot happen: a thread waiting on itself (a thread that holds the turn in one
session writes in another without one: SQLite orders them as before), or a turn held
forever by a transaction that ended without SQLAlchemy telling us (a rollback that
failed on a disk error): the next writer in this process finds its session out of a
transaction and ends the turn for it, and one waiting in this process looks again every
second. A process that dies lets go of its `flock` with it.

SQLite copies its log (the WAL) back into the database file, a checkpoint with two
fsyncs, inside the COMMIT that finds the log longer than a thousand pages: about every
40th conversation's commit, 9 ms, and with the turn still held every other writer
waited behind it. A connection holding the turn leaves that copy out
(`wal_autocheckpoint=0` until it returns to the pool); every CHECKPOINT_EVERY turns this
process copies the log itself, once the turn is free and, in a request, after the
response has gone out. A PASSIVE checkpoint waits for no one: readers and writers carry
on while it copies. Other writers keep SQLite's own checkpoints.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from functools import lru_cache

from flask import after_this_request, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.pool import Pool

try:
    import fcntl
except ImportError:  # not on this platform: SQLite's busy handler alone
    fcntl = None

_KEY = "write_turn"
# How long a writer waits on this process's lock before checking that its holder's
# transaction is still running.
_RECHECK_SECONDS = 1.0
# Turns this process ends between two copies of the log into the database: with a
# conversation writing about 26 pages, 8 turns in each of 4 workers keep the log near
# SQLite's own threshold of 1,000 pages (about 4 MB).
CHECKPOINT_EVERY = 8
_SQLITE_AUTOCHECKPOINT = 1000  # SQLite's default, restored when the connection returns
_AUTOCHECKPOINT_OFF = "write_turn_autocheckpoint_off"
_log = logging.getLogger(__name__)


class _Turn:
    """A turn held by one session's transaction; `end` may be called more than once and
    from any thread."""

    def __init__(self, place: _Place, descriptor: int, session: Session, engine: Engine):
        self.place = place
        self.engine = engine
        self.descriptor = descriptor
        self.session = weakref.ref(session)
        self.thread = threading.get_ident()
        self._ended = False
        self._guard = threading.Lock()

    def orphaned(self) -> bool:
        """Its session is gone or no longer in a transaction, yet the turn was not ended."""
        session = self.session()
        return session is None or not session.in_transaction()

    def end(self) -> None:
        with self._guard:
            if self._ended:
                return
            self._ended = True
        try:
            os.close(self.descriptor)  # lets go of the flock
        finally:
            self.place.holder = None
            self.place.lock.release()


class _Place:
    """One database file's turns in this process: the lock and who holds it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.holder: _Turn | None = None
        self.turns = 0  # ended since this process last copied the log (never reset)

    def checkpoint_due(self) -> bool:
        """Count an ending turn; True every CHECKPOINT_EVERY turns. Called by the turn's
        holder, so the count needs no lock of its own."""
        self.turns += 1
        return self.turns % CHECKPOINT_EVERY == 0


_places: dict[str, _Place] = {}
_places_guard = threading.Lock()


def _place_for(path: str) -> _Place:
    with _places_guard:
        return _places.setdefault(path, _Place())


def _database_file(connection: Connection) -> str | None:
    """The SQLite file the connection writes to, or None (another database, memory)."""
    url = connection.engine.url
    if url.get_backend_name() != "sqlite" or fcntl is None:
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return _real_path(database)


@lru_cache(maxsize=16)
def _real_path(database: str) -> str:
    """The file behind a configured path (a symlinked database gets one lock file),
    resolved once per process rather than with a system call per component on every
    write."""
    return os.path.realpath(database)


def _acquire(place: _Place) -> bool:
    """This process's lock for the file; False (write without a turn) when this thread
    already holds it in another session."""
    while True:
        holder = place.holder
        if holder is not None:
            if holder.orphaned():
                holder.end()
            elif holder.thread == threading.get_ident():
                return False
        if place.lock.acquire(timeout=_RECHECK_SECONDS):
            return True


def take_write_turn(session: Session | scoped_session) -> None:
    """Wait for this session's turn to write (SQLite files only; once per transaction).
    Call before the transaction's first write; the turn is kept until it ends. Where the
    turn's file cannot be opened, the write goes ahead without one."""
    if isinstance(session, scoped_session):
        session = session()  # this thread's own session (db.session is a proxy)
    if _KEY in session.info:
        return
    # Asking for the connection begins the session's transaction (SQLite's own begins
    # only at the first write), so its end, which ends the turn, is sure to come.
    connection = session.connection()
    path = _database_file(connection)
    if path is None:
        return
    place = _place_for(path)
    if not _acquire(place):
        return
    try:
        # Opened per turn and closed at its end: nothing stays open per database file.
        descriptor = os.open(path + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        place.lock.release()
        _log.warning("writing without a turn: %s", error)
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        place.lock.release()
        raise
    turn = _Turn(place, descriptor, session, connection.engine)
    place.holder = turn
    session.info[_KEY] = turn
    _pause_autocheckpoint(connection)


@event.listens_for(Session, "after_transaction_end")
def _end_turn(session: Session, transaction) -> None:
    if transaction.parent is None and _KEY in session.info:
        turn = session.info.pop(_KEY)
        due = turn.place.checkpoint_due()  # counted while the turn still orders writers
        turn.end()
        if due:
            _checkpoint_soon(turn.engine)


# ---------------------------------------------------------------------------
# The log's copy into the database, out of the turn
# ---------------------------------------------------------------------------


def _pause_autocheckpoint(connection: Connection) -> None:
    """No checkpoint in this connection's commits until it returns to the pool."""
    pooled = connection.connection
    pooled.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
    pooled.info[_AUTOCHECKPOINT_OFF] = True


@event.listens_for(Pool, "checkin")
def _resume_autocheckpoint(dbapi_connection, connection_record) -> None:
    """A connection back in the pool checkpoints in its commits again, as SQLite's own."""
    if connection_record is None or not connection_record.info.pop(_AUTOCHECKPOINT_OFF, False):
        return
    if dbapi_connection is None:  # invalidated on the way: no connection to restore
        return
    try:
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={_SQLITE_AUTOCHECKPOINT}")
    except Exception as error:  # a broken connection: the pool discards it on next use
        _log.warning("could not restore SQLite's checkpoints: %s", error)


def checkpoint(engine: Engine) -> None:
    """Copy what SQLite's log holds into the database file, as far as readers allow,
    without waiting for anyone (PASSIVE). What it cannot copy now the next one does."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()
    except Exception as error:  # after the response: nobody to answer, nothing lost
        _log.warning("SQLite checkpoint failed: %s", error)


def _checkpoint_soon(engine: Engine) -> None:
    """In a request, once its response has gone out (the agent does not wait for the
    fsyncs); elsewhere, now (also a transaction that a request left to Flask's teardown,
    where the request has already ended: an error's answer waits for the copy). A
    session bound to a connection it never returns to the pool keeps that connection's
    checkpoints paused; these copies still keep the log short."""
    if not has_request_context():
        checkpoint(engine)
        return

    @after_this_request
    def after_sending(response):
        response.call_on_close(lambda: checkpoint(engine))
        return response
