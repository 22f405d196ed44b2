"""The raw conversation export's rows (coordinators only): every encounter in a filter,
read from the database in windows of ids, as plain rows for `exports.csvfiles`."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import String, bindparam, func, select, type_coerce

from ..exports.csvfiles import encounters_csv
from ..extensions import db
from ..models import (
    AgentProfile,
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Neighbourhood,
    Organisation,
    Rebuttal,
    Rumour,
)
from ..rules.localtime import city_timezone
from .filters import StatsFilter

RAW_BATCH_SIZE = 5000


def raw_encounters_csv(filters: StatsFilter, batch_size: int = RAW_BATCH_SIZE) -> Iterator[str]:
    """Coordinators: every encounter in the filter as CSV text, a header and then chunks
    of about `batch_size` rows (the rows of `encounter_rows` through the CSV writer)."""
    return encounters_csv(encounter_rows(filters, batch_size))


def encounter_rows(filters: StatsFilter, batch_size: int = RAW_BATCH_SIZE) -> Iterator[list]:
    """Every encounter in the filter, in id order, as lists of at least `batch_size` rows
    (the last may be shorter), in the order `exports.csvfiles.encounters_csv` takes.

    Agents appear by pseudonym only (None once erased); notes are left out. Rows are read
    in windows of `batch_size` ids, one query for the encounters and one for their
    rumours, each window's read transaction ended before anything is yielded: memory
    stays flat and no transaction is held while the client downloads. Rows written
    while the export runs may or may not be included."""
    session = db.session
    names = encounter_names(session)
    zone = city_timezone()
    e = Encounter.__table__.c
    conditions = encounter_conditions(filters)
    first, last = session.execute(select(func.min(e.id), func.max(e.id)).where(*conditions)).one()
    session.rollback()
    if first is None:
        return
    # Windows of `batch_size` ids rather than `id > last ORDER BY id LIMIT n`: each
    # query reads a bounded primary-key range whatever the filter and whatever the
    # planner's statistics say (a LIMIT query may be planned as a scan of every later
    # row, and done once per batch that is quadratic).
    rows: list[tuple] = []
    for low in range(first - 1, last, batch_size):
        rows += _window(session, names, zone, conditions, low, low + batch_size)
        if len(rows) >= batch_size:
            yield rows
            rows = []
    if rows:
        yield rows


def encounter_names(session) -> dict[str, dict]:
    """Slugs by id for every look-up the rows name, pseudonyms by agent, and rebuttal
    versions as "<rumour>:<language>:v<n>", loaded once (then the read is ended)."""

    def slugs(model) -> dict[int, str]:
        return dict(session.execute(select(model.id, model.slug)).all())

    names = {
        "district": slugs(District),
        "neighbourhood": slugs(Neighbourhood),
        "campaign": slugs(Campaign),
        "organisation": slugs(Organisation),
        "rumour": slugs(Rumour),
        "agent": dict(
            session.execute(select(AgentProfile.user_id, AgentProfile.pseudonym)).all()
        ),
    }
    rumours = names["rumour"]
    names["rebuttal"] = {
        rebuttal_id: f"{rumours.get(rumour_id, '')}:{language}:v{version}"
        for rebuttal_id, rumour_id, language, version in session.execute(
            select(Rebuttal.id, Rebuttal.rumour_id, Rebuttal.language, Rebuttal.version)
        )
    }
    session.rollback()
    return names


# The window of ids (:low, :high] each statement of the fast exports reads
# (reports.raw_export and reports.raw_export_sqlite).
LOW, HIGH = bindparam("low", 0), bindparam("high", 0)


def compiled_window(session, statement):
    """`statement` compiled once for the session's database, its window given per
    execution as the parameters `low` and `high`."""
    return statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )


def encounter_conditions(filters: StatsFilter) -> list:
    """The filter as conditions on the encounters table."""
    e = Encounter.__table__.c
    conditions = [e.local_day >= filters.start, e.local_day <= filters.end]
    for column, value in (
        (e.campaign_id, filters.campaign_id),
        (e.district_id, filters.district_id),
        (e.organisation_id, filters.organisation_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.rumour_id is not None:
        # An alias: the links query also reads encounter_rumours.
        heard = EncounterRumour.__table__.alias("heard")
        conditions.append(
            select(heard.c.encounter_id)
            .where(heard.c.encounter_id == e.id, heard.c.rumour_id == filters.rumour_id)
            .correlate(Encounter.__table__)
            .exists()
        )
    return conditions


def _window(session, names: dict, zone, conditions: list, low: int, high: int) -> list[tuple]:
    """The rows with ids in (low, high] and the rumours they mention, the read ended
    before they are returned."""
    e = Encounter.__table__.c
    # Table columns, enums read as their stored text: no ORM row processing per cell.
    batch = session.execute(
        select(
            e.id, e.occurred_at, e.local_day, e.district_id, e.neighbourhood_id,
            type_coerce(e.setting, String), e.people_reached, type_coerce(e.outcome, String),
            e.campaign_id, e.organisation_id, e.agent_id,
        ).where(e.id > low, e.id <= high, *conditions).order_by(e.id)
    ).all()
    if not batch:
        session.rollback()
        return []
    mentioned = _mentions(session, names, conditions, low, high)
    # End the read before handing the rows to a slow client.
    session.rollback()
    districts, neighbourhoods = names["district"], names["neighbourhood"]
    campaigns, organisations, agents = names["campaign"], names["organisation"], names["agent"]
    return [
        (
            encounter_id, occurred_at.astimezone(zone), day,
            districts.get(district_id), neighbourhoods.get(neighbourhood_id), setting,
            people_reached, outcome, mentioned.get(encounter_id, ()),
            campaigns.get(campaign_id), organisations.get(organisation_id),
            agents.get(agent_id),
        )
        for (
            encounter_id, occurred_at, day, district_id, neighbourhood_id, setting,
            people_reached, outcome, campaign_id, organisation_id, agent_id,
        ) in batch
    ]


def _mentions(session, names: dict, conditions: list, low: int, high: int) -> dict:
    """The (rumour slug, rebuttal version or None) pairs of each encounter in (low, high]."""
    e = Encounter.__table__.c
    link = EncounterRumour.__table__.c
    rumours, rebuttals = names["rumour"], names["rebuttal"]
    mentioned: dict[int, list[tuple[str | None, str | None]]] = {}
    # Both ranges given: each side of the join is a bounded index range, however the
    # planner joins them.
    for encounter_id, rumour_id, rebuttal_id in session.execute(
        select(link.encounter_id, link.rumour_id, link.rebuttal_id)
        .join(Encounter.__table__, e.id == link.encounter_id)
        .where(
            link.encounter_id > low, link.encounter_id <= high,
            e.id > low, e.id <= high, *conditions,
        )
    ).all():
        mentioned.setdefault(encounter_id, []).append(
            (rumours.get(rumour_id), rebuttals.get(rebuttal_id))
        )
    return mentioned
