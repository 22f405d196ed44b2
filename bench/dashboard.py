"""Benchmark: the dashboard and /api/v1/stats over a million encounters.

Run by hand:
  .venv/bin/python bench/dashboard.py [--encounters 1000000] [--runs 15] [--postgres URL]
  .venv/bin/python bench/dashboard.py --database sqlite:////tmp/big.db   (reuse a seeded one)

It builds a fresh database from the migrations (a temporary SQLite file, or a throwaway
PostgreSQL database), loads the demo and `--encounters` synthetic conversations, logs in
as the demo coordinator and times each view end to end (request to rendered page). For
each view it also times the cheapest raw SQL that computes the same conversation figures
(one GROUP BY over the encounter rows per breakdown the view shows) and prints the ratio.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _databases import database_size, throwaway_database  # noqa: E402
from _demo import log_in  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from rumours import create_app  # noqa: E402
from rumours.extensions import db  # noqa: E402
from rumours.models import Campaign, District, Organisation  # noqa: E402
from rumours.reports.filters import add_months, month_end, parse_filters  # noqa: E402
from rumours.reports.stats import raw_figures  # noqa: E402
from rumours.rules.localtime import city_today  # noqa: E402


def views(app) -> dict[str, dict[str, str]]:
    """The views timed: the whole network for a year, and one campaign, district and
    organisation."""
    with app.app_context():
        today = city_today()
        year = {"from": add_months(today, -11).isoformat(), "to": month_end(today).isoformat()}
        campaign = db.session.scalar(select(Campaign.slug).order_by(Campaign.starts_on.desc()))
        district = db.session.scalar(select(District.slug).order_by(District.code))
        organisation = db.session.scalar(select(Organisation.slug).order_by(Organisation.id))
    return {
        "network, a year": year,
        "one campaign": {"campaign": campaign},
        "one district, a year": {**year, "district": district},
        "one organisation, a year": {**year, "organisation": organisation},
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




def timed(client, path: str, args: dict, runs: int) -> list[float]:
    response = client.get(path, query_string=args)  # warm up
    assert response.status_code == 200, (path, args, response.status_code)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path, query_string=args)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def run(url: str, encounters: int, runs: int, seed: bool) -> None:
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
        print(f"{'view':<28}{'page median':>12}{'p95':>9}{'API median':>12}"
              f"{'raw SQL':>11}{'raw/page':>10}")
        for label, args in views(app).items():
            page = timed(client, "/dashboard/", args, runs)
            api = timed(client, "/api/v1/stats", args, runs)
            raw = min(raw_equivalent(app, args) for _ in range(2)) * 1000
            page.sort()
            p95 = page[max(0, int(len(page) * 0.95) - 1)]
            median = statistics.median(page)
            print(
                f"{label:<28}{median:10.1f}ms{p95:7.1f}ms{statistics.median(api):10.1f}ms"
                f"{raw:9.0f}ms{raw / median:9.1f}x"
            )
    finally:
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", help="server URL, e.g. postgresql://postgres@127.0.0.1/test")
    parser.add_argument("--database", help="an already seeded database URL to reuse")
    options = parser.parse_args()
    if options.database:
        run(options.database, 0, options.runs, seed=False)
        return
    with throwaway_database(options.postgres) as url:
        run(url, options.encounters, options.runs, seed=True)


if __name__ == "__main__":
    main()
