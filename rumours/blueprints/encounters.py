"""Encounters in HTML: the phone form, the agent's own list (correct or delete within
24 hours) and the coordinators' review with data-quality flags (the offline files are
in blueprints.shell)."""

import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..extensions import db
from ..forms.encounters import EncounterForm, ReviewActionForm
from ..models import Encounter, Role
from ..permissions import role_required
from ..reports.encounters import (
    ReviewFilters,
    all_campaigns,
    flag_rules,
    form_choices,
    own_encounters_page,
    review_choices,
    review_page,
)
from ..rules.city import city
from ..rules.encounters import EDIT_WINDOW, can_change_encounter, is_certified_agent
from ..rules.inputs import date_problem
from ..services import review as review_service
from ..services.encounters import delete_encounter, log_encounter, update_encounter
from ..web.binding import form_status, refused

bp = Blueprint("encounters", __name__)


def _local_now() -> datetime:
    zone = city().zone
    return datetime.now(UTC).astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)


def _render_form(form, choices, template: str, **context):
    # What no field shows (a replay with other content) goes to the page's messages.
    if form.form_errors:
        flash(" ".join(form.form_errors), "error")
    return render_template(
        template,
        form=form,
        choices=choices,
        district_slugs={d.id: d.slug for d in choices.districts},
        **context,
    ), form_status(form)


@bp.route("/encounters/new", methods=["GET", "POST"])
@role_required(Role.AGENT)
def new():
    """Certified agents: the phone form; saves through log_encounter, then offers the next."""
    if not is_certified_agent(current_user):
        abort(403)
    choices = form_choices(current_user)
    form = EncounterForm()
    form.set_choices(choices)
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
        form.occurred_at.data = _local_now()
        form.district.data = choices.default_district
        form.campaign.data = choices.default_campaign or ""
        form.people_reached.data = 1
    elif form.validate_on_submit():
        with refused(form):
            encounter, _created = log_encounter(
                actor=current_user,
                client_uuid=uuid.UUID(form.client_uuid.data),
                data=form.data_for_service(),
            )
            db.session.commit()
            flash(_("Saved. Thank you! Ready for the next one."), "success")
            return redirect(url_for(".new", saved=encounter.id))
    return _render_form(form, choices, "encounters/new.html")


@bp.get("/encounters/")
@role_required(Role.AGENT)
def index():
    """Agents: their own encounters, newest first; correct or delete within 24 hours."""
    page = max(request.args.get("page", 1, type=int), 1)
    encounters, has_next = own_encounters_page(current_user, page=page)
    now = datetime.now(UTC)
    return render_template(
        "encounters/index.html",
        encounters=encounters,
        changeable={e.id for e in encounters if can_change_encounter(current_user, e, now)},
        page=page,
        has_next=has_next,
        delete_form=FlaskForm(),
        can_log=is_certified_agent(current_user),
    )


def _own_changeable_or_abort(encounter_id: int) -> Encounter:
    encounter = db.get_or_404(Encounter, encounter_id)
    if encounter.agent_id != current_user.id:
        abort(403)
    if not can_change_encounter(current_user, encounter):
        abort(403, _("Conversations can be corrected or deleted only within 24 hours."))
    return encounter


@bp.route("/encounters/<int:encounter_id>/edit", methods=["GET", "POST"])
@role_required(Role.AGENT)
def edit(encounter_id: int):
    """Agents: correct their own encounter within 24 hours of logging it."""
    encounter = _own_changeable_or_abort(encounter_id)
    choices = form_choices(current_user)
    form = EncounterForm()
    form.set_choices(choices)
    if request.method == "GET":
        zone = city().zone
        form.client_uuid.data = str(encounter.client_uuid)
        form.occurred_at.data = encounter.occurred_at.astimezone(zone).replace(tzinfo=None)
        form.district.data = encounter.district.slug
        form.neighbourhood.data = encounter.neighbourhood.slug if encounter.neighbourhood else ""
        form.setting.data = encounter.setting.value
        form.outcome.data = encounter.outcome.value
        form.rumours.data = [link.rumour.slug for link in encounter.rumour_links]
        form.people_reached.data = encounter.people_reached
        form.notes.data = encounter.notes or ""
        report = encounter.unlisted_report
        form.unlisted_rumour.data = report.claim if report else ""
        form.campaign.data = encounter.campaign.slug if encounter.campaign else ""
    elif form.validate_on_submit():
        with refused(form):
            update_encounter(encounter, actor=current_user, data=form.data_for_service())
            db.session.commit()
            flash(_("Your correction is saved."), "success")
            return redirect(url_for(".index"))
    return _render_form(
        form,
        choices,
        "encounters/edit.html",
        encounter=encounter,
        editable_until=encounter.created_at + EDIT_WINDOW,
    )


@bp.post("/encounters/<int:encounter_id>/delete")
@role_required(Role.AGENT)
def delete(encounter_id: int):
    """Agents: delete their own encounter within 24 hours of logging it."""
    encounter = _own_changeable_or_abort(encounter_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    delete_encounter(encounter, actor=current_user)
    db.session.commit()
    flash(_("The conversation is deleted."), "success")
    return redirect(url_for(".index"))


def _review_filters(errors: dict | None = None) -> ReviewFilters:
    """The list's filters from the query string; a date that cannot be used is left out
    and its message put in `errors`, to show next to the field."""
    args = request.args
    errors = {} if errors is None else errors

    def day(name: str):
        text = args.get(name, "")
        if not text:
            return None
        try:
            parsed = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            errors[name] = _("Give a date as YYYY-MM-DD.")
            return None
        problem = date_problem(parsed)
        if problem:
            errors[name] = problem
            return None
        return parsed

    return ReviewFilters(
        campaign=args.get("campaign") or None,
        district=args.get("district") or None,
        setting=args.get("setting") or None,
        outcome=args.get("outcome") or None,
        rumour=args.get("rumour") or None,
        agent=args.get("agent") or None,
        start=day("start"),
        end=day("end"),
        flagged=args.get("flagged") == "1",
    )


@bp.get("/encounters/review")
@role_required(Role.COORDINATOR)
def review():
    """Coordinators: every encounter, filtered, with flags on implausible patterns."""
    errors: dict[str, str] = {}
    filters = _review_filters(errors)
    page = max(request.args.get("page", 1, type=int), 1)
    result = review_page(filters, page=page)
    choices = review_choices()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "encounters/review.html",
        result=result,
        filters=filters,
        choices=choices,
        campaigns=all_campaigns(),
        args=args,
        errors=errors,
        query=request.query_string.decode("utf-8", "replace"),
        flag_rules=flag_rules(),
    ), (400 if errors else 200)


@bp.post("/encounters/<int:encounter_id>/review")
@role_required(Role.COORDINATOR)
def review_action(encounter_id: int):
    """Coordinators: mark a flagged entry as checked, exclude it from the statistics with a
    reason, or reinstate it; back to the same filtered list."""
    encounter = db.get_or_404(Encounter, encounter_id)
    form = ReviewActionForm()
    action = review_service.ACTIONS.get(form.action.data or "")
    if not form.validate_on_submit() or action is None:
        abort(400)
    with refused() as refusal:
        if action is review_service.exclude:
            action(encounter, actor=current_user, reason=form.reason.data or "")
        else:
            action(encounter, actor=current_user)
        db.session.commit()
    if refusal.error is None:
        flash(REVIEW_DONE[form.action.data](), "success")
    # Only the list's own filters come back: a query string cannot lead off the site.
    query = urlencode(parse_qsl(form.next.data or "")[:20])
    return redirect(url_for(".review") + (f"?{query}" if query else "") + f"#e{encounter.id}")


REVIEW_DONE = {
    "checked": lambda: _("Marked as checked: its flags no longer count."),
    "exclude": lambda: _("Excluded from the statistics; the audit log keeps the reason."),
    "reinstate": lambda: _("Reinstated: it counts in the statistics again."),
}
