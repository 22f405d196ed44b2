"""Issue 12: agents enrolling at the same moment, each on their own connection (several
app servers), never overbook a training, on SQLite as on PostgreSQL."""

import secrets
import threading
from datetime import UTC, datetime, timedelta

from rumours import create_app
from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    AgentStatus,
    Enrolment,
    EnrolmentStatus,
    Role,
    TrainingKind,
    TrainingSession,
    User,
)
from rumours.services.trainings import enrol

from .helpers import config_for

AGENTS = 24
CAPACITY = 5
ROUNDS = 2


def prepare(app) -> tuple[list[int], list[int]]:
    """ROUNDS sessions of capacity 5 and 24 certified agents; their ids."""
    with app.app_context():
        db.create_all()
        starts = datetime.now(UTC) + timedelta(days=7)
        sessions = [
            TrainingSession(
                kind=TrainingKind.BASIC, title=f"Round {n}", starts_at=starts,
                ends_at=starts + timedelta(hours=3), venue="Casal", trainer="Marta",
                capacity=CAPACITY, language="ca",
            )
            for n in range(ROUNDS)
        ]
        agents = [
            User(
                email=f"agent-{n}@example.org", name=f"Agent {n}", role=Role.AGENT,
                password_hash="x", session_token=secrets.token_hex(16),
            )
            for n in range(AGENTS)
        ]
        db.session.add_all(sessions + agents)
        db.session.flush()
        db.session.add_all(
            AgentProfile(user_id=a.id, status=AgentStatus.CERTIFIED, pseudonym=f"p{a.id}")
            for a in agents
        )
        db.session.commit()
        ids = [s.id for s in sessions], [a.id for a in agents]
        db.session.remove()
        return ids


def enrol_all_at_once(app, session_id: int, agent_ids: list[int]) -> list[str]:
    barrier = threading.Barrier(len(agent_ids), timeout=30)
    failures: list[str] = []

    def one(agent_id: int) -> None:
        with app.app_context():  # its own session, its own connection
            try:
                session = db.session.get(TrainingSession, session_id)
                agent = db.session.get(User, agent_id)
                agent.agent_profile  # noqa: B018 - loaded before the race, as a request would
                barrier.wait()
                enrol(session, agent)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported by the test
                failures.append(repr(error))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=one, args=(a,)) for a in agent_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


def statuses(app, session_id: int) -> list[EnrolmentStatus]:
    with app.app_context():
        found = list(
            db.session.scalars(
                db.select(Enrolment.status).where(Enrolment.session_id == session_id)
            )
        )
        db.session.remove()
        return found


def race(url: str) -> None:
    # A connection for each agent at once, as from several app servers.
    app = create_app(
        config_for(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": AGENTS, "max_overflow": 0})
    )
    try:
        session_ids, agent_ids = prepare(app)
        for session_id in session_ids:
            assert enrol_all_at_once(app, session_id, agent_ids) == []
            found = statuses(app, session_id)
            assert found.count(EnrolmentStatus.ENROLLED) == CAPACITY
            assert found.count(EnrolmentStatus.WAITLISTED) == AGENTS - CAPACITY
    finally:
        with app.app_context():
            db.engine.dispose()


def test_simultaneous_enrolments_never_overbook_on_sqlite(tmp_path):
    race(f"sqlite:///{tmp_path / 'race.db'}")


def test_simultaneous_enrolments_never_overbook_on_postgresql(postgres_server):
    url = postgres_server.create("rumours_enrol")
    try:
        race(url)
    finally:
        postgres_server.drop(url)
