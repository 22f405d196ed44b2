"""Encounter writes and the rules that need the database (the HTML form and the API
share them; rumours.rules.encounters holds those that do not)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer, lazyload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from .. import summaries
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
from ..rules.localtime import local_day
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
    # The published rebuttal then current for each rumour, in the agent's language first.
    rebuttals: dict[int, int]
    organisation_id: int | None


@cache
def _references_statement():
    # Built once per process: building a statement costs more than running it here.
    base = select(literal(1).label("one")).subquery("one")
    organisation = (
        select(Membership.organisation_id)
        .where(Membership.user_id == bindparam("agent_id"))
        .order_by(Membership.since, Membership.organisation_id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(District, Neighbourhood, Campaign, organisation)
        .select_from(base)
        .outerjoin(District, District.slug == bindparam("district"))
        .outerjoin(Neighbourhood, Neighbourhood.slug == bindparam("neighbourhood"))
        .outerjoin(Campaign, Campaign.slug == bindparam("campaign"))
        # The shapes are for maps, a few kilobytes each.
        .options(defer(District.geometry), defer(Neighbourhood.geometry))
    )


def _references(data: EncounterData, actor: User):
    """The district, neighbourhood and campaign named by slug, and the organisation the
    agent logs for, in one statement (a one-row base with outer joins, so every unknown
    slug still gets its own message)."""
    return db.session.execute(
        _references_statement(),
        {
            "agent_id": actor.id,
            "district": data.district,
            "neighbourhood": data.neighbourhood or "",
            "campaign": data.campaign or "",
        },
    ).one()


@cache
def _rumours_statement():
    return (
        select(Rumour, Rebuttal.id, Rebuttal.language)
        .outerjoin(
            Rebuttal,
            and_(Rebuttal.rumour_id == Rumour.id, Rebuttal.status == RebuttalStatus.PUBLISHED),
        )
        .where(
            Rumour.slug.in_(bindparam("slugs", expanding=True)),
            Rumour.status == RumourStatus.PUBLISHED,
        )
        # The claim's translations are not needed to log a conversation.
        .options(lazyload(Rumour.translations))
        .order_by(Rebuttal.id)
    )


def _published_rumours(slugs: list[str], language: str) -> tuple[dict[str, Rumour], dict]:
    """The published rumours among `slugs` and each one's current rebuttal, in one
    statement."""
    rows = db.session.execute(_rumours_statement(), {"slugs": slugs}).all()
    found = {rumour.slug: rumour for rumour, _id, _language in rows}
    published = [(r.id, rebuttal_id, lang) for r, rebuttal_id, lang in rows if rebuttal_id]
    return found, _pick_rebuttals(published, language)


def _pick_rebuttals(rows, language: str) -> dict[int, int]:
    """From (rumour_id, rebuttal_id, language) rows in id order: each rumour's newest
    published rebuttal in `language`, else its newest in any language."""
    current: dict[int, tuple[bool, int]] = {}
    for rumour_id, rebuttal_id, rebuttal_language in rows:
        key = (rebuttal_language == language, rebuttal_id)
        if rumour_id not in current or key > current[rumour_id]:
            current[rumour_id] = key
    return {rumour_id: key[1] for rumour_id, key in current.items()}


def _language(actor: User) -> str:
    return actor.preferred_language or str(get_locale() or "")


def _resolve(data: EncounterData, now: datetime, actor: User) -> _Resolved:
    """Check the rules that need the database and the clock; raise naming each bad field."""
    errors = FieldErrors()
    if data.occurred_at > now + CLOCK_SKEW:
        errors.add("occurred_at", _("This time is in the future."))
    elif data.occurred_at < now - MAX_AGE:
        errors.add("occurred_at", _("This is more than 30 days ago: too old to log."))

    district, neighbourhood, campaign, organisation_id = _references(data, actor)
    if district is None:
        errors.add("district", _("Unknown district."))
    elif district.retired:
        errors.add("district", _("This district is no longer in use: choose another one."))

    if data.neighbourhood:
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
    rebuttals: dict[int, int] = {}
    if not slugs:
        if not data.unlisted_rumour:
            errors.add("rumours", _("Choose at least one rumour, or write the one you heard."))
    elif len(slugs) > MAX_RUMOURS:
        errors.add("rumours", _("Choose at most %(n)d rumours.", n=MAX_RUMOURS))
    else:
        found, rebuttals = _published_rumours(slugs, _language(actor))
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

    if data.campaign:
        if campaign is None:
            errors.add("campaign", _("Unknown campaign."))
        elif not campaign.starts_on <= data.occurred_at.date() <= campaign.ends_on:
            errors.add("campaign", _("This campaign was not running on that date."))
    else:
        campaign = None
    errors.raise_if_any()
    return _Resolved(district, neighbourhood, campaign, rumours, rebuttals, organisation_id)


def _current_rebuttals(rumour_ids: list[int], language: str) -> dict[int, int]:
    """The published rebuttal of each rumour, in the agent's language when there is one."""
    rows = db.session.execute(
        db.select(Rebuttal.rumour_id, Rebuttal.id, Rebuttal.language)
        .where(Rebuttal.rumour_id.in_(rumour_ids), Rebuttal.status == RebuttalStatus.PUBLISHED)
        .order_by(Rebuttal.id)
    ).all()
    return _pick_rebuttals(rows, language)


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
    language = _language(actor)
    rebuttals = {i: resolved.rebuttals[i] for i in new_ids if i in resolved.rebuttals}
    # A rumour triaged from the unlisted report was not among those resolved.
    others = [i for i in new_ids if i not in {r.id for r in resolved.rumours}]
    if others:
        rebuttals.update(_current_rebuttals(others, language))
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


@cache
def _insert_encounter(dialect: str):
    """INSERT ... ON CONFLICT (client_uuid) DO NOTHING RETURNING id: the unique constraint
    decides which of two racing requests stores an entry, without a savepoint."""
    table = Encounter.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.client_uuid])
        .returning(table.c.id)
    )


def _as_stored(encounter: Encounter, relationships: dict) -> Encounter:
    """Attach an object whose row was just written through Core to the session as
    loaded (no SQL): the response is built from it without reading the row back."""
    make_transient_to_detached(encounter)
    db.session.add(encounter)
    for name, value in relationships.items():
        set_committed_value(encounter, name, value)
    return encounter


def log_encounter(
    *, actor: User, client_uuid: uuid.UUID, data: EncounterData, now: datetime | None = None
) -> tuple[Encounter, bool]:
    """A certified agent logs a conversation; returns (encounter, created).

    Idempotent on client_uuid through the database's unique constraint (never a look-up
    before the insert), so it holds under concurrency and across app servers: a replay
    with the same content returns the stored encounter, other content raises
    EncounterConflict. Writes the rows and their summaries in the caller's transaction;
    the caller commits.

    The hot path of a campaign day, so it writes through Core: one INSERT for the
    encounter, one for its rumours, one upsert per summary table, and nothing read back.
    """
    if not is_certified_agent(actor):
        raise NotAllowed(_("Only certified agents can log conversations."))
    now = now or datetime.now(UTC)
    resolved = _resolve(data, now, actor)
    content_hash = data.content_hash()
    occurred_at = data.occurred_at.replace(microsecond=0)
    row = {
        "client_uuid": client_uuid,
        "content_hash": content_hash,
        "agent_id": actor.id,
        "organisation_id": resolved.organisation_id,
        "occurred_at": occurred_at,
        "local_day": local_day(occurred_at),
        "district_id": resolved.district.id,
        "neighbourhood_id": resolved.neighbourhood.id if resolved.neighbourhood else None,
        "setting": Setting(data.setting),
        "people_reached": data.people_reached,
        "outcome": Outcome(data.outcome),
        "notes": data.notes or None,
        "campaign_id": resolved.campaign.id if resolved.campaign else None,
        "created_at": now,
        "updated_at": None,
        "checked_at": None,
        "excluded_at": None,
        "excluded_reason": None,
    }
    connection = db.session.connection()
    new_id = connection.execute(_insert_encounter(connection.dialect.name), row).scalar()
    if new_id is None:
        # Another request (maybe on another server) stored this client_uuid first.
        existing = db.session.execute(
            db.select(Encounter).where(Encounter.client_uuid == client_uuid)
        ).scalar_one()
        if existing.agent_id != actor.id or existing.content_hash != content_hash:
            raise EncounterConflict()
        return existing, False

    links = [
        {"encounter_id": new_id, "rumour_id": r.id, "rebuttal_id": resolved.rebuttals.get(r.id)}
        for r in resolved.rumours
    ]
    if links:
        connection.execute(insert(EncounterRumour.__table__), links)
    report = None
    if data.unlisted_rumour:
        report = Report(
            source=ReportSource.AGENT,
            claim=data.unlisted_rumour,
            language=_language(actor) or None,
            district=resolved.district,
            setting=row["setting"],
            encounter_id=new_id,
        )
        db.session.add(report)
        db.session.flush()
    rumour_links = [
        _as_stored(EncounterRumour(**link), {"rumour": rumour})
        for link, rumour in zip(links, resolved.rumours, strict=True)
    ]
    encounter = _as_stored(
        Encounter(id=new_id, **row),
        {
            "district": resolved.district,
            "neighbourhood": resolved.neighbourhood,
            "campaign": resolved.campaign,
            "rumour_links": rumour_links,
            "unlisted_report": report,
        },
    )
    for link in rumour_links:
        set_committed_value(link, "encounter", encounter)
    # Last, so the summary rows every same-day write updates stay locked for as short a
    # time as possible before the caller commits.
    summaries.add_contributions(
        connection,
        [(
            row["local_day"], row["district_id"], row["organisation_id"], row["campaign_id"],
            row["people_reached"], row["outcome"], row["setting"],
            [(link["rumour_id"], link["rebuttal_id"]) for link in links],
        )],
    )
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
    resolved = _resolve(data, now, actor)
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
