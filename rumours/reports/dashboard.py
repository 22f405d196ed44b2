"""The campaign dashboard's figures: the network, training, conversations and each
campaign's progress, for one view (a `StatsFilter`). Conversation counts come from
`stats.figures` (the summary tables); people and trainings from `people`. The
dashboard page, `/api/v1/stats` and the indicator exports all call these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import defer, load_only
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import Campaign, District, Rebuttal, Rumour, campaign_organisations
from .filters import StatsFilter, add_months
from .geography import by_neighbourhood, neighbourhoods_summarised, shapes
from .people import Network, People, Training, certified_and_held, people
from .stats import OUTCOME_KEYS, Ask, Figures, bucket_of, figures, figures_many

# A rumour is "rising" in a district when heard at least this many times and at least
# half as often again as in the period before.
RISING_MINIMUM = 10
RISING_RATIO = 1.5
RISING_LIMIT = 8
# The measures each panel shows (stats.Ask.measures): the map, the trend and the rising
# rumours only how many conversations; districts and campaigns people reached too; the
# answers table how conversations ended.
COUNT = ("encounters",)
REACH = ("encounters", "people")
ENDINGS = ("encounters", *(f"outcome_{key}" for key in OUTCOME_KEYS))


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


def by_district(
    filters: StatsFilter, counts: dict | None = None
) -> list[tuple[District, Figures]]:
    """Every district with the view's counts (zeros included), in official order;
    `counts` keyed by (district id,) when already read."""
    if counts is None:
        counts = figures(filters, ("district",))
    districts = db.session.scalars(
        select(District)
        .options(defer(District.geometry))  # maps draw from `shapes`, not from the rows
        .order_by(District.position, District.code)
    )
    return [(d, counts.get((d.id,), Figures())) for d in districts]


def _by_id(model, ids) -> dict:
    """Rows of `model` by id, for the ids a breakdown named: those this session already
    holds without a query, the others in one."""
    found, missing = {}, []
    for key in set(ids) - {0}:
        row = db.session.identity_map.get(identity_key(model, key))
        if row is None:
            missing.append(key)
        else:
            found[key] = row
    if missing:
        found.update(
            (row.id, row)
            for row in db.session.scalars(
                select(model).where(model.id.in_(missing)).options(*_NAMED_ONLY.get(model, ()))
            )
        )
    return found


# What the panels name of each row: the long texts stay unread (a page names dozens).
_NAMED_ONLY = {
    Rebuttal: (load_only(Rebuttal.rumour_id, Rebuttal.language, Rebuttal.version),),
    Rumour: (defer(Rumour.search_text), defer(Rumour.also_heard_as)),
    District: (defer(District.geometry),),
}


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


def heard(counts: dict[tuple, Figures]) -> dict[int, int]:
    """Conversations in which each rumour came up, from `per_rebuttal` counts."""
    found: dict[int, int] = {}
    for (rumour_id, _rebuttal_id), value in counts.items():
        found[rumour_id] = found.get(rumour_id, 0) + value.encounters
    return found


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


def _rising(now: dict[tuple, Figures], before: dict[tuple, Figures], limit: int):
    """The (district id, rumour id), count now and before of the rising rumours."""
    found = []
    for key, value in now.items():
        earlier = before.get(key, Figures()).encounters
        if value.encounters >= RISING_MINIMUM and value.encounters >= RISING_RATIO * max(
            earlier, 1
        ):
            found.append((key, value.encounters, earlier))
    found.sort(key=lambda item: (-(item[1] + 1) / (item[2] + 1), -item[1], item[0]))
    return found[:limit]


def rising_rumours(
    filters: StatsFilter,
    limit: int = RISING_LIMIT,
    now: dict[tuple, Figures] | None = None,
    before: dict[tuple, Figures] | None = None,
) -> list[Rising]:
    """Rumours heard noticeably more in a district than in the previous period of the
    same length: at least RISING_MINIMUM times and RISING_RATIO times as often (`now`
    and `before`: the counts by district and rumour, when already read)."""
    if now is None:
        now = figures(filters, ("district", "rumour"))
    if before is None:
        before = figures(filters.previous(), ("district", "rumour"))
    found = _rising(now, before, limit)
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


def _campaign_view(campaign: Campaign, filters: StatsFilter) -> StatsFilter:
    """A campaign's whole period, within the view's organisation and district."""
    return StatsFilter(
        start=campaign.starts_on,
        end=campaign.ends_on,
        campaign_id=campaign.id,
        district_id=filters.district_id,
        organisation_id=filters.organisation_id,
    )


def campaigns_progress(
    campaigns: list[Campaign],
    filters: StatsFilter,
    counts: dict[tuple, Figures] | None = None,
    counted: People | None = None,
) -> list[CampaignProgress]:
    """Each campaign's conversations, people reached, agents certified and trainings held
    over its whole period (within the view's organisation and district). `counts` (each
    campaign's totals, keyed by its id) and `counted` (`people` with the campaigns'
    periods) when already read; otherwise three statements for all of them."""
    views = [_campaign_view(c, filters) for c in campaigns]
    if counts is None:
        totals = figures_many({c.id: Ask(view) for c, view in zip(campaigns, views, strict=True)})
        counts = {key: value.get((), Figures()) for key, value in totals.items()}
    if counted is None:
        certified, held = certified_and_held(filters, [(v.start, v.end) for v in views])
    else:
        certified, held = counted.certified, counted.held
    return [
        CampaignProgress(
            campaign=campaign,
            encounters=counts[campaign.id].encounters,
            people=counts[campaign.id].people,
            agents_trained=agents_certified,
            trainings_held=sessions_held,
        )
        for campaign, agents_certified, sessions_held in zip(
            campaigns, certified, held, strict=True
        )
    ]


def campaign_progress(campaign: Campaign, filters: StatsFilter) -> CampaignProgress:
    """A campaign's conversations, people reached, agents certified and trainings held
    over its whole period (within the view's organisation and district)."""
    return campaigns_progress([campaign], filters)[0]


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
    # Conversations in which each rumour came up, by rumour id (every rumour heard).
    heard: dict[int, int] = field(default_factory=dict)

    @property
    def change(self) -> float | None:
        """Conversations against the period before, as a fraction (None with none then)."""
        now, before = self.totals.encounters, self.previous_totals.encounters
        return (now - before) / before if before else None


def dashboard(
    filters: StatsFilter, now: datetime | None = None, *, neighbourhoods: bool = True
) -> Dashboard:
    """Everything the dashboard shows for one view: its conversation figures in one
    statement, people and trainings (the campaigns' too) in two, and the rows they name.
    Without `neighbourhoods` (`/api/v1/stats`, which does not publish them) the counts
    per neighbourhood are left out."""
    campaigns = campaigns_in_view(filters)
    previous = filters.previous()
    mapped = neighbourhoods and bool(shapes("neighbourhood"))
    asks = {
        "totals": Ask(filters),
        "previous": Ask(previous),
        "districts": Ask(filters, ("district",), measures=REACH),
        "weeks": Ask(filters, (), "week", measures=COUNT),
        "rebuttals": Ask(filters, ("rumour", "rebuttal"), measures=ENDINGS),
        "rising": Ask(filters, ("district", "rumour"), measures=COUNT),
        "before": Ask(previous, ("district", "rumour"), measures=COUNT),
        **{
            ("campaign", c.id): Ask(_campaign_view(c, filters), measures=REACH)
            for c in campaigns
        },
    }
    if mapped and neighbourhoods_summarised(filters):
        asks["neighbourhoods"] = Ask(filters, ("neighbourhood",), measures=COUNT)
    counts = figures_many(asks)
    counted = people(
        filters, now, [(c.starts_on, c.ends_on) for c in campaigns]
    )
    rumour_counts = counts["rebuttals"]
    rising = _rising(counts["rising"], counts["before"], RISING_LIMIT)
    # The rumours every panel names, in one read. The session keeps loaded rows only
    # while something refers to them, so `named` holds them until the panels are built.
    named = _by_id(Rumour, {k[0] for k in rumour_counts} | {k[1] for k, _n, _b in rising})
    board = Dashboard(
        network=counted.network,
        training=counted.training,
        totals=counts["totals"].get((), Figures()),
        previous_totals=counts["previous"].get((), Figures()),
        districts=by_district(filters, counts["districts"]),
        rumours=top_rumours(rumour_counts),
        trend=series(filters, "week", counts["weeks"]),
        rebuttals=outcomes_by_rebuttal(rumour_counts),
        rising=rising_rumours(filters, RISING_LIMIT, counts["rising"], counts["before"]),
        campaigns=campaigns_progress(
            campaigns,
            filters,
            {c.id: counts[("campaign", c.id)].get((), Figures()) for c in campaigns},
            counted,
        ),
        neighbourhoods=(
            by_neighbourhood(filters, counts.get("neighbourhoods")) if mapped else []
        ),
        heard=heard(rumour_counts),
    )
    del named
    return board
