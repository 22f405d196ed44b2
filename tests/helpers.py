"""Plain helpers the tests share (fixtures live in conftest.py)."""

import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select

from config import TestConfig
from rumours import create_app
from rumours.extensions import db
from rumours.models import Encounter

PASSWORD = "correct-horse-battery-2026"
DEMO_PASSWORD = "demo-password-2026"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def config_for(url: str, **overrides) -> type[TestConfig]:
    """The test configuration pointed at `url`, with any settings overridden."""
    return type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


def csrf_from(response) -> str:
    """The CSRF token every HTML page carries in its meta tag."""
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    """Log in through the real form, CSRF token included; returns the POST response."""
    token = csrf_from(client.get("/auth/login"))
    url = "/auth/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def seeded_app(path):
    """An app on a migrated SQLite file at `path` holding the Barcelona demo."""
    return seeded_app_at(f"sqlite:///{path}")


def seeded_app_at(url: str):
    """An app on the database at `url`, migrated and holding the Barcelona demo."""
    app = create_app(config_for(url))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(args=["seed"])
    assert seeded.exit_code == 0, seeded.output
    return app


@contextmanager
def seeded_postgres_app(postgres_server, name: str):
    """An app on a new PostgreSQL database `name` (committed rows, as a deployment
    has them), migrated and holding the demo; afterwards its connections are closed
    and the database dropped."""
    url = postgres_server.create(name)
    app = None
    try:
        app = seeded_app_at(url)
        yield app
    finally:
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        postgres_server.drop(url)


def _square(west: float, south: float, east: float, north: float) -> list:
    """A closed ring, anticlockwise, with a corner in the middle of each side (which the
    map drops as it lies on a straight line)."""
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    return [[west, south], [mid_x, south], [east, south], [east, mid_y], [east, north],
            [mid_x, north], [west, north], [west, mid_y], [west, south]]


def small_city(level: str = "district") -> dict:
    """A hand-made city as GeoJSON: three districts (Śródmieście and Wola side by side,
    Praga-Północ above them and on an island, a MultiPolygon) and four neighbourhoods."""
    def feature(props, rings, multi=False):
        geometry = ({"type": "MultiPolygon", "coordinates": rings} if multi
                    else {"type": "Polygon", "coordinates": rings})
        return {"type": "Feature", "properties": props, "geometry": geometry}

    if level == "district":
        features = [
            feature({"nazwa": "Śródmieście", "kod": "S"}, [_square(21.00, 52.20, 21.02, 52.22)]),
            feature({"nazwa": "Wola", "kod": "W"}, [_square(21.02, 52.20, 21.04, 52.22)]),
            feature({"nazwa": "Praga-Północ", "kod": "P"},
                    [[_square(21.00, 52.22, 21.04, 52.24)], [_square(21.05, 52.20, 21.06, 52.21)]],
                    multi=True),
        ]
    else:
        features = [
            feature({"nazwa": "Stare Miasto", "kod": "S1", "dzielnica": "S"},
                    [_square(21.00, 52.20, 21.01, 52.22)]),
            feature({"nazwa": "Nowe Miasto", "kod": "S2", "dzielnica": "S"},
                    [_square(21.01, 52.20, 21.02, 52.22)]),
            feature({"nazwa": "Mirów", "kod": "W1", "dzielnica": "W"},
                    [_square(21.02, 52.20, 21.04, 52.22)]),
            feature({"nazwa": "Nowa Praga", "kod": "P1", "dzielnica": "P"},
                    [_square(21.00, 52.22, 21.04, 52.24)]),
        ]
    return {"type": "FeatureCollection", "features": features}


@contextmanager
def statements_sent():
    """The (statement, parameters) pairs the app's engine sends inside the block."""
    sent: list[tuple] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def query_plan(statement: str, parameters) -> str:
    """How the database would read a statement the app sent, as one text. On
    PostgreSQL, with table scans made dear (for this transaction only): a test's few
    rows are cheaper to scan, and the question is whether an index can answer."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
    return "\n".join(row[0] for row in rows)


def wrong_bursts(connection) -> dict[int, bool]:
    """The conversations whose stored "many in a few minutes" flag (as the review reads
    it: an agent's, and set) differs from the rule counted here in Python: at least four
    conversations of the same agent within five minutes either side, itself included.
    Maps each such id to the flag the rule gives."""
    table = Encounter.__table__
    rows = connection.execute(
        select(table.c.id, table.c.agent_id, table.c.occurred_at, table.c.burst)
    ).all()
    times: dict[int, list] = {}
    for _id, agent, at, _burst in rows:
        if agent is not None:
            times.setdefault(agent, []).append(at)
    window = timedelta(minutes=5)
    wrong = {}
    for id_, agent, at, burst in rows:
        expected = agent is not None and (
            sum(1 for other in times[agent] if abs(other - at) <= window) >= 4
        )
        if bool(agent is not None and burst) != expected:
            wrong[id_] = expected
    return wrong
