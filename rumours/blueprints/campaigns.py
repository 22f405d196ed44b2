"""Campaigns: coordinators start and edit them; agents and coordinators see them all,
organisation members those their organisation takes part in."""

from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.campaigns import CampaignForm
from ..forms.catalogue import ConfirmForm
from ..forms.fields import options
from ..models import Campaign, Role, RumourStatus, User
from ..permissions import can_view_campaign, organisation_ids, role_required, sees_all_campaigns
from ..reports.campaigns import (
    CURRENT,
    ENDED,
    UPCOMING,
    campaign_rows,
    form_organisations,
    form_rumours,
    status_of,
)
from ..reports.dashboard import campaign_progress
from ..reports.filters import StatsFilter
from ..rules.labels import label
from ..rules.localtime import city_today
from ..services.campaigns import (
    TARGETS,
    conversations_in,
    create_campaign,
    delete_campaign,
    end_campaign,
    update_campaign,
)
from ..web.binding import form_status, refused

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


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
    form.rumours.choices = options(
        (
            r.id,
            r.claim
            if r.status is RumourStatus.PUBLISHED
            else _("%(claim)s (not published)", claim=r.claim),
        )
        for r in form_rumours(chosen_rumours)
    )
    form.organisations.choices = options(
        (o.id, o.name if o.active else _("%(name)s (inactive)", name=o.name))
        for o in form_organisations(chosen_organisations)
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
        own = [] if coordinator else sorted(o.id for o in campaign.organisations if o.id in mine)
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
        "conversations": conversations_in(campaign) if coordinator else None,
        "today": city_today(),
        "confirm_form": ConfirmForm(),
    }


@bp.get("/")
@login_required
def index():
    """Logged-in users: the campaigns they may see, running ones first."""
    rows = campaign_rows(
        city_today(),
        within=None if sees_all_campaigns(current_user) else organisation_ids(current_user),
        drafts=current_user.role is Role.COORDINATOR,
    )
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
        with refused(form, default="name"):
            campaign = create_campaign(actor=current_user, **campaign_fields(form))
            db.session.commit()
            flash(_("Campaign created."), "success")
            return redirect(url_for(".show", slug=campaign.slug))
    return render_template("campaigns/form.html", form=form, campaign=None), form_status(form)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit(slug: str):
    """Coordinators: change a campaign (its address stays the same)."""
    campaign = campaign_or_404(slug)
    form = campaign_form(campaign)
    if form.validate_on_submit():
        with refused(form, default="name"):
            update_campaign(campaign, actor=current_user, **campaign_fields(form))
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for(".show", slug=campaign.slug))
    return render_template("campaigns/form.html", form=form, campaign=campaign), form_status(form)


@bp.get("/<slug>")
@login_required
def show(slug: str):
    """Coordinators, agents and members of a taking-part organisation: one campaign."""
    campaign = campaign_or_404(slug)
    return render_template("campaigns/show.html", **show_context(campaign, current_user))


@bp.post("/<slug>/end")
@role_required(Role.COORDINATOR)
def end(slug: str):
    """Coordinators: end a running campaign today."""
    campaign = campaign_or_404(slug)
    if ConfirmForm().validate_on_submit():
        with refused() as refusal:
            end_campaign(campaign, actor=current_user, today=city_today())
            db.session.commit()
        if refusal.error is None:
            flash(_("Today is now the campaign's last day."), "success")
    return redirect(url_for(".show", slug=campaign.slug))


@bp.post("/<slug>/delete")
@role_required(Role.COORDINATOR)
def delete(slug: str):
    """Coordinators: delete a campaign with no conversations (one made by mistake)."""
    campaign = campaign_or_404(slug)
    if ConfirmForm().validate_on_submit():
        with refused() as refusal:
            name = campaign.name
            delete_campaign(campaign, actor=current_user)
            db.session.commit()
        if refusal.error is None:
            flash(_("Campaign “%(name)s” deleted.", name=name), "success")
            return redirect(url_for(".index"))
    return redirect(url_for(".show", slug=campaign.slug))
