"""Logging in and out, and changing one's password."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms import ChangePasswordForm, LoginForm, LogoutForm
from ..reports.health import has_coordinator
from ..rules.accounts import end_all_sessions
from ..rules.errors import DomainError
from ..services import record_audit
from ..services.auth import LoginFailed, authenticate, is_current_password, set_password
from ..web.binding import form_status, refused

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target: str | None) -> str | None:
    """Accept only a local path (no scheme, no host, no protocol-relative '//' trick)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Anyone: log in with e-mail and password; the same message for every kind of failure."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        with refused(form) as refusal:
            user = authenticate(form.email.data, form.password.data)
            # Commit before refusing: a failed attempt counts towards the limit.
            db.session.commit()
            if user is None:
                raise LoginFailed()
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        return render_template("auth/login.html", form=form), refusal.status
    first_run = not has_coordinator()
    return render_template("auth/login.html", form=form, first_run=first_run), form_status(form)


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    """Logged-in users: end this user's sessions everywhere (the token rotates on the server)."""
    form = LogoutForm()
    if form.validate_on_submit():
        end_all_sessions(current_user)
        record_audit("logout", "user", current_user.id, actor=current_user)
        db.session.commit()
        logout_user()
        flash(_("You have logged out."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Logged-in users: change their password; every other session of theirs ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with refused(form) as refusal:
            if not is_current_password(user, form.current_password.data):
                db.session.commit()  # the failed attempt counts towards the limit
                raise DomainError(_("That is not your current password."), "current_password")
            set_password(user, form.new_password.data)
            db.session.commit()
            # This device carries on with the new token; every other one is logged out.
            login_user(user)
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("main.home"))
        return render_template("auth/password.html", form=form), refusal.status
    return render_template("auth/password.html", form=form), form_status(form)
