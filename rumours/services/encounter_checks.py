"""The rules of an encounter that need the database: the district, neighbourhood,
campaign and rumours it names, looked up by slug in one statement built once per
process (one round trip to the database), and the rebuttal then current for each rumour.

The look-ups read plain rows (the few columns the rules and the write need), not ORM
objects: a POST is the hot path of a campaign day, and loading four entities through the
ORM cost it more than the two statements themselves."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, literal, select, true

from ..extensions import db
from ..models import (
    Campaign,
    District,
    Membership,
    Neighbourhood,
    Outcome,
    Rebuttal,
    RebuttalStatus,
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
    EncounterData,
)
from ..rules.errors import FieldErrors
from ..rules.privacy import identifying_reasons


class Place(NamedTuple):
    """A district or neighbourhood an entry names (`district_id`: a neighbourhood's)."""

    id: int
    slug: str
    retired: bool
    district_id: int | None = None


class CampaignRef(NamedTuple):
    id: int
    slug: str
    starts_on: date
    ends_on: date


class RumourRef(NamedTuple):
    id: int
    slug: str


@dataclass
class Resolved:
    district: Place
    neighbourhood: Place | None
    campaign: CampaignRef | None
    rumours: list[RumourRef]
    # The published rebuttal then current for each rumour, in the agent's language first.
    rebuttals: dict[int, int]
    organisation_id: int | None


@cache
def _references_statement():
    # Built once per process: building a statement costs more than running it here.
    base = select(literal(1).label("one")).subquery("one")
    district, neighbourhood, campaign = (
        District.__table__, Neighbourhood.__table__, Campaign.__table__
    )
    organisation = (
        select(Membership.organisation_id)
        .where(Membership.user_id == bindparam("agent_id"))
        .order_by(Membership.since, Membership.organisation_id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            district.c.id, district.c.slug, district.c.retired,
            neighbourhood.c.id, neighbourhood.c.slug, neighbourhood.c.retired,
            neighbourhood.c.district_id,
            campaign.c.id, campaign.c.slug, campaign.c.starts_on, campaign.c.ends_on,
            organisation,
        )
        .select_from(base)
        .outerjoin(district, district.c.slug == bindparam("district"))
        .outerjoin(neighbourhood, neighbourhood.c.slug == bindparam("neighbourhood"))
        .outerjoin(campaign, campaign.c.slug == bindparam("campaign"))
    )


@cache
def _rumours_statement():
    rumour, rebuttal = Rumour.__table__, Rebuttal.__table__
    return (
        select(rumour.c.id, rumour.c.slug, rebuttal.c.id, rebuttal.c.language)
        .outerjoin(
            rebuttal,
            and_(
                rebuttal.c.rumour_id == rumour.c.id,
                rebuttal.c.status == RebuttalStatus.PUBLISHED,
            ),
        )
        .where(
            rumour.c.slug.in_(bindparam("slugs", expanding=True)),
            rumour.c.status == RumourStatus.PUBLISHED,
        )
    )


@cache
def _lookups_statement():
    """The references (one row) and the published rumours named with their published
    rebuttals (a row each), in one statement: the rumours are outer joined to the
    references' single row, which comes back once with empty rumour columns when no
    rumour matches. Two statements were two round trips of a POST. Returns the
    statement and how many of each row's columns are the references' (the first)."""
    references = _references_statement().subquery("refs")
    rumours = _rumours_statement().subquery("named")
    statement = select(references, rumours).select_from(
        references.outerjoin(rumours, true())
    )
    return statement, len(references.c)


def _lookups(data: EncounterData, actor: User, slugs: list[str], language: str):
    """The district, neighbourhood and campaign named by slug (None where none is), the
    organisation the agent logs for, the published rumours among `slugs` and each one's
    current rebuttal (in `language` first)."""
    statement, width = _lookups_statement()
    rows = db.session.connection().execute(
        statement,
        {
            "agent_id": actor.id,
            "district": data.district,
            "neighbourhood": data.neighbourhood or "",
            "campaign": data.campaign or "",
            "slugs": slugs,
        },
    ).all()
    (d_id, d_slug, d_retired, n_id, n_slug, n_retired, n_district, c_id, c_slug, c_starts,
     c_ends, organisation_id) = rows[0][:width]
    named = [row[width:] for row in rows if row[width] is not None]
    found = {slug: RumourRef(rumour_id, slug) for rumour_id, slug, _id, _language in named}
    published = [(r_id, rebuttal_id, lang) for r_id, _s, rebuttal_id, lang in named if rebuttal_id]
    return (
        None if d_id is None else Place(d_id, d_slug, d_retired),
        None if n_id is None else Place(n_id, n_slug, n_retired, n_district),
        None if c_id is None else CampaignRef(c_id, c_slug, c_starts, c_ends),
        organisation_id,
        found,
        _pick_rebuttals(published, language),
    )


def _pick_rebuttals(rows, language: str) -> dict[int, int]:
    """From (rumour_id, rebuttal_id, language) rows in any order: each rumour's newest
    published rebuttal in `language`, else its newest in any language."""
    current: dict[int, tuple[bool, int]] = {}
    for rumour_id, rebuttal_id, rebuttal_language in rows:
        key = (rebuttal_language == language, rebuttal_id)
        if rumour_id not in current or key > current[rumour_id]:
            current[rumour_id] = key
    return {rumour_id: key[1] for rumour_id, key in current.items()}


def warm() -> None:
    """Run a logged conversation's look-ups once with values that match nothing: a
    server does so before forking its workers, so that none compiles them behind its
    first POST."""
    db.session.execute(
        _lookups_statement()[0],
        {"agent_id": 0, "district": "", "neighbourhood": "", "campaign": "", "slugs": [""]},
    ).all()


def agent_language(actor: User) -> str:
    return actor.preferred_language or str(get_locale() or "")


def resolve(data: EncounterData, now: datetime, actor: User) -> Resolved:
    """Check the rules that need the database and the clock; raise naming each bad field."""
    errors = FieldErrors()
    if data.occurred_at > now + CLOCK_SKEW:
        errors.add("occurred_at", _("This time is in the future."))
    elif data.occurred_at < now - MAX_AGE:
        errors.add("occurred_at", _("This is more than 30 days ago: too old to log."))

    slugs = list(dict.fromkeys(data.rumours))
    district, neighbourhood, campaign, organisation_id, found, rebuttals = _lookups(
        data, actor, slugs if len(slugs) <= MAX_RUMOURS else [], agent_language(actor)
    )
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
    else:
        neighbourhood = None

    if data.setting not in {s.value for s in Setting}:
        errors.add("setting", _("Unknown setting: choose one of the listed ones."))
    if data.outcome not in {o.value for o in Outcome}:
        errors.add("outcome", _("Unknown outcome: choose one of the listed ones."))

    rumours: list[RumourRef] = []
    if not slugs:
        if not data.unlisted_rumour:
            errors.add("rumours", _("Choose at least one rumour, or write the one you heard."))
    elif len(slugs) > MAX_RUMOURS:
        errors.add("rumours", _("Choose at most %(n)d rumours.", n=MAX_RUMOURS))
    else:
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
    return Resolved(district, neighbourhood, campaign, rumours, rebuttals, organisation_id)


def current_rebuttals(rumour_ids: list[int], language: str) -> dict[int, int]:
    """The published rebuttal of each rumour, in the agent's language when there is one."""
    rows = db.session.execute(
        db.select(Rebuttal.rumour_id, Rebuttal.id, Rebuttal.language)
        .where(Rebuttal.rumour_id.in_(rumour_ids), Rebuttal.status == RebuttalStatus.PUBLISHED)
        .order_by(Rebuttal.id)
    ).all()
    return _pick_rebuttals(rows, language)

