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
"""

from __future__ import annotations

import logging
import os
import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

try:
    import fcntl
except ImportError:  # not on this platform: SQLite's busy handler alone
    fcntl = None

_KEY = "write_turn"
# One lock per database file for this process's threads (a few bytes each).
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_log = logging.getLogger(__name__)


def _lock_for(path: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


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
    return os.path.abspath(database)


def take_write_turn(session: Session) -> None:
    """Wait for this session's turn to write (SQLite files only; once per transaction).
    Call before the transaction's first write; the turn is kept until it ends. Where the
    turn's file cannot be opened, the write goes ahead without one (SQLite's busy handler
    still orders it)."""
    if _KEY in session.info:
        return
    path = _database_file(session)
    if path is None:
        return
    lock = _lock_for(path)
    lock.acquire()
    try:
        # Opened per turn and closed at its end (which lets go of the flock): nothing
        # stays open per database file.
        descriptor = os.open(path + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        lock.release()
        _log.warning("writing without a turn: %s", error)
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        lock.release()
        raise
    session.info[_KEY] = (lock, descriptor)


@event.listens_for(Session, "after_transaction_end")
def _end_turn(session: Session, transaction) -> None:
    if transaction.parent is not None or _KEY not in session.info:
        return
    lock, descriptor = session.info.pop(_KEY)
    try:
        os.close(descriptor)
    finally:
        lock.release()
