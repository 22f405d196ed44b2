"""Agent sign-up at /auth/register, openly or through a coordinator's invitation link."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..extensions import db
from ..forms.agents import RegistrationForm
from ..forms.fields import options
from ..reports.agents import filter_choices
from ..services.agents import find_invitation, register_agent
from ..web.binding import form_status, refused

bp = Blueprint("register", __name__, url_prefix="/auth")


def _form(choices) -> RegistrationForm:
    form = RegistrationForm()
    form.district.choices = options(
        [("", _("Choose your district"))] + [(str(i), name) for i, name in choices["districts"]]
    )
    form.organisations.choices = options(choices["organisations"])
    return form


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Anyone not logged in: sign up as an agent (an applicant until approved)."""
    return _register(None)


@bp.route("/register/<token>", methods=["GET", "POST"])
def register_invited(token: str):
    """Anyone holding a valid invitation link: sign up, approved at once, for the invited e-mail."""
    invitation = find_invitation(token)
    if invitation is None:
        abort(404)
    return _register(invitation)


def _register(invitation):
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    choices = filter_choices(active_only=True)
    form = _form(choices)
    if invitation is not None and not form.is_submitted():
        form.email.data = invitation.email
    if form.validate_on_submit():
        with refused(form, default="email"):
            user = register_agent(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                languages=form.languages.data,
                district_id=int(form.district.data),
                organisation_ids=form.organisations.data or [],
                consent_contact=form.consent_contact.data,
                invitation=invitation,
            )
            db.session.commit()
            login_user(user)
            flash(_welcome(user, invitation), "success")
            return redirect(url_for("main.home"))
    return render_template("register/register.html", form=form, invitation=invitation), (
        form_status(form)
    )


def _welcome(user, invitation) -> str:
    if invitation is not None:
        return _("Welcome, %(name)s. You can enrol in a basic training now.", name=user.name)
    return _("Thank you, %(name)s. A coordinator will review your sign-up soon.", name=user.name)
