"""Benchmark: the coordinators' agent list (/agents/) with 5,000 agents.

Run by hand:  .venv/bin/python bench/agents.py [--agents 5000] [--runs 20] [--postgres URL]
It builds a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database)
from the migrations, bulk-inserts agents with languages, districts and organisations,
logs in as a coordinator and times the list page end to end (request to rendered HTML)
with no filter, with a search, and with several filters at once.
"""

import argparse
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _databases import throwaway_database  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from rumours import create_app  # noqa: E402
from rumours.extensions import db  # noqa: E402
from rumours.models import (  # noqa: E402
    AgentLanguage,
    AgentProfile,
    AgentStatus,
    District,
    Membership,
    Organisation,
    OrganisationType,
    Role,
    User,
)
from rumours.rules.accounts import new_session_token  # noqa: E402
from rumours.rules.passwords import hash_password  # noqa: E402

PASSWORD = "bench-password-2026"
QUERIES = {
    "no filter": "/agents/",
    "page 40": "/agents/?page=40",
    "search": "/agents/?q=garcia",
    "status+district+language+active": "/agents/?status=certified&district=3&language=ar&active=90",
    "organisation": "/agents/?organisation=5",
}


def populate(app, agents: int) -> None:
    rng = random.Random(2026)
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(
            insert(District),
            [{"id": i, "code": i, "slug": f"d{i}", "name": f"District {i}"} for i in range(1, 11)],
        )
        db.session.execute(
            insert(Organisation),
            [
                {
                    "id": i,
                    "slug": f"o{i}",
                    "name": f"Organisation {i}",
                    "type": OrganisationType.ASSOCIATION,
                    "active": True,
                }
                for i in range(1, 31)
            ],
        )
        hashed = hash_password(PASSWORD)
        db.session.add(
            User(
                email="coordinator@bench.example",
                name="Coordinator",
                role=Role.COORDINATOR,
                password_hash=hashed,
                session_token=new_session_token(),
            )
        )
        db.session.flush()
        surnames = ["Garcia", "Martinez", "Puig", "Haddad", "Wang", "Ferrer", "Soler", "Khan"]
        users, profiles, languages, memberships = [], [], [], []
        for n in range(agents):
            uid = 1000 + n
            users.append(
                {
                    "id": uid,
                    "email": f"agent{n}@bench.example",
                    "name": f"Agent {n} {rng.choice(surnames)}",
                    "role": Role.AGENT,
                    "password_hash": hashed,
                    "session_token": uuid.uuid4().hex,
                    "active": True,
                    "preferred_language": "ca",
                    "created_at": now,
                }
            )
            profiles.append(
                {
                    "user_id": uid,
                    "status": rng.choice(list(AgentStatus)),
                    "district_id": rng.randint(1, 10),
                    "pseudonym": secrets.token_hex(6),
                    "applied_at": now - timedelta(days=rng.randint(0, 900)),
                    "last_active_at": None
                    if rng.random() < 0.3
                    else now - timedelta(days=rng.randint(0, 400)),
                }
            )
            for code in rng.sample(["ca", "es", "en", "ar", "ur", "zh", "fr"], rng.randint(1, 3)):
                languages.append({"agent_id": uid, "language": code})
            if rng.random() < 0.6:
                memberships.append({"user_id": uid, "organisation_id": rng.randint(1, 30)})
        db.session.execute(insert(User), users)
        db.session.execute(insert(AgentProfile), profiles)
        db.session.execute(insert(AgentLanguage), languages)
        db.session.execute(insert(Membership), memberships)
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", help="server URL, e.g. postgresql://postgres@127.0.0.1/test")
    options = parser.parse_args()

    with throwaway_database(options.postgres) as url:
        run(url, options.agents, options.runs)


def run(url: str, agents: int, runs: int) -> None:
    """Load `agents` agents, then time the list's main views `runs` times each."""
    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        started = time.perf_counter()
        populate(app, agents)
        print(
            f"database: {make_url(url).get_backend_name()}, "
            f"{agents:,} agents loaded in {time.perf_counter() - started:.1f} s"
        )
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        client.post(
            "/auth/login",
            data={"email": "coordinator@bench.example", "password": PASSWORD, "csrf_token": token},
        )
        for label, path in QUERIES.items():
            response = client.get(path)  # warm up
            assert response.status_code == 200, (path, response.status_code)
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            print(
                f"GET {path:<70} median {statistics.median(timings):6.1f} ms   "
                f"p95 {p95:6.1f} ms   ({label})"
            )
    finally:
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
