"""Benchmark: how long `flask seed --encounters N` takes, and the database size after.

Run by hand:  .venv/bin/python bench/seed.py [--encounters 1000000] [--postgres URL]
It builds a fresh database (a temporary SQLite file, or a throwaway PostgreSQL
database), migrates it, loads the demo, then times the bulk load.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _databases import database_size, throwaway_database
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
    with throwaway_database(options.postgres) as url:
        env["DATABASE_URL"] = url
        run(["db", "upgrade"], env)
        demo = run(["seed"], env)
        bulk = run(["seed", "--encounters", str(options.encounters)], env)
        print(f"database       {make_url(url).get_backend_name()}")
        print(f"demo seed      {demo:8.1f} s")
        print(
            f"+{options.encounters:,} encounters {bulk:8.1f} s  "
            f"({options.encounters / bulk:,.0f} rows/s, including the idempotent demo pass)"
        )
        print(f"database size  {database_size(url)}")


if __name__ == "__main__":
    main()
