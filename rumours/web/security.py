"""Response headers and the user loader (Flask-Login's alternative-token pattern)."""

from functools import cache

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db, first_read, login_manager
from ..models import User

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


# Requests the phone's service worker makes in the background (caching pages for offline
# use) say so in this header. They may carry a cookie that is already stale (sent while
# the person was logging in), so their answer never writes the session: otherwise an
# anonymous answer arriving after the login would replace the new session and log out.
BACKGROUND_HEADER = "X-Rumours-Background"


class SessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app, session) -> bool:
        if request.headers.get(BACKGROUND_HEADER):
            return False
        return super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    """Register the security headers and configure Flask-Login."""
    app.session_interface = SessionInterface()
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


@cache
def _user_by_token():
    # Built once per process (every request runs it); the agent profile comes in the same
    # statement, since most requests ask for it.
    return (
        select(User)
        .where(User.session_token == bindparam("session_token"))
        .options(joinedload(User.agent_profile))
    )


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the user whose current session token is in the cookie (alternative-token pattern)."""
    user = first_read(lambda: db.session.execute(
        _user_by_token(), {"session_token": session_token}
    ).scalar_one_or_none())
    if user is None or not user.active:
        return None
    return user
