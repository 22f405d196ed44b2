"""Encounter rules that need no database: the limits an entry keeps, its content as the
agent sent it, the shape of an API body, who logs and who corrects. The HTML form, the
API and rumours.services.encounters all take them from here."""

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _

from ..models import AgentStatus, Encounter, Outcome, Role, Setting, User
from .errors import DomainError, FieldErrors
from .inputs import date_problem

# Rules an entry must keep; the form and the API say the same thing.
MAX_PEOPLE_REACHED = 500
MAX_NOTES = 280
# A rumour heard that is not in the catalogue, in a few words (checked like notes).
MAX_UNLISTED = 280
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
    unlisted_rumour: str | None = None,
) -> str:
    """SHA-256 of an encounter's content in a canonical form: what a replay of the
    same client_uuid must match. Time is compared in UTC to the second. An unlisted
    rumour is appended only when there is one, so older entries keep their hash."""
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
    if unlisted_rumour and unlisted_rumour.strip():
        canonical += "\x1f" + unlisted_rumour.strip()
    return hashlib.sha256(canonical.encode()).hexdigest()


class EncounterConflict(DomainError):
    """The client_uuid is already stored with other content (422 in the API)."""

    def __init__(self):
        message = _(
            "This entry was already sent with different content; "
            "it was not saved again. Delete it or log it as a new conversation."
        )
        super().__init__(message, "client_uuid")


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
    unlisted_rumour: str | None = None

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
            self.unlisted_rumour,
        )


def _optional_text(value, name: str, errors: FieldErrors) -> str | None:
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
        if parsed.tzinfo is None or date_problem(parsed):
            return None
        return parsed.astimezone(UTC)
    except (ValueError, AttributeError, OverflowError):  # year 1 minus an offset overflows
        return None


def encounter_from_json(payload) -> tuple[uuid.UUID, EncounterData]:
    """Check the shape of a POST /api/v1/encounters body; raise DomainError naming
    every bad field."""
    errors = FieldErrors()
    if not isinstance(payload, Mapping):
        raise DomainError(_("The body must be a JSON object."))

    client_uuid = None
    raw = payload.get("client_uuid")
    if raw in (None, ""):
        errors.add("client_uuid", _("This field is required."))
    else:
        try:
            client_uuid = uuid.UUID(str(raw))
        except ValueError:
            errors.add("client_uuid", _("Must be a UUID."))

    occurred_at = None
    raw = payload.get("occurred_at")
    if raw in (None, ""):
        errors.add("occurred_at", _("This field is required."))
    elif not isinstance(raw, str) or (occurred_at := parse_occurred_at(raw)) is None:
        errors.add(
            "occurred_at",
            _("Must be a date and time with its UTC offset, like 2026-11-28T10:15:00+01:00."),
        )

    texts = {}
    for name in ("district", "setting", "outcome"):
        raw = payload.get(name)
        if raw in (None, ""):
            errors.add(name, _("This field is required."))
        elif not isinstance(raw, str):
            errors.add(name, _("Must be text."))
        else:
            texts[name] = raw.strip()
    if "setting" in texts and texts["setting"] not in {s.value for s in Setting}:
        errors.add("setting", _("Unknown setting: choose one of the listed ones."))
    if "outcome" in texts and texts["outcome"] not in {o.value for o in Outcome}:
        errors.add("outcome", _("Unknown outcome: choose one of the listed ones."))

    unlisted = _optional_text(payload.get("unlisted_rumour"), "unlisted_rumour", errors)
    rumours = payload.get("rumours")
    if rumours in (None, "", []):
        if not unlisted:
            errors.add("rumours", _("Choose at least one rumour, or write the one you heard."))
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
        unlisted_rumour=unlisted,
    )


def is_certified_agent(user: User) -> bool:
    """Only certified agents log conversations."""
    profile = user.agent_profile
    return (
        user.role is Role.AGENT and profile is not None and profile.status is AgentStatus.CERTIFIED
    )


def can_change_encounter(user: User, encounter: Encounter, now: datetime | None = None) -> bool:
    """An agent may correct or delete their own encounter within 24 hours of logging it."""
    now = now or datetime.now(UTC)
    return (
        user.is_authenticated
        and encounter.agent_id == user.id
        and now - encounter.created_at <= EDIT_WINDOW
    )
