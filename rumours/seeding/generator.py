"""The synthetic-encounter generator: realistic conversations drawn from the agents,
places, rumours and campaigns in the database, with the weights of
seeds/encounters.yaml. Shared by the demo year and `flask seed --encounters N`.

Tuned for speed (a million rows must load in about a minute): draws use precomputed
tables and rows are built as plain values.
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from sqlalchemy import func

from ..extensions import db
from ..models import (
    AgentProfile,
    AgentStatus,
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
)
from ..services import encounter_content_hash
from .common import load_yaml


class WeightedChoice:
    """Fast repeated weighted choice (precomputed cumulative weights)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


@dataclass
class EncounterMix:
    """The generator's weights (seeds/encounters.yaml), ready to draw from."""

    settings: WeightedChoice
    outcomes: WeightedChoice
    hours: WeightedChoice
    people_reached: WeightedChoice
    weekdays: list[float]


def load_mix(weights: dict) -> EncounterMix:
    """Turn the parsed seeds/encounters.yaml into weighted choices (YAML order kept)."""
    settings, outcomes = weights["settings"], weights["outcomes"]
    return EncounterMix(
        settings=WeightedChoice([Setting(s).value for s in settings], list(settings.values())),
        outcomes=WeightedChoice([Outcome(o).value for o in outcomes], list(outcomes.values())),
        hours=WeightedChoice(list(weights["hours"]), list(weights["hours"].values())),
        people_reached=WeightedChoice(
            list(weights["people_reached"]), list(weights["people_reached"].values())
        ),
        weekdays=list(weights["weekdays"]),
    )


@dataclass
class EncounterContext:
    """What the generator draws from, loaded once."""

    agents: WeightedChoice
    agent_district: dict[int, int]
    agent_organisation: dict[int, int | None]
    districts: WeightedChoice
    neighbourhoods: dict[int, list[int]]
    rumours_by_district: dict[int, WeightedChoice]
    rebuttal_of: dict[int, int | None]
    rumour_slug: dict[int, str]
    district_slug: dict[int, str]
    neighbourhood_slug: dict[int, str]
    campaigns: list[tuple[int, str, date, date]]
    days: WeightedChoice
    mix: EncounterMix


def load_context(start: date, end: date, rng: random.Random) -> EncounterContext:
    """Read agents, places, rumours and campaigns for the generator, and its weights."""
    mix = load_mix(load_yaml("encounters.yaml"))
    agents = db.session.execute(
        db.select(AgentProfile.user_id, AgentProfile.district_id)
        .where(AgentProfile.status.in_([AgentStatus.CERTIFIED, AgentStatus.INACTIVE]))
        .order_by(AgentProfile.user_id)
    ).all()
    if not agents:
        raise RuntimeError("No certified agents: load the demo seed before adding encounters.")
    organisation_of: dict[int, int | None] = {}
    for user_id, organisation_id in db.session.execute(
        db.select(Membership.user_id, func.min(Membership.organisation_id)).group_by(
            Membership.user_id
        )
    ):
        organisation_of[user_id] = organisation_id
    district_rows = list(
        db.session.scalars(db.select(District).order_by(District.position, District.code))
    )
    weights = {d["slug"]: d.get("weight", 5) for d in load_yaml("districts.yaml")}
    published = (
        db.session.execute(
            db.select(Rumour.id, Rumour.slug)
            .where(Rumour.status == RumourStatus.PUBLISHED)
            .order_by(Rumour.id)
        ).all()
        or db.session.execute(db.select(Rumour.id, Rumour.slug).order_by(Rumour.id)).all()
    )
    if not published:
        raise RuntimeError("No rumours: load the demo seed before adding encounters.")
    # The first published rebuttal of each rumour (its source language's current version;
    # translations come later), so adding a language does not move the demo's figures.
    rebuttal_of = dict(
        db.session.execute(
            db.select(Rebuttal.rumour_id, func.min(Rebuttal.id))
            .where(Rebuttal.status == RebuttalStatus.PUBLISHED)
            .group_by(Rebuttal.rumour_id)
        ).all()
    )
    # Some rumours are heard far more in some districts: a fixed random profile.
    profile_rng = random.Random(7)
    base = {rid: profile_rng.uniform(0.5, 2.0) for rid, _ in published}
    rumours_by_district = {
        d.id: WeightedChoice(
            [rid for rid, _ in published],
            [base[rid] * profile_rng.choice([0.4, 1, 1, 1.5, 3]) for rid, _ in published],
        )
        for d in district_rows
    }
    neighbourhoods: dict[int, list[int]] = {}
    neighbourhood_slug = {}
    for n in db.session.scalars(
        db.select(Neighbourhood).order_by(Neighbourhood.position, Neighbourhood.code)
    ):
        neighbourhoods.setdefault(n.district_id, []).append(n.id)
        neighbourhood_slug[n.id] = n.slug
    campaigns = [
        (c.id, c.slug, c.starts_on, c.ends_on)
        for c in db.session.scalars(db.select(Campaign).order_by(Campaign.id))
    ]
    days, day_weights = [], []
    day = start
    while day <= end:
        weight = mix.weekdays[day.weekday()]
        if day.month == 8:
            weight *= 0.5  # summer holidays
        if any(s <= day <= e for _, _, s, e in campaigns):
            weight *= 1.5
        days.append(day)
        day_weights.append(weight)
        day += timedelta(days=1)
    return EncounterContext(
        # A few agents are much more active than most.
        agents=WeightedChoice([a for a, _ in agents], [rng.paretovariate(1.5) for _ in agents]),
        agent_district={a: d for a, d in agents},
        agent_organisation=organisation_of,
        districts=WeightedChoice(
            [d.id for d in district_rows], [weights.get(d.slug, 5) for d in district_rows]
        ),
        neighbourhoods=neighbourhoods,
        rumours_by_district=rumours_by_district,
        rebuttal_of=rebuttal_of,
        rumour_slug=dict(published),
        district_slug={d.id: d.slug for d in district_rows},
        neighbourhood_slug=neighbourhood_slug,
        campaigns=campaigns,
        days=WeightedChoice(days, day_weights),
        mix=mix,
    )


def generate_encounters(
    ctx: EncounterContext, rng: random.Random, count: int, uuid_for: Callable[[int], uuid.UUID]
) -> Iterator[tuple[tuple, list[tuple[int, int | None]]]]:
    """Yield (encounter row in bulk.ENCOUNTER_COLUMNS order without the id,
    [(rumour_id, rebuttal_id)]) with realistic patterns. Timestamps are UTC text that
    SQLite and PostgreSQL both read."""
    settings = ctx.mix.settings
    outcomes = ctx.mix.outcomes
    hours = ctx.mix.hours
    people_small = ctx.mix.people_reached
    # Local time is Barcelona's; stored as UTC (one hour earlier in winter, two in summer:
    # one hour is close enough for demo data).
    day_text = {}
    for day in ctx.days.items:
        utc_day = datetime.combine(day, time(0), UTC) - timedelta(hours=1)
        day_text[day] = [(utc_day + timedelta(hours=h)).strftime("%Y-%m-%d %H:") for h in range(24)]
    day_iso = {day: day.isoformat() for day in ctx.days.items}
    day_campaigns = {
        day: [(cid, slug) for cid, slug, s, e in ctx.campaigns if s <= day <= e]
        for day in ctx.days.items
    }
    now_text = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    random_ = rng.random
    randrange = rng.randrange
    for i in range(count):
        agent_id = ctx.agents(rng)
        home = ctx.agent_district.get(agent_id)
        district_id = home if home and random_() < 0.7 else ctx.districts(rng)
        hoods = ctx.neighbourhoods.get(district_id)
        neighbourhood_id = hoods[randrange(len(hoods))] if hoods and random_() < 0.75 else None
        setting = settings(rng)
        day = ctx.days(rng)
        hour = hours(rng)
        if setting == "market" and hour > 14:
            hour = 9 + randrange(5)
        minute = randrange(60)
        prefix = day_text[day][hour]
        occurred = f"{prefix}{minute:02d}:00.000000"
        created_minute = minute + 1 + randrange(59)
        created = (
            f"{prefix}{created_minute:02d}:00.000000"
            if created_minute < 60
            else f"{prefix}59:59.000000"
        )
        if created > now_text:
            created = now_text
        outcome = outcomes(rng)
        if (setting == "bar" or setting == "online") and random_() < 0.1:
            outcome = "hostile"
        if (setting == "school" or setting == "association") and random_() < 0.3:
            people = 5 + randrange(21)
        else:
            people = people_small(rng)
        picker = ctx.rumours_by_district[district_id]
        rumour_ids = {picker(rng)}
        extra = random_()
        if extra < 0.25:
            rumour_ids.add(picker(rng))
            if extra < 0.03:
                rumour_ids.add(picker(rng))
        campaign_id = campaign_slug = None
        for cid, slug in day_campaigns[day]:
            if random_() < 0.85:
                campaign_id, campaign_slug = cid, slug
                break
        digest = encounter_content_hash(
            occurred.replace(" ", "T")[:19] + "Z",
            ctx.district_slug[district_id],
            ctx.neighbourhood_slug.get(neighbourhood_id),
            setting,
            [ctx.rumour_slug[r] for r in rumour_ids],
            people,
            outcome,
            None,
            campaign_slug,
        )
        row = (
            uuid_for(i).hex,
            digest,
            agent_id,
            ctx.agent_organisation.get(agent_id),
            occurred,
            day_iso[day],
            district_id,
            neighbourhood_id,
            setting,
            people,
            outcome,
            None,
            campaign_id,
            created,
        )
        yield row, [(r, ctx.rebuttal_of.get(r)) for r in rumour_ids]
