"""Read-only agent queries: the searchable list, one agent's record, certifications due,
and everything stored about a person (their data export)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, or_
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import (
    AgentLanguage,
    AgentProfile,
    AgentStatus,
    AuditEntry,
    Consent,
    ConsentPurpose,
    District,
    Encounter,
    EncounterRumour,
    Enrolment,
    Membership,
    Organisation,
    Role,
    Rumour,
    TrainingSession,
    User,
)
from ..rules.certification import RENEWING_KINDS, lapses_on


@dataclass(frozen=True)
class AgentFilters:
    query: str = ""
    status: AgentStatus | None = None
    district_id: int | None = None
    organisation_id: int | None = None
    language: str | None = None
    active: str = ""
    # Members see only their organisations' agents; None means every agent.
    within_organisations: frozenset[int] | None = None


def agent_list(
    filters: AgentFilters, *, page: int, per_page: int = 50, now: datetime | None = None
):
    """Coordinators (every agent) and members (their organisations'): a page of agents
    (users with their profile and district loaded), newest applicants first."""
    now = now or datetime.now(UTC)
    select = (
        db.select(User)
        .join(AgentProfile, AgentProfile.user_id == User.id)
        .options(contains_eager(User.agent_profile).selectinload(AgentProfile.district))
    )
    conditions = []
    if filters.query:
        words = filters.query.strip().lower()
        pattern = "%" + words.replace("\\", "").replace("%", "").replace("_", "") + "%"
        conditions.append(or_(func.lower(User.name).like(pattern), User.email.like(pattern)))
    if filters.status is not None:
        conditions.append(AgentProfile.status == filters.status)
    if filters.district_id is not None:
        conditions.append(AgentProfile.district_id == filters.district_id)
    if filters.organisation_id is not None:
        conditions.append(
            exists().where(
                Membership.user_id == User.id, Membership.organisation_id == filters.organisation_id
            )
        )
    if filters.within_organisations is not None:
        conditions.append(
            exists().where(
                Membership.user_id == User.id,
                Membership.organisation_id.in_(filters.within_organisations or {0}),
            )
        )
    if filters.language:
        conditions.append(
            exists().where(
                AgentLanguage.agent_id == User.id, AgentLanguage.language == filters.language
            )
        )
    if filters.active in ("30", "90"):
        conditions.append(AgentProfile.last_active_at >= now - timedelta(days=int(filters.active)))
    elif filters.active == "idle90":
        conditions.append(AgentProfile.last_active_at < now - timedelta(days=90))
    elif filters.active == "never":
        conditions.append(AgentProfile.last_active_at.is_(None))
    select = select.where(and_(*conditions)) if conditions else select
    select = select.order_by(AgentProfile.applied_at.desc(), User.id.desc())
    return db.paginate(select, page=page, per_page=per_page, error_out=False, max_per_page=100)


def filter_choices(active_only: bool = False) -> dict[str, list[tuple[int, str]]]:
    """Districts and organisations for the list's filters (and, `active_only`, without
    retired districts, for the sign-up form)."""
    query = db.select(District.id, District.name).order_by(District.position, District.code)
    if active_only:
        query = query.where(District.retired.is_(False))
    districts = db.session.execute(query).all()
    organisations = db.session.execute(
        db.select(Organisation.id, Organisation.name)
        .where(Organisation.active)
        .order_by(Organisation.name)
    ).all()
    return {
        "districts": [tuple(r) for r in districts],
        "organisations": [tuple(r) for r in organisations],
    }


@dataclass(frozen=True)
class AgentRecord:
    user: User
    profile: AgentProfile
    organisations: list[Organisation]
    languages: list[str]
    enrolments: list[Enrolment]
    encounters: int
    people_reached: int
    last_encounter_at: datetime | None
    encounters_by_month: list[tuple[str, int]]
    certification_lapses_on: datetime | None


def last_renewal(agent_id: int) -> datetime | None:
    """When the agent last attended a basic or refresher training."""
    return db.session.scalar(
        db.select(func.max(TrainingSession.ends_at))
        .join(Enrolment, Enrolment.session_id == TrainingSession.id)
        .where(
            Enrolment.agent_id == agent_id,
            Enrolment.attended.is_(True),
            TrainingSession.kind.in_(RENEWING_KINDS),
        )
    )


def lapse_date(profile: AgentProfile) -> datetime | None:
    """When this agent's certification lapses, if they are certified."""
    if profile.status is not AgentStatus.CERTIFIED or profile.certified_at is None:
        return None
    return lapses_on(profile.certified_at, last_renewal(profile.user_id))


def agent_record(user: User, now: datetime | None = None) -> AgentRecord:
    """Whoever may view the agent: their trainings, status history and activity."""
    now = now or datetime.now(UTC)
    profile = user.agent_profile
    enrolments = list(
        db.session.scalars(
            db.select(Enrolment)
            .join(TrainingSession)
            .where(Enrolment.agent_id == user.id)
            .order_by(TrainingSession.starts_at.desc())
        )
    )
    count, people, last = db.session.execute(
        db.select(
            func.count(),
            func.coalesce(func.sum(Encounter.people_reached), 0),
            func.max(Encounter.occurred_at),
        ).where(Encounter.agent_id == user.id)
    ).one()
    since = now - timedelta(days=365)
    month = func.substr(func.cast(Encounter.occurred_at, db.String), 1, 7)
    by_month = db.session.execute(
        db.select(month, func.count())
        .where(Encounter.agent_id == user.id, Encounter.occurred_at >= since)
        .group_by(month)
        .order_by(month.desc())
        .limit(12)
    ).all()
    organisations = sorted((m.organisation for m in user.memberships), key=lambda o: o.name)
    return AgentRecord(
        user=user,
        profile=profile,
        organisations=organisations,
        languages=sorted(lang.language for lang in profile.languages) if profile else [],
        enrolments=enrolments,
        encounters=count,
        people_reached=people,
        last_encounter_at=last.replace(tzinfo=UTC) if last and last.tzinfo is None else last,
        encounters_by_month=[tuple(r) for r in by_month],
        certification_lapses_on=lapse_date(profile) if profile else None,
    )


@dataclass(frozen=True)
class DueRow:
    agent_id: int
    name: str
    email: str
    certified_at: datetime
    last_renewal: datetime | None
    lapses_on: datetime

    @property
    def lapsed(self) -> bool:
        return self.lapses_on <= datetime.now(UTC)


def certification_due(
    *, now: datetime | None = None, lapsed_only: bool = False, within_days: int | None = None
) -> list[DueRow]:
    """Coordinators: certified agents whose certification has lapsed or lapses soon,
    soonest first (one query: the latest refresher per agent as a subquery)."""
    now = now or datetime.now(UTC)
    config = current_app.config
    window = timedelta(
        days=config["CERTIFICATION_DUE_WARNING_DAYS"] if within_days is None else within_days
    )
    renewals = (
        db.select(Enrolment.agent_id, func.max(TrainingSession.ends_at).label("renewed"))
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .where(
            Enrolment.attended.is_(True),
            TrainingSession.kind.in_(RENEWING_KINDS),
        )
        .group_by(Enrolment.agent_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(User.id, User.name, User.email, AgentProfile.certified_at, renewals.c.renewed)
        .join(AgentProfile, AgentProfile.user_id == User.id)
        .outerjoin(renewals, renewals.c.agent_id == User.id)
        .where(AgentProfile.status == AgentStatus.CERTIFIED, AgentProfile.certified_at.is_not(None))
    ).all()
    limit = now if lapsed_only else now + window
    due = []
    for agent_id, name, email, certified_at, renewed in rows:
        if renewed is not None and renewed.tzinfo is None:
            renewed = renewed.replace(tzinfo=UTC)
        lapses = lapses_on(certified_at, renewed)
        if lapses <= limit:
            due.append(DueRow(agent_id, name, email, certified_at, renewed, lapses))
    return sorted(due, key=lambda r: r.lapses_on)


def contact_consent(user: User) -> bool:
    """Whether the agent's latest choice lets us contact them about campaigns."""
    latest = db.session.execute(
        db.select(Consent.granted)
        .where(Consent.user_id == user.id, Consent.purpose == ConsentPurpose.CONTACT)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return bool(latest)


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(user: User) -> dict:
    """The agent themselves or a coordinator: everything stored about a person, as JSON-ready
    data (the account, profile, consents, organisations, trainings, conversations)."""
    profile = user.agent_profile
    consents = db.session.scalars(
        db.select(Consent).where(Consent.user_id == user.id).order_by(Consent.recorded_at)
    )
    enrolments = db.session.scalars(
        db.select(Enrolment).where(Enrolment.agent_id == user.id).order_by(Enrolment.enrolled_at)
    )
    encounters = list(
        db.session.scalars(
            db.select(Encounter)
            .where(Encounter.agent_id == user.id)
            .order_by(Encounter.occurred_at)
        )
    )
    slugs: dict[int, list[str]] = {}
    if encounters:
        for encounter_id, slug in db.session.execute(
            db.select(EncounterRumour.encounter_id, Rumour.slug)
            .join(Rumour, Rumour.id == EncounterRumour.rumour_id)
            .join(Encounter, Encounter.id == EncounterRumour.encounter_id)
            .where(Encounter.agent_id == user.id)
        ):
            slugs.setdefault(encounter_id, []).append(slug)
    audit = db.session.execute(
        db.select(AuditEntry.at, AuditEntry.action)
        .where(
            or_(
                AuditEntry.actor_id == user.id,
                and_(AuditEntry.entity_type == "agent", AuditEntry.entity_id == user.id),
            )
        )
        .order_by(AuditEntry.at)
    ).all()
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "account": {
            "name": user.name,
            "email": user.email,
            "role": user.role.value,
            "preferred_language": user.preferred_language,
            "created_at": iso(user.created_at),
            "last_login_at": iso(user.last_login_at),
            "password_changed_at": iso(user.password_changed_at),
        },
        "agent_profile": None
        if profile is None
        else {
            "status": profile.status.value,
            "district": profile.district.slug if profile.district else None,
            "languages": sorted(lang.language for lang in profile.languages),
            "pseudonym": profile.pseudonym,
            "applied_at": iso(profile.applied_at),
            "approved_at": iso(profile.approved_at),
            "certified_at": iso(profile.certified_at),
            "certification_override_reason": profile.certification_override_reason,
            "last_active_at": iso(profile.last_active_at),
            "status_history": [
                {
                    "from": c.from_status.value if c.from_status else None,
                    "to": c.to_status.value,
                    "at": iso(c.changed_at),
                    "reason": c.reason,
                }
                for c in profile.status_changes
            ],
        },
        "consents": [
            {
                "purpose": c.purpose.value,
                "granted": c.granted,
                "recorded_at": iso(c.recorded_at),
                "notice_version": c.notice_version,
            }
            for c in consents
        ],
        "organisations": [
            {"name": m.organisation.name, "since": m.since.isoformat()} for m in user.memberships
        ],
        "trainings": [
            {
                "title": e.session.title,
                "kind": e.session.kind.value,
                "starts_at": iso(e.session.starts_at),
                "status": e.status.value,
                "attended": e.attended,
                "enrolled_at": iso(e.enrolled_at),
            }
            for e in enrolments
        ],
        "encounters": [
            {
                "occurred_at": iso(e.occurred_at),
                "district": e.district.slug,
                "neighbourhood": e.neighbourhood.slug if e.neighbourhood else None,
                "setting": e.setting.value,
                "outcome": e.outcome.value,
                "people_reached": e.people_reached,
                "notes": e.notes,
                "rumours": sorted(slugs.get(e.id, [])),
                "campaign": e.campaign.slug if e.campaign else None,
            }
            for e in encounters
        ],
        "activity_log": [{"at": iso(at), "action": action} for at, action in audit],
    }


def organisation_rows(within: set[int] | None = None) -> list[tuple[Organisation, int, int]]:
    """Coordinators (all) and members (their own): organisations with their agents and
    members counted in one query."""
    agents = func.sum(case((User.role == Role.AGENT, 1), else_=0))
    members = func.sum(case((User.role == Role.MEMBER, 1), else_=0))
    select = (
        db.select(Organisation, func.coalesce(agents, 0), func.coalesce(members, 0))
        .outerjoin(Membership, Membership.organisation_id == Organisation.id)
        .outerjoin(User, User.id == Membership.user_id)
        .group_by(Organisation.id)
        .order_by(Organisation.active.desc(), Organisation.name)
    )
    if within is not None:
        select = select.where(Organisation.id.in_(within or {0}))
    return [(o, int(a), int(m)) for o, a, m in db.session.execute(select).all()]


def organisation_people(organisation: Organisation) -> list[tuple[User, AgentProfile | None]]:
    """Whoever may view the organisation: its people, agents with their status."""
    return [
        tuple(row)
        for row in db.session.execute(
            db.select(User, AgentProfile)
            .join(Membership, Membership.user_id == User.id)
            .outerjoin(AgentProfile, AgentProfile.user_id == User.id)
            .where(Membership.organisation_id == organisation.id)
            .order_by(User.role, User.name)
        ).all()
    ]
