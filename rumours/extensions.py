"""Extension singletons, initialised by create_app()."""

import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from functools import cache

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can drop and alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys only when asked, on every connection; WAL lets
    readers work while an agent's encounter is written."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def ping_idle_connections(engine: Engine, after_seconds: float) -> None:
    """Test a pooled connection before a request uses it, once it has been back in the
    pool at least `after_seconds`; a dead one is replaced and the request never sees it.

    SQLAlchemy's `pool_pre_ping` does the same on every checkout: one more round trip in
    every request (a POST's eight became nine on PostgreSQL, about 0.5 ms of the app's
    CPU and some of the server's). A connection that came back milliseconds ago, as they
    do under load, is used untested: if the database restarted meanwhile, the request's
    first read meets the dead connection, and `first_read` runs it again on a fresh one
    (SQLAlchemy drops the worker's whole pool on such an error)."""

    @event.listens_for(engine, "checkin")
    def _back(dbapi_connection, record) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _out(dbapi_connection, record, proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < after_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error
        if alive is False:
            raise exc.DisconnectionError("the database did not answer")


def first_read(read):
    """`read()`, a read that may be a request's first statement; if it is, and the pooled
    connection it went out on turns out dead (a database restart, or a pooler or firewall
    that dropped it while it sat in the pool less than DATABASE_PING_AFTER_IDLE),
    SQLAlchemy has dropped that connection and the read runs once more on a fresh one.
    Later in a transaction the error stands: whatever the transaction did is lost with
    the connection, and the request must not carry on without it."""
    first = not db.session().in_transaction()
    try:
        return read()
    except exc.DBAPIError as error:
        if not (first and error.connection_invalidated):
            raise
        db.session.rollback()
        return read()


# Statements that change what prepared statements name (psycopg forgets its prepared
# statements when it sees the same in results; see below).
_CHANGES_SCHEMA = ("CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "GRANT", "REVOKE")


@cache
def _postgres_connection_class() -> type:
    """psycopg's connection, except that a plain rollback keeps the statements the
    connection has prepared.

    psycopg prepares a statement on the server once it has run five times on a
    connection, and forgets every prepared statement at each rollback (`DEALLOCATE ALL`),
    in case the transaction changed what they name. Every request that only read ends in
    a rollback (Flask-SQLAlchemy closes its session), so nothing ever stayed prepared and
    PostgreSQL planned each statement anew: 3 ms for a dashboard's figures alone. A
    prepared statement outlives a rollback on the server, so the rollback of a
    transaction in good health that changed no schema (no CREATE, ALTER, DROP... sent
    through this connection's cursors: a migration's) is sent straight to libpq: what
    psycopg itself sends, without the forgetting. A failed transaction, one that changed
    the schema, pipeline mode, psycopg's own transaction blocks and two-phase commits
    (none of which the app uses: SQLAlchemy drives its transactions) and everything else
    go through psycopg's own rollback, which forgets as before. Should a later psycopg
    rename the private guards read here, the shortcut turns itself off."""
    import psycopg
    from psycopg import pq

    class Cursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            _note_schema_change(self.connection, query)
            return super().execute(query, params, **kwargs)

        def executemany(self, query, params_seq, **kwargs):
            _note_schema_change(self.connection, query)
            return super().executemany(query, params_seq, **kwargs)

    class Connection(psycopg.Connection):
        changed_schema = False

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.cursor_factory = Cursor

        def commit(self) -> None:
            self.changed_schema = False
            super().commit()

        def rollback(self) -> None:
            with self.lock:
                keeps = (
                    not self.changed_schema
                    and self.info.transaction_status == pq.TransactionStatus.INTRANS
                    and self.pgconn.pipeline_status == pq.PipelineStatus.OFF
                    and getattr(self, "_num_transactions", 1) == 0
                    and getattr(self, "_tpc", True) is None
                )
                if keeps and self.pgconn.exec_(b"ROLLBACK").status == pq.ExecStatus.COMMAND_OK:
                    return
            self.changed_schema = False
            super().rollback()

    return Connection


def _note_schema_change(connection, query) -> None:
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    if isinstance(query, str) and query.lstrip()[:8].upper().startswith(_CHANGES_SCHEMA):
        connection.changed_schema = True


@event.listens_for(Engine, "do_connect")
def _postgres_connect(dialect, connection_record, cargs, cparams):
    """PostgreSQL connections through psycopg keep their prepared statements (above)."""
    if dialect.driver != "psycopg" or dialect.is_async:
        return None
    return _postgres_connection_class().connect(*cargs, **cparams)


def insert_many(connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]):
    """Many rows into `table` through the driver's fastest path: COPY on PostgreSQL,
    executemany on SQLite (in `connection`'s transaction; SQLAlchemy's connection)."""
    names = ", ".join(columns)
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    with closing(raw.cursor()) as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})", rows
        )
