"""The campaign dashboard's figures: the network, training, conversations and each
campaign's progress, for one view (a `StatsFilter`). Conversation counts come from
`stats.figures` (the summary tables); people and trainings from `people`. The
dashboard page, `/api/v1/stats` and the indicator exports all call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, select

from ..extensions import db
from ..models import AgentProfile, Campaign, District, Rebuttal, Rumour, campaign_organisations
from .filters import StatsFilter, add_months
from .geography import by_neighbourhood, shapes
from .people import (
    Network,
    Training,
    agents_in_scope,
    city_midnight,
    network,
    training,
    trainings_held,
)
from .stats import OUTCOME_KEYS, Figures, bucket_of, figures, total

# A rumour is "rising" in a district when heard at least this many times and at least
# half as often again as in the period before.
RISING_MINIMUM = 10
RISING_RATIO = 1.5


@dataclass
class RumourCount:
    rumour: Rumour
    figures: Figures


@dataclass
class RebuttalOutcome:
    rumour: Rumour
    rebuttal: Rebuttal | None
    figures: Figures

    @property
    def shares(self) -> list[float]:
        """Each outcome's share of these conversations, in OUTCOME_KEYS order."""
        return [self.figures.outcomes[k] / self.figures.encounters for k in OUTCOME_KEYS]


@dataclass
class Rising:
    district: District
    rumour: Rumour
    now: int
    before: int

    @property
    def change(self) -> float | None:
        return (self.now - self.before) / self.before if self.before else None


@dataclass
class CampaignProgress:
    campaign: Campaign
    encounters: int
    people: int
    agents_trained: int
    trainings_held: int

    def items(self) -> list[tuple[str, int, int | None]]:
        c = self.campaign
        return [
            ("encounters", self.encounters, c.target_encounters),
            ("people_reached", self.people, c.target_people_reached),
            ("agents_trained", self.agents_trained, c.target_agents_trained),
            ("trainings_held", self.trainings_held, c.target_trainings),
        ]


def by_district(filters: StatsFilter) -> list[tuple[District, Figures]]:
    """Every district with the view's counts (zeros included), in official order."""
    counts = figures(filters, ("district",))
    districts = db.session.scalars(select(District).order_by(District.position, District.code))
    return [(d, counts.get((d.id,), Figures())) for d in districts]


def _by_id(model, ids) -> dict:
    """Rows of `model` by id, for the ids a breakdown named (one query)."""
    ids = set(ids) - {0}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _ranked(counts: dict[tuple, Figures], limit: int | None) -> list[tuple[tuple, Figures]]:
    """Breakdown cells, most conversations first."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1].encounters, kv[0]))
    return ranked if limit is None else ranked[:limit]


def per_rebuttal(filters: StatsFilter) -> dict[tuple, Figures]:
    """Counts per (rumour, rebuttal version): both the rumours heard most and the
    outcomes per rebuttal come from this one read."""
    return figures(filters, ("rumour", "rebuttal"))


def top_rumours(counts: dict[tuple, Figures], limit: int | None = 10) -> list[RumourCount]:
    """The rumours heard most, from `per_rebuttal` counts (versions added up)."""
    by_rumour: dict[int, Figures] = {}
    for (rumour_id, _rebuttal_id), value in counts.items():
        by_rumour.setdefault(rumour_id, Figures()).add(value)
    ranked = _ranked({(k,): v for k, v in by_rumour.items()}, limit)
    rumours = _by_id(Rumour, (k[0] for k, _ in ranked))
    return [RumourCount(rumours[k[0]], v) for k, v in ranked if k[0] in rumours]


def series(
    filters: StatsFilter, bucket: str, counts: dict | None = None
) -> list[tuple[date, Figures]]:
    """Every week (from its Monday) or month of the period with its counts, empty ones
    included; `counts` keyed by (start,) when already read (an agent's own rows)."""
    if counts is None:
        counts = figures(filters, (), bucket)
    start = bucket_of(filters.start, bucket)
    result = []
    while start <= filters.end:
        result.append((start, counts.get((start,), Figures())))
        start = start + timedelta(days=7) if bucket == "week" else add_months(start, 1)
    return result


def outcomes_by_rebuttal(counts: dict[tuple, Figures], limit: int = 12) -> list[RebuttalOutcome]:
    """Outcomes of the conversations in which each rebuttal version was the one current,
    most used first (from `per_rebuttal` counts): which arguments open minds."""
    ranked = _ranked(counts, limit)
    rumours = _by_id(Rumour, (k[0] for k, _ in ranked))
    rebuttals = _by_id(Rebuttal, (k[1] for k, _ in ranked))
    return [
        RebuttalOutcome(rumours[rid], rebuttals.get(bid), v)
        for (rid, bid), v in ranked
        if rid in rumours
    ]


def rising_rumours(filters: StatsFilter, limit: int = 8) -> list[Rising]:
    """Rumours heard noticeably more in a district than in the previous period of the
    same length: at least RISING_MINIMUM times and RISING_RATIO times as often."""
    now = figures(filters, ("district", "rumour"))
    before = figures(filters.previous(), ("district", "rumour"))
    found = []
    for key, value in now.items():
        earlier = before.get(key, Figures()).encounters
        if value.encounters >= RISING_MINIMUM and value.encounters >= RISING_RATIO * max(
            earlier, 1
        ):
            found.append((key, value.encounters, earlier))
    found.sort(key=lambda item: (-(item[1] + 1) / (item[2] + 1), -item[1], item[0]))
    found = found[:limit]
    districts = _by_id(District, (k[0] for k, _, _ in found))
    rumours = _by_id(Rumour, (k[1] for k, _, _ in found))
    return [Rising(districts[d], rumours[r], n, b) for (d, r), n, b in found]


def campaigns_in_view(filters: StatsFilter) -> list[Campaign]:
    """The campaign asked for, or every campaign overlapping the period (for an
    organisation's view, those it takes part in)."""
    if filters.campaign_id is not None:
        return [db.session.get(Campaign, filters.campaign_id)]
    query = select(Campaign).where(
        Campaign.starts_on <= filters.end, Campaign.ends_on >= filters.start
    )
    if filters.organisation_id is not None:
        query = query.where(
            exists().where(
                campaign_organisations.c.campaign_id == Campaign.id,
                campaign_organisations.c.organisation_id == filters.organisation_id,
            )
        )
    return list(db.session.scalars(query.order_by(Campaign.starts_on.desc())))


def campaign_progress(campaign: Campaign, filters: StatsFilter) -> CampaignProgress:
    """A campaign's conversations, people reached, agents certified and trainings held
    over its whole period (within the view's organisation and district)."""
    view = StatsFilter(
        start=campaign.starts_on,
        end=campaign.ends_on,
        campaign_id=campaign.id,
        district_id=filters.district_id,
        organisation_id=filters.organisation_id,
    )
    counts = total(view)
    certified = db.session.scalar(
        select(func.count())
        .select_from(AgentProfile)
        .where(
            *agents_in_scope(view),
            and_(
                AgentProfile.certified_at >= city_midnight(view.start),
                AgentProfile.certified_at < city_midnight(view.end + timedelta(days=1)),
            ),
        )
    )
    return CampaignProgress(
        campaign=campaign,
        encounters=counts.encounters,
        people=counts.people,
        agents_trained=certified,
        trainings_held=len(trainings_held(view)),
    )


@dataclass
class Dashboard:
    network: Network
    training: Training
    totals: Figures
    previous_totals: Figures
    districts: list[tuple[District, Figures]]
    rumours: list[RumourCount]
    trend: list[tuple[date, Figures]]
    rebuttals: list[RebuttalOutcome]
    rising: list[Rising]
    campaigns: list[CampaignProgress]
    # Conversations per neighbourhood, only where neighbourhoods have shapes to draw.
    neighbourhoods: list = ()

    @property
    def change(self) -> float | None:
        """Conversations against the period before, as a fraction (None with none then)."""
        now, before = self.totals.encounters, self.previous_totals.encounters
        return (now - before) / before if before else None


def dashboard(filters: StatsFilter, now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows for one view."""
    rumour_counts = per_rebuttal(filters)
    return Dashboard(
        network=network(filters),
        training=training(filters, now),
        totals=total(filters),
        previous_totals=total(filters.previous()),
        districts=by_district(filters),
        rumours=top_rumours(rumour_counts),
        trend=series(filters, "week"),
        rebuttals=outcomes_by_rebuttal(rumour_counts),
        rising=rising_rumours(filters),
        campaigns=[campaign_progress(c, filters) for c in campaigns_in_view(filters)],
        neighbourhoods=by_neighbourhood(filters) if shapes("neighbourhood") else [],
    )
