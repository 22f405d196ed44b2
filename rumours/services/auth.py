"""Logging in and changing a password, under the login limits per account and per client
address (kept in the database so every app server shares them) with trusted devices
passing the account's limit. Callers own the transaction."""

from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from ..extensions import db
from ..models import TrustedDevice, User
from ..rules.accounts import end_all_sessions, normalise_email
from ..rules.errors import DomainError
from ..rules.passwords import (
    burn_time,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from . import record_audit, throttle
from .devices import device_failed, trusted_device
from .security_events import record_event


class TooManyAttempts(DomainError):
    """The account must wait before another attempt (429)."""

    status = 429


class LoginFailed(DomainError):
    """Wrong e-mail or password, or an inactive account: one message for every case (401)."""

    status = 401

    def __init__(self):
        super().__init__(_("Wrong e-mail or password."), "password")


def login_blocked(email: str, now: datetime | None = None) -> throttle.ThrottleState:
    """Whether this account must wait before another login attempt."""
    return throttle.state(throttle.account_limit(current_app.config), normalise_email(email), now)


def record_failed_login(email: str, now: datetime | None = None) -> None:
    """Count a failure against the account: a growing delay, a hard stop at the hourly cap."""
    throttle.record_failure(throttle.account_limit(current_app.config), normalise_email(email), now)


def record_successful_login(email: str) -> None:
    """A success clears the account's growing delay (the hourly count stays)."""
    throttle.record_success(throttle.account_limit(current_app.config), normalise_email(email))


def guard(
    email: str, *, address: str | None, device: TrustedDevice | None, now: datetime | None = None
) -> None:
    """Raise TooManyAttempts (and log it) while the client's address or, for a browser
    that is not a trusted device of the account, the account itself must wait."""
    if device is not None:
        return
    config = current_app.config
    account = throttle.state(throttle.account_limit(config), email, now)
    network = throttle.state(throttle.address_limit(config), address, now)
    if not (account.blocked or network.blocked):
        return
    record_event(
        "login.throttled",
        email=email,
        address=address,
        details={"limit": "account" if account.blocked else "address"},
    )
    if account.blocked:
        raise TooManyAttempts(
            ngettext(
                "Too many failed attempts for this account. Try again in %(num)d minute.",
                "Too many failed attempts for this account. Try again in %(num)d minutes.",
                account.minutes,
            ),
            "email",
        )
    raise TooManyAttempts(
        ngettext(
            "Too many failed attempts from this network. Try again in %(num)d minute.",
            "Too many failed attempts from this network. Try again in %(num)d minutes.",
            network.minutes,
        ),
        "email",
    )


def count_failure(
    email: str,
    *,
    address: str | None,
    device: TrustedDevice | None,
    kind: str = "login.failed",
    user: User | None = None,
    now: datetime | None = None,
) -> None:
    """A wrong password or code: counted against the account, the address and the device."""
    config = current_app.config
    throttle.record_failure(throttle.account_limit(config), email, now)
    throttle.record_failure(throttle.address_limit(config), address, now)
    device_failed(device)
    record_event(kind, user=user, email=email, address=address)


def count_success(email: str, *, address: str | None, device: TrustedDevice | None) -> None:
    """A password or code that was right clears the growing delays. A trusted device's
    success leaves the account's delay in place: the attacker's count is not reset."""
    config = current_app.config
    if device is None:
        throttle.record_success(throttle.account_limit(config), email)
    throttle.record_success(throttle.address_limit(config), address)


def authenticate(
    email: str,
    password: str,
    now: datetime | None = None,
    *,
    address: str | None = None,
    device_nonce: str | None = None,
) -> User | None:
    """Anyone logging in: the active account with this e-mail and password, or None.

    A failure counts towards the account's, the address's and the device's limits, so the
    caller commits either way; while the address or the account must wait, raises
    TooManyAttempts before looking at the password, except for a browser that is a trusted
    device of the account (it passes both). An unknown e-mail costs as long as a wrong
    password; a hash made with weaker parameters is renewed. The second factor, if the
    account has one, is the caller's next step."""
    now = now or datetime.now(UTC)
    email = normalise_email(email)
    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    device = trusted_device(user, device_nonce)
    guard(email, address=address, device=device, now=now)
    if user is None:
        burn_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    if not ok:
        count_failure(email, address=address, device=device, user=user, now=now)
        return None
    count_success(email, address=address, device=device)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def complete_login(user: User, now: datetime | None = None) -> None:
    """The password (and the second factor, if any) were right: record the sign-in."""
    user.last_login_at = now or datetime.now(UTC)
    record_audit("login", "user", user.id, actor=user)
    record_event("login.succeeded", user=user)


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
    record_event("login.failed", user=user, details={"step": "current password"})
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
    record_event("password.changed", user=user)
