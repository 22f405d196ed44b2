"""Writers on a SQLite file take turns (`rumours.services.write_turn`): a conversation's
write holds the turn from its INSERT until its transaction ends, however it ends, so
the next writer is woken at once and no request leaves it held."""

import fcntl
import os
import threading
import uuid

import pytest

from rumours.extensions import db
from rumours.services import write_turn
from rumours.services.write_turn import take_write_turn

from .test_api_encounters import catalogue, logged_in_agent, payload, post  # noqa: F401

# The turn is SQLite's: these run on the SQLite parameter of the `app` fixture only (the
# first test checks that PostgreSQL takes none).
SQLITE_ONLY = pytest.mark.parametrize("app", ["sqlite"], indirect=True)


def _sqlite_file(app) -> str | None:
    with app.app_context():
        url = db.engine.url
    return os.path.realpath(url.database) if url.get_backend_name() == "sqlite" else None


def turn_is_free(path: str) -> bool:
    """Whether another writer (another thread, another worker process) could take the
    turn now."""
    if write_turn._place_for(path).lock.locked():
        return False
    descriptor = os.open(path + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing the descriptor also lets go of a lock it took
    return True


@pytest.mark.parametrize("end", ["commit", "rollback", "remove"])
def test_the_turn_lasts_until_the_transaction_ends(app, end):
    path = _sqlite_file(app)
    with app.app_context():
        take_write_turn(db.session)
        take_write_turn(db.session)  # once per transaction: a second call waits for nothing
        if path is None:
            # PostgreSQL's writers need no turn: its row locks queue them.
            assert "write_turn" not in db.session.info
            return
        assert not turn_is_free(path)
        getattr(db.session, end)()
        assert turn_is_free(path)
        assert "write_turn" not in db.session.info


@SQLITE_ONLY
def test_a_posted_conversation_ends_its_turn_whatever_the_answer(
    app, client, create_user, catalogue, monkeypatch  # noqa: F811
):
    path = _sqlite_file(app)
    token = logged_in_agent(client, create_user)
    from rumours import summaries

    # While the conversation's rows are written, the turn is held.
    held, write = [], summaries.write_contributions

    def watched(connection, changes, **kwargs):
        held.append(not turn_is_free(path))
        write(connection, changes, **kwargs)

    monkeypatch.setattr(summaries, "write_contributions", watched)
    body = payload()
    assert post(client, token, body).status_code == 201
    assert held == [True]
    assert turn_is_free(path)
    assert post(client, token, body).status_code == 200  # a replay
    assert turn_is_free(path)
    assert post(client, token, {**body, "people_reached": 9}).status_code == 422  # other content
    assert turn_is_free(path)

    # A failure after the turn was taken (here: writing the summaries) still ends it,
    # and stores nothing.
    def broken(connection, changes, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(summaries, "write_contributions", broken)
    failing = payload(client_uuid=str(uuid.uuid4()))
    assert post(client, token, failing).status_code == 500
    assert turn_is_free(path)
    monkeypatch.undo()
    assert post(client, token, failing).status_code == 201
    assert turn_is_free(path)


@SQLITE_ONLY
def test_without_its_file_the_write_goes_ahead_without_a_turn(
    app, client, create_user, catalogue, monkeypatch  # noqa: F811
):
    """A turn file that cannot be opened (a read-only folder, say) costs no conversation:
    SQLite's own lock still orders the writers."""
    def refused(*args, **kwargs):
        raise PermissionError("read-only folder")

    token = logged_in_agent(client, create_user)
    monkeypatch.setattr(write_turn.os, "open", refused)
    assert post(client, token, payload()).status_code == 201
    monkeypatch.undo()
    assert post(client, token, payload()).status_code == 201


def _in_a_thread(work, seconds: float = 10) -> None:
    """Run `work` in another thread; fail (rather than hang) if it does not end."""
    errors = []

    def run():
        try:
            work()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the writer waited for a turn that never came"
    assert not errors, errors


@SQLITE_ONLY
def test_a_thread_writing_in_a_second_session_does_not_wait_on_itself(app):
    path = _sqlite_file(app)

    def two_sessions():
        with app.app_context():
            take_write_turn(db.session)
            with app.app_context():  # another session, the same thread
                take_write_turn(db.session)
                assert "write_turn" not in db.session.info  # it goes without one
                db.session.rollback()
            assert not turn_is_free(path)
            db.session.commit()
        assert turn_is_free(path)

    _in_a_thread(two_sessions)


@SQLITE_ONLY
def test_a_turn_whose_transaction_ended_unseen_is_ended_by_the_next_writer(app):
    """A rollback that fails (a disk error) ends the transaction without the event that
    ends the turn; the next writer finds the session out of a transaction and goes on."""
    path = _sqlite_file(app)
    with app.app_context():
        take_write_turn(db.session)
        db.session.info.pop("write_turn")  # as if its end had never been seen
        db.session.rollback()
        assert not turn_is_free(path)

    def next_writer():
        with app.app_context():
            take_write_turn(db.session)
            assert "write_turn" in db.session.info
            db.session.commit()

    _in_a_thread(next_writer)
    assert turn_is_free(path)


# ---------------------------------------------------------------------------
# SQLite's log copied into the database out of the turn
# ---------------------------------------------------------------------------


def _autocheckpoint(dbapi_connection) -> int:
    return dbapi_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def _watch_every_copy(monkeypatch, path: str) -> list[bool]:
    """Copy the log at every turn's end, and note for each copy whether the turn was
    free when it started."""
    monkeypatch.setattr(write_turn, "CHECKPOINT_EVERY", 1)
    copies, copy = [], write_turn.checkpoint

    def watched(engine):
        copies.append(turn_is_free(path))
        copy(engine)

    monkeypatch.setattr(write_turn, "checkpoint", watched)
    return copies


@SQLITE_ONLY
def test_a_turns_commit_leaves_the_log_copy_to_after_the_turn(app):
    """The commit that ends a turn does not copy the log into the database (the copy's
    fsyncs would keep every other writer waiting); the connection copies again as SQLite
    does by default once it is back in the pool, for whatever it writes next."""
    with app.app_context():
        take_write_turn(db.session)
        raw = db.session.connection().connection.driver_connection
        assert _autocheckpoint(raw) == 0
        db.session.commit()
        assert _autocheckpoint(raw) == 1000
        db.session.connection()  # a new transaction, without a turn
        assert _autocheckpoint(db.session.connection().connection.driver_connection) == 1000
        db.session.rollback()


@SQLITE_ONLY
def test_the_log_is_copied_once_the_response_is_out_and_the_turn_free(
    app, client, create_user, catalogue, monkeypatch  # noqa: F811
):
    path = _sqlite_file(app)
    token = logged_in_agent(client, create_user)
    copies = _watch_every_copy(monkeypatch, path)
    response = post(client, token, payload(), buffered=False)
    assert response.status_code == 201
    assert copies == []  # the agent has the answer before the copy starts
    response.close()  # the server has sent the response
    assert copies == [True]


@SQLITE_ONLY
def test_a_busy_day_of_conversations_keeps_the_log_short(
    app, client, create_user, catalogue, monkeypatch  # noqa: F811
):
    """Copied every few conversations, the log starts over instead of growing with every
    write (its file keeps the longest stretch between two copies)."""
    path = _sqlite_file(app)
    token = logged_in_agent(client, create_user)
    monkeypatch.setattr(write_turn, "CHECKPOINT_EVERY", 4)
    write_turn._place_for(path).turns = 0

    def post_some(count: int) -> int:
        for _ in range(count):
            assert post(client, token, payload(), buffered=True).status_code == 201
        return os.path.getsize(path + "-wal")

    after_eight = post_some(8)
    after_twenty_four = post_some(16)
    # Never copied, 16 more conversations would have tripled it.
    assert after_twenty_four < 1.5 * after_eight


@SQLITE_ONLY
def test_a_connection_lost_during_the_turn_goes_back_without_a_complaint(app, caplog):
    """A turn's connection invalidated before it returns (a disk error, say) has nothing
    to restore: the pool replaces it, and nothing is logged as failed."""
    with app.app_context():
        take_write_turn(db.session)
        db.session.connection().invalidate()
        db.session.rollback()
        assert turn_is_free(_sqlite_file(app))
        assert "could not restore" not in caplog.text
        # The pool's next connection checkpoints as SQLite does by default.
        raw = db.session.connection().connection.driver_connection
        assert _autocheckpoint(raw) == 1000
        db.session.rollback()


@SQLITE_ONLY
def test_outside_a_request_the_log_is_copied_once_the_turn_is_free(app, monkeypatch):
    """A command's write (no response to wait for) copies at once, but never with the
    turn still held: another writer would wait for the fsyncs."""
    path = _sqlite_file(app)
    copies = _watch_every_copy(monkeypatch, path)
    with app.app_context():
        take_write_turn(db.session)
        db.session.commit()
    assert copies == [True]
