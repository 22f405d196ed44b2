"""The per-account login limit, kept in the database so every app server shares it.
Callers own the transaction."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LoginThrottle
from ..rules.accounts import normalise_email


@dataclass(frozen=True)
class ThrottleState:
    blocked: bool
    retry_after_seconds: int = 0


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
