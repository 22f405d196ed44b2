"""Keeping the summaries equal on every ORM write (registered by `init_app`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    event,
)
from sqlalchemy.orm import Session

from ..models import (
    Encounter,
    EncounterRumour,
)
from ..rules.localtime import local_day
from . import bursts
from .deltas import NewEncounter, add_contributions, apply_delta


def _inserted(session: Session) -> list[NewEncounter]:
    """The encounters this flush inserted, with their rumour links, as `contributions`
    takes them. Every link of a new encounter is new in the same flush (it needs the
    encounter's id), so the session holds them all."""
    links: dict[int, list[tuple[int, int | None]]] = {}
    for obj in session.new:
        if isinstance(obj, EncounterRumour):
            links.setdefault(obj.encounter_id, []).append((obj.rumour_id, obj.rebuttal_id))
    return [
        NewEncounter(
            local_day=e.local_day, district_id=e.district_id,
            neighbourhood_id=e.neighbourhood_id, organisation_id=e.organisation_id,
            campaign_id=e.campaign_id, people_reached=e.people_reached, outcome=e.outcome,
            setting=e.setting, links=links.get(e.id, ()),
        )
        for e in session.new
        # An entry excluded from the start counts nowhere.
        if isinstance(e, Encounter) and e.id is not None and e.excluded_at is None
    ]


# ---------------------------------------------------------------------------
# Keeping them equal on every ORM write
# ---------------------------------------------------------------------------

_PENDING = "rumours.summary_ids"


def _changed_encounter_ids(session: Session, objects: Iterable) -> set[int]:
    ids = set()
    for obj in objects:
        # Every encounter in the flush, changed or not: assigning a value an object
        # already has puts it among the changed ones (`session.dirty`) without changing
        # it, and `_after_flush` adds back every encounter there, so both sides take the
        # same ones (else it was added back without having been taken away).
        if isinstance(obj, Encounter) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, EncounterRumour):
            if obj.encounter_id is not None:
                ids.add(obj.encounter_id)
            elif obj.encounter is not None and obj.encounter.id is not None:
                ids.add(obj.encounter.id)
    return ids


def _before_flush(session: Session, flush_context, instances) -> None:
    # A flush that failed earlier (its savepoint rolled back) leaves nothing behind.
    session.info.pop(_PENDING, None)
    touched = [*session.new, *session.dirty, *session.deleted]
    if not any(isinstance(o, Encounter | EncounterRumour) for o in touched):
        return
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Encounter) and obj.occurred_at is not None:
            day = local_day(obj.occurred_at)
            if obj.local_day != day:
                obj.local_day = day
    # Before any summary row is touched: the agents whose bursts this flush recounts.
    moments = bursts.flush_moments(session)
    if moments:
        bursts.lock_agents(session.connection(), [agent for agent, _at in moments])
    # Existing encounters about to change or go: take away what they counted.
    old = _changed_encounter_ids(session, [*session.dirty, *session.deleted, *session.new])
    if old:
        apply_delta(session.connection(), old, -1)
    session.info[_PENDING] = old


def _after_flush(session: Session, flush_context) -> None:
    old = session.info.pop(_PENDING, None)
    if old is None:
        return
    bursts.recount(session.connection(), bursts.flush_moments(session))
    inserted = {o.id for o in session.new if isinstance(o, Encounter)}
    new = set(old)
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Encounter) and obj.id is not None:
            new.add(obj.id)
        elif isinstance(obj, EncounterRumour) and obj.encounter_id is not None:
            new.add(obj.encounter_id)
    new -= {o.id for o in session.deleted if isinstance(o, Encounter)}
    # Encounters inserted by this flush are counted from memory; the rest from the rows.
    if inserted:
        add_contributions(session.connection(), _inserted(session))
    new -= inserted
    if new:
        apply_delta(session.connection(), new, 1)


def init_app(app) -> None:
    """Keep the summary tables equal to the encounter rows on every flush of every ORM
    session (registered once, however many apps are created)."""
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
