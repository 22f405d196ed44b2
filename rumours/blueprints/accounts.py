"""Accounts, for coordinators: deactivate or reactivate one, reset its second factor;
each with a reason kept in the security log."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.security import ReasonForm, RoleForm
from ..models import Role, User
from ..permissions import role_required
from ..reports.security import LogFilters, accounts_page, security_events_page
from ..rules.labels import label
from ..services import accounts as services
from ..services import two_factor
from ..web.binding import refused

bp = Blueprint("accounts", __name__, url_prefix="/accounts")


@bp.get("/")
@role_required(Role.COORDINATOR)
def index():
    """Coordinators: every account, its role, whether it is active and has a second factor."""
    page = accounts_page(request.args.get("page", 1, type=int))
    return render_template("accounts/index.html", page=page)


def role_form(account: User, form: RoleForm | None = None) -> RoleForm:
    form = form or RoleForm(prefix="change", role=account.role.value)
    form.role.choices = [(role.value, label(role)) for role in Role]
    return form


def account_page(
    account: User,
    form: ReasonForm | None = None,
    status: int = 200,
    roles: RoleForm | None = None,
):
    events = security_events_page(LogFilters(account=account.email), 1, per_page=10)
    return render_template(
        "accounts/show.html",
        account=account,
        form=form or ReasonForm(),
        role_form=role_form(account, roles),
        events=events.items,
    ), status


@bp.get("/<int:user_id>")
@role_required(Role.COORDINATOR)
def show(user_id: int):
    """Coordinators: one account, its recent security events and the changes they may make."""
    return account_page(db.get_or_404(User, user_id))


@bp.post("/<int:user_id>/<any(deactivate, reactivate, 'reset-two-factor'):action>")
@role_required(Role.COORDINATOR)
def change(user_id: int, action: str):
    """Coordinators: deactivate (its sessions end now), reactivate, or reset the second
    factor of an account, with a reason."""
    account = db.get_or_404(User, user_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return account_page(account, form, 422)
    actor = current_user._get_current_object()
    with refused(form, default="reason") as refusal:
        if action == "reset-two-factor":
            two_factor.reset(account, actor=actor, reason=form.reason.data)
            message = _("The second factor of %(name)s is reset.", name=account.name)
        else:
            active = action == "reactivate"
            services.set_active(account, active, actor=actor, reason=form.reason.data)
            message = (
                _("%(name)s can sign in again.", name=account.name)
                if active
                else _("%(name)s is deactivated; their sessions have ended.", name=account.name)
            )
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("accounts.show", user_id=account.id))
    return account_page(account, form, refusal.status)


@bp.post("/<int:user_id>/role")
@role_required(Role.COORDINATOR)
def change_role(user_id: int):
    """Coordinators: another account's new role, with a reason; its sessions end."""
    account = db.get_or_404(User, user_id)
    form = role_form(account, RoleForm(prefix="change"))
    if not form.validate_on_submit():
        return account_page(account, status=422, roles=form)
    with refused(form, default="reason") as refusal:
        services.change_role(
            account, form.role.data, actor=current_user._get_current_object(),
            reason=form.reason.data,
        )
        db.session.commit()
        flash(_("%(name)s is now %(role)s; their sessions have ended.", name=account.name,
                role=label(account.role)), "success")
        return redirect(url_for("accounts.show", user_id=account.id))
    return account_page(account, status=refusal.status, roles=form)
