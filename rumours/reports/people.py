"""People and trainings in a view: organisations and agents by status, trainings held,
and the funnel from sign-up to active agent. They follow the view's period, district and
organisation, not its campaign or rumour. The dashboard, its indicator exports and each
campaign's progress read them from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, select

from ..extensions import db
from ..models import (
    AgentProfile,
    AgentStatus,
    Encounter,
    Enrolment,
    EnrolmentStatus,
    Membership,
    Organisation,
    TrainingKind,
    TrainingSession,
    TrainingStatus,
)
from ..rules.localtime import city_timezone
from .filters import StatsFilter

ACTIVE_DAYS = 30


@dataclass
class Network:
    organisations: int
    agents_by_status: dict[str, int]

    @property
    def agents(self) -> int:
        return sum(self.agents_by_status.values())


@dataclass
class Training:
    sessions: int
    hours: float
    places_taken: int
    attended: int
    attendance_recorded: int
    signed_up: int
    trained: int
    certified: int
    active: int

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.attendance_recorded if self.attendance_recorded else None

    @property
    def certification_rate(self) -> float | None:
        """Certified agents among all who signed up."""
        return self.certified / self.signed_up if self.signed_up else None


def city_midnight(day: date) -> datetime:
    """Midnight at the start of a city day, as an aware UTC timestamp."""
    return datetime.combine(day, time(0), city_timezone()).astimezone(UTC)


def agents_in_scope(filters: StatsFilter):
    """Conditions on AgentProfile for the view's organisation and district."""
    conditions = []
    if filters.organisation_id is not None:
        conditions.append(
            exists().where(
                Membership.user_id == AgentProfile.user_id,
                Membership.organisation_id == filters.organisation_id,
            )
        )
    if filters.district_id is not None:
        conditions.append(AgentProfile.district_id == filters.district_id)
    return conditions


def network(filters: StatsFilter) -> Network:
    """Organisations in the network and agents by status (today, within the view's
    organisation and district)."""
    if filters.organisation_id is not None:
        organisations = 1
    else:
        query = select(func.count()).select_from(Organisation).where(Organisation.active)
        if filters.district_id is not None:
            query = query.where(Organisation.district_id == filters.district_id)
        organisations = db.session.scalar(query)
    counts = dict(
        db.session.execute(
            select(AgentProfile.status, func.count())
            .where(*agents_in_scope(filters))
            .group_by(AgentProfile.status)
        ).all()
    )
    return Network(
        organisations=organisations,
        agents_by_status={s.value: counts.get(s, 0) for s in AgentStatus},
    )


def _sessions_in_period(filters: StatsFilter):
    conditions = [
        TrainingSession.status == TrainingStatus.SCHEDULED,
        TrainingSession.starts_at >= city_midnight(filters.start),
        TrainingSession.starts_at < city_midnight(filters.end + timedelta(days=1)),
    ]
    if filters.district_id is not None:
        conditions.append(TrainingSession.district_id == filters.district_id)
    if filters.organisation_id is not None:
        # An organisation's trainings: those at least one of its agents attended.
        conditions.append(
            exists().where(
                Enrolment.session_id == TrainingSession.id,
                Enrolment.attended.is_(True),
                Membership.user_id == Enrolment.agent_id,
                Membership.organisation_id == filters.organisation_id,
            )
        )
    return conditions


def trainings_held(filters: StatsFilter, now: datetime | None = None) -> list[TrainingSession]:
    """Sessions held in the period (not cancelled, already over); for an organisation,
    those its agents attended."""
    now = now or datetime.now(UTC)
    return list(
        db.session.scalars(
            select(TrainingSession)
            .where(*_sessions_in_period(filters), TrainingSession.ends_at <= now)
            .order_by(TrainingSession.starts_at)
        )
    )


def training(filters: StatsFilter, now: datetime | None = None) -> Training:
    """Sessions and hours held in the period, places taken and attendance, and the
    funnel from sign-up to trained, certified and active in the last 30 days."""
    now = now or datetime.now(UTC)
    sessions = trainings_held(filters, now)
    ids = [s.id for s in sessions]
    enrolment_scope = [Enrolment.session_id.in_(ids), Enrolment.status == EnrolmentStatus.ENROLLED]
    if filters.organisation_id is not None:
        enrolment_scope.append(
            exists().where(
                Membership.user_id == Enrolment.agent_id,
                Membership.organisation_id == filters.organisation_id,
            )
        )
    places, attended, recorded = db.session.execute(
        select(
            func.count(),
            func.count().filter(Enrolment.attended.is_(True)),
            func.count().filter(Enrolment.attended.is_not(None)),
        ).where(*enrolment_scope)
    ).one()
    scope = agents_in_scope(filters)
    signed_up = db.session.scalar(select(func.count()).select_from(AgentProfile).where(*scope))
    trained = db.session.scalar(
        select(func.count())
        .select_from(AgentProfile)
        .where(
            *scope,
            exists()
            .where(
                Enrolment.agent_id == AgentProfile.user_id,
                Enrolment.attended.is_(True),
                TrainingSession.id == Enrolment.session_id,
                TrainingSession.kind == TrainingKind.BASIC,
            ),
        )
    )
    certified = db.session.scalar(
        select(func.count())
        .select_from(AgentProfile)
        .where(*scope, AgentProfile.status == AgentStatus.CERTIFIED)
    )
    since = now - timedelta(days=ACTIVE_DAYS)
    # One index probe per agent (encounters by agent and time), not a scan of a month.
    active = db.session.scalar(
        select(func.count())
        .select_from(AgentProfile)
        .where(
            *scope,
            exists().where(
                Encounter.agent_id == AgentProfile.user_id, Encounter.occurred_at >= since
            ),
        )
    )
    hours = sum((s.ends_at - s.starts_at).total_seconds() for s in sessions) / 3600
    return Training(
        sessions=len(sessions),
        hours=round(hours, 1),
        places_taken=places,
        attended=attended,
        attendance_recorded=recorded,
        signed_up=signed_up,
        trained=trained,
        certified=certified,
        active=active,
    )
