"""Fixtures: an app per test on SQLite (a fresh file) and on PostgreSQL (one database
per run, one rolled-back transaction per test), a client, a CLI runner and factories."""

import os
import secrets
import uuid

import pytest
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from rumours import create_app
from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    AgentStatus,
    Membership,
    Organisation,
    OrganisationType,
    Role,
    User,
)
from rumours.rules.accounts import new_session_token
from rumours.rules.passwords import hash_password

from .helpers import PASSWORD, config_for

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def postgres_url(database: str | None = None) -> URL:
    url = make_url(POSTGRES_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.set(database=database) if database else url




class PostgresServer:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self) -> None:
        self.admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return postgres_url(name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL server, or a skip (a failure when REQUIRE_POSTGRES=1) without one."""
    server = PostgresServer()
    try:
        with server.admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server"
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {error.__class__.__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message + "; PostgreSQL tests skipped")
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres_server):
    """One database for the whole run, with the schema from the models; dropped at the end."""
    url = postgres_server.create("rumours_test")
    engine = create_engine(url)
    import rumours.models  # noqa: F401  (registers the tables)
    from rumours.extensions import Base

    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    postgres_server.drop(url)


class ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine per model; in a test that rolls
    back, every statement must go through the one connection it was given."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    """The application on a fresh database; every test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        app = create_app(config_for(f"sqlite:///{tmp_path / 'test.db'}"))
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return

    url = request.getfixturevalue("postgres_database")
    app = create_app(config_for(url))
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
    original_session = db.session
    # Every app context's session joins this connection's transaction through a
    # savepoint, so commits in the code under test are undone after the test.
    db.session = db._make_scoped_session(
        {
            "class_": ConnectionBoundSession,
            "bind": connection,
            "join_transaction_mode": "create_savepoint",
        }
    )
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original_session
        transaction.rollback()
        connection.close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()




_HASHES: dict[str, str] = {}


@pytest.fixture
def demo(app, runner):
    """The Barcelona demo loaded into this test's database."""
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def create_user(app):
    """Factory: create_user(role=Role.AGENT, email=None, status=..., organisation=None)."""

    def make(
        role: Role = Role.AGENT,
        *,
        email: str | None = None,
        name: str = "Test Person",
        password: str = PASSWORD,
        status: AgentStatus = AgentStatus.CERTIFIED,
        organisation: Organisation | None = None,
        active: bool = True,
    ) -> User:
        with app.app_context():
            if password not in _HASHES:
                _HASHES[password] = hash_password(password)
            user = User(
                email=email or f"user-{secrets.token_hex(4)}@example.org",
                name=name,
                role=role,
                password_hash=_HASHES[password],
                session_token=new_session_token(),
                active=active,
            )
            db.session.add(user)
            db.session.flush()
            if role is Role.AGENT:
                db.session.add(
                    AgentProfile(user_id=user.id, status=status, pseudonym=secrets.token_hex(6))
                )
            if organisation is not None:
                db.session.add(Membership(user_id=user.id, organisation_id=organisation.id))
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def create_organisation(app):
    """Factory: create_organisation(name=...) returns a detached Organisation."""

    def make(name: str = "Test Association", type: OrganisationType = OrganisationType.ASSOCIATION):
        with app.app_context():
            organisation = Organisation(slug=f"org-{secrets.token_hex(4)}", name=name, type=type)
            db.session.add(organisation)
            db.session.commit()
            db.session.refresh(organisation)
            db.session.expunge(organisation)
            return organisation

    return make


@pytest.fixture
def create_district(app):
    """Factory: create_district(name=...) returns a detached District."""

    def make(name: str = "Ciutat Vella"):
        from rumours.models import District

        with app.app_context():
            code = (db.session.scalar(db.select(db.func.count(District.id))) or 0) + 1
            district = District(code=str(code), slug=f"district-{code}", name=name, position=code)
            db.session.add(district)
            db.session.commit()
            db.session.refresh(district)
            db.session.expunge(district)
            return district

    return make


@pytest.fixture
def create_training(app):
    """Factory: create_training(kind=..., days_ahead=7, capacity=20) returns a detached
    TrainingSession."""

    def make(kind=None, *, days_ahead: float = 7, hours: int = 3, capacity: int = 20,
             title: str = "Basic anti-rumour agent training"):
        from datetime import UTC, datetime, timedelta

        from rumours.models import TrainingKind, TrainingSession

        with app.app_context():
            starts = datetime.now(UTC) + timedelta(days=days_ahead)
            session = TrainingSession(
                kind=kind or TrainingKind.BASIC, title=title, starts_at=starts,
                ends_at=starts + timedelta(hours=hours), venue="Casal de Barri",
                trainer="Trainer Name", capacity=capacity, language="ca",
            )
            db.session.add(session)
            db.session.commit()
            db.session.refresh(session)
            db.session.expunge(session)
            return session

    return make
