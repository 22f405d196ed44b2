"""Logging in and out."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms import ChangePasswordForm, LoginForm, LogoutForm
from ..models import User
from ..rules.accounts import end_all_sessions, normalise_email
from ..rules.passwords import (
    burn_time,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from ..services import record_audit
from ..services.auth import login_blocked, record_failed_login, record_successful_login

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
    status = 200
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        throttle = login_blocked(email)
        if throttle.blocked:
            minutes = max(1, -(-throttle.retry_after_seconds // 60))
            form.email.errors.append(
                ngettext(
                    "Too many failed attempts for this account. Try again in %(num)d minute.",
                    "Too many failed attempts for this account. Try again in %(num)d minutes.",
                    minutes,
                )
            )
            status = 429
        else:
            user = db.session.execute(
                db.select(User).where(User.email == email)
            ).scalar_one_or_none()
            if user is None:
                burn_time(form.password.data)
                ok = False
            else:
                ok = verify_password(user.password_hash, form.password.data) and user.active
            if not ok:
                record_failed_login(email)
                db.session.commit()
                form.password.errors.append(_("Wrong e-mail or password."))
                status = 401
            else:
                record_successful_login(email)
                if needs_rehash(user.password_hash):
                    user.password_hash = hash_password(form.password.data)
                user.last_login_at = datetime.now(UTC)
                record_audit("login", "user", user.id, actor=user)
                db.session.commit()
                login_user(user)
                flash(_("Welcome, %(name)s.", name=user.name), "success")
                return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


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
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if login_blocked(user.email).blocked:
            form.current_password.errors.append(
                _("Too many failed attempts for this account. Try again later.")
            )
            status = 429
        elif not verify_password(user.password_hash, form.current_password.data):
            record_failed_login(user.email)
            db.session.commit()
            form.current_password.errors.append(_("That is not your current password."))
            status = 422
        elif problem := password_problem(form.new_password.data, user.email, user.name):
            form.new_password.errors.append(problem)
            status = 422
        else:
            user.password_hash = hash_password(form.new_password.data)
            user.password_changed_at = datetime.now(UTC)
            end_all_sessions(user)
            record_audit("change password", "user", user.id, actor=user)
            db.session.commit()
            # This device carries on with the new token; every other one is logged out.
            login_user(user)
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("main.home"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/password.html", form=form), status
