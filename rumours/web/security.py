"""Response headers and the user loader (Flask-Login's alternative-token pattern)."""

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from ..models import User

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
