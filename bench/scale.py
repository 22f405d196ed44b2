"""Benchmark: ten million conversations on PostgreSQL (a national network's year).

Run by hand (ten to twenty minutes on 2 cores, 466 to 627 s of it the seed in the runs of
2026-12-07; the seeded database can be kept and reused):
  .venv/bin/python bench/scale.py [--encounters 10000000] [--postgres URL] [--keep]
  .venv/bin/python bench/scale.py --database postgresql://postgres@127.0.0.1/rumours_scale

It builds a throwaway PostgreSQL database from the migrations, loads the demo and
`--encounters` synthetic conversations (COPY, the summaries built in bulk), then times:
  - the dashboard and /api/v1/stats for the views of bench/dashboard.py (page medians);
  - the raw export (/exports/encounters.csv) of the last 30 days, over HTTP;
  - POST /api/v1/encounters from concurrent agents against two gunicorn servers that
    share the one database (as several app servers would), beside the plain Core insert
    reference of bench/encounters.py on the same two servers, and checks that nothing
    was lost or doubled and that the summaries still equal the rows.
"""

import argparse
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import encounters as post_bench  # noqa: E402
from _databases import database_size, throwaway_database  # noqa: E402
from _demo import log_in  # noqa: E402
from dashboard import Meter, timed, views  # noqa: E402
from export import through_route  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from rumours import create_app, summaries  # noqa: E402
from rumours.extensions import db  # noqa: E402
from rumours.models import Campaign, Encounter, EncounterRumour  # noqa: E402
from rumours.rules.localtime import city_today  # noqa: E402

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
FLASK = [sys.executable, "-m", "flask", "--app", "rumours"]


def make_app(url: str):
    return create_app(type("ScaleConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def seed(url: str, encounters: int) -> None:
    env = {"RUMOURS_CONFIG": "development", "DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    for args in (["db", "upgrade"], ["seed"]):
        subprocess.run(FLASK + args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run(
        FLASK + ["seed", "--encounters", str(encounters), "--random-seed", "2026"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    print(f"seeded {encounters:,} encounters in {seconds:.0f} s "
          f"({encounters / seconds:,.0f} rows/s)")


def dashboards(app, runs: int) -> None:
    client = app.test_client()
    log_in(client)
    meter = Meter(app)
    print(f"  {'view':<34}{'page median':>12}{'p95':>9}{'SQL':>5}{'render':>9}{'API median':>12}")
    for label, args in views(app).items():
        page, statements, rendering, _cpu = timed(client, "/dashboard/", args, runs, meter)
        api = timed(client, "/api/v1/stats", args, runs, meter)[0]
        page.sort()
        p95 = page[max(0, int(len(page) * 0.95) - 1)]
        print(
            f"  {label:<34}{statistics.median(page):10.1f}ms{p95:7.1f}ms{max(statements):5d}"
            f"{statistics.median(rendering):7.1f}ms{statistics.median(api):10.1f}ms"
        )


def export(app) -> None:
    with app.app_context():
        today = city_today()
    args = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    rows, size, seconds, rss = through_route(app, args)
    print(
        f"  raw export, last 30 days: {rows:,} rows, {size / 2**20:.0f} MB in {seconds:.1f} s "
        f"= {rows / seconds:,.0f} rows/s over HTTP (resident memory +{rss:.0f} MB)"
    )


def posts(url: str, app, agents: int, requests: int, workers: int) -> bool:
    """Two gunicorn servers on one database; half the agents on each."""
    post_bench.prepare_agents(app, agents)
    ports = [post_bench.free_port(), post_bench.free_port()]
    servers = [post_bench.start_gunicorn(url, workers, port) for port in ports]
    try:
        clients = [
            post_bench.Client(ports[i % 2], f"agent{i}@bench.example.org") for i in range(agents)
        ]
        anonymous = [post_bench.Client(ports[i % 2], None) for i in range(agents)]
        print(f"  2 gunicorn servers x {workers} workers, {agents} concurrent clients")
        lock = threading.Lock()
        stored = []

        def core(client):
            return client.request("POST", "/bench/core-insert", b"")[0]

        def encounter(client):
            status = client.post_encounter(post_bench.encounter_body())
            if 200 <= status < 300:
                with lock:
                    stored.append(status)
            return status

        post_bench.run_load(anonymous, agents * 2, core)
        core_load = post_bench.run_load(anonymous, requests, core)
        core_rate = post_bench.summary("core insert", *core_load)
        before = count(app)
        elapsed, latencies, statuses = post_bench.run_load(clients, requests, encounter)
        api_rate = post_bench.summary("POST /api/v1/encounters", elapsed, latencies, statuses)
        added = count(app) - before
        wrong = bench_campaign_mismatches(app)
        good = added == len(stored) and not wrong
        print(
            f"  ratio to the core insert: {api_rate / core_rate:.2f}; rows +{added:,} for "
            f"{len(stored):,} 2xx; summaries "
            + ("of the bench campaign equal its rows" if not wrong else f"DIFFER: {wrong}")
        )
        return good
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def bench_campaign_mismatches(app) -> dict[str, tuple[int, int]]:
    """The bench campaign's conversations in each summary table against its rows (the
    core insert route writes rows without summaries, so the whole-table check of
    `flask stats check` would count those; a full check of ten million rows also takes
    minutes)."""
    with app.app_context():
        campaign = db.session.scalar(select(Campaign.id).where(Campaign.slug == "bench"))
        rows = db.session.scalar(
            select(func.count()).select_from(Encounter).where(Encounter.campaign_id == campaign)
        )
        links = db.session.scalar(
            select(func.count())
            .select_from(EncounterRumour)
            .join(Encounter)
            .where(Encounter.campaign_id == campaign)
        )
        wrong = {}
        for summary in summaries.SUMMARIES:
            if "campaign" not in summary.dimensions:
                continue
            table = summary.table
            counted = db.session.scalar(
                select(func.coalesce(func.sum(table.c.encounters), 0)).where(
                    table.c.campaign_id == campaign
                )
            )
            expected = links if summary.per_rumour else rows
            if counted != expected:
                wrong[summary.name] = (counted, expected)
        return wrong


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Encounter))


def run(url: str, options, seed_first: bool) -> bool:
    if seed_first:
        seed(url, options.encounters)
    app = make_app(url)
    try:
        print(f"database: {make_url(url).get_backend_name()}, {database_size(url)}, "
              f"{count(app):,} encounters")
        dashboards(app, options.runs)
        export(app)
        return posts(url, app, options.clients, options.requests, options.workers)
    finally:
        with app.app_context():
            db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="per server")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="server URL")
    parser.add_argument("--database", help="an already seeded database URL to reuse")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    options = parser.parse_args()
    if options.database:
        return 0 if run(options.database, options, seed_first=False) else 1
    if options.keep:
        server = make_url(options.postgres).set(drivername="postgresql+psycopg")
        url = server.set(database="rumours_scale").render_as_string(hide_password=False)
        from sqlalchemy import create_engine, text

        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "rumours_scale" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "rumours_scale"'))
        admin.dispose()
        print(f"keeping the database: {url}")
        return 0 if run(url, options, seed_first=True) else 1
    with throwaway_database(options.postgres) as url:
        return 0 if run(url, options, seed_first=True) else 1


if __name__ == "__main__":
    sys.exit(main())
