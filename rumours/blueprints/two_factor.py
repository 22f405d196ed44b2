"""The second factor at /auth/two-factor: set it up (a QR code and the secret, confirmed
with a code; ten recovery codes shown once), turn it off, and the code asked for after
the password when signing in."""

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..extensions import db
from ..forms.security import CodeForm, DisableTwoFactorForm, EnrolForm
from ..models import Role
from ..rules.accounts import normalise_email
from ..rules.city import city
from ..rules.errors import DomainError
from ..services import two_factor
from ..services.auth import count_failure, count_success, guard, is_current_password
from ..services.devices import trusted_device
from ..web.binding import form_status, refused
from ..web.devices import device_nonce
from .auth import PENDING, finish_login, pending_user

bp = Blueprint("two_factor", __name__, url_prefix="/auth/two-factor")

ENROLLING = "two_factor_secret"


def enrolment_page(form: EnrolForm, status: int = 200):
    secret = session.get(ENROLLING)
    if secret is None:
        secret = session[ENROLLING] = two_factor.new_secret()
    uri = two_factor.provisioning_uri(secret, current_user.email, city().network_name)
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#1c2427"))  # noqa: S704
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template("auth/two_factor.html", form=form, qr=qr, secret=grouped), status


@bp.get("/")
@login_required
def index():
    """Logged-in users: set up a second factor, or see it and turn it off."""
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return enrolment_page(EnrolForm())
    required = user.role is Role.COORDINATOR and city().require_two_factor_for_coordinators
    return render_template(
        "auth/two_factor_on.html",
        form=DisableTwoFactorForm(),
        left=two_factor.recovery_codes_left(user),
        required=required,
    )


@bp.post("/")
@login_required
def enrol():
    """Logged-in users: confirm the new secret with a code; the recovery codes, once."""
    form, user = EnrolForm(), current_user._get_current_object()
    if user.has_two_factor or ENROLLING not in session:
        return redirect(url_for("two_factor.index"))
    if not form.validate_on_submit():
        return enrolment_page(form, form_status(form))
    with refused(form, default="code") as refusal:
        try:
            guard(user.email, address=request.remote_addr, device=None)
            codes = two_factor.enrol(user, session[ENROLLING], form.code.data)
        except DomainError as error:
            if error.status != 429:
                db.session.rollback()
                count_failure(
                    user.email,
                    address=request.remote_addr,
                    device=None,
                    kind="two_factor.failed",
                    user=user,
                )
            db.session.commit()
            raise
        db.session.commit()
        session.pop(ENROLLING, None)
        return render_template("auth/recovery_codes.html", codes=codes)
    return enrolment_page(form, refusal.status)


@bp.post("/off")
@login_required
def disable():
    """Logged-in users (not coordinators while the city requires it): turn it off, after
    confirming their password."""
    form, user = DisableTwoFactorForm(), current_user._get_current_object()
    if user.role is Role.COORDINATOR and city().require_two_factor_for_coordinators:
        flash(_("Coordinators must keep a second factor."), "error")
        return redirect(url_for("two_factor.index"))
    if form.validate_on_submit():
        with refused(form) as refusal:
            if not is_current_password(user, form.current_password.data):
                db.session.commit()
                raise DomainError(_("That is not your current password."), "current_password")
            two_factor.disable(user)
            db.session.commit()
            flash(_("The second factor is off."), "success")
            return redirect(url_for("two_factor.index"))
        status = refusal.status
    else:
        status = form_status(form)
    left = two_factor.recovery_codes_left(user)
    return render_template("auth/two_factor_on.html", form=form, left=left, required=False), status


@bp.route("/code", methods=["GET", "POST"])
def verify():
    """Anyone whose password was just right: the code from their app (or a recovery code)."""
    user = pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        email, address = normalise_email(user.email), request.remote_addr
        device = trusted_device(user, device_nonce())
        with refused(form, default="code") as refusal:
            try:
                guard(email, address=address, device=device)
                used = two_factor.verify(user, form.code.data)
                if used is None:
                    count_failure(
                        email, address=address, device=device, kind="two_factor.failed", user=user
                    )
                else:
                    count_success(email, address=address, device=device)
            finally:
                db.session.commit()
            if used is None:
                raise DomainError(_("That code is not right, or it was already used."), "code")
            if used == "recovery":
                flash(_("You used a recovery code. Each one works once."), "info")
            return finish_login(user, request.args.get("next"))
        return render_template("auth/two_factor_code.html", form=form), refusal.status
    return render_template("auth/two_factor_code.html", form=form), form_status(form)
