"""Encounter writes and the rules that need the database (the HTML form and the API
share them; rumours.rules.encounters holds those that do not)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Membership,
    Neighbourhood,
    Outcome,
    Rebuttal,
    RebuttalStatus,
    Report,
    ReportSource,
    ReportStatus,
    Rumour,
    RumourStatus,
    Setting,
    User,
)
from ..rules.encounters import (
    CLOCK_SKEW,
    MAX_AGE,
    MAX_NOTES,
    MAX_PEOPLE_REACHED,
    MAX_RUMOURS,
    MAX_UNLISTED,
    EncounterConflict,
    EncounterData,
    can_change_encounter,
    is_certified_agent,
)
from ..rules.errors import FieldErrors, NotAllowed
from ..rules.privacy import identifying_reasons

# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


@dataclass
class _Resolved:
    district: District
    neighbourhood: Neighbourhood | None
    campaign: Campaign | None
    rumours: list[Rumour]


def _resolve(data: EncounterData, now: datetime) -> _Resolved:
    """Check the rules that need the database and the clock; raise naming each bad field."""
    errors = FieldErrors()
    if data.occurred_at > now + CLOCK_SKEW:
        errors.add("occurred_at", _("This time is in the future."))
    elif data.occurred_at < now - MAX_AGE:
        errors.add("occurred_at", _("This is more than 30 days ago: too old to log."))

    district = db.session.execute(
        db.select(District).where(District.slug == data.district)
    ).scalar_one_or_none()
    if district is None:
        errors.add("district", _("Unknown district."))
    elif district.retired:
        errors.add("district", _("This district is no longer in use: choose another one."))

    neighbourhood = None
    if data.neighbourhood:
        neighbourhood = db.session.execute(
            db.select(Neighbourhood).where(Neighbourhood.slug == data.neighbourhood)
        ).scalar_one_or_none()
        if neighbourhood is None:
            errors.add("neighbourhood", _("Unknown neighbourhood."))
        elif neighbourhood.retired:
            errors.add("neighbourhood", _("This neighbourhood is no longer in use."))
        elif district is not None and neighbourhood.district_id != district.id:
            errors.add("neighbourhood", _("This neighbourhood is not in the chosen district."))

    if data.setting not in {s.value for s in Setting}:
        errors.add("setting", _("Unknown setting: choose one of the listed ones."))
    if data.outcome not in {o.value for o in Outcome}:
        errors.add("outcome", _("Unknown outcome: choose one of the listed ones."))

    slugs = list(dict.fromkeys(data.rumours))
    rumours: list[Rumour] = []
    if not slugs:
        if not data.unlisted_rumour:
            errors.add("rumours", _("Choose at least one rumour, or write the one you heard."))
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
        if len(data.notes) > MAX_NOTES:  # refused on its length alone: no scan of 15 KB
            errors.add("notes", _("Keep notes under %(n)d characters.", n=MAX_NOTES))
        else:
            for reason in identifying_reasons(data.notes):
                errors.add("notes", reason)

    if data.unlisted_rumour:
        if len(data.unlisted_rumour) > MAX_UNLISTED:
            errors.add(
                "unlisted_rumour", _("Keep it under %(n)d characters.", n=MAX_UNLISTED)
            )
        for reason in identifying_reasons(data.unlisted_rumour):
            errors.add("unlisted_rumour", reason)

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
    heard = [*resolved.rumours, *_triaged_rumour(encounter, resolved.rumours)]
    new_ids = [r.id for r in heard if r.id not in keep]
    language = actor.preferred_language or str(get_locale() or "")
    rebuttals = _current_rebuttals(new_ids, language) if new_ids else {}
    encounter.rumour_links = [
        keep.get(r.id) or EncounterRumour(rumour=r, rebuttal_id=rebuttals.get(r.id))
        for r in heard
    ]
    _apply_unlisted(encounter, data.unlisted_rumour, language)


def _triaged_rumour(encounter: Encounter, listed: list[Rumour]) -> list[Rumour]:
    """The rumour coordinators linked the encounter's unlisted report to: a correction
    keeps it heard, whatever the form's list says (triage decided it)."""
    report = encounter.unlisted_report
    if report is None or report.rumour is None or report.status not in (
        ReportStatus.LINKED,
        ReportStatus.PROMOTED,
    ):
        return []
    return [] if any(r.id == report.rumour_id for r in listed) else [report.rumour]


def _apply_unlisted(encounter: Encounter, text: str | None, language: str) -> None:
    """The encounter's report of an unlisted rumour follows the form; one already
    triaged is kept as the coordinators left it."""
    report = encounter.unlisted_report
    if report is not None and report.status is not ReportStatus.UNTRIAGED:
        return
    if not text:
        encounter.unlisted_report = None
    elif report is None:
        encounter.unlisted_report = Report(
            source=ReportSource.AGENT,
            claim=text,
            language=language or None,
            district=encounter.district,
            setting=encounter.setting,
        )
    else:
        report.claim = text
        report.district = encounter.district
        report.setting = encounter.setting


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
        "unlisted_rumour": report.claim if (report := encounter.unlisted_report) else "",
        "created_at": iso(encounter.created_at),
        "updated_at": iso(encounter.updated_at),
    }
