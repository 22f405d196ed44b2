"""Read-only aggregations shared by pages, the API and exports."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func

from ..extensions import db
from ..models import (
    AgentProfile,
    AgentStatus,
    Campaign,
    Encounter,
    Enrolment,
    EnrolmentStatus,
    Membership,
    Organisation,
    Rumour,
    RumourStatus,
    TrainingSession,
    TrainingStatus,
    User,
)


@dataclass(frozen=True)
class NetworkSummary:
    organisations: int
    agents_by_status: dict[AgentStatus, int]
    published_rumours: int
    draft_rumours: int
    upcoming_trainings: int
    encounters_last_30_days: int
    people_reached_last_30_days: int
    campaigns_running: int

    @property
    def agents(self) -> int:
        return sum(self.agents_by_status.values())


def _last_30_days(now: datetime, organisation_id: int | None = None):
    """Conversations in the last 30 city days (today included), from the summary tables
    the dashboard reads, so the home page and the dashboard agree."""
    from ..rules.localtime import local_day
    from .filters import StatsFilter
    from .stats import total

    today = local_day(now)
    return total(
        StatsFilter(
            start=today - timedelta(days=29), end=today, organisation_id=organisation_id
        )
    )


def network_summary(now: datetime | None = None) -> NetworkSummary:
    """The coordinator's overview of the whole network."""
    now = now or datetime.now(UTC)
    scalar = db.session.scalar
    by_status = dict(
        db.session.execute(
            db.select(AgentProfile.status, func.count()).group_by(AgentProfile.status)
        ).all()
    )
    rumours = dict(
        db.session.execute(db.select(Rumour.status, func.count()).group_by(Rumour.status)).all()
    )
    last_30 = _last_30_days(now)
    today = now.date()
    return NetworkSummary(
        organisations=scalar(
            db.select(func.count()).select_from(Organisation).where(Organisation.active)
        ),
        agents_by_status={status: by_status.get(status, 0) for status in AgentStatus},
        published_rumours=rumours.get(RumourStatus.PUBLISHED, 0),
        draft_rumours=rumours.get(RumourStatus.DRAFT, 0),
        upcoming_trainings=scalar(
            db.select(func.count())
            .select_from(TrainingSession)
            .where(
                TrainingSession.starts_at >= now,
                TrainingSession.status == TrainingStatus.SCHEDULED,
            )
        ),
        encounters_last_30_days=last_30.encounters,
        people_reached_last_30_days=last_30.people,
        campaigns_running=scalar(
            db.select(func.count())
            .select_from(Campaign)
            .where(Campaign.starts_on <= today, Campaign.ends_on >= today)
        ),
    )


@dataclass(frozen=True)
class AgentSummary:
    status: AgentStatus | None
    certified_at: datetime | None
    encounters: int
    people_reached: int
    next_trainings: list[TrainingSession]
    trainings_attended: int


def agent_summary(agent: User, now: datetime | None = None) -> AgentSummary:
    """An agent's own record: status, conversations logged, trainings."""
    now = now or datetime.now(UTC)
    profile = agent.agent_profile
    encounters, people = db.session.execute(
        db.select(func.count(), func.coalesce(func.sum(Encounter.people_reached), 0)).where(
            Encounter.agent_id == agent.id
        )
    ).one()
    next_trainings = list(
        db.session.scalars(
            db.select(TrainingSession)
            .join(Enrolment)
            .where(
                Enrolment.agent_id == agent.id,
                Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]),
                TrainingSession.starts_at >= now,
                TrainingSession.status == TrainingStatus.SCHEDULED,
            )
            .order_by(TrainingSession.starts_at)
            .limit(3)
        )
    )
    attended = db.session.scalar(
        db.select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.agent_id == agent.id, Enrolment.attended.is_(True))
    )
    return AgentSummary(
        status=profile.status if profile else None,
        certified_at=profile.certified_at if profile else None,
        encounters=encounters,
        people_reached=people,
        next_trainings=next_trainings,
        trainings_attended=attended,
    )


@dataclass(frozen=True)
class OrganisationSummary:
    organisation: Organisation
    agents_by_status: dict[AgentStatus, int]
    encounters_last_30_days: int
    people_reached_last_30_days: int

    @property
    def agents(self) -> int:
        return sum(self.agents_by_status.values())


def member_summaries(member: User, now: datetime | None = None) -> list[OrganisationSummary]:
    """An organisation member's view: only the organisations they belong to."""
    now = now or datetime.now(UTC)
    summaries = []
    for membership in sorted(member.memberships, key=lambda m: m.organisation.name):
        organisation = membership.organisation
        by_status = dict(
            db.session.execute(
                db.select(AgentProfile.status, func.count())
                .join(Membership, Membership.user_id == AgentProfile.user_id)
                .where(Membership.organisation_id == organisation.id)
                .group_by(AgentProfile.status)
            ).all()
        )
        last_30 = _last_30_days(now, organisation_id=organisation.id)
        summaries.append(
            OrganisationSummary(
                organisation=organisation,
                agents_by_status={status: by_status.get(status, 0) for status in AgentStatus},
                encounters_last_30_days=last_30.encounters,
                people_reached_last_30_days=last_30.people,
            )
        )
    return summaries


def public_catalogue_summary() -> int:
    """How many rumours the public can read."""
    return db.session.scalar(
        db.select(func.count()).select_from(Rumour).where(Rumour.status == RumourStatus.PUBLISHED)
    )
