"""Logging in and changing a password, under the per-account login limit (kept in the
database so every app server shares it). Callers own the transaction."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LoginThrottle, User
from ..rules.accounts import end_all_sessions, normalise_email
from ..rules.errors import DomainError
from ..rules.passwords import (
    burn_time,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from . import record_audit


class TooManyAttempts(DomainError):
    """The account must wait before another attempt (429)."""

    status = 429


class LoginFailed(DomainError):
    """Wrong e-mail or password, or an inactive account: one message for every case (401)."""

    status = 401

    def __init__(self):
        super().__init__(_("Wrong e-mail or password."), "password")


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


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """Anyone logging in: the active account with this e-mail and password, or None.

    A failure counts towards the account's limit, so the caller commits either way; while
    the account must wait, raises TooManyAttempts before looking at the password. An
    unknown e-mail costs as long as a wrong password; a hash made with weaker parameters
    is renewed."""
    now = now or datetime.now(UTC)
    email = normalise_email(email)
    throttle = login_blocked(email, now)
    if throttle.blocked:
        minutes = max(1, -(-throttle.retry_after_seconds // 60))
        raise TooManyAttempts(
            ngettext(
                "Too many failed attempts for this account. Try again in %(num)d minute.",
                "Too many failed attempts for this account. Try again in %(num)d minutes.",
                minutes,
            ),
            "email",
        )
    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        burn_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    if not ok:
        record_failed_login(email, now)
        return None
    record_successful_login(email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    record_audit("login", "user", user.id, actor=user)
    return user


def is_current_password(user: User, password: str, now: datetime | None = None) -> bool:
    """A logged-in user confirming who they are: whether `password` is theirs. A failure
    counts like a failed login (the caller commits it); raises TooManyAttempts while the
    account must wait."""
    if login_blocked(user.email, now).blocked:
        raise TooManyAttempts(
            _("Too many failed attempts for this account. Try again later."), "current_password"
        )
    if verify_password(user.password_hash, password):
        return True
    record_failed_login(user.email, now)
    return False


def set_password(user: User, password: str, now: datetime | None = None) -> None:
    """The user themselves: a new password (DomainError when it is easy to guess); every
    session of theirs issued before ends."""
    if problem := password_problem(password, user.email, user.name):
        raise DomainError(problem, "new_password")
    user.password_hash = hash_password(password)
    user.password_changed_at = now or datetime.now(UTC)
    end_all_sessions(user)
    record_audit("change password", "user", user.id, actor=user)
