"""Backups the IT person can restore: a consistent copy taken while the app runs, and a
restore that refuses a copy of another schema revision or a target that holds data.

SQLite: the online backup API (sqlite3.Connection.backup), a page-by-page copy that
sees one committed state, never a half-written file. PostgreSQL: `pg_dump` in its custom
format and `pg_restore`. Either way the copy holds its own `alembic_version` row, the
schema revision it was taken at. Called by `flask backup` / `flask restore`.
"""

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL, Engine

from ..extensions import db


class BackupError(RuntimeError):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass
class RestoreReport:
    revision: str
    rows: int


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return url.database


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq address of a PostgreSQL URL and the environment carrying its password
    (never on the command line, where `ps` shows it)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            f"(Debian: apt install postgresql-client) matching the server's version."
        )
    return found


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()}")
    return done.stdout


def revision_of(engine: Engine) -> str | None:
    """The schema revision a database is at (None for an empty one)."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def stored_rows(engine: Engine) -> int:
    """How many rows the database holds outside alembic_version (0: empty)."""
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    tables = [t for n, t in db.metadata.tables.items() if n in names]
    with engine.connect() as connection:
        return sum(connection.scalar(select(func.count()).select_from(t)) for t in tables)


def backup(engine: Engine, target: Path) -> str:
    """Write a consistent copy of the database to `target`; returns its revision."""
    revision = revision_of(engine)
    if revision is None:
        raise BackupError("The database has no schema revision: run `flask db upgrade` first.")
    url = engine.url
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(str(target))
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        address, env = _libpq(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
              f"--dbname={address}"], env)
    return revision


def revision_in(engine: Engine, copy: Path) -> str:
    """The schema revision recorded in a backup file."""
    if not copy.is_file():
        raise BackupError(f"{copy} is not a file.")
    if engine.url.get_backend_name() == "sqlite":
        try:
            with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as connection:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{copy} is not an SQLite backup of this app ({error}).") from None
        return row[0]
    _, env = _libpq(engine.url)
    listing = _run([_tool("pg_restore"), "--data-only", "--table=alembic_version",
                    "--file=-", str(copy)], env)
    lines = listing.split("COPY public.alembic_version", 1)[-1].splitlines()[1:]
    if not lines or lines[0] == "\\.":
        raise BackupError(f"{copy} records no schema revision.")
    return lines[0].strip()


def restore(engine: Engine, copy: Path, *, code_head: str, force: bool = False) -> RestoreReport:
    """Replace the database's content with the backup's. Refuses a backup of another
    revision than the target's (or the code's, `code_head`, for an empty target), and a
    target that holds data, unless `force`."""
    revision = revision_in(engine, copy)
    expected = revision_of(engine) or code_head
    if revision != expected and not force:
        raise BackupError(
            f"The backup is at schema revision {revision}, this database at {expected}: "
            "restore it with the code of that revision (or --force)."
        )
    if stored_rows(engine) and not force:
        raise BackupError("The target database holds data; restore into an empty one (or --force).")
    engine.dispose()
    if engine.url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(engine.url))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        address, env = _libpq(engine.url)
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--single-transaction", f"--dbname={address}", str(copy)], env)
    return RestoreReport(revision=revision, rows=stored_rows(engine))
