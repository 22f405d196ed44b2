"""Benchmark: how long `flask seed --encounters N` takes, and the database size after.

Run by hand:  .venv/bin/python bench/seed.py [--encounters 1000000] [--postgres URL]
It builds a fresh database (a temporary SQLite file, or a throwaway PostgreSQL
database), migrates it, loads the demo, then times the bulk load.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "rumours"]


def run(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(FLASK + args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="server URL, e.g. postgresql://postgres@127.0.0.1/test")
    options = parser.parse_args()

    env = dict(os.environ, RUMOURS_CONFIG="development")
    cleanup = None
    if options.postgres:
        server = make_url(options.postgres).set(drivername="postgresql+psycopg")
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        name = f"rumours_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)

        def size() -> str:
            with admin.connect() as conn:
                return conn.execute(
                    text(f"SELECT pg_size_pretty(pg_database_size('{name}'))")
                ).scalar()

        def cleanup() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        folder = tempfile.mkdtemp(prefix="rumours-bench-")
        db_path = Path(folder) / "bench.db"
        url = f"sqlite:///{db_path}"

        def size() -> str:
            total = sum(p.stat().st_size for p in Path(folder).iterdir())
            return f"{total / 1024 / 1024:.0f} MB"

    env["DATABASE_URL"] = url
    try:
        run(["db", "upgrade"], env)
        demo = run(["seed"], env)
        bulk = run(["seed", "--encounters", str(options.encounters)], env)
        print(f"database       {make_url(url).get_backend_name()}")
        print(f"demo seed      {demo:8.1f} s")
        print(
            f"+{options.encounters:,} encounters {bulk:8.1f} s  "
            f"({options.encounters / bulk:,.0f} rows/s, including the idempotent demo pass)"
        )
        print(f"database size  {size()}")
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
