"""Benchmark: the raw conversation export (`/exports/encounters.csv`) over a million rows.

Run by hand:
  .venv/bin/python bench/export.py [--encounters 1000000] [--postgres URL]
  .venv/bin/python bench/export.py --database sqlite:////tmp/big.db   (reuse a seeded one)

It builds a fresh database from the migrations (a temporary SQLite file, or a throwaway
PostgreSQL database with `--postgres`), loads the demo and `--encounters` synthetic
conversations, then streams every row through the Python writer the export was first
built on (`reports.raw.raw_encounters_csv`, the reference the fast export's bytes are
tested against), through the route's generator (`reports.raw_export.raw_export_csv`:
COPY on PostgreSQL, plain tuples written as f-strings on SQLite, every other window by
a helper process in an export this long; for speed, then
again under tracemalloc for the peak of Python allocations, about ten times slower),
the last 30 days under tracemalloc (the same peak for a twelfth of the rows shows that
memory does not grow with the export), and every row through the real route as the demo
coordinator, the test client reading the response chunk by chunk (on SQLite, then again
with SQLITE_EXPORT_HELPER off: every window formatted in the app's process).
It prints rows per second, the CSV size, the tracemalloc peak and how far the process's
resident memory peak rose during each run. A flat export keeps both memory figures at a few MB
whatever the number of rows. The measuring runs in a fresh process after seeding, so the
seed's own memory does not hide the export's.
"""

import argparse
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _databases import database_size, throwaway_database  # noqa: E402
from _demo import log_in  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from rumours import create_app  # noqa: E402
from rumours.extensions import db  # noqa: E402
from rumours.models import Encounter  # noqa: E402
from rumours.reports.filters import parse_filters  # noqa: E402
from rumours.reports.raw import raw_encounters_csv  # noqa: E402
from rumours.reports.raw_export import raw_export_csv  # noqa: E402
from rumours.rules.localtime import city_today  # noqa: E402


def max_rss_mb() -> float:
    """The process's peak resident memory so far (getrusage; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class RssGrowth:
    """How far the resident memory peak rose above the memory in use when it started.

    getrusage's ru_maxrss only ever rises, and a child started right after the seed
    inherits the seed's peak; on Linux the peak (VmHWM) can be reset through
    /proc/self/clear_refs, so each run is measured on its own. Elsewhere: ru_maxrss."""

    def __enter__(self):
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.reset = _status_mb("VmHWM") is not None
        except OSError:
            self.reset = False
        self.before = _status_mb("VmRSS") if self.reset else max_rss_mb()
        self.mb = 0.0
        return self

    def __exit__(self, *exc):
        after = _status_mb("VmHWM") if self.reset else max_rss_mb()
        self.mb = max(0.0, after - self.before)


def everything(app) -> dict[str, str]:
    """A period that holds every seeded conversation (the longest a filter allows)."""
    with app.app_context():
        today = city_today()
    return {"from": (today - timedelta(days=3600)).isoformat(), "to": today.isoformat()}




def through_generator(
    app, args: dict, trace: bool, export=raw_export_csv
) -> tuple[int, int, float, float, float]:
    """Rows, bytes (characters for the Python writer's text), seconds, tracemalloc peak
    (MB) and max-RSS growth (MB) of one run of `export`."""
    with app.test_request_context():
        parsed = parse_filters(args, today=city_today())
        with RssGrowth() as rss:
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            lines = size = 0
            for chunk in export(parsed.filters):
                lines += chunk.count(b"\n" if isinstance(chunk, bytes) else "\n")
                size += len(chunk)
            seconds = time.perf_counter() - started
            peak = 0.0
            if trace:
                peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
                tracemalloc.stop()
        return lines - 1, size, seconds, peak, rss.mb


def through_route(app, args: dict) -> tuple[int, int, float, float]:
    """Rows, bytes, seconds and max-RSS growth (MB) through GET /exports/encounters.csv."""
    client = app.test_client()
    log_in(client)
    with RssGrowth() as rss:
        started = time.perf_counter()
        response = client.get("/exports/encounters.csv", query_string=args, buffered=False)
        assert response.status_code == 200, response.status_code
        lines = size = 0
        try:
            for chunk in response.response:
                lines += chunk.count(b"\n")
                size += len(chunk)
        finally:
            response.close()
        seconds = time.perf_counter() - started
    return lines - 1, size, seconds, rss.mb


def measure(url: str) -> None:
    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    try:
        with app.app_context():
            stored = db.session.scalar(select(func.count()).select_from(Encounter))
        print(f"database: {make_url(url).get_backend_name()}, {stored:,} encounters, "
              f"{database_size(url)}")
        args = everything(app)
        print(f"{'run':<30}{'rows':>11}{'seconds':>9}{'rows/s':>10}{'CSV':>9}"
              f"{'tracemalloc peak':>18}{'max RSS growth':>16}")

        rows, size, seconds, _peak, rss = through_generator(
            app, args, trace=False, export=raw_encounters_csv
        )
        assert rows == stored, (rows, stored)
        print(f"{'Python writer (reference)':<30}{rows:>11,}{seconds:>9.1f}{rows / seconds:>10,.0f}"
              f"{size / 2**20:>7.0f}MB{'-':>18}{rss:>14.1f}MB")

        rows, size, seconds, _peak, rss = through_generator(app, args, trace=False)
        assert rows == stored, (rows, stored)
        print(f"{'generator':<30}{rows:>11,}{seconds:>9.1f}{rows / seconds:>10,.0f}"
              f"{size / 2**20:>7.0f}MB{'-':>18}{rss:>14.1f}MB")

        rows, size, seconds, peak, rss = through_generator(app, args, trace=True)
        print(f"{'generator under tracemalloc':<30}{rows:>11,}{seconds:>9.1f}"
              f"{rows / seconds:>10,.0f}{size / 2**20:>7.0f}MB{peak:>16.1f}MB{rss:>14.1f}MB")

        with app.app_context():
            today = city_today()
        month = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
        rows, size, seconds, peak, rss = through_generator(app, month, trace=True)
        print(f"{'last 30 days, tracemalloc':<30}{rows:>11,}{seconds:>9.1f}"
              f"{rows / seconds:>10,.0f}{size / 2**20:>7.0f}MB{peak:>16.1f}MB{rss:>14.1f}MB")

        rows, size, seconds, rss = through_route(app, args)
        assert rows == stored, (rows, stored)
        print(f"{'GET /exports/encounters.csv':<30}{rows:>11,}{seconds:>9.1f}"
              f"{rows / seconds:>10,.0f}{size / 2**20:>7.0f}MB{'-':>18}{rss:>14.1f}MB")
        if make_url(url).get_backend_name() == "sqlite":
            # The same route with every window formatted in this process (no helper).
            app.config["SQLITE_EXPORT_HELPER"] = False
            rows, size, seconds, rss = through_route(app, args)
            app.config["SQLITE_EXPORT_HELPER"] = True
            assert rows == stored, (rows, stored)
            print(f"{'  the same, in one process':<30}{rows:>11,}{seconds:>9.1f}"
                  f"{rows / seconds:>10,.0f}{size / 2**20:>7.0f}MB{'-':>18}{rss:>14.1f}MB")
        print(f"process max RSS (getrusage, includes what a parent process used): "
              f"{max_rss_mb():.0f} MB; resident now: {_status_mb('VmRSS') or 0:.0f} MB")
    finally:
        with app.app_context():
            db.engine.dispose()


def seed(url: str, encounters: int) -> None:
    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    try:
        cli = app.test_cli_runner()
        assert cli.invoke(args=["db", "upgrade"]).exit_code == 0
        started = time.perf_counter()
        result = cli.invoke(args=["seed", "--encounters", str(encounters), "--random-seed", "2026"])
        assert result.exit_code == 0, result.output
        print(f"seeded the demo and {encounters:,} encounters in "
              f"{time.perf_counter() - started:.0f} s")
    finally:
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="server URL, e.g. postgresql://postgres@127.0.0.1/test")
    parser.add_argument("--database", help="an already seeded database URL to reuse")
    options = parser.parse_args()
    if options.database:
        measure(options.database)
        return
    with throwaway_database(options.postgres) as url:
        seed(url, options.encounters)
        # A fresh process: the seed's peak memory would hide the export's.
        subprocess.run([sys.executable, __file__, "--database", url], check=True)


if __name__ == "__main__":
    main()
