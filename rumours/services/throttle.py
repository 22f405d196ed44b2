"""Login limits kept in the database, so every app server shares them: a growing delay
after a few consecutive failures and a hard cap per rolling hour. One implementation for
the per-account limit (LoginThrottle, keyed by e-mail) and the per-address one
(AddressThrottle, keyed by client address). Callers commit."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import AddressThrottle, LoginThrottle


@dataclass(frozen=True)
class Limit:
    model: type
    key_column: str
    free_failures: int
    max_delay_seconds: int
    max_per_hour: int


@dataclass(frozen=True)
class ThrottleState:
    blocked: bool
    retry_after_seconds: int = 0

    @property
    def minutes(self) -> int:
        return max(1, -(-self.retry_after_seconds // 60))


def account_limit(config) -> Limit:
    return Limit(
        LoginThrottle,
        "email",
        config["LOGIN_FREE_FAILURES"],
        config["LOGIN_MAX_DELAY_SECONDS"],
        config["LOGIN_MAX_FAILURES_PER_HOUR"],
    )


def address_limit(config) -> Limit:
    return Limit(
        AddressThrottle,
        "address",
        config["ADDRESS_FREE_FAILURES"],
        config["ADDRESS_MAX_DELAY_SECONDS"],
        config["ADDRESS_MAX_FAILURES_PER_HOUR"],
    )


def state(limit: Limit, key: str | None, now: datetime | None = None) -> ThrottleState:
    """Whether `key` must wait before another attempt."""
    if not key:
        return ThrottleState(blocked=False)
    now = now or datetime.now(UTC)
    row = db.session.get(limit.model, key)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return ThrottleState(blocked=False)
    wait = int((row.blocked_until - now).total_seconds()) + 1
    return ThrottleState(blocked=True, retry_after_seconds=wait)


def record_failure(limit: Limit, key: str | None, now: datetime | None = None) -> None:
    """Count a failure: a growing delay after a few, a hard stop at the hourly cap."""
    if not key:
        return
    now = now or datetime.now(UTC)
    model, column = limit.model, getattr(limit.model, limit.key_column)
    if db.session.get(model, key) is None:
        try:
            with db.session.begin_nested():
                db.session.add(model(**{limit.key_column: key, "window_started_at": now}))
        except IntegrityError:
            pass  # another server created it first; update below
    # Increment in SQL so concurrent failures on several servers all count.
    db.session.execute(
        update(model)
        .where(column == key, model.window_started_at <= now - timedelta(hours=1))
        .values(window_started_at=now, failures_in_window=0)
    )
    db.session.execute(
        update(model)
        .where(column == key)
        .values(
            failures_in_window=model.failures_in_window + 1,
            consecutive_failures=model.consecutive_failures + 1,
        )
    )
    row = db.session.get(model, key)
    db.session.refresh(row)
    blocked_until = None
    excess = row.consecutive_failures - limit.free_failures
    if excess >= 0:
        blocked_until = now + timedelta(seconds=min(2**excess, limit.max_delay_seconds))
    if row.failures_in_window >= limit.max_per_hour:
        blocked_until = row.window_started_at + timedelta(hours=1)
    row.blocked_until = blocked_until


def record_success(limit: Limit, key: str | None) -> None:
    """A success clears the growing delay (the hourly count stays)."""
    if not key:
        return
    column = getattr(limit.model, limit.key_column)
    db.session.execute(
        update(limit.model).where(column == key).values(consecutive_failures=0, blocked_until=None)
    )
