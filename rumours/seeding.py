"""Idempotent loaders for the Barcelona demo (seeds/) and the bulk encounter generator.

Everything is keyed by natural keys (slugs, e-mails, UUIDs), so running the demo seed
again updates nothing and duplicates nothing. Random choices come from a fixed seed
and the date of the first run, stored in site_settings.
"""

from __future__ import annotations

import multiprocessing
import random
import secrets
import uuid
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import func, text

from . import summaries
from .extensions import db
from .models import (
    DEMO_KEY,
    AgentLanguage,
    AgentProfile,
    AgentStatus,
    AgentStatusChange,
    Campaign,
    Consent,
    ConsentPurpose,
    District,
    Encounter,
    EncounterRumour,
    Enrolment,
    EnrolmentStatus,
    Membership,
    Neighbourhood,
    Organisation,
    OrganisationType,
    Outcome,
    Rebuttal,
    RebuttalStatus,
    Role,
    Rumour,
    RumourStatus,
    Setting,
    SiteSetting,
    Source,
    Theme,
    TrainingKind,
    TrainingSession,
    User,
)
from .rules.accounts import new_session_token
from .rules.passwords import hash_password
from .rules.review import DEFAULT_REVIEW_PERIOD
from .services import encounter_content_hash
from .services.catalogue import refresh_search_text

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
DEMO_PASSWORD = "demo-password-2026"
DEMO_NAMESPACE = uuid.UUID("0b6f5d1e-8c1f-4c55-9d7e-2a4f3c7b9e10")
DEMO_AGENT_COUNT = 150
DEMO_ENCOUNTERS = 8000
ANCHOR_KEY = "demo_anchor"


class SeedRefused(RuntimeError):
    """The demo seed must not run here (production configuration)."""


def load_yaml(name: str):
    with open(SEEDS_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def get_or_create(model, defaults: dict | None = None, **keys):
    """Find a row by its natural key or add a new one; returns (row, created)."""
    row = db.session.execute(db.select(model).filter_by(**keys)).scalar_one_or_none()
    if row is not None:
        return row, False
    row = model(**keys, **(defaults or {}))
    db.session.add(row)
    return row, True


def update_fields(row, values: dict) -> None:
    """Set only the attributes that differ, so an unchanged rerun writes nothing."""
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------


def seed_districts() -> None:
    """Barcelona's 10 districts and 73 neighbourhoods."""
    for d in load_yaml("districts.yaml"):
        district, _ = get_or_create(
            District, slug=d["slug"], defaults={"code": d["code"], "name": d["name"]}
        )
        update_fields(district, {"code": d["code"], "name": d["name"]})
        db.session.flush()
        for n in d["neighbourhoods"]:
            values = {"code": n["code"], "name": n["name"], "district_id": district.id}
            neighbourhood, _ = get_or_create(Neighbourhood, slug=n["slug"], defaults=values)
            update_fields(neighbourhood, values)
    db.session.flush()


def seed_organisations() -> None:
    """The fictional demo organisations."""
    districts = {d.slug: d.id for d in db.session.scalars(db.select(District))}
    for o in load_yaml("organisations.yaml"):
        values = {
            "name": o["name"],
            "type": OrganisationType(o["type"]),
            "district_id": districts[o["district"]],
            "contact_name": o.get("contact_name"),
            "contact_email": o.get("contact_email"),
            "joined_on": o.get("joined_on"),
            "active": o.get("active", True),
        }
        organisation, _ = get_or_create(Organisation, slug=o["slug"], defaults=values)
        update_fields(organisation, values)
    db.session.flush()


def seed_rumours() -> None:
    """The catalogue: rumours with one English rebuttal each and its real sources.

    A rumour already in the database is left alone: once loaded, coordinators own it
    (a new version or an archive must survive a rerun of the seed).
    """
    existing = set(db.session.scalars(db.select(Rumour.slug)))
    for r in load_yaml("rumours.yaml"):
        if r["slug"] in existing:
            continue
        rb = r["rebuttal"]
        published = RumourStatus(r["status"]) is RumourStatus.PUBLISHED and bool(rb.get("sources"))
        rumour = Rumour(
            slug=r["slug"],
            claim=r["claim"],
            also_heard_as=r.get("also_heard_as"),
            theme=Theme(r["theme"]),
            status=RumourStatus.PUBLISHED if published else RumourStatus.DRAFT,
            reviewed_on=r.get("reviewed_on"),
        )
        db.session.add(rumour)
        db.session.flush()
        reviewed = r.get("reviewed_on")
        rebuttal = Rebuttal(
            rumour_id=rumour.id,
            language=rb.get("language", "en"),
            version=1,
            status=RebuttalStatus.PUBLISHED if published else RebuttalStatus.DRAFT,
            short_answer=rb["short_answer"].strip(),
            explanation=rb["explanation"].strip(),
            review_due_on=reviewed + DEFAULT_REVIEW_PERIOD if reviewed else None,
            published_at=datetime.combine(reviewed, time(9), UTC) if published else None,
            sources=[
                Source(
                    url=s["url"],
                    title=s["title"],
                    publisher=s["publisher"],
                    published_on=s.get("published_on"),
                    supports=s["supports"].strip(),
                    checked_on=s.get("checked_on"),
                )
                for s in rb.get("sources") or []
            ],
        )
        db.session.add(rebuttal)
        db.session.flush()
        refresh_search_text(rumour)
    db.session.flush()


# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------


@dataclass
class PasswordCache:
    """One argon2id hash of the shared demo password, computed once per run."""

    value: str | None = None

    def get(self) -> str:
        if self.value is None:
            self.value = hash_password(DEMO_PASSWORD)
        return self.value


def ensure_user(email: str, name: str, role: Role, passwords: PasswordCache) -> User:
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
    if db.session.get(Membership, (user.id, organisation_id)) is None:
        db.session.add(Membership(user_id=user.id, organisation_id=organisation_id))


@dataclass
class DemoPlan:
    """Deterministic choices for the demo, shared by the loaders below."""

    anchor: date
    rng: random.Random
    basic_past: list[TrainingSession] = field(default_factory=list)
    basic_future: list[TrainingSession] = field(default_factory=list)
    other_past: list[TrainingSession] = field(default_factory=list)
    other_future: list[TrainingSession] = field(default_factory=list)


def demo_anchor() -> date:
    """The date of the first demo seed: later reruns rebuild the same data from it."""
    row = db.session.get(SiteSetting, ANCHOR_KEY)
    if row is None:
        row = SiteSetting(key=ANCHOR_KEY, value=datetime.now(UTC).date().isoformat())
        db.session.add(row)
    return date.fromisoformat(row.value)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


TRAINING_PLAN = [
    # (kind, every n days, first offset from anchor-330, hours, title)
    (TrainingKind.BASIC, 28, 0, 5, "Basic anti-rumour agent training"),
    (TrainingKind.ADVANCED, 70, 20, 4, "Advanced: difficult conversations"),
    (TrainingKind.REFRESHER, 91, 45, 2, "Refresher: this season's rumours"),
    (TrainingKind.THEMATIC, 60, 33, 3, "Thematic: housing and coexistence"),
    (TrainingKind.TRAIN_THE_TRAINER, 180, 100, 6, "Train the trainer"),
]
VENUES = [
    ("Centre Cívic (demo) — sala 2", "ciutat-vella"),
    ("Biblioteca de barri (demo)", "gracia"),
    ("Casal de barri (demo)", "nou-barris"),
    ("Espai d'entitats (demo)", "sant-marti"),
    ("Sala d'actes municipal (demo)", "eixample"),
]
TRAINERS = ["Equip de formació (demo)", "Formadora externa (demo)", "Agent formador (demo)"]


def seed_trainings(plan: DemoPlan) -> None:
    """A year of sessions around the anchor date, keyed by a deterministic UID."""
    districts = {d.slug: d.id for d in db.session.scalars(db.select(District))}
    start = plan.anchor - timedelta(days=330)
    end = plan.anchor + timedelta(days=75)
    now = at(plan.anchor, 12)
    for kind, every, offset, hours, title in TRAINING_PLAN:
        day = start + timedelta(days=offset)
        index = 0
        while day <= end:
            while day.weekday() >= 5:
                day += timedelta(days=1)
            venue, district = VENUES[index % len(VENUES)]
            uid = uuid.uuid5(DEMO_NAMESPACE, f"training-{kind.value}-{index}")
            starts = at(day, 17 if hours <= 3 else 10)
            values = {
                "kind": kind,
                "title": title,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=hours),
                "venue": venue,
                "district_id": districts.get(district),
                "trainer": TRAINERS[index % len(TRAINERS)],
                "capacity": 25 if kind is TrainingKind.BASIC else 20,
                "language": "ca" if index % 3 else "es",
                "description": "Demo session.",
            }
            session, _ = get_or_create(TrainingSession, uid=uid, defaults=values)
            (
                plan.basic_past
                if kind is TrainingKind.BASIC and starts < now
                else plan.basic_future
                if kind is TrainingKind.BASIC
                else plan.other_past
                if starts < now
                else plan.other_future
            ).append(session)
            day += timedelta(days=every)
            index += 1
    db.session.flush()


def enrol(session: TrainingSession, user: User, attended: bool | None) -> None:
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


def seed_people(plan: DemoPlan, passwords: PasswordCache) -> None:
    """The three demo accounts and about 150 agents across the lifecycle."""
    rng = plan.rng
    people = load_yaml("people.yaml")
    districts = list(db.session.scalars(db.select(District).order_by(District.code)))
    weights = [d["weight"] for d in load_yaml("districts.yaml")]
    organisations = list(db.session.scalars(db.select(Organisation).order_by(Organisation.id)))
    raval = next(o for o in organisations if o.slug == "veins-del-raval-demo")
    anchor_dt = at(plan.anchor, 12)

    coordinator = ensure_user(
        "coordinator@example.org", "Núria Coordinadora", Role.COORDINATOR, passwords
    )
    member = ensure_user("member@example.org", "Marc Membre", Role.MEMBER, passwords)
    ensure_membership(member, raval.id)
    demo_agent = ensure_user("agent@example.org", "Aisha Agent", Role.AGENT, passwords)
    first_basic = plan.basic_past[1]
    ensure_agent_profile(
        demo_agent,
        AgentStatus.CERTIFIED,
        districts[0].id,
        ["ca", "es", "ar"],
        first_basic.starts_at - timedelta(days=20),
        first_basic.ends_at,
    )
    ensure_membership(demo_agent, raval.id)
    enrol(first_basic, demo_agent, True)
    if plan.other_future:
        enrol(plan.other_future[0], demo_agent, None)
    del coordinator

    statuses = (
        [AgentStatus.CERTIFIED] * 92
        + [AgentStatus.IN_TRAINING] * 24
        + [AgentStatus.APPLICANT] * 19
        + [AgentStatus.INACTIVE] * 15
    )
    rng.shuffle(statuses)
    for i, status in enumerate(statuses[:DEMO_AGENT_COUNT], start=1):
        name = f"{rng.choice(people['first_names'])} {rng.choice(people['last_names'])}"
        district = rng.choices(districts, weights)[0]
        languages = sorted(
            {"ca", "es"} | set(rng.sample(people["languages"], rng.choice([0, 1, 1, 2])))
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


def seed_campaigns() -> None:
    """Two campaigns: the spring schools campaign and the current autumn markets one."""
    rumours = {
        r.slug: r
        for r in db.session.scalars(
            db.select(Rumour).where(Rumour.status == RumourStatus.PUBLISHED)
        )
    }
    by_theme: dict[Theme, list[Rumour]] = {}
    for rumour in rumours.values():
        by_theme.setdefault(rumour.theme, []).append(rumour)
    organisations = list(db.session.scalars(db.select(Organisation).order_by(Organisation.id)))
    specs = [
        {
            "slug": "spring-schools-2026",
            "name": "Spring in the schools 2026",
            "description": "Workshops and conversations with families and pupils around schools.",
            "starts_on": date(2026, 3, 2),
            "ends_on": date(2026, 6, 19),
            "target_encounters": 900,
            "target_people_reached": 3000,
            "target_agents_trained": 25,
            "target_trainings": 4,
            "themes": [Theme.EDUCATION, Theme.COEXISTENCE, Theme.RELIGION_CULTURE],
            "organisations": [
                o
                for o in organisations
                if o.type in (OrganisationType.SCHOOL, OrganisationType.LIBRARY)
            ],
        },
        {
            "slug": "autumn-markets-2026",
            "name": "Autumn in the markets 2026",
            "description": (
                "Agents at municipal markets on Saturday mornings, "
                "with the rumours heard at the stalls."
            ),
            "starts_on": date(2026, 9, 14),
            "ends_on": date(2026, 12, 20),
            "target_encounters": 1500,
            "target_people_reached": 3500,
            "target_agents_trained": 40,
            "target_trainings": 5,
            "themes": [Theme.EMPLOYMENT, Theme.WELFARE, Theme.ECONOMY],
            "organisations": [
                o
                for o in organisations
                if o.type
                in (OrganisationType.ASSOCIATION, OrganisationType.BUSINESS, OrganisationType.NGO)
            ],
        },
    ]
    for spec in specs:
        themes = spec.pop("themes")
        orgs = spec.pop("organisations")
        campaign, created = get_or_create(Campaign, slug=spec.pop("slug"), defaults=spec)
        update_fields(campaign, spec)
        focus = sorted((r for t in themes for r in by_theme.get(t, [])), key=lambda r: r.slug)
        if {r.id for r in campaign.rumours} != {r.id for r in focus}:
            campaign.rumours = focus
        if {o.id for o in campaign.organisations} != {o.id for o in orgs}:
            campaign.organisations = orgs
    db.session.flush()


# ---------------------------------------------------------------------------
# Encounters: one generator for the demo year and for --encounters N
# ---------------------------------------------------------------------------

SETTING_WEIGHTS = {
    Setting.MARKET: 30,
    Setting.STREET: 18,
    Setting.BAR: 14,
    Setting.FAMILY: 10,
    Setting.TRANSPORT: 8,
    Setting.WORKPLACE: 6,
    Setting.SCHOOL: 6,
    Setting.ASSOCIATION: 5,
    Setting.ONLINE: 2,
    Setting.OTHER: 1,
}
# Monday .. Sunday: busiest on Saturday (market day), quiet on Sunday.
WEEKDAY_WEIGHTS = [0.8, 1.0, 1.0, 1.1, 1.2, 1.6, 0.5]
HOUR_WEIGHTS = {
    9: 2,
    10: 5,
    11: 8,
    12: 8,
    13: 6,
    14: 3,
    15: 2,
    16: 3,
    17: 5,
    18: 7,
    19: 7,
    20: 4,
    21: 2,
}
OUTCOME_WEIGHTS = {
    Outcome.OPEN: 25,
    Outcome.DOUBT_SOWN: 40,
    Outcome.UNCHANGED: 28,
    Outcome.HOSTILE: 7,
}
ENCOUNTER_COLUMNS = (
    "id",
    "client_uuid",
    "content_hash",
    "agent_id",
    "organisation_id",
    "occurred_at",
    "local_day",
    "district_id",
    "neighbourhood_id",
    "setting",
    "people_reached",
    "outcome",
    "notes",
    "campaign_id",
    "created_at",
)
LINK_COLUMNS = ("encounter_id", "rumour_id", "rebuttal_id")
# Above this many rows, bulk loads rebuild the secondary indexes once at the end.
REBUILD_INDEXES_FROM = 100_000


class WeightedChoice:
    """Fast repeated weighted choice (precomputed cumulative weights)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


@dataclass
class EncounterContext:
    """What the generator draws from, loaded once."""

    agents: WeightedChoice
    agent_district: dict[int, int]
    agent_organisation: dict[int, int | None]
    districts: WeightedChoice
    neighbourhoods: dict[int, list[int]]
    rumours_by_district: dict[int, WeightedChoice]
    rebuttal_of: dict[int, int | None]
    rumour_slug: dict[int, str]
    district_slug: dict[int, str]
    neighbourhood_slug: dict[int, str]
    campaigns: list[tuple[int, str, date, date]]
    days: WeightedChoice


def load_context(start: date, end: date, rng: random.Random) -> EncounterContext:
    """Read agents, places, rumours and campaigns for the generator."""
    agents = db.session.execute(
        db.select(AgentProfile.user_id, AgentProfile.district_id)
        .where(AgentProfile.status.in_([AgentStatus.CERTIFIED, AgentStatus.INACTIVE]))
        .order_by(AgentProfile.user_id)
    ).all()
    if not agents:
        raise RuntimeError("No certified agents: load the demo seed before adding encounters.")
    organisation_of: dict[int, int | None] = {}
    for user_id, organisation_id in db.session.execute(
        db.select(Membership.user_id, func.min(Membership.organisation_id)).group_by(
            Membership.user_id
        )
    ):
        organisation_of[user_id] = organisation_id
    district_rows = list(db.session.scalars(db.select(District).order_by(District.code)))
    weights = {d["slug"]: d.get("weight", 5) for d in load_yaml("districts.yaml")}
    published = (
        db.session.execute(
            db.select(Rumour.id, Rumour.slug)
            .where(Rumour.status == RumourStatus.PUBLISHED)
            .order_by(Rumour.id)
        ).all()
        or db.session.execute(db.select(Rumour.id, Rumour.slug).order_by(Rumour.id)).all()
    )
    if not published:
        raise RuntimeError("No rumours: load the demo seed before adding encounters.")
    rebuttal_of = dict(
        db.session.execute(
            db.select(Rebuttal.rumour_id, func.max(Rebuttal.id))
            .where(Rebuttal.status == RebuttalStatus.PUBLISHED)
            .group_by(Rebuttal.rumour_id)
        ).all()
    )
    # Some rumours are heard far more in some districts: a fixed random profile.
    profile_rng = random.Random(7)
    base = {rid: profile_rng.uniform(0.5, 2.0) for rid, _ in published}
    rumours_by_district = {
        d.id: WeightedChoice(
            [rid for rid, _ in published],
            [base[rid] * profile_rng.choice([0.4, 1, 1, 1.5, 3]) for rid, _ in published],
        )
        for d in district_rows
    }
    neighbourhoods: dict[int, list[int]] = {}
    neighbourhood_slug = {}
    for n in db.session.scalars(db.select(Neighbourhood).order_by(Neighbourhood.code)):
        neighbourhoods.setdefault(n.district_id, []).append(n.id)
        neighbourhood_slug[n.id] = n.slug
    campaigns = [
        (c.id, c.slug, c.starts_on, c.ends_on)
        for c in db.session.scalars(db.select(Campaign).order_by(Campaign.id))
    ]
    days, day_weights = [], []
    day = start
    while day <= end:
        weight = WEEKDAY_WEIGHTS[day.weekday()]
        if day.month == 8:
            weight *= 0.5  # summer holidays
        if any(s <= day <= e for _, _, s, e in campaigns):
            weight *= 1.5
        days.append(day)
        day_weights.append(weight)
        day += timedelta(days=1)
    return EncounterContext(
        # A few agents are much more active than most.
        agents=WeightedChoice([a for a, _ in agents], [rng.paretovariate(1.5) for _ in agents]),
        agent_district={a: d for a, d in agents},
        agent_organisation=organisation_of,
        districts=WeightedChoice(
            [d.id for d in district_rows], [weights.get(d.slug, 5) for d in district_rows]
        ),
        neighbourhoods=neighbourhoods,
        rumours_by_district=rumours_by_district,
        rebuttal_of=rebuttal_of,
        rumour_slug=dict(published),
        district_slug={d.id: d.slug for d in district_rows},
        neighbourhood_slug=neighbourhood_slug,
        campaigns=campaigns,
        days=WeightedChoice(days, day_weights),
    )


def generate_encounters(
    ctx: EncounterContext, rng: random.Random, count: int, uuid_for: Callable[[int], uuid.UUID]
) -> Iterator[tuple[tuple, list[tuple[int, int | None]]]]:
    """Yield (encounter row in ENCOUNTER_COLUMNS order without the id, [(rumour_id, rebuttal_id)])
    with realistic patterns. Timestamps are UTC text that SQLite and PostgreSQL both read.

    Tuned for speed (a million rows must load in about a minute): draws use
    precomputed tables and the row is built as plain values.
    """
    settings = WeightedChoice([s.value for s in SETTING_WEIGHTS], list(SETTING_WEIGHTS.values()))
    outcomes = WeightedChoice([o.value for o in OUTCOME_WEIGHTS], list(OUTCOME_WEIGHTS.values()))
    hours = WeightedChoice(list(HOUR_WEIGHTS), list(HOUR_WEIGHTS.values()))
    people_small = WeightedChoice((1, 2, 3, 4, 5), (60, 25, 8, 4, 3))
    # Local time is Barcelona's; stored as UTC (one hour earlier in winter, two in summer:
    # one hour is close enough for demo data).
    day_text = {}
    for day in ctx.days.items:
        utc_day = datetime.combine(day, time(0), UTC) - timedelta(hours=1)
        day_text[day] = [(utc_day + timedelta(hours=h)).strftime("%Y-%m-%d %H:") for h in range(24)]
    day_iso = {day: day.isoformat() for day in ctx.days.items}
    day_campaigns = {
        day: [(cid, slug) for cid, slug, s, e in ctx.campaigns if s <= day <= e]
        for day in ctx.days.items
    }
    now_text = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    random_ = rng.random
    randrange = rng.randrange
    for i in range(count):
        agent_id = ctx.agents(rng)
        home = ctx.agent_district.get(agent_id)
        district_id = home if home and random_() < 0.7 else ctx.districts(rng)
        hoods = ctx.neighbourhoods.get(district_id)
        neighbourhood_id = hoods[randrange(len(hoods))] if hoods and random_() < 0.75 else None
        setting = settings(rng)
        day = ctx.days(rng)
        hour = hours(rng)
        if setting == "market" and hour > 14:
            hour = 9 + randrange(5)
        minute = randrange(60)
        prefix = day_text[day][hour]
        occurred = f"{prefix}{minute:02d}:00.000000"
        created_minute = minute + 1 + randrange(59)
        created = (
            f"{prefix}{created_minute:02d}:00.000000"
            if created_minute < 60
            else f"{prefix}59:59.000000"
        )
        if created > now_text:
            created = now_text
        outcome = outcomes(rng)
        if (setting == "bar" or setting == "online") and random_() < 0.1:
            outcome = "hostile"
        if (setting == "school" or setting == "association") and random_() < 0.3:
            people = 5 + randrange(21)
        else:
            people = people_small(rng)
        picker = ctx.rumours_by_district[district_id]
        rumour_ids = {picker(rng)}
        extra = random_()
        if extra < 0.25:
            rumour_ids.add(picker(rng))
            if extra < 0.03:
                rumour_ids.add(picker(rng))
        campaign_id = campaign_slug = None
        for cid, slug in day_campaigns[day]:
            if random_() < 0.85:
                campaign_id, campaign_slug = cid, slug
                break
        digest = encounter_content_hash(
            occurred.replace(" ", "T")[:19] + "Z",
            ctx.district_slug[district_id],
            ctx.neighbourhood_slug.get(neighbourhood_id),
            setting,
            [ctx.rumour_slug[r] for r in rumour_ids],
            people,
            outcome,
            None,
            campaign_slug,
        )
        row = (
            uuid_for(i).hex,
            digest,
            agent_id,
            ctx.agent_organisation.get(agent_id),
            occurred,
            day_iso[day],
            district_id,
            neighbourhood_id,
            setting,
            people,
            outcome,
            None,
            campaign_id,
            created,
        )
        yield row, [(r, ctx.rebuttal_of.get(r)) for r in rumour_ids]


def bulk_insert_encounters(
    rows: Iterator[tuple[tuple, list]],
    total: int,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 50_000,
) -> int:
    """Write generated encounters in large batches with the driver's fastest path
    (executemany on SQLite, COPY on PostgreSQL). Commits per batch; returns rows written."""
    dialect = db.engine.dialect.name
    written = 0
    batch: list[tuple[tuple, list]] = []
    encounter_columns = ", ".join(ENCOUNTER_COLUMNS)
    link_columns = ", ".join(LINK_COLUMNS)

    def flush_batch(conn) -> None:
        nonlocal written
        if dialect == "postgresql":
            # Reserve a block of ids: nothing else inserts encounters meanwhile.
            conn.execute(text("LOCK TABLE encounters IN EXCLUSIVE MODE"))
        start = (
            conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM encounters")).scalar() or 0
        ) + 1
        encounter_rows, link_rows = [], []
        for eid, (row, links) in enumerate(batch, start=start):
            encounter_rows.append((eid, *row))
            link_rows.extend((eid, rumour_id, rebuttal_id) for rumour_id, rebuttal_id in links)
        raw = conn.connection.dbapi_connection
        if dialect == "postgresql":
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY encounters ({encounter_columns}) FROM STDIN") as copy:
                    for row in encounter_rows:
                        copy.write_row(row)
                with cursor.copy(f"COPY encounter_rumours ({link_columns}) FROM STDIN") as copy:
                    for row in link_rows:
                        copy.write_row(row)
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('encounters', 'id'), "
                    "(SELECT MAX(id) FROM encounters))"
                )
            )
        else:
            cursor = raw.cursor()
            cursor.executemany(
                f"INSERT INTO encounters ({encounter_columns}) VALUES "
                f"({', '.join('?' * len(ENCOUNTER_COLUMNS))})",
                encounter_rows,
            )
            cursor.executemany(
                f"INSERT INTO encounter_rumours ({link_columns}) VALUES (?, ?, ?)", link_rows
            )
            cursor.close()
        if not rebuild:
            summaries.add_encounters(conn, start, start + len(batch) - 1)
        loaded.append((start, start + len(batch) - 1))
        written += len(batch)
        if progress:
            progress(len(batch))
        batch.clear()

    # The session's own connection: the caller's transaction rules apply (and tests
    # that roll back see the rows disappear too).
    rebuild = total >= REBUILD_INDEXES_FROM
    loaded: list[tuple[int, int]] = []
    conn = db.session.connection()
    if dialect == "sqlite":
        # A large page cache keeps the indexes in memory while rows pour in.
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    if rebuild:
        # One transaction for everything: dropping the secondary indexes and
        # building them once at the end is several times faster than updating
        # them row by row; DDL is transactional on both databases, so an interrupted
        # load leaves the schema as it was.
        # The first batch goes in before the indexes are dropped: its INSERT opens
        # the transaction (Python's sqlite3 would otherwise run DDL in autocommit).
        indexes = [*Encounter.__table__.indexes, *EncounterRumour.__table__.indexes]
        dropped = False
        for item in rows:
            batch.append(item)
            if len(batch) >= batch_size:
                flush_batch(conn)
                if not dropped:
                    for index in indexes:
                        index.drop(conn)
                    dropped = True
        if batch:
            flush_batch(conn)
        if dropped:
            for index in indexes:
                index.create(conn)
        if loaded:
            # One pass over the whole load for the summary tables, not one per batch.
            summaries.add_encounters(conn, loaded[0][0], loaded[-1][1])
        db.session.commit()
    else:
        for item in rows:
            batch.append(item)
            if len(batch) >= batch_size:
                flush_batch(conn)
                db.session.commit()
                conn = db.session.connection()
        if batch:
            flush_batch(conn)
        db.session.commit()
    if dialect == "sqlite":
        db.session.connection().exec_driver_sql("PRAGMA cache_size=-2000")
        db.session.commit()
    return written


def seed_demo_encounters(plan: DemoPlan) -> int:
    """A year of demo conversations before the anchor date, with deterministic UUIDs."""

    def uuid_for(i: int) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, f"encounter-{i}")

    last = uuid_for(DEMO_ENCOUNTERS - 1)
    if db.session.execute(db.select(Encounter.id).where(Encounter.client_uuid == last)).first():
        return 0
    rng = random.Random(2010)
    ctx = load_context(plan.anchor - timedelta(days=364), plan.anchor - timedelta(days=1), rng)
    return bulk_insert_encounters(
        generate_encounters(ctx, rng, DEMO_ENCOUNTERS, uuid_for), DEMO_ENCOUNTERS
    )


def _random_uuids(rng: random.Random) -> Callable[[int], uuid.UUID]:
    return lambda _i: uuid.UUID(int=rng.getrandbits(128), version=4)


def _produce(ctx: EncounterContext, seed: int, count: int, queue, chunk: int) -> None:
    """Child process: generate rows and hand them over in chunks (None ends)."""
    rng = random.Random(seed)
    buffer = []
    for item in generate_encounters(ctx, rng, count, _random_uuids(rng)):
        buffer.append(item)
        if len(buffer) >= chunk:
            queue.put(buffer)
            buffer = []
    if buffer:
        queue.put(buffer)
    queue.put(None)


def _drain(queue) -> Iterator[tuple[tuple, list]]:
    while (chunk := queue.get()) is not None:
        yield from chunk


def add_synthetic_encounters(
    count: int, progress: Callable[[int], None] | None = None, seed: int | None = None
) -> int:
    """Add `count` random encounters over the past year (for load and dashboard tests).

    Large loads generate rows in a second process while this one writes, so the
    two cores work at once.
    """
    today = datetime.now(UTC).date()
    rng = random.Random(seed)
    ctx = load_context(today - timedelta(days=365), today - timedelta(days=1), rng)
    db.session.commit()
    if count < REBUILD_INDEXES_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return bulk_insert_encounters(
            generate_encounters(ctx, rng, count, _random_uuids(rng)), count, progress
        )
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue(maxsize=4)
    producer = fork.Process(
        target=_produce, args=(ctx, rng.getrandbits(64), count, queue, 10_000), daemon=True
    )
    producer.start()
    try:
        return bulk_insert_encounters(_drain(queue), count, progress)
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join()


# ---------------------------------------------------------------------------
# The whole demo
# ---------------------------------------------------------------------------


def seed_demo() -> None:
    """Load the Barcelona demo; safe to rerun (updates by natural key, never duplicates)."""
    if not current_app.config.get("DEMO_SEED_ALLOWED"):
        raise SeedRefused("The demo seed refuses to run under the production configuration.")
    plan = DemoPlan(anchor=demo_anchor(), rng=random.Random(2010))
    seed_districts()
    seed_organisations()
    seed_rumours()
    seed_trainings(plan)
    seed_people(plan, PasswordCache())
    seed_campaigns()
    if db.session.get(SiteSetting, DEMO_KEY) is None:
        db.session.add(SiteSetting(key=DEMO_KEY, value="yes"))
    db.session.commit()
    seed_demo_encounters(plan)
    db.session.commit()
