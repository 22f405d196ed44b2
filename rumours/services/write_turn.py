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
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

try:
    import fcntl
except ImportError:  # not on this platform: SQLite's busy handler alone
    fcntl = None

_KEY = "write_turn"
# How long a writer waits on this process's lock before checking that its holder's
# transaction is still running.
_RECHECK_SECONDS = 1.0
_log = logging.getLogger(__name__)


class _Turn:
    """A turn held by one session's transaction; `end` may be called more than once and
    from any thread."""

    def __init__(self, place: _Place, descriptor: int, session: Session):
        self.place = place
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


_places: dict[str, _Place] = {}
_places_guard = threading.Lock()


def _place_for(path: str) -> _Place:
    with _places_guard:
        return _places.setdefault(path, _Place())


def _database_file(session: Session) -> str | None:
    """The SQLite file the session writes to, or None (another database, memory). Asking
    for the connection begins the session's transaction (SQLite's own begins only at the
    first write), so its end, which ends the turn, is sure to come."""
    url = session.connection().engine.url
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
    path = _database_file(session)
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
    turn = _Turn(place, descriptor, session)
    place.holder = turn
    session.info[_KEY] = turn


@event.listens_for(Session, "after_transaction_end")
def _end_turn(session: Session, transaction) -> None:
    if transaction.parent is None and _KEY in session.info:
        session.info.pop(_KEY).end()
