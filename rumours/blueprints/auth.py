"""Logging in (password, then the second factor when the account has one) and out,
changing one's password, and the session's lifetime (idle and absolute timeouts)."""

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms import ChangePasswordForm, LoginForm, LogoutForm
from ..models import Role, User
from ..reports.health import has_coordinator
from ..rules.accounts import end_all_sessions
from ..rules.city import city
from ..rules.errors import DomainError
from ..services import record_audit
from ..services.auth import (
    LoginFailed,
    authenticate,
    complete_login,
    is_current_password,
    set_password,
)
from ..services.devices import trust_device
from ..services.security_events import record_event
from ..web.binding import form_status, refused
from ..web.devices import device_nonce, nonce_for_this_browser, set_device_cookie

bp = Blueprint("auth", __name__, url_prefix="/auth")

PENDING = "two_factor_pending"
PENDING_SECONDS = 5 * 60
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"
# Pages a coordinator who must still set up a second factor may reach.
OPEN_WHILE_ENROLLING = {
    "static",
    "auth.logout",
    "two_factor.index",
    "two_factor.enrol",
    "shell.service_worker",
    "shell.manifest",
    "shell.offline",
}


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


def finish_login(user: User, next_url: str | None):
    """Password (and code) right: record it, trust this browser, start the session."""
    nonce = nonce_for_this_browser()
    complete_login(user)
    trust_device(user, nonce)
    db.session.commit()
    session.pop(PENDING, None)
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    return set_device_cookie(redirect(safe_next(next_url) or url_for("main.home")), nonce)


def pending_user() -> User | None:
    """The account whose password was right and whose code is still to come."""
    pending = session.get(PENDING) or {}
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return db.session.execute(
        db.select(User).where(User.session_token == pending.get("token", ""), User.active)
    ).scalar_one_or_none()


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Anyone: log in with e-mail and password; the same message for every kind of failure.
    An account with a second factor goes on to the code page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        with refused(form) as refusal:
            try:
                user = authenticate(
                    form.email.data,
                    form.password.data,
                    address=request.remote_addr,
                    device_nonce=device_nonce(),
                )
            finally:
                # Commit before refusing: a failed or throttled attempt is counted and logged.
                db.session.commit()
            if user is None:
                raise LoginFailed()
            if user.has_two_factor:
                session[PENDING] = {"token": user.session_token, "at": time.time()}
                return redirect(url_for("two_factor.verify", next=request.args.get("next")))
            return finish_login(user, request.args.get("next"))
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
        record_event("session.logout", user=current_user)
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


def _expired(user: User, now: float) -> str | None:
    started = session.setdefault(SIGNED_IN_AT, now)
    if now - started > current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return "absolute"
    seen = session.get(SEEN_AT, now)
    if now - seen > city().idle_minutes(user.role) * 60:
        return "idle"
    return None


@bp.before_app_request
def enforce_session_rules():
    """Every request of a logged-in user: end the session after the idle or absolute
    timeout (the phone's outbox keeps its records: the API answers 401 and they wait for
    the next login), and keep a coordinator who must use a second factor on its set-up."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    user, now = current_user._get_current_object(), time.time()
    reason = _expired(user, now)
    if reason is not None:
        record_event("session.expired", user=user, details={"reason": reason})
        db.session.commit()
        logout_user()
        for key in (SIGNED_IN_AT, SEEN_AT):
            session.pop(key, None)
        if not request.path.startswith("/api/"):
            flash(_("Your session ended. Please log in again."), "info")
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None  # login_required and the API's own check answer from here
    if now - session.get(SEEN_AT, 0) > 30:
        session[SEEN_AT] = now
    if (
        user.role is Role.COORDINATOR
        and not user.has_two_factor
        and city().require_two_factor_for_coordinators
        and request.endpoint not in OPEN_WHILE_ENROLLING
    ):
        if request.path.startswith("/api/"):
            return {"error": _("Set up a second factor first.")}, 403
        flash(_("Coordinators must use a second factor. Set it up to go on."), "info")
        return redirect(url_for("two_factor.index"))
    return None


@bp.after_app_request
def log_security_responses(response):
    """A 403 answered to anyone, and every file downloaded (exports, personal data,
    calendars), are security events (ASVS V16)."""
    if response.status_code == 403:
        kind = "access.denied"
    elif response.status_code == 200 and response.headers.get("Content-Disposition", "").startswith(
        "attachment"
    ):
        kind = "export"
    else:
        return response
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if kind == "access.denied":
        db.session.rollback()
    record_event(kind, user=user, details={"path": request.path[:200]})
    db.session.commit()
    return response
