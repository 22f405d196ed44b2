"""Benchmark: catalogue search over 1,000 rumours, and the weight of the agent's phone list.

Run by hand:  .venv/bin/python bench/catalogue.py [--rumours 1000] [--postgres URL]

It builds a throwaway database (SQLite file, or a new PostgreSQL database), loads the
demo, adds synthetic rumours whose text is shuffled from the demo's real rebuttals,
then prints the median search time for a few queries and the bytes a phone downloads
for /rumours/pocket (the page plus its stylesheet and icon), before and after.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _databases import throwaway_database  # noqa: E402

from config import TestConfig  # noqa: E402
from rumours import create_app  # noqa: E402
from rumours.extensions import db  # noqa: E402
from rumours.models import Rebuttal, RebuttalStatus, Role, Theme, User  # noqa: E402
from rumours.reports.catalogue import Filters, search_rumours  # noqa: E402
from rumours.seeding import seed_demo  # noqa: E402
from rumours.services.catalogue import (  # noqa: E402
    RebuttalInput,
    SourceInput,
    create_rumour,
    publish,
)

QUERIES = ["inmigracion", "jobs", "benefits oecd", "health services", "zzzz-nothing"]


def page_weight(app) -> tuple[int, int]:
    """Bytes of /rumours/pocket and everything it loads, as the agent's phone gets them."""
    client = app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = login_page.split('name="csrf-token" content="')[1].split('"')[0]
    client.post(
        "/auth/login",
        data={"email": "agent@example.org", "password": "demo-password-2026", "csrf_token": token},
    )
    response = client.get("/rumours/pocket")
    html = response.get_data()
    assets = 0
    for path in ("/static/app.css", "/static/favicon.svg"):
        asset = client.get(path)
        assets += len(asset.get_data())
        asset.close()
    return len(html), assets


def add_rumours(count: int) -> None:
    rng = random.Random(1)
    coordinator = (
        db.session.execute(db.select(User).where(User.role == Role.COORDINATOR)).scalars().first()
    )
    texts = db.session.scalars(
        db.select(Rebuttal).where(Rebuttal.status == RebuttalStatus.PUBLISHED)
    ).all()
    words = " ".join(r.explanation + " " + r.short_answer for r in texts).split()
    source = SourceInput(
        "Synthetic benchmark source",
        "Bench",
        "https://example.org/bench",
        None,
        "benchmark filler",
        None,
    )
    for i in range(count):
        claim = f"Bench rumour {i}: " + " ".join(rng.sample(words, 8))
        rumour = create_rumour(actor=coordinator, claim=claim, theme=rng.choice(list(Theme)))
        body = "### The fact\n\n" + " ".join(rng.choices(words, k=180))
        publish(
            rumour,
            "en",
            RebuttalInput(" ".join(rng.choices(words, k=30))[:280], body, None, [source]),
            actor=coordinator,
        )
        if i % 100 == 99:
            db.session.commit()
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rumours", type=int, default=1000)
    parser.add_argument("--postgres", help="server URL, e.g. postgresql://postgres@127.0.0.1/test")
    options = parser.parse_args()

    with throwaway_database(options.postgres) as url:
        run(url, options.rumours)


def run(url: str, rumours: int) -> None:
    """Seed the demo, add `rumours` synthetic ones, print search times and page weights."""
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_demo()
    html, assets = page_weight(app)
    print(f"database            {make_url(url).get_backend_name()}")
    print(
        f"pocket page, demo   {html:,} B html + {assets:,} B css/icon "
        f"= {html + assets:,} B uncompressed"
    )
    with app.app_context():
        started = time.perf_counter()
        add_rumours(rumours)
        print(f"added {rumours:,} rumours in {time.perf_counter() - started:.1f} s")
        for query in QUERIES:
            timings = []
            for _ in range(15):
                db.session.expunge_all()
                started = time.perf_counter()
                page = search_rumours(Filters(query=query), public=True)
                timings.append(time.perf_counter() - started)
            print(
                f"search {query!r:18} {page.total:5d} hits   "
                f"median {statistics.median(timings) * 1000:7.1f} ms"
            )
    html, assets = page_weight(app)
    print(f"pocket page, +{rumours:,} {html:,} B html + {assets:,} B css/icon")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
