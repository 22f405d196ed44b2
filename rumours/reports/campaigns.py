"""Read-only campaign queries: the list a person may see, with what each one focuses on
and who takes part, and the choices the campaign form offers."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func

from ..extensions import db
from ..models import (
    Campaign,
    Organisation,
    Rumour,
    RumourStatus,
    campaign_organisations,
    campaign_rumours,
)

CURRENT, UPCOMING, ENDED = "current", "upcoming", "ended"


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    status: str
    rumours: int
    organisations: int


def status_of(campaign: Campaign, today: date) -> str:
    """Whether the campaign is running on `today`, still to come, or over."""
    if campaign.starts_on > today:
        return UPCOMING
    return ENDED if campaign.ends_on < today else CURRENT


def campaign_rows(
    today: date, *, within: set[int] | None = None, drafts: bool = False
) -> list[CampaignRow]:
    """Campaigns (those taking part organisations in `within`, or all when None): running
    now, then upcoming (soonest first), then ended (latest first), with how many rumours
    (published ones, unless `drafts`) and organisations each has."""
    focus = (
        db.select(func.count())
        .select_from(campaign_rumours)
        .where(campaign_rumours.c.campaign_id == Campaign.id)
    )
    if not drafts:
        focus = focus.join(Rumour, Rumour.id == campaign_rumours.c.rumour_id).where(
            Rumour.status == RumourStatus.PUBLISHED
        )
    taking_part = (
        db.select(func.count())
        .select_from(campaign_organisations)
        .where(campaign_organisations.c.campaign_id == Campaign.id)
    )
    query = db.select(
        Campaign,
        focus.correlate(Campaign).scalar_subquery(),
        taking_part.correlate(Campaign).scalar_subquery(),
    ).order_by(Campaign.starts_on, Campaign.id)
    if within is not None:
        query = query.where(Campaign.organisations.any(Organisation.id.in_(within or {0})))
    rows = [CampaignRow(c, status_of(c, today), r, o) for c, r, o in db.session.execute(query)]
    order = {CURRENT: 0, UPCOMING: 1, ENDED: 2}
    return sorted(
        rows,
        key=lambda row: (
            order[row.status],
            -row.campaign.ends_on.toordinal() if row.status == ENDED else 0,
        ),
    )


def form_rumours(chosen: set[int]) -> list[Rumour]:
    """The rumours a campaign may focus on: published first, then drafts; archived ones
    only when already chosen."""
    return list(
        db.session.scalars(
            db.select(Rumour)
            .where((Rumour.status != RumourStatus.ARCHIVED) | Rumour.id.in_(chosen or {0}))
            .order_by((Rumour.status != RumourStatus.PUBLISHED), Rumour.claim)
        )
    )


def form_organisations(chosen: set[int]) -> list[Organisation]:
    """The organisations that may take part: active ones, plus any inactive one already in."""
    return list(
        db.session.scalars(
            db.select(Organisation)
            .where(Organisation.active | Organisation.id.in_(chosen or {0}))
            .order_by(Organisation.name)
        )
    )
