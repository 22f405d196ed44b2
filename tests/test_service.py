"""Putting it into service: /healthz for the load balancer, the first-run page of a new
install, and the repository's gunicorn configuration serving the app."""

import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from rumours import create_app
from rumours.extensions import db
from rumours.models import Role

from .helpers import DEMO_PASSWORD, config_for, login, seeded_app_at

ROOT = Path(__file__).resolve().parent.parent


def migrated(path: Path):
    app = create_app(config_for(f"sqlite:///{path}"))
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    return app


def test_healthz_says_ok_on_a_migrated_database_and_nothing_else(tmp_path):
    response = migrated(tmp_path / "h.db").test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "reachable",
        "migrations": "current",
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_when_migrations_are_behind(tmp_path):
    app = migrated(tmp_path / "old.db")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "downgrade"]).exit_code == 0
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "behind"


def test_healthz_answers_503_on_an_empty_database(tmp_path):
    client = create_app(config_for(f"sqlite:///{tmp_path / 'empty.db'}")).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "behind"


def test_healthz_answers_503_without_migrations(app, client):
    # The test databases are built with create_all: no migration was ever applied.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "reachable"


def test_a_new_install_says_how_to_create_the_first_coordinator(client, create_user):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "create its first coordinator" in page
    assert "flask --app rumours create-user --role coordinator" in page
    create_user(Role.COORDINATOR)
    page = client.get("/auth/login").get_data(as_text=True)
    assert "create its first coordinator" not in page
    assert "Log in" in page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_repository_gunicorn_config_serves_the_app(tmp_path):
    database = tmp_path / "served.db"
    migrated(database)
    port = free_port()
    env = {
        **os.environ,
        "RUMOURS_CONFIG": "production",
        "SECRET_KEY": "a-test-secret-of-enough-length",
        "DATABASE_URL": f"sqlite:///{database}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "rumours:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "gunicorn did not answer"
        assert '"status":"ok"' in body.replace(" ", "")
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    # Logs go to stdout: the access log line of the health check is there, after the
    # master's own preparation before it forked the worker.
    assert "GET /healthz" in output
    assert "Warmed: " in output.split("GET /healthz")[0]


def gunicorn_process(app, log=None):
    """What gunicorn hands its hooks (the arbiter or a worker): the loaded app and a log."""
    loaded = type("Loaded", (), {"wsgi": lambda self: app})()
    return type("Process", (), {"app": loaded, "log": log})()


def test_a_forked_worker_never_uses_the_masters_database_connection(tmp_path):
    """gunicorn builds the app once in the master (`preload_app`) and forks each worker
    from it: the config's post_fork hook makes the worker open connections of its own
    and leaves the one it inherited open for the master."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    app = migrated(tmp_path / "fork.db")
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        inherited = db.session.connection().connection.driver_connection
        db.session.remove()  # back in the pool, as after a request in the master
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        answer = b"error"
        try:
            config["post_fork"](None, gunicorn_process(app))
            with app.app_context():
                mine = db.session.connection().connection.driver_connection
                count = db.session.execute(text("SELECT count(*) FROM alembic_version")).scalar()
                answer = b"shared" if mine is inherited else b"own %d" % count
        finally:
            os.write(writer, answer)
            os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    assert os.read(reader, 100) == b"own 1"
    os.close(reader)
    # The master's connection was not closed under it by the worker.
    assert inherited.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_a_worker_s_collections_leave_what_the_master_built_alone(tmp_path):
    """Before each fork the master moves what it built out of the garbage collector's
    sight: a worker's full collection walks its own objects, not the app's 160,000 or more
    (a pause of tens of milliseconds in the middle of a request otherwise)."""
    import gc

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    app = migrated(tmp_path / "freeze.db")
    environment = app.jinja_env
    try:
        config["pre_fork"](gunicorn_process(app), None)
        assert gc.get_freeze_count() > 10_000
        assert not any(found is environment for found in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(found is environment for found in gc.get_objects())


def test_the_master_prepares_templates_languages_and_maps_before_forking(tmp_path):
    """gunicorn's when_ready hook (in the master, before the workers fork) leaves the
    app with its templates compiled, its catalogues loaded, its map outlines projected
    and its hot reads compiled, and no database connection open to pass on: a worker's
    first requests read no template file, project no outline, and find the session's
    user look-up, a conversation's look-ups and the network dashboard's figures in the
    statement cache."""
    import json
    import uuid

    from sqlalchemy import event, select

    from rumours.models import AgentProfile, AgentStatus, District, Rumour, RumourStatus, User
    from rumours.reports import geography

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    app = seeded_app_at(f"sqlite:///{tmp_path / 'warm.db'}")
    with app.app_context():
        certified = AgentProfile.status == AgentStatus.CERTIFIED
        email = db.session.scalar(select(User.email).join(AgentProfile).where(certified))
        district = db.session.scalar(select(District.slug).limit(1))
        published = Rumour.status == RumourStatus.PUBLISHED
        rumour = db.session.scalar(select(Rumour.slug).where(published))
        engine = db.engine
        db.session.remove()
    logged = []
    log = type("Log", (), {"info": lambda self, message, values: logged.append(values)})()
    config["when_ready"](gunicorn_process(app, log))
    assert logged[0]["templates"] >= 70 and logged[0]["languages"] >= 2
    assert logged[0]["maps"] == 2  # the demo's districts and neighbourhoods
    assert engine.pool.checkedin() == 0 and engine.pool.checkedout() == 0

    loaded, projected, looked_up = [], [], []
    loader = app.jinja_env.loader
    original_source, original_project = loader.get_source, geography.project

    def get_source(environment, name):
        loaded.append(name)
        return original_source(environment, name)

    def project(*args, **kwargs):
        projected.append(args)
        return original_project(*args, **kwargs)

    def executed(conn, cursor, statement, parameters, context, executemany):
        # The session's user by its token; a conversation's references and rumours.
        if "session_token =" in statement or "FROM rumours" in statement or (
            "AS one" in statement
        ):
            looked_up.append(context.cache_hit.name)

    figures = []

    def counted(conn, cursor, statement, parameters, context, executemany):
        if "UNION ALL" in statement and "encounter_stats_" in statement:
            figures.append(context.cache_hit.name)

    loader.get_source = get_source
    geography.project = project
    event.listen(engine, "before_cursor_execute", executed)
    try:
        # A certified agent's first requests and first conversation.
        agent = app.test_client()
        assert login(agent, email, DEMO_PASSWORD).status_code == 302
        token = agent.get("/api/v1/csrf-token").get_json()["csrf_token"]
        posted = agent.post(
            "/api/v1/encounters",
            data=json.dumps({
                "client_uuid": str(uuid.uuid4()), "occurred_at": "2026-12-01T10:00:00+01:00",
                "district": district, "setting": "market", "rumours": [rumour],
                "people_reached": 1, "outcome": "open",
            }),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        assert posted.status_code == 201, posted.get_data(as_text=True)
        event.remove(engine, "before_cursor_execute", executed)
        # A coordinator's dashboard of the network, with its maps, in every language.
        client = app.test_client()
        assert login(client, "coordinator@example.org", DEMO_PASSWORD).status_code == 302
        event.listen(engine, "before_cursor_execute", counted)
        for language in ("en", "ca", "es"):
            page = client.get(f"/dashboard/?lang={language}")
            assert page.status_code == 200
    finally:
        geography.project = original_project
        for listener in (executed, counted):
            if event.contains(engine, "before_cursor_execute", listener):
                event.remove(engine, "before_cursor_execute", listener)
    assert "<svg" in page.get_data(as_text=True)  # the map, in Spanish, last
    assert loaded == [] and projected == []
    assert len(looked_up) >= 3 and set(looked_up) == {"CACHE_HIT"}, looked_up
    # The page's figures, one statement of a dozen reads, were compiled by the master.
    assert len(figures) == 3 and set(figures) == {"CACHE_HIT"}, figures


def test_a_failed_preparation_never_stops_the_master(tmp_path, monkeypatch):
    """The master's preparation is a head start: if it fails, gunicorn logs why and
    forks its workers all the same."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    app = create_app(config_for(f"sqlite:///{tmp_path / 'broken.db'}"))

    def broken(**kwargs):
        raise OSError("templates folder unreadable")

    monkeypatch.setattr(app.jinja_env, "list_templates", broken)
    logged = []
    log = type("Log", (), {"exception": lambda self, message: logged.append(message),
                           "info": lambda self, *args: logged.append(args)})()
    config["when_ready"](gunicorn_process(app, log))  # does not raise
    assert logged == ["Not warmed: the workers will prepare what they use"]


@pytest.mark.parametrize(
    "hops,expected", [(0, "http://localhost/"), (1, "https://rumours.example.org/")]
)
def test_proxy_hops_decide_whose_forwarded_headers_are_believed(tmp_path, hops, expected):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'p.db'}", PROXY_HOPS=hops))
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0

    @app.get("/_where")
    def where():
        from flask import url_for

        return url_for("main.home", _external=True)

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "rumours.example.org"}
    assert app.test_client().get("/_where", headers=headers).get_data(as_text=True) == expected


def test_pool_and_prepared_statements_are_set_from_the_environment(postgres_server):
    """Several app servers on one PostgreSQL: each worker's pool is sized by
    DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW, and DATABASE_PREPARED_STATEMENTS=0
    keeps psycopg from preparing statements (for a pooler that cannot carry them); an app
    so configured logs a conversation as usual."""
    from sqlalchemy import text

    from config import engine_options
    from rumours.extensions import db

    assert engine_options({}) == {}
    options = engine_options(
        {
            "DATABASE_POOL_SIZE": "2",
            "DATABASE_MAX_OVERFLOW": "0",
            "DATABASE_PREPARED_STATEMENTS": "0",
        }
    )
    url = postgres_server.create("rumours_pool")
    try:
        app = create_app(config_for(url, SQLALCHEMY_ENGINE_OPTIONS=options))
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        assert app.test_client().get("/healthz").status_code == 200
        with app.app_context():
            pool = db.engine.pool
            assert (pool.size(), pool._max_overflow) == (2, 0)
            raw = db.session.connection().connection.driver_connection
            assert raw.prepare_threshold is None
            # Run the same statement past psycopg's threshold: nothing is prepared.
            for _ in range(8):
                db.session.execute(text("SELECT count(*) FROM encounters")).scalar()
            prepared = db.session.execute(
                text("SELECT count(*) FROM pg_prepared_statements")
            ).scalar()
            assert prepared == 0
            db.session.remove()
            db.engine.dispose()
    finally:
        postgres_server.drop(url)


@pytest.mark.parametrize("idle", [0.0, 0.4])
def test_a_connection_the_database_dropped_while_idle_is_replaced_unseen(postgres_server, idle):
    """The database or a firewall drops a pooled connection while it waits: once it has
    been idle DATABASE_PING_AFTER_IDLE seconds, it is tested before use and replaced."""
    url = postgres_server.create("rumours_ping")
    try:
        app, before = _one_pooled_connection(url, idle)
        _terminate(url, before)
        time.sleep(idle + 0.1)
        with app.app_context():
            assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() != before
            db.session.remove()
            db.engine.dispose()
    finally:
        postgres_server.drop(url)


def test_a_connection_back_in_the_pool_moments_ago_goes_out_untested(postgres_server):
    """Under load connections return within milliseconds and are used without a test (a
    round trip per request saved): a connection the database dropped in that moment
    fails the statement that meets it, and the next one gets a fresh connection."""
    from sqlalchemy.exc import OperationalError

    url = postgres_server.create("rumours_ping")
    try:
        app, before = _one_pooled_connection(url, 3600.0)
        _terminate(url, before)
        with app.app_context():
            with pytest.raises(OperationalError):
                db.session.execute(text("SELECT pg_backend_pid()"))
            db.session.rollback()
            assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() != before
            db.session.remove()
            db.engine.dispose()
    finally:
        postgres_server.drop(url)


def test_a_request_that_meets_a_dropped_connection_is_still_answered(postgres_server):
    """The database restarted (or a pooler dropped a connection) moments after a worker
    used it: the request that meets it, a signed-in agent's new conversation or a
    visitor's page, is answered as usual. Its first read (the session's user, the
    city's settings) runs again on a fresh connection, never with the defaults."""
    import json
    import uuid

    from sqlalchemy import select

    from rumours.models import (
        AgentProfile,
        AgentStatus,
        District,
        Rumour,
        RumourStatus,
        SiteSetting,
        User,
    )
    from rumours.rules import city as city_settings

    url = postgres_server.create("rumours_dropped")
    try:
        seeded = seeded_app_at(url)
        with seeded.app_context():
            name = SiteSetting(key=city_settings.PREFIX + "network_name", value="Xarxa Girona")
            db.session.merge(name)
            db.session.commit()
            db.engine.dispose()
        app = create_app(config_for(url, DATABASE_PING_AFTER_IDLE=3600.0))
        with app.app_context():
            certified = AgentProfile.status == AgentStatus.CERTIFIED
            email = db.session.scalar(select(User.email).join(AgentProfile).where(certified))
            district = db.session.scalar(select(District.slug).limit(1))
            published = Rumour.status == RumourStatus.PUBLISHED
            rumour = db.session.scalar(select(Rumour.slug).where(published))
            db.session.remove()
        agent, visitor = app.test_client(), app.test_client()
        assert login(agent, email, DEMO_PASSWORD).status_code == 302
        token = agent.get("/api/v1/csrf-token").get_json()["csrf_token"]

        def dropped() -> None:
            with app.app_context():
                pids = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
                db.session.remove()
                assert db.engine.pool.checkedin() == 1
            _terminate(url, pids)

        with app.app_context():
            db.engine.dispose()
        dropped()
        posted = agent.post(
            "/api/v1/encounters",
            data=json.dumps({
                "client_uuid": str(uuid.uuid4()),
                "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                "district": district, "setting": "market", "rumours": [rumour],
                "people_reached": 1, "outcome": "open",
            }),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        assert posted.status_code == 201, posted.get_data(as_text=True)
        dropped()
        page = visitor.get("/auth/login")
        assert page.status_code == 200
        assert "Xarxa Girona" in page.get_data(as_text=True)
        with app.app_context():
            db.engine.dispose()
    finally:
        postgres_server.drop(url)


def test_a_transaction_that_lost_its_connection_is_never_carried_on(postgres_server):
    """A connection that dies in the middle of a request's transaction takes what the
    transaction did with it: the next read fails the request (which then commits
    nothing), never reads again on a fresh connection, and the city's settings never
    stand in their defaults for it."""
    from sqlalchemy.exc import OperationalError

    from rumours.extensions import first_read
    from rumours.rules.city import city

    url = postgres_server.create("rumours_ping")
    try:
        app, pid = _one_pooled_connection(url, 3600.0)
        with app.test_request_context():
            assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() == pid
            _terminate(url, pid)
            with pytest.raises(OperationalError):
                first_read(lambda: db.session.execute(text("SELECT 1")).scalar())
            db.session.rollback()
            assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
            _terminate(url, db.session.execute(text("SELECT pg_backend_pid()")).scalar())
            with pytest.raises(OperationalError):
                city()
            db.session.rollback()
            assert city().network_name  # a new transaction reads them as usual
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        postgres_server.drop(url)


def _one_pooled_connection(url: str, idle: float):
    """An app on `url` whose pool holds one connection, back from a request; and that
    connection's server process."""
    app = create_app(config_for(url, DATABASE_PING_AFTER_IDLE=idle))
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    assert app.test_client().get("/healthz").status_code == 200
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
        assert db.engine.pool.checkedin() == 1
    return app, pid


def _terminate(url: str, pid: int) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    engine.dispose()
