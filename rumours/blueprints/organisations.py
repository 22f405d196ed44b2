"""Organisations: coordinators create and edit them and their members; members see their
own organisation and nothing of the others."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.fields import options
from ..forms.organisations import TYPE_LABELS, MemberForm, OrganisationForm, RemoveMemberForm
from ..models import Organisation, OrganisationType, Role
from ..permissions import can_view_organisation, organisation_ids, role_required
from ..reports.agents import organisation_people, organisation_rows
from ..reports.geography import active_districts
from ..rules.errors import DomainError
from ..services.organisations import (
    OrganisationData,
    add_member,
    create_organisation,
    remove_member,
    update_organisation,
)
from ..web.binding import form_status, refused

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


def organisation_or_404(organisation_id: int) -> Organisation:
    """The organisation, or 404; 403 when the current user may not see it."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if not can_view_organisation(current_user, organisation):
        abort(403)
    return organisation


def organisation_form(obj: Organisation | None = None) -> OrganisationForm:
    form = OrganisationForm(obj=obj)
    if obj is not None and not form.is_submitted():
        form.type.data = obj.type.value
        form.district.data = str(obj.district_id or "")
    districts = active_districts(keep=obj.district_id if obj is not None else None)
    form.district.choices = options(
        [("", _("No district"))] + [(str(d.id), d.name) for d in districts]
    )
    return form


def organisation_data(form: OrganisationForm) -> OrganisationData:
    return OrganisationData(
        name=form.name.data.strip(),
        type=OrganisationType(form.type.data),
        district_id=int(form.district.data) if form.district.data else None,
        contact_name=(form.contact_name.data or "").strip() or None,
        contact_email=(form.contact_email.data or "").strip().lower() or None,
        joined_on=form.joined_on.data,
        active=bool(form.active.data),
    )


@bp.get("/")
@role_required(Role.COORDINATOR, Role.MEMBER)
def index():
    """Coordinators: every organisation; members: their own."""
    within = None if current_user.role is Role.COORDINATOR else organisation_ids(current_user)
    return render_template(
        "organisations/index.html", rows=organisation_rows(within), types=TYPE_LABELS
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new():
    """Coordinators: add an organisation."""
    form = organisation_form()
    if form.validate_on_submit():
        organisation = create_organisation(organisation_data(form), actor=current_user)
        db.session.commit()
        flash(_("Organisation added."), "success")
        return redirect(url_for(".show", organisation_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=None), (
        form_status(form)
    )


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit(organisation_id: int):
    """Coordinators: change an organisation's details."""
    organisation = organisation_or_404(organisation_id)
    form = organisation_form(organisation)
    if form.validate_on_submit():
        update_organisation(organisation, organisation_data(form), actor=current_user)
        db.session.commit()
        flash(_("Organisation saved."), "success")
        return redirect(url_for(".show", organisation_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=organisation), (
        form_status(form)
    )


@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.MEMBER)
def show(organisation_id: int):
    """Coordinators and the organisation's own people: its details and people; coordinators
    add members here."""
    organisation = organisation_or_404(organisation_id)
    form = MemberForm()
    if form.is_submitted() and current_user.role is not Role.COORDINATOR:
        abort(403)
    if form.validate_on_submit():
        with refused(form, default="email"):
            add_member(organisation, form.email.data, actor=current_user)
            db.session.commit()
            flash(_("Added to the organisation."), "success")
            return redirect(url_for(".show", organisation_id=organisation.id))
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        people=organisation_people(organisation),
        form=form,
        remove_form=RemoveMemberForm(),
        types=TYPE_LABELS,
    ), form_status(form)


@bp.post("/<int:organisation_id>/members/<int:user_id>/remove")
@role_required(Role.COORDINATOR)
def remove(organisation_id: int, user_id: int):
    """Coordinators: remove a person from the organisation."""
    organisation = organisation_or_404(organisation_id)
    if not RemoveMemberForm().validate_on_submit():
        abort(400)
    try:
        remove_member(organisation, user_id, actor=current_user)
    except DomainError:
        abort(404)
    db.session.commit()
    flash(_("Removed from the organisation."), "success")
    return redirect(url_for(".show", organisation_id=organisation.id))
