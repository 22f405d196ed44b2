"""The data model: every noun of DESIGN.md's vocabulary, typed SQLAlchemy 2."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite has no time zones; storing UTC everywhere keeps both databases equal.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by its value, as a VARCHAR with a CHECK constraint on both databases."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    AGENT = "agent"
    MEMBER = "member"


class AgentStatus(enum.StrEnum):
    APPLICANT = "applicant"
    IN_TRAINING = "in_training"
    CERTIFIED = "certified"
    INACTIVE = "inactive"


class OrganisationType(enum.StrEnum):
    ASSOCIATION = "association"
    NGO = "ngo"
    SCHOOL = "school"
    LIBRARY = "library"
    PUBLIC_BODY = "public_body"
    BUSINESS = "business"
    OTHER = "other"


class Theme(enum.StrEnum):
    """The themes a new install starts with (rows of `themes`); coordinators add,
    rename and retire themes on the Settings page, so a rumour's theme is a slug."""

    EMPLOYMENT = "employment"
    WELFARE = "welfare"
    HEALTH = "health"
    HOUSING = "housing"
    SECURITY = "security"
    ECONOMY = "economy"
    RELIGION_CULTURE = "religion_culture"
    EDUCATION = "education"
    COEXISTENCE = "coexistence"


class RumourStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class RebuttalStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    # An older published version, kept readable.
    SUPERSEDED = "superseded"


class TrainingKind(enum.StrEnum):
    BASIC = "basic"
    ADVANCED = "advanced"
    REFRESHER = "refresher"
    TRAIN_THE_TRAINER = "train_the_trainer"
    THEMATIC = "thematic"


class TrainingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


class Setting(enum.StrEnum):
    STREET = "street"
    MARKET = "market"
    BAR = "bar"
    SCHOOL = "school"
    WORKPLACE = "workplace"
    TRANSPORT = "transport"
    FAMILY = "family"
    ONLINE = "online"
    ASSOCIATION = "association"
    OTHER = "other"


# A setting as the summaries key it (setting_stats_month.setting_id): its place in
# Setting, from 1. Stored: a new setting goes at the end of Setting, never between.
SETTING_CODES: dict[str, int] = {s.value: code for code, s in enumerate(Setting, start=1)}


class Outcome(enum.StrEnum):
    OPEN = "open"
    DOUBT_SOWN = "doubt_sown"
    UNCHANGED = "unchanged"
    HOSTILE = "hostile"


class ConsentPurpose(enum.StrEnum):
    PROCESSING = "processing"
    CONTACT = "contact"


class ReportSource(enum.StrEnum):
    AGENT = "agent"
    PUBLIC = "public"


class ReportStatus(enum.StrEnum):
    UNTRIAGED = "untriaged"
    LINKED = "linked"
    PROMOTED = "promoted"
    DISMISSED = "dismissed"


class DismissReason(enum.StrEnum):
    OFF_TOPIC = "off_topic"
    ABUSIVE = "abusive"
    UNCLEAR = "unclear"


# ---------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------


class District(db.Model):
    """A district of the city. Codes are the city's own (strings: "01", "E05000026");
    a district with conversations is never deleted, only retired (hidden from forms,
    kept in history and statistics)."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Display order (the order of the city's file, or of creation).
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    # The shape as a GeoJSON geometry (Polygon or MultiPolygon, WGS 84 lon/lat), or none.
    geometry: Mapped[str | None] = mapped_column(Text)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="district", order_by="(Neighbourhood.position, Neighbourhood.code)"
    )


class Neighbourhood(db.Model):
    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    geometry: Mapped[str | None] = mapped_column(Text)

    district: Mapped[District] = relationship(back_populates="neighbourhoods")


# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------


class User(UserMixin, db.Model):
    """Anyone who logs in. `session_token` is Flask-Login's alternative id:
    rotating it ends every session of the user on the server."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), unique=True)
    # None until the user picks a language: the switcher's cookie, the browser's
    # language and the city's default apply until then.
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The second factor (RFC 6238 TOTP): the base32 secret once enrolment is confirmed,
    # and the last time step accepted, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agent_profile: Mapped[AgentProfile | None] = relationship(
        back_populates="user", uselist=False, foreign_keys="AgentProfile.user_id"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None


class AgentProfile(db.Model):
    """What makes a user an anti-rumour agent: lifecycle, district, languages."""

    __tablename__ = "agent_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[AgentStatus] = mapped_column(
        str_enum(AgentStatus, "agent_status"), default=AgentStatus.APPLICANT, index=True
    )
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    # Stable pseudonym for raw exports: never the name.
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certification_override_reason: Mapped[str | None] = mapped_column(String(500))
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship(back_populates="agent_profile", foreign_keys=[user_id])
    district: Mapped[District | None] = relationship()
    languages: Mapped[list[AgentLanguage]] = relationship(cascade="all, delete-orphan")
    status_changes: Mapped[list[AgentStatusChange]] = relationship(
        cascade="all, delete-orphan", order_by="AgentStatusChange.changed_at"
    )


class AgentLanguage(db.Model):
    __tablename__ = "agent_languages"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agent_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    # BCP 47 primary tag: ca, es, en, ar, ur, zh ...
    language: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class AgentStatusChange(db.Model):
    __tablename__ = "agent_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agent_profiles.user_id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[AgentStatus | None] = mapped_column(str_enum(AgentStatus, "from_status"))
    to_status: Mapped[AgentStatus] = mapped_column(str_enum(AgentStatus, "to_status"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))


class Consent(db.Model):
    """A consent given (or withdrawn) for one purpose, with its time."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(str_enum(ConsentPurpose, "consent_purpose"))
    granted: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notice_version: Mapped[str] = mapped_column(String(20), default="1")


class Invitation(db.Model):
    """A single-use, expiring sign-up link; only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(db.Model):
    """Failed logins per account (keyed by normalised e-mail, known or not,
    so the limit reveals nothing about which accounts exist)."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures_in_window: Mapped[int] = mapped_column(default=0)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AddressThrottle(db.Model):
    """Failed logins per client address, across accounts: the first layer against
    password spraying (one address trying many accounts once each)."""

    __tablename__ = "address_throttles"

    address: Mapped[str] = mapped_column(String(45), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures_in_window: Mapped[int] = mapped_column(default=0)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrustedDevice(db.Model):
    """A browser that has signed in to an account (OWASP's device cookie): the cookie
    holds a signed nonce, this row its hash; it lets that browser past the account's
    login limit until it fails too often itself."""

    __tablename__ = "trusted_devices"
    __table_args__ = (UniqueConstraint("user_id", "nonce_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nonce_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failures: Mapped[int] = mapped_column(default=0)


class RecoveryCode(db.Model):
    """One single-use recovery code for the second factor, stored salted and hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(100))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityEvent(db.Model):
    """A security-relevant event (ASVS V16): failed or throttled logins, refusals,
    password and second-factor changes, session ends, exports, account changes. Never
    holds a password tried."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The account named, as typed (a failed login may name no existing account).
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[OrganisationType] = mapped_column(str_enum(OrganisationType, "organisation_type"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    joined_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    district: Mapped[District | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class Membership(db.Model):
    """A user (agent or organisation member) belonging to an organisation."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    since: Mapped[date] = mapped_column(default=lambda: datetime.now(UTC).date())

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


# ---------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------


class Rumour(db.Model):
    __tablename__ = "rumours"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    claim: Mapped[str] = mapped_column(String(300))
    # How people say it in other words or languages; searched too.
    also_heard_as: Mapped[str | None] = mapped_column(String(500))
    theme: Mapped[str] = mapped_column(ForeignKey("themes.slug"), index=True)
    status: Mapped[RumourStatus] = mapped_column(
        str_enum(RumourStatus, "rumour_status"), default=RumourStatus.DRAFT, index=True
    )
    reviewed_on: Mapped[date | None]
    # Plain folded text (lower case, no accents) of claim and rebuttals, for portable search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Imported from another network's catalogue feed: where it came from, and a digest
    # of the content as imported (a later import updates it only while unchanged).
    origin_network: Mapped[str | None] = mapped_column(String(200))
    origin_url: Mapped[str | None] = mapped_column(String(1000))
    origin_slug: Mapped[str | None] = mapped_column(String(120))
    origin_version: Mapped[int | None]
    origin_digest: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rebuttals: Mapped[list[Rebuttal]] = relationship(
        back_populates="rumour", order_by="(Rebuttal.language, Rebuttal.version)"
    )
    # The claim as people say it in other languages (`claim` is the source language's).
    translations: Mapped[list[RumourClaim]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RumourClaim.language"
    )

    def claim_in(self, language: str | None) -> str:
        """The claim in `language` where it has been translated, else the source claim."""
        for translation in self.translations:
            if translation.language == language:
                return translation.claim
        return self.claim


class ThemeRow(db.Model):
    """A rumour theme. The built-in ones (slugs of `Theme`) show their translated label
    until a coordinator renames them; a retired theme keeps its rumours."""

    __tablename__ = "themes"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The coordinator's wording; None shows the built-in label in the reader's language.
    name: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)


@event.listens_for(ThemeRow.__table__, "after_create")
def _built_in_themes(table, connection, **kw) -> None:
    """A new schema (the migration, or create_all in tests) starts with the built-in themes."""
    connection.execute(
        table.insert(),
        [
            {"slug": t.value, "name": None, "position": i, "retired": False}
            for i, t in enumerate(Theme)
        ],
    )


class RumourClaim(db.Model):
    """A rumour's claim in one more language, as people say it there."""

    __tablename__ = "rumour_claims"

    rumour_id: Mapped[int] = mapped_column(
        ForeignKey("rumours.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    claim: Mapped[str] = mapped_column(String(300))


class Rebuttal(db.Model):
    """One version of the answer to a rumour, in one language."""

    __tablename__ = "rebuttals"
    __table_args__ = (
        UniqueConstraint("rumour_id", "language", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rumour_id: Mapped[int] = mapped_column(ForeignKey("rumours.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[RebuttalStatus] = mapped_column(
        str_enum(RebuttalStatus, "rebuttal_status"), default=RebuttalStatus.DRAFT
    )
    short_answer: Mapped[str] = mapped_column(String(280))
    explanation: Mapped[str] = mapped_column(Text)
    review_due_on: Mapped[date | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rumour: Mapped[Rumour] = relationship(back_populates="rebuttals")
    sources: Mapped[list[Source]] = relationship(
        back_populates="rebuttal", cascade="all, delete-orphan", order_by="Source.id"
    )


class Source(db.Model):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    rebuttal_id: Mapped[int] = mapped_column(
        ForeignKey("rebuttals.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    published_on: Mapped[date | None]
    supports: Mapped[str] = mapped_column(Text)
    checked_on: Mapped[date | None]

    rebuttal: Mapped[Rebuttal] = relationship(back_populates="sources")


# ---------------------------------------------------------------------------
# Trainings
# ---------------------------------------------------------------------------


class TrainingSession(db.Model):
    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TrainingKind] = mapped_column(str_enum(TrainingKind, "training_kind"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    trainer: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int]
    language: Mapped[str] = mapped_column(String(8), default="ca")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TrainingStatus] = mapped_column(
        str_enum(TrainingStatus, "training_status"), default=TrainingStatus.SCHEDULED
    )
    uid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)

    district: Mapped[District | None] = relationship()
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="session")

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("session_id", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        str_enum(EnrolmentStatus, "enrolment_status"), default=EnrolmentStatus.ENROLLED
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None until the roll call; then whether the agent came.
    attended: Mapped[bool | None]
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship(back_populates="enrolments")
    agent: Mapped[User] = relationship()


# ---------------------------------------------------------------------------
# Campaigns
# ---------------------------------------------------------------------------

campaign_rumours = Table(
    "campaign_rumours",
    db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("rumour_id", ForeignKey("rumours.id", ondelete="CASCADE"), primary_key=True),
)

campaign_organisations = Table(
    "campaign_organisations",
    db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    target_encounters: Mapped[int | None]
    target_people_reached: Mapped[int | None]
    target_agents_trained: Mapped[int | None]
    target_trainings: Mapped[int | None]

    rumours: Mapped[list[Rumour]] = relationship(secondary=campaign_rumours)
    organisations: Mapped[list[Organisation]] = relationship(secondary=campaign_organisations)


# ---------------------------------------------------------------------------
# Encounters
# ---------------------------------------------------------------------------


# The review's flags: "unusually many people" needs at least this many (a school talk of 25
# is normal; a market chat of 40 is not).
PEOPLE_FLOOR = 12
# A conversation that may need a coordinator's look: not checked or excluded yet, and
# either a burst or a crowd large enough for the crowd flag. The review's queries carry
# these same terms, so that both databases can answer them from the partial index.
REVIEW_CANDIDATE = (
    f"checked_at IS NULL AND excluded_at IS NULL AND (burst OR people_reached >= {PEOPLE_FLOOR})"
)


class Encounter(db.Model):
    """One conversation. Nothing here identifies the other person; location
    stops at the neighbourhood. `agent_id` becomes NULL when the agent is erased."""

    __tablename__ = "encounters"
    __table_args__ = (
        CheckConstraint("people_reached >= 1", name="people_reached_positive"),
        Index("ix_encounters_occurred_at", "occurred_at"),
        Index("ix_encounters_agent_occurred", "agent_id", "occurred_at"),
        Index("ix_encounters_campaign_occurred", "campaign_id", "occurred_at"),
        Index("ix_encounters_district_occurred", "district_id", "occurred_at"),
        Index("ix_encounters_organisation_occurred", "organisation_id", "occurred_at"),
        # A member's view of a rumour counts the days at its period's edges (its whole
        # months: rumour_organisation_stats_month) from the rows: the organisation's
        # days, read from this index alone rather than from a row per conversation (on
        # PostgreSQL the id is carried too, to find the conversation's rumours).
        Index(
            "ix_encounters_organisation_day",
            "organisation_id", "local_day", "neighbourhood_id", "excluded_at",
            postgresql_include=["id"],
        ),
        # The review's work: the conversations that may need a coordinator's look (see
        # REVIEW_CANDIDATE), newest first. Few where a network keeps up with its review;
        # "only flagged" and the count of pending flags read these, not every row.
        Index(
            "ix_encounters_review_candidates", "occurred_at", "id",
            sqlite_where=text(REVIEW_CANDIDATE), postgresql_where=text(REVIEW_CANDIDATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key, created on the phone when the form opened.
    client_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    # Hash of the submitted content: a replay with other content is refused.
    content_hash: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The organisation the agent logged for, kept for its statistics.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The day in the city's time zone: statistics group by it (set on every flush).
    local_day: Mapped[date]
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhoods.id"))
    setting: Mapped[Setting] = mapped_column(str_enum(Setting, "setting"))
    people_reached: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "outcome"))
    notes: Mapped[str | None] = mapped_column(String(500))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Data quality: a coordinator checked a flagged entry (its flags no longer count), or
    # excluded it from every statistic with a reason (reinstating clears both fields).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excluded_reason: Mapped[str | None] = mapped_column(String(300))
    # The review's "many in a few minutes": kept by rumours.summaries.bursts on every
    # write (it depends on the agent's other conversations, so it is never set by hand).
    burst: Mapped[bool] = mapped_column(default=False, server_default=false())

    agent: Mapped[User | None] = relationship()
    district: Mapped[District] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    rumour_links: Mapped[list[EncounterRumour]] = relationship(
        back_populates="encounter", cascade="all, delete-orphan"
    )
    # The rumour the agent heard that is not in the catalogue (a report), if any.
    unlisted_report: Mapped[Report | None] = relationship(
        back_populates="encounter", cascade="all, delete-orphan", lazy="selectin"
    )


class EncounterRumour(db.Model):
    """A rumour that came up in an encounter, with the rebuttal version then current."""

    __tablename__ = "encounter_rumours"
    __table_args__ = (Index("ix_encounter_rumours_rumour", "rumour_id", "encounter_id"),)

    encounter_id: Mapped[int] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), primary_key=True
    )
    rumour_id: Mapped[int] = mapped_column(ForeignKey("rumours.id"), primary_key=True)
    rebuttal_id: Mapped[int | None] = mapped_column(ForeignKey("rebuttals.id", ondelete="SET NULL"))

    encounter: Mapped[Encounter] = relationship(back_populates="rumour_links")
    rumour: Mapped[Rumour] = relationship()
    rebuttal: Mapped[Rebuttal | None] = relationship()


# ---------------------------------------------------------------------------
# Reports: rumours heard that may not be in the catalogue yet
# ---------------------------------------------------------------------------


class Report(db.Model):
    """A rumour someone heard, in their words: from an agent (with an encounter) or
    from the public. Never shown publicly; nothing in it identifies anyone."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[ReportSource] = mapped_column(str_enum(ReportSource, "report_source"))
    claim: Mapped[str] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL")
    )
    setting: Mapped[Setting | None] = mapped_column(str_enum(Setting, "setting"))
    encounter_id: Mapped[int | None] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "report_status"), default=ReportStatus.UNTRIAGED
    )
    rumour_id: Mapped[int | None] = mapped_column(ForeignKey("rumours.id", ondelete="SET NULL"))
    dismiss_reason: Mapped[DismissReason | None] = mapped_column(
        str_enum(DismissReason, "dismiss_reason")
    )
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    district: Mapped[District | None] = relationship()
    encounter: Mapped[Encounter | None] = relationship(back_populates="unlisted_report")
    rumour: Mapped[Rumour | None] = relationship()


class ReportLimit(db.Model):
    """Public reports per address and hour: a keyed hash of the address (never the
    address), the hour, a count. Rows older than the hour are deleted."""

    __tablename__ = "report_limits"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


# ---------------------------------------------------------------------------
# Summary tables for the dashboard (see rumours/summaries.py)
# ---------------------------------------------------------------------------

# What every summary row counts: encounters, people reached, encounters per outcome
# and per setting. In the rumour tables "encounters" means encounters in which that
# rumour came up.
SUMMARY_MEASURES: tuple[str, ...] = (
    "encounters",
    "people",
    *(f"outcome_{o.value}" for o in Outcome),
    *(f"setting_{s.value}" for s in Setting),
)


def summary_table(name: str, dimensions: tuple[str, ...]) -> Table:
    """A summary table: one row per period start and combination of dimension ids
    (0 stands for "none": no organisation, no campaign, no rebuttal)."""
    return Table(
        name,
        db.metadata,
        Column("period_start", Date, primary_key=True),
        *(Column(f"{d}_id", Integer, primary_key=True, autoincrement=False) for d in dimensions),
        *(Column(m, Integer, nullable=False) for m in SUMMARY_MEASURES),
        # SQLite keeps the rows in key order: a period's rows are read in one sweep.
        sqlite_with_rowid=False,
    )


ENCOUNTER_DIMENSIONS = ("district", "organisation", "campaign")
# The neighbourhood map's counts (0: logged without a neighbourhood).
NEIGHBOURHOOD_DIMENSIONS = ("district", "neighbourhood", "organisation", "campaign")
# The same for the whole network's, a district's and a campaign's view: a row per
# neighbourhood, campaign and period rather than also per organisation (a month's map of
# the network reads a few hundred rows, not 3,000; a campaign's edge days 74 rows a day,
# not 800).
NEIGHBOURHOOD_TOTAL_DIMENSIONS = ("district", "neighbourhood", "campaign")
RUMOUR_DIMENSIONS = ("district", "organisation", "campaign", "rumour", "rebuttal")
RUMOUR_DISTRICT_DIMENSIONS = ("district", "rumour", "rebuttal")
CAMPAIGN_RUMOUR_DIMENSIONS = ("campaign", "district", "rumour", "rebuttal")
# The neighbourhood map in a rumour's view (and a district's or a campaign's), kept by
# campaign too: a coordinator opening a rumour from a campaign's view. Not by
# organisation: by day that would be a row for nearly every link (a member's view of a
# rumour has its own table, by month: RUMOUR_ORGANISATION_DIMENSIONS).
RUMOUR_NEIGHBOURHOOD_DIMENSIONS = ("district", "neighbourhood", "campaign", "rumour")
# The review's usual crowd per setting (people reached over conversations, per setting):
# kept by district too, so that writers in different districts never wait on one row
# (a month's row per district and setting: a few thousand rows in all, read in a
# millisecond, where the encounter tables' dimensions made 33,730 for the seeded million).
SETTING_DIMENSIONS = ("district", "setting")
# A member's view of a rumour: the rumour's neighbourhoods within their organisation, by
# month only (the days at a period's edges are counted from the rows). About one row for
# ten links in the seeded million (131,725 for 1,251,571): a day table would hold nearly
# one per link. Its rows are shared only by writers who share their encounter_stats rows.
RUMOUR_ORGANISATION_DIMENSIONS = ("organisation", "neighbourhood", "rumour")

encounter_stats_day = summary_table("encounter_stats_day", ENCOUNTER_DIMENSIONS)
encounter_stats_week = summary_table("encounter_stats_week", ENCOUNTER_DIMENSIONS)
encounter_stats_month = summary_table("encounter_stats_month", ENCOUNTER_DIMENSIONS)
neighbourhood_totals_day = summary_table(
    "neighbourhood_totals_day", NEIGHBOURHOOD_TOTAL_DIMENSIONS
)
neighbourhood_totals_month = summary_table(
    "neighbourhood_totals_month", NEIGHBOURHOOD_TOTAL_DIMENSIONS
)
neighbourhood_stats_day = summary_table("neighbourhood_stats_day", NEIGHBOURHOOD_DIMENSIONS)
neighbourhood_stats_month = summary_table("neighbourhood_stats_month", NEIGHBOURHOOD_DIMENSIONS)
rumour_stats_day = summary_table("rumour_stats_day", RUMOUR_DIMENSIONS)
rumour_stats_month = summary_table("rumour_stats_month", RUMOUR_DIMENSIONS)
rumour_district_stats_day = summary_table("rumour_district_stats_day", RUMOUR_DISTRICT_DIMENSIONS)
rumour_district_stats_month = summary_table(
    "rumour_district_stats_month", RUMOUR_DISTRICT_DIMENSIONS
)
campaign_rumour_stats_day = summary_table("campaign_rumour_stats_day", CAMPAIGN_RUMOUR_DIMENSIONS)
campaign_rumour_stats_month = summary_table(
    "campaign_rumour_stats_month", CAMPAIGN_RUMOUR_DIMENSIONS
)
rumour_neighbourhood_stats_day = summary_table(
    "rumour_neighbourhood_stats_day", RUMOUR_NEIGHBOURHOOD_DIMENSIONS
)
rumour_neighbourhood_stats_month = summary_table(
    "rumour_neighbourhood_stats_month", RUMOUR_NEIGHBOURHOOD_DIMENSIONS
)
setting_stats_month = summary_table("setting_stats_month", SETTING_DIMENSIONS)
rumour_organisation_stats_month = summary_table(
    "rumour_organisation_stats_month", RUMOUR_ORGANISATION_DIMENSIONS
)
# Read by organisation and rumour, over a period's months.
Index(
    "ix_rumour_organisation_stats_month_reader",
    rumour_organisation_stats_month.c.organisation_id,
    rumour_organisation_stats_month.c.rumour_id,
    rumour_organisation_stats_month.c.period_start,
)
# A rumour's own trend reads the day tables by rumour; in an organisation's view (a
# member's view of a rumour), by organisation and rumour.
Index("ix_rumour_stats_day_rumour", rumour_stats_day.c.rumour_id, rumour_stats_day.c.period_start)
Index(
    "ix_rumour_stats_day_organisation_rumour",
    rumour_stats_day.c.organisation_id,
    rumour_stats_day.c.rumour_id,
    rumour_stats_day.c.period_start,
)
Index(
    "ix_rumour_district_stats_day_rumour",
    rumour_district_stats_day.c.rumour_id,
    rumour_district_stats_day.c.period_start,
)
# An organisation's view (and a district's narrowed to a campaign or an organisation)
# reads its months by that id, not every row of the period (a twentieth, a tenth of them).
# Only a row's first count writes its entry: later counts change measures, not these.
Index(
    "ix_neighbourhood_stats_month_district",
    neighbourhood_stats_month.c.district_id,
    neighbourhood_stats_month.c.period_start,
)
Index(
    "ix_neighbourhood_stats_month_organisation",
    neighbourhood_stats_month.c.organisation_id,
    neighbourhood_stats_month.c.period_start,
)
Index(
    "ix_rumour_stats_month_organisation",
    rumour_stats_month.c.organisation_id,
    rumour_stats_month.c.period_start,
)


# ---------------------------------------------------------------------------
# Audit and settings
# ---------------------------------------------------------------------------


class AuditEntry(db.Model):
    """Who changed what, when: append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class SiteSetting(db.Model):
    """Small key/value facts about this installation (for example: demo data loaded)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class PendingImport(db.Model):
    """An uploaded file waiting for a coordinator's confirmation after its preview (kept in
    the database so any app server can finish it); deleted once applied or abandoned."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # What it is: "geography" or "catalogue".
    kind: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The file's text and the options it was read with, as JSON.
    payload: Mapped[str] = mapped_column(Text)


# The SiteSetting the demo seed writes: pages say in their footer that the data is demo data.
DEMO_KEY = "demo_data"
