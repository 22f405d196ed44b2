"""Accounts, for coordinators: deactivate or reactivate one, reset its second factor;
each with a reason kept in the security log."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.security import ReasonForm
from ..models import Role, User
from ..permissions import role_required
from ..reports.security import LogFilters, accounts_page, security_events_page
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


def account_page(account: User, form: ReasonForm | None = None, status: int = 200):
    events = security_events_page(LogFilters(account=account.email), 1, per_page=10)
    return render_template(
        "accounts/show.html", account=account, form=form or ReasonForm(), events=events.items
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
