"""Read-only training queries: sessions with their places taken, a session's roster and
waiting list, an agent's schedule."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func

from ..extensions import db
from ..models import (
    Enrolment,
    EnrolmentStatus,
    TrainingSession,
    TrainingStatus,
    User,
)


@dataclass(frozen=True)
class SessionRow:
    session: TrainingSession
    enrolled: int
    waitlisted: int
    # The viewer's own enrolment status, if any (for agents).
    mine: EnrolmentStatus | None

    @property
    def full(self) -> bool:
        return self.enrolled >= self.session.capacity

    @property
    def past(self) -> bool:
        """The session is over: no places to offer, nothing to cancel."""
        return self.session.ends_at <= datetime.now(UTC)

    @property
    def places_left(self) -> int:
        return max(self.session.capacity - self.enrolled, 0)


def _counts():
    return (
        db.select(
            Enrolment.session_id,
            func.sum(case((Enrolment.status == EnrolmentStatus.ENROLLED, 1), else_=0)).label("e"),
            func.sum(case((Enrolment.status == EnrolmentStatus.WAITLISTED, 1), else_=0)).label("w"),
        )
        .group_by(Enrolment.session_id)
        .subquery()
    )


def session_rows(
    *, viewer: User | None, upcoming: bool = True, now: datetime | None = None, limit: int = 100
) -> list[SessionRow]:
    """Logged-in users: sessions (upcoming, or past most recent first) with places taken
    and the viewer's own enrolment, in one query."""
    now = now or datetime.now(UTC)
    counts = _counts()
    mine = (
        db.select(Enrolment.session_id, Enrolment.status)
        .where(Enrolment.agent_id == (viewer.id if viewer else 0))
        .subquery()
    )
    select = (
        db.select(
            TrainingSession,
            func.coalesce(counts.c.e, 0),
            func.coalesce(counts.c.w, 0),
            mine.c.status,
        )
        .outerjoin(counts, counts.c.session_id == TrainingSession.id)
        .outerjoin(mine, mine.c.session_id == TrainingSession.id)
    )
    if upcoming:
        select = select.where(TrainingSession.ends_at >= now).order_by(TrainingSession.starts_at)
    else:
        select = select.where(TrainingSession.ends_at < now).order_by(
            TrainingSession.starts_at.desc()
        )
    rows = db.session.execute(select.limit(limit)).all()
    return [
        SessionRow(
            session, int(enrolled), int(waiting), EnrolmentStatus(status) if status else None
        )
        for session, enrolled, waiting, status in rows
    ]


@dataclass(frozen=True)
class Roster:
    enrolled: list[Enrolment]
    waitlisted: list[Enrolment]

    @property
    def present(self) -> int:
        return sum(1 for e in self.enrolled if e.attended)


def roster(session: TrainingSession) -> Roster:
    """Coordinators: who is enrolled (by name) and the waiting list in order."""
    enrolments = list(
        db.session.scalars(
            db.select(Enrolment)
            .join(User, User.id == Enrolment.agent_id)
            .where(
                Enrolment.session_id == session.id,
                Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]),
            )
            .order_by(Enrolment.enrolled_at, Enrolment.id)
        )
    )
    return Roster(
        enrolled=sorted(
            (e for e in enrolments if e.status is EnrolmentStatus.ENROLLED),
            key=lambda e: e.agent.name.lower(),
        ),
        waitlisted=[e for e in enrolments if e.status is EnrolmentStatus.WAITLISTED],
    )


def session_row(session: TrainingSession, viewer: User | None) -> SessionRow:
    """One session's places taken and the viewer's enrolment."""
    counts = dict(
        db.session.execute(
            db.select(Enrolment.status, func.count())
            .where(Enrolment.session_id == session.id)
            .group_by(Enrolment.status)
        ).all()
    )
    mine = None
    if viewer is not None:
        mine = db.session.scalar(
            db.select(Enrolment.status).where(
                Enrolment.session_id == session.id, Enrolment.agent_id == viewer.id
            )
        )
    return SessionRow(
        session,
        counts.get(EnrolmentStatus.ENROLLED, 0),
        counts.get(EnrolmentStatus.WAITLISTED, 0),
        mine,
    )


def waiting_position(session: TrainingSession, agent: User) -> int | None:
    """The agent's place on the session's waiting list (1 = next), or None."""
    mine = db.session.execute(
        db.select(Enrolment).where(
            Enrolment.session_id == session.id,
            Enrolment.agent_id == agent.id,
            Enrolment.status == EnrolmentStatus.WAITLISTED,
        )
    ).scalar_one_or_none()
    if mine is None:
        return None
    ahead = db.session.scalar(
        db.select(func.count())
        .select_from(Enrolment)
        .where(
            Enrolment.session_id == session.id,
            Enrolment.status == EnrolmentStatus.WAITLISTED,
            (Enrolment.enrolled_at < mine.enrolled_at)
            | ((Enrolment.enrolled_at == mine.enrolled_at) & (Enrolment.id < mine.id)),
        )
    )
    return ahead + 1


def agent_schedule(agent: User) -> list[TrainingSession]:
    """The agent themselves: sessions they are enrolled in (or waiting for), for the calendar."""
    return list(
        db.session.scalars(
            db.select(TrainingSession)
            .join(Enrolment, Enrolment.session_id == TrainingSession.id)
            .where(
                Enrolment.agent_id == agent.id,
                Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]),
                TrainingSession.status == TrainingStatus.SCHEDULED,
            )
            .order_by(TrainingSession.starts_at)
        )
    )
