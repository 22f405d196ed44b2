"""Throwaway databases for the benchmarks: each run starts empty and leaves nothing behind."""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def throwaway_database(postgres_server: str | None = None) -> Iterator[str]:
    """Yield the URL of a new, empty database: a SQLite file in a temporary folder, or,
    given a server URL, a new PostgreSQL database on it, dropped afterwards."""
    if not postgres_server:
        with tempfile.TemporaryDirectory(prefix="rumours-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    server = make_url(postgres_server).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"rumours_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def database_size(url: str) -> str:
    """The size of a benchmark database, as its server or its files report it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # The database file and its write-ahead log and shared-memory index, not the
        # folder it sits in (a reused database may share it with anything).
        files = [Path(parsed.database + suffix) for suffix in ("", "-wal", "-shm")]
        total = sum(f.stat().st_size for f in files if f.exists())
        return f"{total / 1024 / 1024:.0f} MB"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT pg_size_pretty(pg_database_size(current_database()))")
            ).scalar()
    finally:
        engine.dispose()
