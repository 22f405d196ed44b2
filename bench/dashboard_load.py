"""Benchmark: the dashboard under gunicorn, as coordinators meet it.

Run by hand, on a database already seeded (`flask seed --encounters 1000000`):
  .venv/bin/python bench/dashboard_load.py --database sqlite:////tmp/big.db
  .venv/bin/python bench/dashboard_load.py --database postgresql://postgres@127.0.0.1/big

It serves the app with the repository's gunicorn.conf.py (4 workers, as production runs
it, forked from the preloaded app), logs `--clients` coordinators in and has each fetch
one view `--requests / --clients` times in a row, then prints the throughput and the
latency's median, 90th and 99th percentiles and maximum. `bench/dashboard.py` times the
same views in process, against the raw SQL reference; this one shows the tail a
coordinator meets beside other coordinators: a worker's pauses (garbage collection,
a recycled worker's first requests), not visible one request at a time. As the floor,
the same clients fetch `/healthz` (one small read, no login, no template).
"""

import argparse
import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _demo import PASSWORD  # noqa: E402
from dashboard import views  # noqa: E402
from encounters import free_port, wait_until_serving  # noqa: E402

from config import DevelopmentConfig, database_url  # noqa: E402
from rumours import create_app  # noqa: E402


def serve(url: str, workers: int) -> tuple[subprocess.Popen, int]:
    """gunicorn with the repository's configuration on `url`."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_LOG_LEVEL="warning",
        RUMOURS_CONFIG="development",
    )
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py",
         "rumours:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log
    )
    return wait_until_serving(process, port, "/healthz", seconds=60), port


def _cookies(response, jar: dict[str, str]) -> dict[str, str]:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.split(";")[0].partition("=")
            jar[key] = rest
    return jar


def coordinator(port: int) -> tuple[http.client.HTTPConnection, str]:
    """A kept-alive connection and the cookie of the demo coordinator, logged in."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/auth/login")
    response = conn.getresponse()
    page = response.read().decode()
    jar = _cookies(response, {})
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"email": "coordinator@example.org", "password": PASSWORD, "csrf_token": token}
    )
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/auth/login", form, headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 302, f"login answered {response.status}"
    _cookies(response, jar)
    return conn, "; ".join(f"{k}={v}" for k, v in jar.items())


def load(port: int, path: str, clients: int, requests: int, login: bool) -> tuple[float, list]:
    """Seconds taken and latencies (ms) of `requests` GETs of `path` from `clients`."""
    sessions = [
        coordinator(port) if login else (http.client.HTTPConnection("127.0.0.1", port), "")
        for _ in range(clients)
    ]
    latencies: list[float] = []
    failures: list[int] = []

    def work(conn, cookie, n):
        for _ in range(n):
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                failures.append(response.status)

    threads = [
        threading.Thread(target=work, args=(conn, cookie, requests // clients))
        for conn, cookie in sessions
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not failures, f"{path}: {len(failures)} answers were not 200: {set(failures)}"
    return elapsed, sorted(latencies)


def report(label: str, elapsed: float, latencies: list[float]) -> None:
    def at(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))]

    print(
        f"{label:<34}{len(latencies) / elapsed:8.1f} req/s  p50 {at(0.5):6.1f} ms"
        f"  p90 {at(0.9):6.1f} ms  p99 {at(0.99):6.1f} ms  max {latencies[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a seeded database URL")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=600, help="per view")
    parser.add_argument("--view", action="append", help="only these views (repeatable)")
    options = parser.parse_args()
    os.environ["DATABASE_URL"] = options.database
    url = database_url(options.database)
    app = create_app(type("LoadConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    chosen = {k: v for k, v in views(app).items() if not options.view or k in options.view}
    process, port = serve(options.database, options.workers)
    try:
        print(f"gunicorn {options.workers} workers, {options.clients} coordinators, "
              f"{options.requests} requests per view")
        # Every worker serves a few pages first, as after its first minutes in service.
        for args in chosen.values():
            load(port, "/dashboard/?" + urllib.parse.urlencode(args), options.clients,
                 options.clients * 5, login=True)
        elapsed, latencies = load(port, "/healthz", options.clients, options.requests, False)
        report("/healthz (floor)", elapsed, latencies)
        for label, args in chosen.items():
            path = "/dashboard/?" + urllib.parse.urlencode(args)
            elapsed, latencies = load(port, path, options.clients, options.requests, True)
            report(label, elapsed, latencies)
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
