"""The demo campaigns (seeds/campaigns.yaml)."""

from __future__ import annotations

from ..extensions import db
from ..models import Campaign, Organisation, OrganisationType, Rumour, RumourStatus, Theme
from .common import get_or_create, update_fields


def seed_campaigns(entries: list[dict]) -> None:
    """The spring schools campaign and the autumn markets one, with their focus
    rumours (the published ones of their themes) and organisations (by type).

    `entries` is the parsed seeds/campaigns.yaml.
    """
    rumours = {
        r.slug: r
        for r in db.session.scalars(
            db.select(Rumour).where(Rumour.status == RumourStatus.PUBLISHED)
        )
    }
    by_theme: dict[Theme, list[Rumour]] = {}
    for rumour in rumours.values():
        by_theme.setdefault(rumour.theme, []).append(rumour)
    organisations = list(db.session.scalars(db.select(Organisation).order_by(Organisation.id)))
    for entry in entries:
        spec = dict(entry)
        themes = [Theme(t) for t in spec.pop("themes")]
        types = {OrganisationType(t) for t in spec.pop("organisation_types")}
        orgs = [o for o in organisations if o.type in types]
        campaign, created = get_or_create(Campaign, slug=spec.pop("slug"), defaults=spec)
        update_fields(campaign, spec)
        focus = sorted((r for t in themes for r in by_theme.get(t, [])), key=lambda r: r.slug)
        if {r.id for r in campaign.rumours} != {r.id for r in focus}:
            campaign.rumours = focus
        if {o.id for o in campaign.organisations} != {o.id for o in orgs}:
            campaign.organisations = orgs
    db.session.flush()
