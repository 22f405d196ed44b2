"""Benchmark: importing Barcelona's official shapes and the size of the maps drawn from them.

Run by hand:  .venv/bin/python bench/geography.py [--postgres URL]
It builds a fresh database from the migrations, imports seeds/barcelona-districts.geojson
and seeds/barcelona-neighbourhoods.geojson through `flask geography import` (timed inside
the process, without the app's start-up), imports them again (nothing changes), and
prints the size of the projected paths of each map.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _databases import throwaway_database  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from rumours import create_app  # noqa: E402
from rumours.reports.geography import shapes  # noqa: E402

SEEDS = ROOT / "seeds"
IMPORTS = [
    ("district", "barcelona-districts.geojson", ["--code-property", "district_code"]),
    ("neighbourhood", "barcelona-neighbourhoods.geojson",
     ["--code-property", "code", "--parent-property", "district_code"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    with throwaway_database(args.postgres) as url:
        config = type("Bench", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url})
        app = create_app(config)
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        for attempt in ("first import", "again"):
            for level, name, extra in IMPORTS:
                started = time.perf_counter()
                result = runner.invoke(args=["geography", "import", str(SEEDS / name),
                                             "--level", level, "--name-property", "name",
                                             *extra])
                elapsed = time.perf_counter() - started
                assert result.exit_code == 0, result.output
                size = (SEEDS / name).stat().st_size
                print(f"{attempt:<13} {level:<14} {size / 1024:7.0f} KB  {elapsed * 1000:7.0f} ms")
        with app.app_context():
            for level in ("district", "neighbourhood"):
                projection = shapes(level)
                paths = sum(len(o.path) for o in projection.outlines.values())
                print(f"{level:<14} map {projection.viewbox}: {len(projection.outlines)} shapes, "
                      f"{paths:,} bytes of path data")
        from rumours.extensions import db

        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
