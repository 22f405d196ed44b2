"""Response headers, the user loader and the per-account login limit."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from .extensions import db, login_manager
from .models import LoginThrottle, User

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def init_app(app: Flask) -> None:
    """Register the security headers and configure Flask-Login."""
    app.after_request(set_security_headers)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


def set_security_headers(response):
    """Every response carries the CSP, nosniff, a referrer policy and framing denial."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the user whose current session token is in the cookie (alternative-token pattern)."""
    user = db.session.execute(
        db.select(User).where(User.session_token == session_token)
    ).scalar_one_or_none()
    if user is None or not user.active:
        return None
    return user


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def end_all_sessions(user: User) -> None:
    """Rotate the user's session token: every cookie issued before stops working."""
    user.session_token = new_session_token()


# ---------------------------------------------------------------------------
# Per-account login limit, kept in the database so every app server shares it
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottleState:
    blocked: bool
    retry_after_seconds: int = 0


def normalise_email(email: str) -> str:
    return email.strip().lower()


def login_blocked(email: str, now: datetime | None = None) -> ThrottleState:
    """Whether this account must wait before another login attempt."""
    now = now or datetime.now(UTC)
    row = db.session.get(LoginThrottle, normalise_email(email))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return ThrottleState(blocked=False)
    wait = int((row.blocked_until - now).total_seconds()) + 1
    return ThrottleState(blocked=True, retry_after_seconds=wait)


def record_failed_login(email: str, now: datetime | None = None) -> None:
    """Count a failure: a growing delay after a few, a hard stop at the hourly cap."""
    now = now or datetime.now(UTC)
    key = normalise_email(email)
    config = current_app.config
    row = db.session.get(LoginThrottle, key)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(LoginThrottle(email=key, window_started_at=now))
        except IntegrityError:
            pass  # another server created it first; update below
    # Increment in SQL so concurrent failures on several servers all count.
    window_start = now - timedelta(hours=1)
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == key, LoginThrottle.window_started_at <= window_start)
        .values(window_started_at=now, failures_in_window=0)
    )
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == key)
        .values(
            failures_in_window=LoginThrottle.failures_in_window + 1,
            consecutive_failures=LoginThrottle.consecutive_failures + 1,
        )
    )
    row = db.session.get(LoginThrottle, key)
    db.session.refresh(row)
    blocked_until = None
    excess = row.consecutive_failures - config["LOGIN_FREE_FAILURES"]
    if excess >= 0:
        delay = min(2**excess, config["LOGIN_MAX_DELAY_SECONDS"])
        blocked_until = now + timedelta(seconds=delay)
    if row.failures_in_window >= config["LOGIN_MAX_FAILURES_PER_HOUR"]:
        blocked_until = row.window_started_at + timedelta(hours=1)
    row.blocked_until = blocked_until


def record_successful_login(email: str) -> None:
    """A success clears the growing delay (the hourly count stays)."""
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == normalise_email(email))
        .values(consecutive_failures=0, blocked_until=None)
    )
