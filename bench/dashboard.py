"""Benchmark: the dashboard and /api/v1/stats over a million encounters.

Run by hand:
  .venv/bin/python bench/dashboard.py [--encounters 1000000] [--runs 15] [--postgres URL]
  .venv/bin/python bench/dashboard.py --database sqlite:////tmp/big.db   (reuse a seeded one)

It builds a fresh database from the migrations (a temporary SQLite file, or a throwaway
PostgreSQL database), loads the demo and `--encounters` synthetic conversations, logs in
as the demo coordinator and times each view end to end (request to rendered page). For
each view it also times the cheapest raw SQL that computes the same conversation figures
(one GROUP BY over the encounter rows per breakdown the view shows) and prints the ratio.

For each page it also prints the SQL statements one request issues, the median time
spent rendering the template (from `render_template` to the rendered text) apart from
the rest ("figures": reading and shaping the figures), the fastest request ("best": on
a busy machine, the one least slowed by others), and how long the neighbourhood
map's counts take alone (read from the neighbourhood summary tables; in a member's view
of a rumour, its whole months from its own table and the days at the edges from the
rows). Then the coordinators' review (`/encounters/review`, all
and only flagged, median, slowest and fastest of three requests, CPU and statements).
`--profile VIEW` prints where one view's requests spend their time (cProfile, the 25
costliest functions by cumulative and by own time).
"""

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

from flask import before_render_template, template_rendered
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _databases import database_size, throwaway_database  # noqa: E402
from _demo import log_in  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from rumours import create_app  # noqa: E402
from rumours.extensions import db  # noqa: E402
from rumours.models import (  # noqa: E402
    Campaign,
    District,
    EncounterRumour,
    Organisation,
    Rumour,
)
from rumours.reports.filters import add_months, month_end, parse_filters  # noqa: E402
from rumours.reports.geography import by_neighbourhood, shapes  # noqa: E402
from rumours.reports.stats import raw_figures  # noqa: E402
from rumours.rules.localtime import city_today  # noqa: E402


def views(app) -> dict[str, dict[str, str]]:
    """The views timed: the whole network for a year, and one campaign, district and
    organisation; then one rumour (the most heard) opened from the campaign's view and
    from the organisation's year (a member's view of a rumour)."""
    with app.app_context():
        today = city_today()
        year = {"from": add_months(today, -11).isoformat(), "to": month_end(today).isoformat()}
        campaign = db.session.scalar(select(Campaign.slug).order_by(Campaign.starts_on.desc()))
        district = db.session.scalar(select(District.slug).order_by(District.code))
        organisation = db.session.scalar(select(Organisation.slug).order_by(Organisation.id))
        link = EncounterRumour.__table__.c
        rumour = db.session.scalar(
            select(Rumour.slug)
            .join(EncounterRumour.__table__, link.rumour_id == Rumour.id)
            .group_by(Rumour.id, Rumour.slug)
            .order_by(func.count().desc(), Rumour.id)
            .limit(1)
        )
    found = {
        "network, a year": year,
        "one campaign": {"campaign": campaign},
        "one district, a year": {**year, "district": district},
        "one organisation, a year": {**year, "organisation": organisation},
    }
    if rumour is not None:
        found["a rumour in the campaign"] = {"campaign": campaign, "rumour": rumour}
        found["a rumour, the organisation's year"] = {
            **year, "organisation": organisation, "rumour": rumour,
        }
    return found


# The review's views timed after the dashboard's (median of 3 requests after one).
REVIEW_VIEWS = {
    "review: all, first page": {},
    "review: only flagged": {"flagged": "1"},
}


def raw_equivalent(app, args: dict[str, str]) -> float:
    """Seconds for the raw GROUP BYs that give the same conversation figures."""
    with app.app_context():
        parsed = parse_filters(args, today=city_today())
        f = parsed.filters
        started = time.perf_counter()
        raw_figures(f)  # totals, outcomes, settings
        raw_figures(f.previous())
        raw_figures(f, ("district",))
        raw_figures(f, (), "week")
        raw_figures(f, ("rumour", "rebuttal"))  # top rumours and outcomes per rebuttal
        raw_figures(f, ("district", "rumour"))  # rising rumours: now ...
        raw_figures(f.previous(), ("district", "rumour"))  # ... and before
        return time.perf_counter() - started




class Meter:
    """Counts the SQL statements sent and the time spent rendering templates, per request."""

    def __init__(self, app):
        self.statements = 0
        self.rendering = 0.0
        self._started: float | None = None
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._statement)
        before_render_template.connect(self._before_render, app)
        template_rendered.connect(self._rendered, app)

    def reset(self) -> None:
        self.statements, self.rendering = 0, 0.0

    def _statement(self, *args, **kwargs) -> None:
        self.statements += 1

    def _before_render(self, *args, **kwargs) -> None:
        self._started = time.perf_counter()

    def _rendered(self, *args, **kwargs) -> None:
        if self._started is not None:
            self.rendering += time.perf_counter() - self._started
            self._started = None


def neighbourhood_read(app, args: dict[str, str]) -> float:
    """Seconds for the neighbourhood map's counts alone (on the page they come with the
    other figures in one statement): part of every page whose city has their shapes."""
    with app.app_context():
        if not shapes("neighbourhood"):
            return 0.0
        filters = parse_filters(args, today=city_today()).filters
        started = time.perf_counter()
        by_neighbourhood(filters)
        return time.perf_counter() - started


def timed(client, path: str, args: dict, runs: int, meter: Meter):
    """Request times (ms), statements per request, rendering times (ms) and this
    process's CPU time per request (ms: on a busy machine the steadier figure; SQLite
    runs inside it, PostgreSQL does not) of `runs` requests after one to warm up."""
    response = client.get(path, query_string=args)  # warm up
    assert response.status_code == 200, (path, args, response.status_code)
    timings, statements, rendering, cpu = [], set(), [], []
    for _ in range(runs):
        meter.reset()
        started, cpu_started = time.perf_counter(), time.process_time()
        client.get(path, query_string=args)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        statements.add(meter.statements)
        rendering.append(meter.rendering * 1000)
    return timings, statements, rendering, cpu


def profile(client, args: dict, runs: int) -> None:
    """cProfile over `runs` requests of one view: the costliest functions."""
    client.get("/dashboard/", query_string=args)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get("/dashboard/", query_string=args)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def run(
    url: str,
    encounters: int,
    runs: int,
    seed: bool,
    profiled: str | None = None,
    raw_sql: bool = True,
) -> None:
    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    try:
        cli = app.test_cli_runner()
        if seed:
            assert cli.invoke(args=["db", "upgrade"]).exit_code == 0
            started = time.perf_counter()
            result = cli.invoke(
                args=["seed", "--encounters", str(encounters), "--random-seed", "2026"]
            )
            assert result.exit_code == 0, result.output
            print(f"seeded {encounters:,} encounters in {time.perf_counter() - started:.0f} s")
        print(f"database: {make_url(url).get_backend_name()}, {database_size(url)}")
        client = app.test_client()
        log_in(client)
        meter = Meter(app)
        if profiled:
            profile(client, views(app)[profiled], runs)
            return
        print(f"{'view':<34}{'page median':>12}{'p95':>9}{'best':>9}{'CPU':>8}{'SQL':>6}"
              f"{'render':>9}"
              f"{'figures':>9}{'nbhd map':>10}{'API median':>12}{'SQL':>5}{'raw SQL':>9}"
              f"{'raw/page':>10}")
        for label, args in views(app).items():
            page, statements, rendering, cpu = timed(client, "/dashboard/", args, runs, meter)
            api, api_statements, _, _ = timed(client, "/api/v1/stats", args, runs, meter)
            raw = min(raw_equivalent(app, args) for _ in range(2)) * 1000 if raw_sql else 0.0
            neighbourhoods = min(neighbourhood_read(app, args) for _ in range(3)) * 1000
            page.sort()
            p95 = page[max(0, int(len(page) * 0.95) - 1)]
            median = statistics.median(page)
            render = statistics.median(rendering)
            print(
                f"{label:<34}{median:10.1f}ms{p95:7.1f}ms{page[0]:7.1f}ms"
                f"{statistics.median(cpu):6.1f}ms"
                f"{_count(statements):>6}"
                f"{render:7.1f}ms{median - render:7.1f}ms{neighbourhoods:8.1f}ms"
                f"{statistics.median(api):10.1f}ms{_count(api_statements):>5}"
                + (f"{raw:7.0f}ms{raw / median:9.1f}x" if raw_sql else "")
            )
        # The coordinators' review: the first page of the conversations the filters
        # match, with their count and the count of those flagged for review (each
        # counted up to 1,000; a few runs only).
        print(f"{'review':<34}{'median':>12}{'slowest':>9}{'fastest':>9}{'CPU':>10}{'SQL':>6}")
        for label, args in REVIEW_VIEWS.items():
            page, statements, _, cpu = timed(client, "/encounters/review", args, 3, meter)
            print(
                f"{label:<34}{statistics.median(page):10.1f}ms{max(page):7.1f}ms"
                f"{min(page):7.1f}ms {statistics.median(cpu):7.1f}ms {_count(statements):>5}"
            )
    finally:
        with app.app_context():
            db.engine.dispose()


def _count(statements: set[int]) -> str:
    """Statements per request: one number, or the range when requests differed."""
    low, high = min(statements), max(statements)
    return str(low) if low == high else f"{low}-{high}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", help="server URL, e.g. postgresql://postgres@127.0.0.1/test")
    parser.add_argument("--database", help="an already seeded database URL to reuse")
    parser.add_argument(
        "--profile", metavar="VIEW", help='profile one view instead, e.g. "one campaign"'
    )
    parser.add_argument(
        "--no-raw", action="store_true", help="skip the raw SQL reference (it takes minutes)"
    )
    options = parser.parse_args()
    extra = {"profiled": options.profile, "raw_sql": not options.no_raw}
    if options.database:
        run(options.database, 0, options.runs, seed=False, **extra)
        return
    with throwaway_database(options.postgres) as url:
        run(url, options.encounters, options.runs, seed=True, **extra)


if __name__ == "__main__":
    main()
