"""The city's districts and neighbourhoods as the pages read them: the places forms offer
(never the retired ones), the coordinator's list, counts per neighbourhood, and the
projected shapes the maps draw, cached per process until the geography changes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from threading import Lock

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from ..charts import Projection, project
from ..extensions import db
from ..models import (
    District,
    Encounter,
    Neighbourhood,
    SiteSetting,
    rumour_organisation_stats_month,
)
from .filters import StatsFilter, split_period
from .raw import encounter_conditions
from .stats import Ask, Figures, figures_many

# A SiteSetting bumped on every change to the geography, so cached drawings are redrawn.
VERSION_KEY = "geography.version"
_VERSION_READ = "geography_version"
_cache: dict[tuple, object] = {}
_lock = Lock()
_CACHE_SIZE = 16


def active_districts(keep: int | None = None) -> list[District]:
    """Districts a form offers, in the city's order: not retired (and `keep`, the one a
    record already points at, so editing it does not lose it)."""
    condition = District.retired.is_(False)
    if keep is not None:
        condition = condition | (District.id == keep)
    return list(
        db.session.scalars(
            select(District)
            .where(condition)
            .order_by(District.position, District.code)
            # Forms need names, not shapes (a city's shapes weigh hundreds of kilobytes).
            .options(defer(District.geometry))
        )
    )


def active_neighbourhoods() -> list[Neighbourhood]:
    """Neighbourhoods a form offers: neither they nor their district retired."""
    return list(
        db.session.scalars(
            select(Neighbourhood)
            .join(District)
            .where(Neighbourhood.retired.is_(False), District.retired.is_(False))
            .order_by(District.position, District.code, Neighbourhood.position,
                      Neighbourhood.code)
            .options(defer(Neighbourhood.geometry))
        )
    )


@dataclass(frozen=True)
class Listing:
    """The coordinator's page: every district with its neighbourhoods, retired ones too."""

    districts: list[District]
    shaped_districts: int
    shaped_neighbourhoods: int
    neighbourhoods: int


def listing() -> Listing:
    districts = list(
        db.session.scalars(select(District).order_by(District.position, District.code))
    )
    neighbourhoods = [n for d in districts for n in d.neighbourhoods]
    return Listing(
        districts=districts,
        shaped_districts=sum(1 for d in districts if d.geometry),
        shaped_neighbourhoods=sum(1 for n in neighbourhoods if n.geometry),
        neighbourhoods=len(neighbourhoods),
    )


@dataclass(frozen=True)
class Place:
    """A neighbourhood as the map names it."""

    id: int
    slug: str
    name: str
    retired: bool
    district_slug: str


def neighbourhood_places() -> tuple[Place, ...]:
    """Every neighbourhood (retired too) in the city's order, read once per process and
    geography version (every change to the geography bumps it)."""
    version = geography_version()
    key = (current_app.config.get("SQLALCHEMY_DATABASE_URI"), "places", version)
    if version is not None:
        with _lock:
            if key in _cache:
                return _cache[key]
    places = tuple(
        Place(*row)
        for row in db.session.execute(
            select(Neighbourhood.id, Neighbourhood.slug, Neighbourhood.name,
                   Neighbourhood.retired, District.slug)
            .join(District)
            .order_by(District.position, District.code, Neighbourhood.position,
                      Neighbourhood.code)
        )
    )
    if version is not None:
        _remember(key, places)
    return places


def neighbourhoods_summarised(filters: StatsFilter) -> bool:
    """Whether the view's counts per neighbourhood come with its other figures (from the
    tables they are read from): every view but a rumour's narrowed to an organisation,
    whose map has a table of its own, by month (`_rumour_in_organisation`)."""
    return filters.rumour_id is None or filters.organisation_id is None


def by_neighbourhood(
    filters: StatsFilter, counted: dict[tuple, Figures] | None = None
) -> list[tuple[Place, int]]:
    """Conversations per neighbourhood in the view (zeros included), in the city's order;
    conversations logged without a neighbourhood are not counted here. `counted` is the
    view's figures by ("neighbourhood",) when the caller read them with others."""
    if counted is None and neighbourhoods_summarised(filters):
        counted = figures_many({0: Ask(filters, ("neighbourhood",), measures=("encounters",))})[0]
    if counted is not None:
        counts = {key[0]: f.encounters for key, f in counted.items()}
    else:
        counts = _rumour_in_organisation(filters)
    return [(place, counts.get(place.id, 0)) for place in neighbourhood_places()]


def _rumour_in_organisation(filters: StatsFilter) -> Counter:
    """A rumour's neighbourhoods within an organisation (a member's view of a rumour):
    the period's whole months from rumour_organisation_stats_month, the days at its edges
    from the rows. A view narrowed further (a district, a campaign) reads the rows."""
    counts: Counter = Counter()
    if set(filters.dimension_ids()) <= {"organisation", "rumour"}:
        months, edges = split_period(filters.start, filters.end, "month")
    else:
        months, edges = [], [(filters.start, filters.end)]
    t = rumour_organisation_stats_month.c
    for first, last in months:
        counts.update(dict(db.session.execute(
            select(t.neighbourhood_id, func.sum(t.encounters))
            .where(
                t.organisation_id == filters.organisation_id,
                t.rumour_id == filters.rumour_id,
                t.period_start.between(first, last),
                t.neighbourhood_id != 0,
            )
            .group_by(t.neighbourhood_id)
        ).all()))
    e = Encounter.__table__.c
    for start, end in edges:
        counts.update(dict(db.session.execute(
            select(e.neighbourhood_id, func.count())
            .where(
                e.neighbourhood_id.is_not(None), e.excluded_at.is_(None),
                *encounter_conditions(replace(filters, start=start, end=end)),
            )
            .group_by(e.neighbourhood_id)
        ).all()))
    return counts


def geography_version() -> str | None:
    """The geography's version, read once per app context (a page asks four times);
    `forget_version` drops it when the geography changes."""
    if _VERSION_READ not in g:
        row = db.session.get(SiteSetting, VERSION_KEY)
        setattr(g, _VERSION_READ, row.value if row else None)
    return getattr(g, _VERSION_READ)


def forget_version() -> None:
    g.pop(_VERSION_READ, None)


def shapes(level: str) -> Projection | None:
    """The active places' outlines, keyed by slug (None without shapes). Projected once per
    process and geography version, so a dashboard does not re-read the GeoJSON."""
    version = geography_version()
    key = (current_app.config.get("SQLALCHEMY_DATABASE_URI"), level, version)
    if version is not None:
        with _lock:
            if key in _cache:
                return _cache[key]
    model = District if level == "district" else Neighbourhood
    query = select(model.slug, model.geometry).where(
        model.geometry.is_not(None), model.retired.is_(False)
    )
    if model is Neighbourhood:
        query = query.join(District).where(District.retired.is_(False))
    projected = project(db.session.execute(query).all(), width=400)
    if version is not None:
        _remember(key, projected)
    return projected


def _remember(key: tuple, value) -> None:
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = value
