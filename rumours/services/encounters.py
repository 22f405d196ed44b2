"""Encounter writes, shared by the HTML form and the API (the rules that need the
database are in encounter_checks; rumours.rules.encounters holds those that do not)."""

import uuid
from datetime import UTC, datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from .. import summaries
from ..extensions import db
from ..models import (
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Neighbourhood,
    Outcome,
    Report,
    ReportSource,
    ReportStatus,
    Rumour,
    Setting,
    User,
)
from ..rules.encounters import (
    EncounterConflict,
    EncounterData,
    can_change_encounter,
    is_certified_agent,
)
from ..rules.errors import NotAllowed
from ..rules.localtime import local_day
from .encounter_checks import Resolved, agent_language, current_rebuttals, resolve
from .write_turn import take_write_turn

# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def _apply(encounter: Encounter, data: EncounterData, resolved: Resolved, actor: User) -> None:
    # Everything read first: the look-ups read plain rows, so the objects are fetched
    # here (mostly from the session already), and a read between two changes would
    # flush half of the correction.
    district = db.session.get(District, resolved.district.id)
    neighbourhood = _loaded(Neighbourhood, resolved.neighbourhood)
    campaign = _loaded(Campaign, resolved.campaign)
    keep = {link.rumour_id: link for link in encounter.rumour_links}
    listed = {r.id for r in resolved.rumours}
    heard = [*(r.id for r in resolved.rumours), *_triaged_rumour(encounter, listed)]
    new_ids = [i for i in heard if i not in keep]
    language = agent_language(actor)
    rebuttals = {i: resolved.rebuttals[i] for i in new_ids if i in resolved.rebuttals}
    # A rumour triaged from the unlisted report was not among those resolved.
    others = [i for i in new_ids if i not in listed]
    if others:
        rebuttals.update(current_rebuttals(others, language))
    added = {i: db.session.get(Rumour, i) for i in new_ids}

    encounter.occurred_at = data.occurred_at.replace(microsecond=0)
    # Relationships, not ids: the response is then built without loading anything again.
    encounter.district = district
    encounter.neighbourhood = neighbourhood
    encounter.setting = Setting(data.setting)
    encounter.people_reached = data.people_reached
    encounter.outcome = Outcome(data.outcome)
    encounter.notes = data.notes or None
    encounter.campaign = campaign
    encounter.rumour_links = [
        keep.get(i) or EncounterRumour(rumour=added[i], rebuttal_id=rebuttals.get(i))
        for i in heard
    ]
    _apply_unlisted(encounter, data.unlisted_rumour, language)


def _loaded(model, ref):
    return None if ref is None else db.session.get(model, ref.id)


def _triaged_rumour(encounter: Encounter, listed: set[int]) -> list[int]:
    """The rumour coordinators linked the encounter's unlisted report to: a correction
    keeps it heard, whatever the form's list says (triage decided it)."""
    report = encounter.unlisted_report
    if report is None or report.rumour_id is None or report.status not in (
        ReportStatus.LINKED,
        ReportStatus.PROMOTED,
    ):
        return []
    return [] if report.rumour_id in listed else [report.rumour_id]


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


@cache
def _insert_links(dialect: str) -> str:
    """The links' INSERT as the driver's SQL (sent with the summaries' upserts)."""
    marker = "?" if dialect == "sqlite" else "%s"
    return (
        "INSERT INTO encounter_rumours (encounter_id, rumour_id, rebuttal_id) "
        f"VALUES ({marker}, {marker}, {marker})"
    )


def _as_stored(encounter: Encounter) -> Encounter:
    """Attach an object whose row was just written through Core to the session as
    loaded (no SQL). Its relationships load when asked for: the API's answer to a new
    entry names them from what was sent (`encounter_as_dict`), without reading them."""
    make_transient_to_detached(encounter)
    db.session.add(encounter)
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
    encounter, one for its rumours, its summaries (one upsert per table on SQLite, one
    function call on PostgreSQL), and nothing read back.
    """
    if not is_certified_agent(actor):
        raise NotAllowed(_("Only certified agents can log conversations."))
    now = now or datetime.now(UTC)
    resolved = resolve(data, now, actor)
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
    links = [(r.id, resolved.rebuttals.get(r.id)) for r in resolved.rumours]
    new = summaries.NewEncounter(
        local_day=row["local_day"], district_id=row["district_id"],
        neighbourhood_id=row["neighbourhood_id"], organisation_id=row["organisation_id"],
        campaign_id=row["campaign_id"], people_reached=row["people_reached"],
        outcome=row["outcome"], setting=row["setting"], links=links,
    )
    # What it adds to the summaries: on PostgreSQL one call of the database's function
    # (summaries.add_encounter_call); on SQLite worked out here, before the transaction
    # writes, since from the INSERT to the commit this request holds the write lock.
    on_postgresql = db.session.get_bind().dialect.name == "postgresql"
    changes = {} if on_postgresql else summaries.contributions([new])
    take_write_turn(db.session)
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

    if data.unlisted_rumour:
        db.session.add(Report(
            source=ReportSource.AGENT,
            claim=data.unlisted_rumour,
            language=agent_language(actor) or None,
            district_id=resolved.district.id,
            setting=row["setting"],
            encounter_id=new_id,
        ))
        db.session.flush()
    encounter = _as_stored(Encounter(id=new_id, **row))
    # Last, so the summary rows every same-day write updates stay locked for as short a
    # time as possible before the caller commits. The agent's burst flags are recounted
    # before them, and on PostgreSQL that recount and the rumours' links go in the same
    # round trip (summaries.bursts).
    first = summaries.recount_new_bursts(connection, actor.id, occurred_at)
    link_rows = [(new_id, rumour_id, rebuttal_id) for rumour_id, rebuttal_id in links]
    if link_rows:
        first.append((_insert_links(connection.dialect.name), link_rows))
    if on_postgresql:
        first.append(summaries.add_encounter_call(new))
    summaries.write_contributions(connection, changes, first=first)
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
    resolved = resolve(data, now, actor)
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


def encounter_as_dict(encounter: Encounter, sent: EncounterData | None = None) -> dict:
    """The API's representation of a stored encounter (slugs, UTC times). `sent`: the
    data a new entry was just stored from, which names its district, neighbourhood,
    campaign and rumours by the very slugs they were looked up by (and its unlisted
    rumour), so the answer to a POST reads nothing back."""

    def iso(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None

    if sent is not None:
        names = {
            "district": sent.district,
            "neighbourhood": sent.neighbourhood or None,
            "rumours": sorted(set(sent.rumours)),
            "campaign": sent.campaign or None,
            "unlisted_rumour": sent.unlisted_rumour or "",
        }
    else:
        names = {
            "district": encounter.district.slug,
            "neighbourhood": encounter.neighbourhood.slug if encounter.neighbourhood else None,
            "rumours": sorted(link.rumour.slug for link in encounter.rumour_links),
            "campaign": encounter.campaign.slug if encounter.campaign else None,
            "unlisted_rumour": report.claim if (report := encounter.unlisted_report) else "",
        }
    return {
        "id": encounter.id,
        "client_uuid": str(encounter.client_uuid),
        "occurred_at": iso(encounter.occurred_at),
        "district": names["district"],
        "neighbourhood": names["neighbourhood"],
        "setting": encounter.setting.value,
        "rumours": names["rumours"],
        "people_reached": encounter.people_reached,
        "outcome": encounter.outcome.value,
        "notes": encounter.notes or "",
        "campaign": names["campaign"],
        "unlisted_rumour": names["unlisted_rumour"],
        "created_at": iso(encounter.created_at),
        "updated_at": iso(encounter.updated_at),
    }
