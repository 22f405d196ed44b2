"""The demo accounts and agents across the lifecycle (seeds/accounts.yaml, people.yaml)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..extensions import db
from ..models import (
    AgentLanguage,
    AgentProfile,
    AgentStatus,
    AgentStatusChange,
    Consent,
    ConsentPurpose,
    District,
    Enrolment,
    EnrolmentStatus,
    Membership,
    Organisation,
    Role,
    TrainingSession,
    User,
)
from ..rules.accounts import new_session_token
from ..rules.passwords import hash_password
from .common import DEMO_PASSWORD, at
from .trainings import DemoPlan


@dataclass
class PasswordCache:
    """One argon2id hash of the shared demo password, computed once per run."""

    value: str | None = None

    def get(self) -> str:
        if self.value is None:
            self.value = hash_password(DEMO_PASSWORD)
        return self.value


def ensure_user(email: str, name: str, role: Role, passwords: PasswordCache) -> User:
    """The account with this e-mail, added if missing (an existing one is left alone)."""
    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(
            email=email,
            name=name,
            role=role,
            password_hash=passwords.get(),
            session_token=new_session_token(),
        )
        db.session.add(user)
        db.session.flush()
    return user


def ensure_agent_profile(
    user: User,
    status: AgentStatus,
    district_id: int | None,
    languages: list[str],
    applied_at: datetime,
    certified_at: datetime | None,
) -> AgentProfile:
    """The user's agent profile, added if missing with a plausible status history."""
    profile = user.agent_profile
    if profile is None:
        profile = AgentProfile(
            user_id=user.id,
            status=status,
            district_id=district_id,
            pseudonym=secrets.token_hex(6),
            applied_at=applied_at,
            approved_at=applied_at + timedelta(days=3)
            if status is not AgentStatus.APPLICANT
            else None,
            certified_at=certified_at,
            last_active_at=certified_at,
        )
        db.session.add(profile)
        profile.languages = [AgentLanguage(language=code) for code in languages]
        profile.status_changes.append(
            AgentStatusChange(
                from_status=None,
                to_status=AgentStatus.APPLICANT,
                changed_at=applied_at,
                reason="Signed up (demo)",
            )
        )
        if status is not AgentStatus.APPLICANT:
            profile.status_changes.append(
                AgentStatusChange(
                    from_status=AgentStatus.APPLICANT,
                    to_status=AgentStatus.IN_TRAINING,
                    changed_at=applied_at + timedelta(days=3),
                    reason="Approved (demo)",
                )
            )
        if certified_at is not None:
            profile.status_changes.append(
                AgentStatusChange(
                    from_status=AgentStatus.IN_TRAINING,
                    to_status=AgentStatus.CERTIFIED,
                    changed_at=certified_at,
                    reason="Attended basic training (demo)",
                )
            )
        if status is AgentStatus.INACTIVE:
            profile.status_changes.append(
                AgentStatusChange(
                    from_status=AgentStatus.CERTIFIED,
                    to_status=AgentStatus.INACTIVE,
                    changed_at=(certified_at or applied_at) + timedelta(days=120),
                    reason="No activity for months (demo)",
                )
            )
        for purpose, granted in ((ConsentPurpose.PROCESSING, True), (ConsentPurpose.CONTACT, True)):
            db.session.add(
                Consent(user_id=user.id, purpose=purpose, granted=granted, recorded_at=applied_at)
            )
        db.session.flush()
    return profile


def ensure_membership(user: User, organisation_id: int) -> None:
    """Add the user to the organisation unless already a member."""
    if db.session.get(Membership, (user.id, organisation_id)) is None:
        db.session.add(Membership(user_id=user.id, organisation_id=organisation_id))


def enrol(session: TrainingSession, user: User, attended: bool | None) -> None:
    """Enrol the user in the session unless already enrolled."""
    if db.session.execute(
        db.select(Enrolment.id).where(
            Enrolment.session_id == session.id, Enrolment.agent_id == user.id
        )
    ).first():
        return
    db.session.add(
        Enrolment(
            session_id=session.id,
            agent_id=user.id,
            status=EnrolmentStatus.ENROLLED,
            enrolled_at=session.starts_at - timedelta(days=10),
            attended=attended,
            attendance_recorded_at=session.ends_at if attended is not None else None,
        )
    )


def seed_people(
    plan: DemoPlan,
    passwords: PasswordCache,
    accounts: dict,
    names: dict,
    district_entries: list[dict],
) -> None:
    """The three demo accounts and about 150 agents across the lifecycle.

    `accounts`, `names` and `district_entries` are the parsed seeds/accounts.yaml,
    people.yaml and districts.yaml (for the districts' weights).
    """
    rng = plan.rng
    districts = list(
        db.session.scalars(db.select(District).order_by(District.position, District.code))
    )
    weights = [d["weight"] for d in district_entries]
    organisations = list(db.session.scalars(db.select(Organisation).order_by(Organisation.id)))
    by_slug = {o.slug: o for o in organisations}
    anchor_dt = at(plan.anchor, 12)

    coordinator = accounts["coordinator"]
    ensure_user(coordinator["email"], coordinator["name"], Role.COORDINATOR, passwords)
    member_entry = accounts["member"]
    member = ensure_user(member_entry["email"], member_entry["name"], Role.MEMBER, passwords)
    ensure_membership(member, by_slug[member_entry["organisation"]].id)
    agent_entry = accounts["agent"]
    demo_agent = ensure_user(agent_entry["email"], agent_entry["name"], Role.AGENT, passwords)
    first_basic = plan.basic_past[1]
    ensure_agent_profile(
        demo_agent,
        AgentStatus.CERTIFIED,
        districts[0].id,
        agent_entry["languages"],
        first_basic.starts_at - timedelta(days=20),
        first_basic.ends_at,
    )
    ensure_membership(demo_agent, by_slug[agent_entry["organisation"]].id)
    enrol(first_basic, demo_agent, True)
    if plan.other_future:
        enrol(plan.other_future[0], demo_agent, None)

    statuses = [
        AgentStatus(status)
        for status, count in accounts["agent_statuses"].items()
        for _ in range(count)
    ]
    rng.shuffle(statuses)
    for i, status in enumerate(statuses, start=1):
        name = f"{rng.choice(names['first_names'])} {rng.choice(names['last_names'])}"
        district = rng.choices(districts, weights)[0]
        languages = sorted(
            {"ca", "es"} | set(rng.sample(names["languages"], rng.choice([0, 1, 1, 2])))
        )
        organisation = rng.choice(organisations) if rng.random() < 0.7 else None
        certified_at = None
        session = None
        if status in (AgentStatus.CERTIFIED, AgentStatus.INACTIVE):
            pool = (
                plan.basic_past[: max(1, len(plan.basic_past) // 2)]
                if status is AgentStatus.INACTIVE
                else plan.basic_past
            )
            session = pool[i % len(pool)]
            certified_at = session.ends_at
            applied_at = session.starts_at - timedelta(days=rng.randint(14, 40))
        elif status is AgentStatus.IN_TRAINING:
            session = plan.basic_future[i % len(plan.basic_future)] if plan.basic_future else None
            applied_at = anchor_dt - timedelta(days=rng.randint(10, 40))
        else:
            applied_at = anchor_dt - timedelta(days=rng.randint(1, 20))
        user = ensure_user(f"agent{i:03d}@example.org", name, Role.AGENT, passwords)
        ensure_agent_profile(user, status, district.id, languages, applied_at, certified_at)
        if organisation is not None:
            ensure_membership(user, organisation.id)
        if session is not None:
            enrol(session, user, True if certified_at else None)
        if status is AgentStatus.CERTIFIED and plan.other_past and rng.random() < 0.4:
            later = [s for s in plan.other_past if s.starts_at > certified_at]
            if later:
                enrol(rng.choice(later), user, rng.random() < 0.85)
        if status is AgentStatus.IN_TRAINING and rng.random() < 0.3:
            enrol(plan.basic_past[-1], user, False)
    db.session.flush()
