"""Encounter writes and rules (the HTML form and the API share them)."""

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    AgentStatus,
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Membership,
    Neighbourhood,
    Outcome,
    Rebuttal,
    RebuttalStatus,
    Role,
    Rumour,
    RumourStatus,
    Setting,
    User,
)
from ..rules.privacy import identifying_reasons

# Rules an entry must keep; the form and the API say the same thing.
MAX_PEOPLE_REACHED = 500
MAX_NOTES = 280
MAX_RUMOURS = 5
# A phone may hold an entry in its outbox for a while, but not for months.
MAX_AGE = timedelta(days=30)
# Phones' clocks drift; a few minutes ahead is not "the future".
CLOCK_SKEW = timedelta(minutes=10)
# An agent may correct or delete their own entry for this long after logging it.
EDIT_WINDOW = timedelta(hours=24)


def encounter_content_hash(
    occurred_at: datetime | str,
    district: str,
    neighbourhood: str | None,
    setting: str,
    rumours: Iterable[str],
    people_reached: int,
    outcome: str,
    notes: str | None,
    campaign: str | None,
) -> str:
    """SHA-256 of an encounter's content in a canonical form: what a replay of the
    same client_uuid must match. Time is compared in UTC to the second."""
    if isinstance(occurred_at, datetime):
        occurred_at = occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    canonical = "\x1f".join(
        (
            occurred_at,
            district,
            neighbourhood or "",
            setting,
            ",".join(sorted(rumours)),
            str(people_reached),
            outcome,
            (notes or "").strip(),
            campaign or "",
        )
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# ---------------------------------------------------------------------------
# Errors the views turn into answers
# ---------------------------------------------------------------------------


class EncounterInvalid(Exception):
    """Bad input: `fields` maps each field name to its messages (422 in the API)."""

    def __init__(self, fields: dict[str, list[str]], message: str | None = None):
        super().__init__(message or _("Some fields need attention."))
        self.message = message or _("Some fields need attention.")
        self.fields = fields


class EncounterConflict(EncounterInvalid):
    """The client_uuid is already stored with other content (422 in the API)."""

    def __init__(self):
        message = _(
            "This entry was already sent with different content; "
            "it was not saved again. Delete it or log it as a new conversation."
        )
        super().__init__({"client_uuid": [message]}, message)


class NotAllowed(Exception):
    """The actor may not do this (403)."""


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------


@dataclass
class EncounterData:
    """One encounter's content as the agent sent it: slugs and plain values."""

    occurred_at: datetime
    district: str
    setting: str
    rumours: list[str]
    people_reached: int
    outcome: str
    neighbourhood: str | None = None
    notes: str | None = None
    campaign: str | None = None

    def content_hash(self) -> str:
        return encounter_content_hash(
            self.occurred_at,
            self.district,
            self.neighbourhood,
            self.setting,
            self.rumours,
            self.people_reached,
            self.outcome,
            self.notes,
            self.campaign,
        )


@dataclass
class _Errors:
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise EncounterInvalid(self.fields)


def _optional_text(value, name: str, errors: _Errors) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.add(name, _("Must be text."))
        return None
    return value.strip() or None


def parse_occurred_at(value: str) -> datetime | None:
    """An ISO 8601 time with its UTC offset ('Z' accepted), or None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def encounter_from_json(payload) -> tuple[uuid.UUID, EncounterData]:
    """Check the shape of a POST /api/v1/encounters body; raise EncounterInvalid naming
    every bad field."""
    errors = _Errors()
    required = _("This field is required.")
    if not isinstance(payload, Mapping):
        raise EncounterInvalid({}, _("The body must be a JSON object."))

    client_uuid = None
    raw = payload.get("client_uuid")
    if raw in (None, ""):
        errors.add("client_uuid", required)
    else:
        try:
            client_uuid = uuid.UUID(str(raw))
        except ValueError:
            errors.add("client_uuid", _("Must be a UUID."))

    occurred_at = None
    raw = payload.get("occurred_at")
    if raw in (None, ""):
        errors.add("occurred_at", required)
    elif not isinstance(raw, str) or (occurred_at := parse_occurred_at(raw)) is None:
        errors.add(
            "occurred_at",
            _("Must be a date and time with its UTC offset, like 2026-11-28T10:15:00+01:00."),
        )

    texts = {}
    for name in ("district", "setting", "outcome"):
        raw = payload.get(name)
        if raw in (None, ""):
            errors.add(name, required)
        elif not isinstance(raw, str):
            errors.add(name, _("Must be text."))
        else:
            texts[name] = raw.strip()
    if "setting" in texts and texts["setting"] not in {s.value for s in Setting}:
        errors.add("setting", _("Unknown setting: choose one of the listed ones."))
    if "outcome" in texts and texts["outcome"] not in {o.value for o in Outcome}:
        errors.add("outcome", _("Unknown outcome: choose one of the listed ones."))

    rumours = payload.get("rumours")
    if rumours in (None, "", []):
        errors.add("rumours", _("Choose at least one rumour."))
        rumours = []
    elif not isinstance(rumours, list) or not all(isinstance(r, str) for r in rumours):
        errors.add("rumours", _("Must be a list of rumour slugs."))
        rumours = []

    people = payload.get("people_reached", 1)
    if isinstance(people, bool) or not isinstance(people, int):
        errors.add("people_reached", _("Must be a whole number."))
        people = 1

    neighbourhood = _optional_text(payload.get("neighbourhood"), "neighbourhood", errors)
    notes = _optional_text(payload.get("notes"), "notes", errors)
    campaign = _optional_text(payload.get("campaign"), "campaign", errors)
    errors.raise_if_any()
    return client_uuid, EncounterData(
        occurred_at=occurred_at,
        district=texts["district"],
        setting=texts["setting"],
        rumours=[r.strip() for r in rumours],
        people_reached=people,
        outcome=texts["outcome"],
        neighbourhood=neighbourhood,
        notes=notes,
        campaign=campaign,
    )


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


@dataclass
class _Resolved:
    district: District
    neighbourhood: Neighbourhood | None
    campaign: Campaign | None
    rumours: list[Rumour]


def is_certified_agent(user: User) -> bool:
    """Only certified agents log conversations."""
    profile = user.agent_profile
    return (
        user.role is Role.AGENT and profile is not None and profile.status is AgentStatus.CERTIFIED
    )


def _resolve(data: EncounterData, now: datetime) -> _Resolved:
    """Check the rules that need the database and the clock; raise naming each bad field."""
    errors = _Errors()
    if data.occurred_at > now + CLOCK_SKEW:
        errors.add("occurred_at", _("This time is in the future."))
    elif data.occurred_at < now - MAX_AGE:
        errors.add("occurred_at", _("This is more than 30 days ago: too old to log."))

    district = db.session.execute(
        db.select(District).where(District.slug == data.district)
    ).scalar_one_or_none()
    if district is None:
        errors.add("district", _("Unknown district."))

    neighbourhood = None
    if data.neighbourhood:
        neighbourhood = db.session.execute(
            db.select(Neighbourhood).where(Neighbourhood.slug == data.neighbourhood)
        ).scalar_one_or_none()
        if neighbourhood is None:
            errors.add("neighbourhood", _("Unknown neighbourhood."))
        elif district is not None and neighbourhood.district_id != district.id:
            errors.add("neighbourhood", _("This neighbourhood is not in the chosen district."))

    if data.setting not in {s.value for s in Setting}:
        errors.add("setting", _("Unknown setting: choose one of the listed ones."))
    if data.outcome not in {o.value for o in Outcome}:
        errors.add("outcome", _("Unknown outcome: choose one of the listed ones."))

    slugs = list(dict.fromkeys(data.rumours))
    rumours: list[Rumour] = []
    if not slugs:
        errors.add("rumours", _("Choose at least one rumour."))
    elif len(slugs) > MAX_RUMOURS:
        errors.add("rumours", _("Choose at most %(n)d rumours.", n=MAX_RUMOURS))
    else:
        found = {
            r.slug: r
            for r in db.session.scalars(
                db.select(Rumour).where(
                    Rumour.slug.in_(slugs), Rumour.status == RumourStatus.PUBLISHED
                )
            )
        }
        unknown = [s for s in slugs if s not in found]
        if unknown:
            errors.add(
                "rumours",
                _("Unknown or unpublished rumour: %(slugs)s.", slugs=", ".join(unknown)),
            )
        rumours = [found[s] for s in slugs if s in found]

    if not 1 <= data.people_reached <= MAX_PEOPLE_REACHED:
        errors.add(
            "people_reached",
            _("Must be between 1 and %(max)d.", max=MAX_PEOPLE_REACHED),
        )

    if data.notes:
        if len(data.notes) > MAX_NOTES:
            errors.add("notes", _("Keep notes under %(n)d characters.", n=MAX_NOTES))
        for reason in identifying_reasons(data.notes):
            errors.add("notes", reason)

    campaign = None
    if data.campaign:
        campaign = db.session.execute(
            db.select(Campaign).where(Campaign.slug == data.campaign)
        ).scalar_one_or_none()
        if campaign is None:
            errors.add("campaign", _("Unknown campaign."))
        elif not campaign.starts_on <= data.occurred_at.date() <= campaign.ends_on:
            errors.add("campaign", _("This campaign was not running on that date."))
    errors.raise_if_any()
    return _Resolved(district, neighbourhood, campaign, rumours)


def _current_rebuttals(rumour_ids: list[int], language: str) -> dict[int, int]:
    """The published rebuttal of each rumour, in the agent's language when there is one."""
    rows = db.session.execute(
        db.select(Rebuttal.rumour_id, Rebuttal.id, Rebuttal.language)
        .where(Rebuttal.rumour_id.in_(rumour_ids), Rebuttal.status == RebuttalStatus.PUBLISHED)
        .order_by(Rebuttal.id)
    ).all()
    current: dict[int, tuple[bool, int]] = {}
    for rumour_id, rebuttal_id, rebuttal_language in rows:
        key = (rebuttal_language == language, rebuttal_id)
        if rumour_id not in current or key > current[rumour_id]:
            current[rumour_id] = key
    return {rumour_id: key[1] for rumour_id, key in current.items()}


def _organisation_id(actor: User) -> int | None:
    return db.session.scalar(
        db.select(Membership.organisation_id)
        .where(Membership.user_id == actor.id)
        .order_by(Membership.since, Membership.organisation_id)
        .limit(1)
    )


def _apply(encounter: Encounter, data: EncounterData, resolved: _Resolved, actor: User) -> None:
    encounter.occurred_at = data.occurred_at.replace(microsecond=0)
    # Relationships, not ids: the response is then built without loading anything again.
    encounter.district = resolved.district
    encounter.neighbourhood = resolved.neighbourhood
    encounter.setting = Setting(data.setting)
    encounter.people_reached = data.people_reached
    encounter.outcome = Outcome(data.outcome)
    encounter.notes = data.notes or None
    encounter.campaign = resolved.campaign
    keep = {link.rumour_id: link for link in encounter.rumour_links}
    new_ids = [r.id for r in resolved.rumours if r.id not in keep]
    rebuttals = _current_rebuttals(new_ids, actor.preferred_language) if new_ids else {}
    encounter.rumour_links = [
        keep.get(r.id) or EncounterRumour(rumour=r, rebuttal_id=rebuttals.get(r.id))
        for r in resolved.rumours
    ]


# ---------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------


def log_encounter(
    *, actor: User, client_uuid: uuid.UUID, data: EncounterData, now: datetime | None = None
) -> tuple[Encounter, bool]:
    """A certified agent logs a conversation; returns (encounter, created).

    Idempotent on client_uuid through the database's unique constraint (never a look-up
    before the insert), so it holds under concurrency and across app servers: a replay
    with the same content returns the stored encounter, other content raises
    EncounterConflict. Adds and flushes; the caller commits.
    """
    if not is_certified_agent(actor):
        raise NotAllowed(_("Only certified agents can log conversations."))
    now = now or datetime.now(UTC)
    resolved = _resolve(data, now)
    content_hash = data.content_hash()
    encounter = Encounter(
        client_uuid=client_uuid,
        content_hash=content_hash,
        agent_id=actor.id,
        organisation_id=_organisation_id(actor),
        created_at=now,
    )
    _apply(encounter, data, resolved, actor)
    try:
        with db.session.begin_nested():
            db.session.add(encounter)
            db.session.flush()
    except IntegrityError:
        # Another request (maybe on another server) stored this client_uuid first.
        existing = db.session.execute(
            db.select(Encounter).where(Encounter.client_uuid == client_uuid)
        ).scalar_one_or_none()
        if existing is None:
            raise  # a different constraint failed: a real error
        if existing.agent_id != actor.id or existing.content_hash != content_hash:
            raise EncounterConflict() from None
        return existing, False
    return encounter, True


def can_change_encounter(user: User, encounter: Encounter, now: datetime | None = None) -> bool:
    """An agent may correct or delete their own encounter within 24 hours of logging it."""
    now = now or datetime.now(UTC)
    return (
        user.is_authenticated
        and encounter.agent_id == user.id
        and now - encounter.created_at <= EDIT_WINDOW
    )


def update_encounter(
    encounter: Encounter, *, actor: User, data: EncounterData, now: datetime | None = None
) -> Encounter:
    """The agent corrects their own encounter within 24 hours; caller commits.

    The content hash stays the one first sent, so a late replay of the original
    submission from a phone's outbox is still recognised as the same entry."""
    now = now or datetime.now(UTC)
    if not can_change_encounter(actor, encounter, now):
        raise NotAllowed(_("You can correct only your own conversations, within 24 hours."))
    resolved = _resolve(data, now)
    _apply(encounter, data, resolved, actor)
    encounter.updated_at = now
    db.session.flush()
    return encounter


def delete_encounter(encounter: Encounter, *, actor: User, now: datetime | None = None) -> None:
    """The agent deletes their own encounter within 24 hours; caller commits."""
    if not can_change_encounter(actor, encounter, now):
        raise NotAllowed(_("You can delete only your own conversations, within 24 hours."))
    db.session.delete(encounter)
    db.session.flush()


def encounter_as_dict(encounter: Encounter) -> dict:
    """The API's representation of a stored encounter (slugs, UTC times)."""

    def iso(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None

    return {
        "id": encounter.id,
        "client_uuid": str(encounter.client_uuid),
        "occurred_at": iso(encounter.occurred_at),
        "district": encounter.district.slug,
        "neighbourhood": encounter.neighbourhood.slug if encounter.neighbourhood else None,
        "setting": encounter.setting.value,
        "rumours": sorted(link.rumour.slug for link in encounter.rumour_links),
        "people_reached": encounter.people_reached,
        "outcome": encounter.outcome.value,
        "notes": encounter.notes or "",
        "campaign": encounter.campaign.slug if encounter.campaign else None,
        "created_at": iso(encounter.created_at),
        "updated_at": iso(encounter.updated_at),
    }
