"""Training writes: scheduling, enrolment with a waiting list, attendance and the
certification that follows from it, and lapses. Callers own the transaction."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import func

from ..extensions import db
from ..models import (
    AgentProfile,
    AgentStatus,
    Enrolment,
    EnrolmentStatus,
    TrainingKind,
    TrainingSession,
    TrainingStatus,
    User,
)
from ..reports.agents import certification_due
from ..rules.certification import attendance_certifies
from ..rules.errors import DomainError
from ..rules.inputs import check_dates
from . import record_audit
from .agents import change_status

ACTIVE_ENROLMENT = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED)


@dataclass
class SessionData:
    kind: TrainingKind
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    district_id: int | None
    trainer: str
    capacity: int
    language: str
    description: str


def _lock(session: TrainingSession) -> TrainingSession:
    """Serialise enrolments per session: the row lock on PostgreSQL; on SQLite, where
    FOR UPDATE does nothing, the database's write lock taken before the count is read
    (BEGIN IMMEDIATE), so two enrolments cannot both see the last free place."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # The sqlite3 module opens a transaction only at the first write; a reader's
        # snapshot would go stale while it waits, so take the lock before any read.
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return db.session.execute(
        db.select(TrainingSession).where(TrainingSession.id == session.id).with_for_update()
    ).scalar_one()


def enrolled_count(session: TrainingSession) -> int:
    return db.session.scalar(
        db.select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.session_id == session.id, Enrolment.status == EnrolmentStatus.ENROLLED)
    )


def promote_waiting(session: TrainingSession, *, actor: User | None) -> list[Enrolment]:
    """Give free places to the first in line on the waiting list; returns the promoted."""
    free = session.capacity - enrolled_count(session)
    if free <= 0:
        return []
    promoted = list(
        db.session.scalars(
            db.select(Enrolment)
            .where(
                Enrolment.session_id == session.id, Enrolment.status == EnrolmentStatus.WAITLISTED
            )
            .order_by(Enrolment.enrolled_at, Enrolment.id)
            .limit(free)
        )
    )
    for enrolment in promoted:
        enrolment.status = EnrolmentStatus.ENROLLED
        record_audit(
            "enrolment.promote",
            "training_session",
            session.id,
            actor=actor,
            details={"agent_id": enrolment.agent_id},
        )
    db.session.flush()
    return promoted


def create_session(data: SessionData, *, actor: User) -> TrainingSession:
    """Coordinators: schedule a training session."""
    check_dates(starts_at=data.starts_at, ends_at=data.ends_at)
    if data.ends_at <= data.starts_at:
        raise DomainError(_("The end must be after the start."), "ends_at")
    session = TrainingSession(**vars(data))
    db.session.add(session)
    db.session.flush()
    record_audit("training.create", "training_session", session.id, actor=actor)
    return session


def update_session(session: TrainingSession, data: SessionData, *, actor: User) -> None:
    """Coordinators: change a session; capacity may not drop below the enrolled agents."""
    session = _lock(session)
    check_dates(starts_at=data.starts_at, ends_at=data.ends_at)
    if data.ends_at <= data.starts_at:
        raise DomainError(_("The end must be after the start."), "ends_at")
    enrolled = enrolled_count(session)
    if data.capacity < enrolled:
        raise DomainError(
            _("%(num)d agents are already enrolled: the capacity cannot be lower.", num=enrolled),
            "capacity",
        )
    for key, value in vars(data).items():
        setattr(session, key, value)
    db.session.flush()
    promote_waiting(session, actor=actor)
    record_audit("training.update", "training_session", session.id, actor=actor)


def cancel_session(session: TrainingSession, *, actor: User, reason: str) -> None:
    """Coordinators: cancel a session (its enrolments stay, for the record)."""
    if session.status is TrainingStatus.CANCELLED:
        raise DomainError(_("This session is already cancelled."))
    if session.ends_at <= datetime.now(UTC):
        raise DomainError(_("This session has already taken place; it cannot be cancelled."))
    session.status = TrainingStatus.CANCELLED
    record_audit(
        "training.cancel", "training_session", session.id, actor=actor, details={"reason": reason}
    )
    db.session.flush()


def enrol(session: TrainingSession, agent: User, *, now: datetime | None = None) -> Enrolment:
    """Agents (approved): enrol in an upcoming session, or join its waiting list when full."""
    now = now or datetime.now(UTC)
    profile = agent.agent_profile
    if profile is None or profile.status not in (AgentStatus.IN_TRAINING, AgentStatus.CERTIFIED):
        if profile is not None and profile.status is AgentStatus.APPLICANT:
            raise DomainError(
                _(
                    "Your application is waiting for a coordinator's approval; "
                    "you can enrol once you are approved."
                )
            )
        raise DomainError(_("Only active agents can enrol in trainings."))
    session = _lock(session)
    if session.status is TrainingStatus.CANCELLED:
        raise DomainError(_("This session has been cancelled."))
    if session.starts_at <= now:
        raise DomainError(_("This session has already started or taken place."))
    enrolment = db.session.execute(
        db.select(Enrolment).where(
            Enrolment.session_id == session.id, Enrolment.agent_id == agent.id
        )
    ).scalar_one_or_none()
    if enrolment is not None and enrolment.status in ACTIVE_ENROLMENT:
        raise DomainError(_("You are already enrolled in this session."))
    full = enrolled_count(session) >= session.capacity
    status = EnrolmentStatus.WAITLISTED if full else EnrolmentStatus.ENROLLED
    if enrolment is None:
        enrolment = Enrolment(session_id=session.id, agent_id=agent.id)
        db.session.add(enrolment)
    # Re-enrolling after leaving goes to the end of the line.
    enrolment.status = status
    enrolment.enrolled_at = now
    enrolment.attended = None
    enrolment.attendance_recorded_at = None
    profile.last_active_at = now
    db.session.flush()
    record_audit(
        "enrolment.create",
        "training_session",
        session.id,
        actor=agent,
        details={"status": status.value},
    )
    return enrolment


def leave(session: TrainingSession, agent: User, *, now: datetime | None = None) -> None:
    """Agents: leave a session (or its waiting list); the freed place goes to the first in line."""
    now = now or datetime.now(UTC)
    session = _lock(session)
    enrolment = db.session.execute(
        db.select(Enrolment).where(
            Enrolment.session_id == session.id,
            Enrolment.agent_id == agent.id,
            Enrolment.status.in_(ACTIVE_ENROLMENT),
        )
    ).scalar_one_or_none()
    if enrolment is None:
        raise DomainError(_("You are not enrolled in this session."))
    if session.starts_at <= now:
        raise DomainError(_("This session has already started."))
    enrolment.status = EnrolmentStatus.WITHDRAWN
    db.session.flush()
    record_audit("enrolment.withdraw", "training_session", session.id, actor=agent)
    promote_waiting(session, actor=agent)


def record_attendance(
    session: TrainingSession,
    attended_ids: set[int],
    *,
    actor: User,
    now: datetime | None = None,
) -> list[User]:
    """Coordinators: the roll call. `attended_ids` are enrolment ids of those present; every
    other enrolled agent is marked absent. Returns the agents certified by it."""
    now = now or datetime.now(UTC)
    if session.status is TrainingStatus.CANCELLED:
        raise DomainError(_("This session has been cancelled."))
    enrolments = list(
        db.session.scalars(
            db.select(Enrolment).where(
                Enrolment.session_id == session.id, Enrolment.status == EnrolmentStatus.ENROLLED
            )
        )
    )
    known = {e.id for e in enrolments}
    if attended_ids - known:
        raise DomainError(_("Attendance can only be taken for agents enrolled in this session."))
    certified = []
    for enrolment in enrolments:
        present = enrolment.id in attended_ids
        if enrolment.attended is not present:
            enrolment.attended = present
            enrolment.attendance_recorded_at = now
        if present:
            profile = enrolment.agent.agent_profile
            if profile is None:
                continue
            if profile.last_active_at is None or profile.last_active_at < session.ends_at:
                profile.last_active_at = min(session.ends_at, now)
            if certify_for_attendance(profile, session, actor=actor):
                certified.append(enrolment.agent)
    record_audit(
        "training.attendance",
        "training_session",
        session.id,
        actor=actor,
        details={"present": len(attended_ids), "enrolled": len(enrolments)},
    )
    db.session.flush()
    return certified


def certify_for_attendance(
    profile: AgentProfile, session: TrainingSession, *, actor: User | None
) -> bool:
    """Certify an agent in training who attended the basic training (or, after a lapse, a
    refresher), dated by the session. True when it changed the status."""
    if not attendance_certifies(profile.status, profile.certified_at, session.kind):
        return False
    profile.certified_at = min(session.ends_at, datetime.now(UTC))
    change_status(
        profile,
        AgentStatus.CERTIFIED,
        actor=actor,
        reason=f"Attended {session.kind.value} training on {session.ends_at.date()}",
        action="agent.certify_auto",
    )
    return True


def apply_lapses(*, actor: User | None, now: datetime | None = None) -> int:
    """Coordinators or the scheduler: move certified agents past their lapse date back to
    'in training' (a refresher re-certifies them). Returns how many lapsed."""
    now = now or datetime.now(UTC)
    count = 0
    for row in certification_due(now=now, lapsed_only=True):
        profile = db.session.get(AgentProfile, row.agent_id)
        change_status(
            profile,
            AgentStatus.IN_TRAINING,
            actor=actor,
            reason="Certification lapsed without a refresher",
            action="agent.lapse",
            now=now,
        )
        count += 1
    return count
