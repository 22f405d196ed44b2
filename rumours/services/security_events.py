"""The security log (ASVS V16): one row per security-relevant event, with the time, the
account, the client's address and user agent. Never a password tried. Callers commit."""

from flask import has_request_context, request

from ..extensions import db
from ..models import SecurityEvent

# Every kind the app records, in the order the audit page's filter offers them.
KINDS = (
    "login.succeeded",
    "login.failed",
    "login.throttled",
    "two_factor.failed",
    "two_factor.enabled",
    "two_factor.disabled",
    "two_factor.reset",
    "recovery_code.used",
    "password.changed",
    "session.logout",
    "session.expired",
    "access.denied",
    "host.refused",
    "export",
    "account.deactivated",
    "account.reactivated",
    "account.role_changed",
)
USER_AGENT_LENGTH = 300


def record_event(
    kind: str,
    *,
    user=None,
    email: str | None = None,
    details: dict | None = None,
    address: str | None = None,
    user_agent: str | None = None,
) -> SecurityEvent:
    """Append a security event; the client's address and user agent come from the current
    request unless given. Any caller; the caller commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    if has_request_context():
        address = address or request.remote_addr
        user_agent = user_agent or request.headers.get("User-Agent", "")
    event = SecurityEvent(
        kind=kind,
        user_id=getattr(user, "id", None),
        email=(email or getattr(user, "email", None) or None),
        address=(address or None) and address[:45],
        user_agent=(user_agent or None) and user_agent[:USER_AGENT_LENGTH],
        details=details or {},
    )
    db.session.add(event)
    return event
