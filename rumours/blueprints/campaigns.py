"""Campaigns: coordinators start and edit them; agents and coordinators see them all,
organisation members those their organisation takes part in."""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func

from ..extensions import db
from ..forms.campaigns import CampaignForm
from ..forms.fields import options
from ..models import (
    Campaign,
    Organisation,
    Role,
    Rumour,
    RumourStatus,
    User,
    campaign_organisations,
    campaign_rumours,
)
from ..permissions import organisation_ids, role_required
from ..reports.dashboard import campaign_progress
from ..reports.filters import StatsFilter
from ..rules.labels import label
from ..rules.localtime import city_today
from ..services.campaigns import TARGETS, CampaignError, create_campaign, update_campaign

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

CURRENT, UPCOMING, ENDED = "current", "upcoming", "ended"


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    status: str
    rumours: int
    organisations: int


def status_of(campaign: Campaign, today: date) -> str:
    if campaign.starts_on > today:
        return UPCOMING
    return ENDED if campaign.ends_on < today else CURRENT


def sees_all_campaigns(user: User) -> bool:
    return user.role in (Role.COORDINATOR, Role.AGENT)


def can_view_campaign(user: User, campaign: Campaign) -> bool:
    """Coordinators and agents see every campaign; members those of their organisations."""
    if sees_all_campaigns(user):
        return True
    return bool(organisation_ids(user) & {o.id for o in campaign.organisations})


def campaign_rows(user: User, today: date) -> list[CampaignRow]:
    """The campaigns `user` may see: running now, then upcoming (soonest first), then ended
    (latest first), with how many rumours (published ones, unless a coordinator asks) and
    organisations each has."""
    focus = (
        db.select(func.count())
        .select_from(campaign_rumours)
        .where(campaign_rumours.c.campaign_id == Campaign.id)
    )
    if user.role is not Role.COORDINATOR:
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
    if not sees_all_campaigns(user):
        query = query.where(
            Campaign.organisations.any(Organisation.id.in_(organisation_ids(user) or {0}))
        )
    rows = [CampaignRow(c, status_of(c, today), r, o) for c, r, o in db.session.execute(query)]
    order = {CURRENT: 0, UPCOMING: 1, ENDED: 2}
    return sorted(
        rows,
        key=lambda row: (
            order[row.status],
            -row.campaign.ends_on.toordinal() if row.status == ENDED else 0,
        ),
    )


def campaign_or_404(slug: str) -> Campaign:
    """The campaign, or 404; 403 when the current user may not see it."""
    campaign = db.one_or_404(db.select(Campaign).where(Campaign.slug == slug))
    if not can_view_campaign(current_user, campaign):
        abort(403)
    return campaign


def campaign_form(campaign: Campaign | None = None) -> CampaignForm:
    """The form, filled from the campaign on first view, with its choices: published rumours
    first; active organisations plus any inactive one already taking part."""
    form = CampaignForm(obj=campaign)
    chosen_rumours = {r.id for r in campaign.rumours} if campaign else set()
    chosen_organisations = {o.id for o in campaign.organisations} if campaign else set()
    if campaign is not None and not form.is_submitted():
        form.rumours.data = sorted(chosen_rumours)
        form.organisations.data = sorted(chosen_organisations)
    rumours = db.session.scalars(
        db.select(Rumour)
        .where((Rumour.status != RumourStatus.ARCHIVED) | Rumour.id.in_(chosen_rumours or {0}))
        .order_by((Rumour.status != RumourStatus.PUBLISHED), Rumour.claim)
    )
    form.rumours.choices = options(
        (
            r.id,
            r.claim
            if r.status is RumourStatus.PUBLISHED
            else _("%(claim)s (not published)", claim=r.claim),
        )
        for r in rumours
    )
    organisations = db.session.scalars(
        db.select(Organisation)
        .where(Organisation.active | Organisation.id.in_(chosen_organisations or {0}))
        .order_by(Organisation.name)
    )
    form.organisations.choices = options(
        (o.id, o.name if o.active else _("%(name)s (inactive)", name=o.name)) for o in organisations
    )
    return form


def campaign_fields(form: CampaignForm) -> dict:
    return {
        "name": form.name.data,
        "description": form.description.data or "",
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "rumour_ids": form.rumours.data or [],
        "organisation_ids": form.organisations.data or [],
        **{key: getattr(form, key).data for key in TARGETS},
    }


def show_error(form: CampaignForm, error: CampaignError) -> None:
    getattr(form, error.field or "name").errors.append(error.message)


def show_context(campaign: Campaign, user: User) -> dict:
    """What the campaign page shows `user`: drafts in focus only to coordinators, links to
    the organisation pages they may open, and the dashboard filtered to the campaign (an
    agent's dashboard is their own figures)."""
    coordinator = user.role is Role.COORDINATOR
    if coordinator:
        linked = None  # every organisation page
    elif user.role is Role.MEMBER:
        linked = organisation_ids(user)
    else:
        linked = set()
    # The dashboard lives in another blueprint; its address is a stable contract.
    progress_url = request.script_root + "/dashboard/?" + urlencode({"campaign": campaign.slug})
    progress = None
    if coordinator or user.role is Role.MEMBER:
        # A member sees what their own organisation contributed.
        mine = organisation_ids(user)
        own = [] if coordinator else sorted(
            o.id for o in campaign.organisations if o.id in mine
        )
        view = StatsFilter(
            start=campaign.starts_on,
            end=campaign.ends_on,
            organisation_id=own[0] if own else None,
        )
        progress = [
            SimpleNamespace(label=label(key), value=value, target=target)
            for key, value, target in campaign_progress(campaign, view).items()
        ]
    return {
        "progress": progress,
        "campaign": campaign,
        "status": status_of(campaign, city_today()),
        "rumours": sorted(
            (r for r in campaign.rumours if coordinator or r.status is RumourStatus.PUBLISHED),
            key=lambda r: (r.status is not RumourStatus.PUBLISHED, r.claim),
        ),
        "organisations": sorted(campaign.organisations, key=lambda o: o.name),
        "linked_organisations": linked,
        "progress_url": progress_url,
    }


@bp.get("/")
@login_required
def index():
    """Logged-in users: the campaigns they may see, running ones first."""
    rows = campaign_rows(current_user, city_today())
    return render_template(
        "campaigns/index.html",
        groups=[
            (_("Running now"), [r for r in rows if r.status == CURRENT]),
            (_("Upcoming"), [r for r in rows if r.status == UPCOMING]),
            (_("Ended"), [r for r in rows if r.status == ENDED]),
        ],
        empty=not rows,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new():
    """Coordinators: start a campaign."""
    form = campaign_form()
    if form.validate_on_submit():
        try:
            campaign = create_campaign(actor=current_user, **campaign_fields(form))
        except CampaignError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Campaign created."), "success")
            return redirect(url_for(".show", slug=campaign.slug))
    return render_template("campaigns/form.html", form=form, campaign=None), (
        400 if form.is_submitted() else 200
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit(slug: str):
    """Coordinators: change a campaign (its address stays the same)."""
    campaign = campaign_or_404(slug)
    form = campaign_form(campaign)
    if form.validate_on_submit():
        try:
            update_campaign(campaign, actor=current_user, **campaign_fields(form))
        except CampaignError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for(".show", slug=campaign.slug))
    return render_template("campaigns/form.html", form=form, campaign=campaign), (
        400 if form.is_submitted() else 200
    )


@bp.get("/<slug>")
@login_required
def show(slug: str):
    """Coordinators, agents and members of a taking-part organisation: one campaign."""
    campaign = campaign_or_404(slug)
    return render_template("campaigns/show.html", **show_context(campaign, current_user))
