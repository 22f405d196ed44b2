"""People and trainings in a view: organisations and agents by status, trainings held,
and the funnel from sign-up to active agent. They follow the view's period, district and
organisation, not its campaign or rumour. The dashboard, its indicator exports and each
campaign's progress read them from here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, exists, func, literal, or_, select

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
    return _agent_scope(filters.organisation_id, filters.district_id)


def _agent_scope(organisation, district) -> list:
    """Conditions on AgentProfile for an organisation and a district (values or bound
    parameters; None for no condition)."""
    conditions = []
    if organisation is not None:
        conditions.append(
            exists().where(
                Membership.user_id == AgentProfile.user_id,
                Membership.organisation_id == organisation,
            )
        )
    if district is not None:
        conditions.append(AgentProfile.district_id == district)
    return conditions


def network(filters: StatsFilter) -> Network:
    """Organisations in the network and agents by status (today, within the view's
    organisation and district)."""
    return people(filters).network


def _organisations(organisation, district):
    """The active organisations in the view (a scalar subquery; 1 for an organisation's)."""
    if organisation is not None:
        return literal(1)
    query = select(func.count()).select_from(Organisation).where(Organisation.active)
    if district is not None:
        query = query.where(Organisation.district_id == district)
    return query.scalar_subquery()


@dataclass
class People:
    """A view's network and training figures, and for each extra period asked for (a
    campaign's) the agents certified and the trainings held in it."""

    network: Network
    training: Training
    certified: list[int]
    held: list[int]


def people(
    filters: StatsFilter,
    now: datetime | None = None,
    periods: Sequence[tuple[date, date]] = (),
) -> People:
    """Organisations, agents by status, the training figures and the funnel for the view,
    and agents certified and trainings held in each of `periods` (within the view's
    organisation and district): two statements, one over the agents, one over the
    sessions with their enrolments."""
    now = now or datetime.now(UTC)
    statuses = list(AgentStatus)
    agents = db.session.execute(
        _agents_statement(*_shape(filters), len(periods)),
        {
            **_scope_values(filters),
            "since": now - timedelta(days=ACTIVE_DAYS),
            **_bounds("certified", periods),
        },
    ).one()
    organisations, agents = agents[0], agents[1:]
    by_status = dict(zip(statuses, agents[: len(statuses)], strict=True))
    trained_count, active_count = agents[len(statuses) : len(statuses) + 2]
    certified_in = list(agents[len(statuses) + 2 :])

    counts = _held_in(filters, now, [(filters.start, filters.end), *periods])
    mine = counts[0]
    hours = sum((row.ends_at - row.starts_at).total_seconds() for row in mine) / 3600
    return People(
        network=Network(
            organisations=organisations,
            agents_by_status={status.value: by_status[status] for status in statuses},
        ),
        training=Training(
            sessions=len(mine),
            hours=round(hours, 1),
            places_taken=sum(row.places for row in mine),
            attended=sum(row.attended for row in mine),
            attendance_recorded=sum(row.recorded for row in mine),
            signed_up=sum(by_status.values()),
            trained=trained_count,
            certified=by_status[AgentStatus.CERTIFIED],
            active=active_count,
        ),
        certified=certified_in,
        held=[len(rows) for rows in counts[1:]],
    )


def certified_and_held(
    filters: StatsFilter, periods: Sequence[tuple[date, date]], now: datetime | None = None
) -> tuple[list[int], list[int]]:
    """Agents certified and trainings held in each of `periods`, within the view's
    organisation and district (campaigns' progress): two statements for all of them."""
    if not periods:
        return [], []
    certified = db.session.execute(
        _certified_statement(*_shape(filters), len(periods)),
        {**_scope_values(filters), **_bounds("certified", periods)},
    ).one()
    held = _held_in(filters, now or datetime.now(UTC), list(periods))
    return list(certified), [len(rows) for rows in held]


# The two statements of a view's people, built once per shape of view (organisation or
# not, district or not, how many extra periods) and run with its values bound: building
# them anew took most of the 1.7 to 2.4 ms `people()` cost a page.


def _shape(filters: StatsFilter) -> tuple[bool, bool]:
    return filters.organisation_id is not None, filters.district_id is not None


def _scope_values(filters: StatsFilter) -> dict:
    return {
        name: value
        for name, value in (
            ("organisation", filters.organisation_id),
            ("district", filters.district_id),
        )
        if value is not None
    }


def _scope_parameters(organisation: bool, district: bool) -> tuple:
    return (
        bindparam("organisation") if organisation else None,
        bindparam("district") if district else None,
    )


def _instants(periods: Sequence[tuple[date, date]]) -> list[tuple[datetime, datetime]]:
    """Each period of city days as the instants it runs from and up to (city midnights)."""
    return [
        (city_midnight(start), city_midnight(end + timedelta(days=1))) for start, end in periods
    ]


def _bounds(name: str, periods: Sequence[tuple[date, date]]) -> dict:
    """Each period's instants (`_instants`), as bound values."""
    values = {}
    for i, (first, last) in enumerate(_instants(periods)):
        values[f"{name}{i}_from"], values[f"{name}{i}_to"] = first, last
    return values


def _within(column, name: str, count: int) -> list:
    """Per period bound by `_bounds`, the condition that `column` falls in it."""
    return [
        and_(column >= bindparam(f"{name}{i}_from"), column < bindparam(f"{name}{i}_to"))
        for i in range(count)
    ]


def _certified_in(count: int) -> list:
    """Per period, the count of AgentProfile rows certified in it."""
    return [func.count().filter(c) for c in _within(AgentProfile.certified_at, "certified", count)]


@lru_cache(maxsize=64)
def _agents_statement(organisation: bool, district: bool, periods: int):
    """Organisations, agents by status, trained, active and certified per period."""
    org, dist = _scope_parameters(organisation, district)
    # Agents who attended a basic training: one set, read once per statement (PostgreSQL
    # hashes it). An EXISTS inside the aggregate's FILTER ran once per agent, each a scan
    # of the sessions and a probe of the enrolments (5 ms with 151 agents).
    trained = AgentProfile.user_id.in_(
        select(Enrolment.agent_id)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .where(Enrolment.attended.is_(True), TrainingSession.kind == TrainingKind.BASIC)
    )
    # One index probe per agent (encounters by agent and time), not a scan of a month.
    active = exists().where(
        Encounter.agent_id == AgentProfile.user_id, Encounter.occurred_at >= bindparam("since")
    )
    return (
        select(
            _organisations(org, dist),
            *(func.count().filter(AgentProfile.status == status) for status in AgentStatus),
            func.count().filter(trained),
            func.count().filter(active),
            *_certified_in(periods),
        )
        .select_from(AgentProfile)
        .where(*_agent_scope(org, dist))
    )


@lru_cache(maxsize=64)
def _certified_statement(organisation: bool, district: bool, periods: int):
    org, dist = _scope_parameters(organisation, district)
    return (
        select(*_certified_in(periods))
        .select_from(AgentProfile)
        .where(*_agent_scope(org, dist))
    )


def _held_in(filters: StatsFilter, now: datetime, periods: list[tuple[date, date]]) -> list:
    """Per period, the sessions held in it (rows of `_held_statement`)."""
    sessions = db.session.execute(
        _held_statement(*_shape(filters), len(periods)),
        {**_scope_values(filters), "now": now, **_bounds("held", periods)},
    ).all()
    return [[row for row in sessions if a <= row.starts_at < b] for a, b in _instants(periods)]


def _sessions_in_scope(filters: StatsFilter) -> list:
    """Conditions on TrainingSession for the view's district and organisation."""
    return _session_scope(filters.organisation_id, filters.district_id)


def _session_scope(organisation, district) -> list:
    """Conditions on TrainingSession for an organisation and a district (values or bound
    parameters; None for no condition)."""
    conditions = []
    if district is not None:
        conditions.append(TrainingSession.district_id == district)
    if organisation is not None:
        # An organisation's trainings: those at least one of its agents attended.
        conditions.append(
            exists().where(
                Enrolment.session_id == TrainingSession.id,
                Enrolment.attended.is_(True),
                Membership.user_id == Enrolment.agent_id,
                Membership.organisation_id == organisation,
            )
        )
    return conditions


def _sessions_in_period(filters: StatsFilter):
    return [
        TrainingSession.status == TrainingStatus.SCHEDULED,
        TrainingSession.starts_at >= city_midnight(filters.start),
        TrainingSession.starts_at < city_midnight(filters.end + timedelta(days=1)),
        *_sessions_in_scope(filters),
    ]


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


@lru_cache(maxsize=64)
def _held_statement(organisation: bool, district: bool, periods: int):
    """Sessions held (as `trainings_held`) in any of the periods bound by `_bounds`, each
    with its places taken, attendances and attendances recorded (by the view's
    organisation's agents, for an organisation's view), in one statement."""
    org, dist = _scope_parameters(organisation, district)
    enrolled = [
        Enrolment.session_id == TrainingSession.id,
        Enrolment.status == EnrolmentStatus.ENROLLED,
    ]
    if org is not None:
        enrolled.append(
            exists().where(
                Membership.user_id == Enrolment.agent_id,
                Membership.organisation_id == org,
            )
        )
    return (
        select(
            TrainingSession.id,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            func.count(Enrolment.id).label("places"),
            func.count(Enrolment.id).filter(Enrolment.attended.is_(True)).label("attended"),
            func.count(Enrolment.id).filter(Enrolment.attended.is_not(None)).label("recorded"),
        )
        .outerjoin(Enrolment, and_(*enrolled))
        .where(
            TrainingSession.status == TrainingStatus.SCHEDULED,
            or_(*_within(TrainingSession.starts_at, "held", periods)),
            TrainingSession.ends_at <= bindparam("now"),
            *_session_scope(org, dist),
        )
        .group_by(TrainingSession.id, TrainingSession.starts_at, TrainingSession.ends_at)
        .order_by(TrainingSession.starts_at)
    )


def training(filters: StatsFilter, now: datetime | None = None) -> Training:
    """Sessions and hours held in the period, places taken and attendance, and the
    funnel from sign-up to trained, certified and active in the last 30 days."""
    return people(filters, now).training
