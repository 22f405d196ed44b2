"""Benchmark POST /api/v1/encounters under gunicorn with several workers.

    .venv/bin/python bench/encounters.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/encounters.py --db sqlite --workers 4 --clients 16 --requests 2000

Concurrent clients (each logged in as its own certified agent, session cookie plus
X-CSRFToken, keep-alive connections) post encounters with fresh client_uuids. The same
server also exposes two references: a plain Core insert route (one INSERT through
SQLAlchemy Core and a commit: no ORM, no summaries, no login, no validation), the one
the POST is judged against, and the ORM "bare insert" (one Encounter added and
committed, which fires the summary listener like the real POST). Prints throughput,
p50/p90/p99 latency, the slowest answer and both ratios, then checks that the row count
equals the 2xx responses (nothing lost, nothing doubled) and that replays create
nothing. Before the load, each route runs in process (Flask's test client) to print its
SQL statements, SQL time and Python time per request; then, under gunicorn, one client
sends each route's requests one at a time (time and CPU per request, without the
load's contention). Under the load, on Linux, each
route's line is followed by the CPU time one request cost each party (the gunicorn
server, every PostgreSQL process on the machine, this load generator, read from /proc)
and the throughput those costs allow on this machine's cores: on a machine where all
three share the cores, that ceiling, not waiting, bounds the rate.
"""

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-2026"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# ---------------------------------------------------------------------------
# The app gunicorn serves: the real one plus a bare insert route
# ---------------------------------------------------------------------------


def bench_app():
    """The real app on BENCH_DATABASE_URL, plus the two reference routes:
    POST /bench/core-insert and POST /bench/bare-insert."""
    from flask import jsonify
    from sqlalchemy import insert

    from config import DevelopmentConfig
    from rumours import create_app
    from rumours.extensions import csrf, db
    from rumours.models import Encounter, Outcome, Setting

    config = type(
        "BenchConfig",
        (DevelopmentConfig,),
        {"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"]},
    )
    app = create_app(config)

    @app.post("/bench/bare-insert")
    @csrf.exempt
    def bare_insert():
        """Benchmark only: one plain INSERT and a commit."""
        encounter = Encounter(
            client_uuid=uuid.uuid4(),
            content_hash="0" * 64,
            occurred_at=datetime.now(UTC),
            district_id=1,
            setting=Setting.MARKET,
            people_reached=1,
            outcome=Outcome.OPEN,
        )
        db.session.add(encounter)
        db.session.commit()
        return jsonify({"id": encounter.id}), 201

    @app.post("/bench/core-insert")
    @csrf.exempt
    def core_insert():
        """Benchmark only: the same row through SQLAlchemy Core (no ORM, no summaries)."""
        with db.engine.begin() as conn:
            new_id = conn.execute(
                insert(Encounter.__table__).returning(Encounter.__table__.c.id),
                {
                    "client_uuid": uuid.uuid4(),
                    "content_hash": "0" * 64,
                    "occurred_at": datetime.now(UTC),
                    "local_day": date.today(),
                    "district_id": 1,
                    "setting": Setting.MARKET,
                    "people_reached": 1,
                    "outcome": Outcome.OPEN,
                    "created_at": datetime.now(UTC),
                },
            ).scalar_one()
        return jsonify({"id": new_id}), 201

    return app


def in_process(url: str, requests: int = 100) -> None:
    """Each route through Flask's test client: SQL statements, SQL time and Python time
    per request (Python = wall time minus time inside the database driver). The summary
    upserts and a conversation's rumour links go straight to the driver (sqlite3's
    cursor, psycopg's pipeline), past SQLAlchemy's events: they are counted and timed
    apart, around the function that sends them."""
    os.environ["BENCH_DATABASE_URL"] = url
    from sqlalchemy import event

    from rumours import summaries
    from rumours.extensions import db
    from rumours.summaries import deltas

    app = bench_app()
    with app.app_context():
        engine = db.engine
    clock = {"n": 0, "sql": 0.0, "upserts": 0, "summaries": 0.0}
    send = deltas.write_contributions

    def timed_summaries(connection, changes, first=()):
        started = time.perf_counter()
        try:
            return send(connection, changes, first=first)
        finally:
            clock["summaries"] += time.perf_counter() - started
            clock["upserts"] += sum(len(rows) for rows in changes.values())
            clock["upserts"] += sum(len(rows) for _sql, rows in first)

    # The POST calls it through the package, the ORM's listener from its own module.
    summaries.write_contributions = deltas.write_contributions = timed_summaries

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        clock["n"] += 1
        clock["sql"] += time.perf_counter() - conn.info.pop("bench_started")

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    form = {"email": "agent0@bench.example.org", "password": PASSWORD, "csrf_token": token}
    assert client.post("/auth/login", data=form).status_code == 302
    api_token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    routes = {
        "core insert": lambda: client.post("/bench/core-insert"),
        "bare insert (ORM)": lambda: client.post("/bench/bare-insert"),
        "POST /api/v1/encounters": lambda: client.post(
            "/api/v1/encounters",
            data=encounter_body(),
            headers={"Content-Type": "application/json", "X-CSRFToken": api_token},
        ),
    }
    print("  in process, per request:")
    for name, call in routes.items():
        for _ in range(10):
            assert call().status_code == 201
        clock.update(n=0, sql=0.0, upserts=0, summaries=0.0)
        started = time.perf_counter()
        for _ in range(requests):
            assert call().status_code == 201
        wall = (time.perf_counter() - started) / requests
        sql = clock["sql"] / requests
        upserts = clock["summaries"] / requests
        print(
            f"    {name:<24} {wall * 1000:6.2f} ms = SQL {sql * 1000:5.2f} ms "
            f"({clock['n'] / requests:.0f} statements) + straight to the driver "
            f"{upserts * 1000:5.2f} ms ({clock['upserts'] / requests:.0f} rows: summaries, "
            f"links, burst recount) + Python "
            f"{(wall - sql - upserts) * 1000:5.2f} ms"
        )
    summaries.write_contributions = deltas.write_contributions = send
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    engine.dispose()


# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------


def prepare(url: str, agents: int) -> None:
    """Create the schema and the minimum a POST needs: a district, a rumour, agents."""
    from config import DevelopmentConfig
    from rumours import create_app
    from rumours.extensions import db
    from rumours.models import (
        District,
        Neighbourhood,
        Rumour,
        RumourStatus,
        Theme,
    )

    app = create_app(type("Prep", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.create_all()
        district = District(id=1, code=1, slug="ciutat-vella", name="Ciutat Vella")
        db.session.add(district)
        db.session.flush()
        db.session.add(Neighbourhood(district_id=1, code=1, slug="el-raval", name="el Raval"))
        db.session.add(
            Rumour(
                slug="they-take-our-jobs",
                claim="They take our jobs",
                theme=Theme.EMPLOYMENT,
                status=RumourStatus.PUBLISHED,
            )
        )
        db.session.commit()
    prepare_agents(app, agents)
    with app.app_context():
        db.engine.dispose()


def prepare_agents(app, agents: int) -> None:
    """The bench campaign and `agents` certified agents (agent0@bench.example.org ...),
    in a database that has the district the encounters name; reruns add nothing."""
    from sqlalchemy import select

    from rumours.extensions import db
    from rumours.models import AgentProfile, AgentStatus, Campaign, District, Role, User
    from rumours.rules.accounts import new_session_token
    from rumours.rules.passwords import hash_password

    with app.app_context():
        today = date.today()
        if db.session.scalar(select(Campaign.id).where(Campaign.slug == "bench")) is None:
            db.session.add(
                Campaign(
                    slug="bench",
                    name="Bench",
                    starts_on=today - timedelta(days=60),
                    ends_on=today + timedelta(days=60),
                )
            )
        district_id = db.session.scalar(select(District.id).where(District.slug == "ciutat-vella"))
        hashed = hash_password(PASSWORD)
        for i in range(agents):
            email = f"agent{i}@bench.example.org"
            if db.session.scalar(select(User.id).where(User.email == email)) is not None:
                continue
            user = User(
                email=email,
                name=f"Agent {i}",
                role=Role.AGENT,
                password_hash=hashed,
                session_token=new_session_token(),
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                AgentProfile(
                    user_id=user.id,
                    status=AgentStatus.CERTIFIED,
                    pseudonym=f"bench{i:04d}",
                    district_id=district_id,
                )
            )
        db.session.commit()


def count_rows(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM encounters")).scalar_one()
    engine.dispose()
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, port: int) -> subprocess.Popen:
    env = dict(os.environ, BENCH_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.encounters:bench_app()",
        ],
        cwd=ROOT,
        env=env,
        # gunicorn.conf.py (read from the working folder, as in production) logs every
        # request to stdout: kept, but not printed here.
        stdout=subprocess.DEVNULL,
    )
    return wait_until_serving(process, port, "/api/v1/", seconds=30)


def wait_until_serving(process: subprocess.Popen, port: int, path: str, seconds: float):
    """`process` once `path` answers 200 on `port`; stopped, and an error, if it does not
    within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------


class Client:
    """One agent's keep-alive connection with its session cookie and CSRF token."""

    def __init__(self, port: int, email: str | None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""
        if email:
            page = self.request("GET", "/auth/login")[1].decode()
            token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            form = urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
            status, _ = self.request(
                "POST",
                "/auth/login",
                form,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert status == 302, f"login failed: {status}"
            self.token = json.loads(self.request("GET", "/api/v1/csrf-token")[1])["csrf_token"]

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def post_encounter(self, body: str) -> int:
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.token}
        return self.request("POST", "/api/v1/encounters", body, headers)[0]


def encounter_body() -> str:
    """A fresh encounter with its own client_uuid, as a phone would send it."""
    return json.dumps(
        {
            "client_uuid": str(uuid.uuid4()),
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "district": "ciutat-vella",
            "neighbourhood": "el-raval",
            "setting": "market",
            "rumours": ["they-take-our-jobs"],
            "people_reached": 2,
            "outcome": "doubt_sown",
            "notes": "",
            "campaign": "bench",
        }
    )


def run_load(clients: list[Client], total: int, action) -> tuple[float, list[float], list[int]]:
    """Spread `total` calls of action(client) over the clients' threads."""
    per_client = [total // len(clients) + (i < total % len(clients)) for i in range(len(clients))]
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients) + 1)

    def work(client: Client, n: int):
        mine_l, mine_s = [], []
        barrier.wait()
        for _ in range(n):
            started = time.perf_counter()
            status = action(client)
            mine_l.append(time.perf_counter() - started)
            mine_s.append(status)
        with lock:
            latencies.extend(mine_l)
            statuses.extend(mine_s)

    threads = [
        threading.Thread(target=work, args=(c, n)) for c, n in zip(clients, per_client, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_cpu(pid: str) -> tuple[int, str, float, float] | None:
    """(parent pid, command line, CPU seconds used, CPU seconds of its children that
    ended) of a process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:  # gone meanwhile
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    own = (int(fields[11]) + int(fields[12])) / _TICKS
    ended_children = (int(fields[13]) + int(fields[14])) / _TICKS
    return int(fields[1]), command, own, ended_children


def cpu_by_party(server_pid: int, postgres: bool) -> dict[str, float] | None:
    """CPU seconds used so far by the gunicorn server (master and workers, and workers
    it has replaced: gunicorn restarts one after `max_requests`), by PostgreSQL (every
    PostgreSQL process on this machine, and the connections that ended) when `postgres`,
    and by this process (the load generator); None where /proc is not there to read."""
    if not os.path.isdir("/proc"):
        return None
    used = {"server": 0.0, **({"PostgreSQL": 0.0} if postgres else {})}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _process_cpu(pid)
        if found is None:
            continue
        parent, command, own, ended_children = found
        if int(pid) == server_pid:
            used["server"] += own + ended_children
        elif parent == server_pid:
            used["server"] += own
        elif postgres and command.startswith("postgres:"):  # a connection or a helper
            used["PostgreSQL"] += own
        elif postgres and command.split(" ", 1)[0].endswith("/postgres"):  # the server
            used["PostgreSQL"] += own + ended_children
    times = os.times()
    used["load generator"] = times.user + times.system
    return used


def cpu_line(before: dict[str, float] | None, after: dict[str, float] | None, n: int) -> None:
    """Print the CPU one request cost each party between two `cpu_by_party` readings,
    and the requests per second those costs allow on this machine's cores."""
    if before is None or after is None or not n:
        return
    per_request = {party: (after[party] - before[party]) / n for party in before}
    spent = sum(per_request.values())
    cores = os.cpu_count() or 1
    ceiling = f"{cores / spent:.0f} req/s" if spent else "-"
    print(
        "    CPU per request: "
        + ", ".join(f"{party} {ms * 1000:.2f} ms" for party, ms in per_request.items())
        + f"; at most {ceiling} on {cores} cores"
    )


def summary(name: str, elapsed: float, latencies: list[float], statuses: list[int]) -> float:
    ok = sum(1 for s in statuses if 200 <= s < 300)
    cuts = statistics.quantiles(latencies, n=100)
    rate = len(statuses) / elapsed
    others = sorted({s for s in statuses if not 200 <= s < 300})
    print(
        f"  {name:<24} {rate:8.0f} req/s   p50 {cuts[49] * 1000:6.1f} ms   "
        f"p90 {cuts[89] * 1000:6.1f} ms   p99 {cuts[98] * 1000:6.1f} ms   "
        f"max {max(latencies) * 1000:6.1f} ms   2xx {ok}/{len(statuses)}"
        + (f"   other statuses {others}" if others else "")
    )
    return rate


def one_at_a_time(server_pid: int, postgres: bool, routes: dict, requests: int = 300) -> None:
    """Each route served to one client at a time, before the load: the time per request
    and the CPU one request cost each party, free of the load's contention (the workers,
    the clients and the database taking turns on the same cores). They still move with
    the machine's own speed: compare two versions of the code run one after the other."""
    print(f"  one request at a time ({requests} per route):")
    for name, (client, action) in routes.items():
        for _ in range(20):
            action(client)
        before = cpu_by_party(server_pid, postgres)
        started = time.perf_counter()
        statuses = [action(client) for _ in range(requests)]
        elapsed = time.perf_counter() - started
        after = cpu_by_party(server_pid, postgres)
        assert all(200 <= s < 300 for s in statuses), (name, sorted(set(statuses)))
        line = f"    {name:<24} {elapsed / requests * 1000:6.2f} ms per request"
        if before is not None and after is not None:
            line += "; CPU per request: " + ", ".join(
                f"{party} {(after[party] - before[party]) / requests * 1000:.2f} ms"
                for party in before
            )
        print(line)


def bench(label: str, url: str, workers: int, n_clients: int, requests: int) -> bool:
    prepare(url, n_clients)
    print(f"{label}:")
    in_process(url)
    port = free_port()
    server = start_gunicorn(url, workers, port)
    try:
        clients = [Client(port, f"agent{i}@bench.example.org") for i in range(n_clients)]
        bare_clients = [Client(port, None) for _ in range(n_clients)]
        print(f"  gunicorn {workers} workers, {n_clients} concurrent clients")

        def core(client):
            return client.request("POST", "/bench/core-insert", b"")[0]

        def bare(client):
            return client.request("POST", "/bench/bare-insert", b"")[0]

        warm = max(n_clients * 2, 20)
        run_load(bare_clients, warm, core)
        run_load(bare_clients, warm, bare)
        sent: dict[int, list[str]] = {}  # per client, the bodies that were stored
        sent_lock = threading.Lock()

        def encounter(client):
            body = encounter_body()
            status = client.post_encounter(body)
            if 200 <= status < 300:
                with sent_lock:
                    sent.setdefault(id(client), []).append(body)
            return status

        postgres = url.startswith("postgresql")
        one_at_a_time(server.pid, postgres, {
            "core insert": (bare_clients[0], core),
            "bare insert (ORM)": (bare_clients[0], bare),
            "POST /api/v1/encounters": (clients[0], lambda c: c.post_encounter(encounter_body())),
        })

        def measured(name: str, pool: list[Client], action):
            before = cpu_by_party(server.pid, postgres)
            elapsed, latencies, statuses = run_load(pool, requests, action)
            after = cpu_by_party(server.pid, postgres)
            rate = summary(name, elapsed, latencies, statuses)
            cpu_line(before, after, len(statuses))
            return rate, statuses

        rows_before = count_rows(url)
        core_rate, _ = measured("core insert", bare_clients, core)
        rows_after_core = count_rows(url)
        bare_rate, _ = measured("bare insert (ORM)", bare_clients, bare)
        rows_after_bare = count_rows(url)
        api_rate, statuses = measured("POST /api/v1/encounters", clients, encounter)
        rows_after_api = count_rows(url)

        # Each client replays ten of its own stored entries: 200 each, not one new row.
        replays = {key: iter(bodies[:10]) for key, bodies in sent.items()}

        def replay(client):
            return client.post_encounter(next(replays[id(client)]))

        per_client = min(len(bodies[:10]) for bodies in sent.values())
        _, _, replay_statuses = run_load(clients, per_client * len(clients), replay)
        rows_after_replay = count_rows(url)

        ok = sum(1 for s in statuses if 200 <= s < 300)
        core_ok = rows_after_core - rows_before
        bare_ok = rows_after_bare - rows_after_core
        good = (
            rows_after_api - rows_after_bare == ok
            and rows_after_replay == rows_after_api
            and set(replay_statuses) <= {200}
        )
        print(
            f"  ratio to the core insert: {api_rate / core_rate:.2f}; "
            f"to the ORM bare insert: {api_rate / bare_rate:.2f}"
        )
        print(
            f"  rows: core +{core_ok}, bare +{bare_ok}, "
            f"encounters +{rows_after_api - rows_after_bare} "
            f"for {ok} 2xx; {len(replay_statuses)} replays -> "
            f"{sorted(set(replay_statuses))}, +{rows_after_replay - rows_after_api} rows: "
            + ("OK (nothing lost, nothing doubled)" if good else "MISMATCH")
        )
        return good
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    # Imported here: gunicorn loads this file as bench.encounters, without bench/ on the path.
    from _databases import throwaway_database

    good = True
    if args.db in ("sqlite", "both"):
        with throwaway_database() as url:
            good &= bench("SQLite", url, args.workers, args.clients, args.requests)
    if args.db in ("postgresql", "both"):
        with throwaway_database(POSTGRES_URL) as url:
            good &= bench("PostgreSQL", url, args.workers, args.clients, args.requests)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
