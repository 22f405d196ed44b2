"""Read-only views of the security log and of accounts, for coordinators."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..extensions import db
from ..models import AuditEntry, SecurityEvent, User
from ..rules.city import city


@dataclass(frozen=True)
class LogFilters:
    kind: str | None = None
    account: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _bounds(filters: LogFilters) -> tuple[datetime | None, datetime | None]:
    """The period as UTC instants: from the start of the first day to the end of the last,
    in the city's calendar."""
    zone = city().zone
    start = end = None
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, zone).astimezone(UTC)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def security_events_page(filters: LogFilters, page: int, per_page: int = 50):
    """Coordinators: security events, newest first, filtered by kind, account (part of the
    e-mail) and period."""
    query = db.select(SecurityEvent)
    if filters.kind:
        query = query.where(SecurityEvent.kind == filters.kind)
    if filters.account:
        pattern = f"%{filters.account.strip().lower()}%"
        query = query.where(db.func.lower(SecurityEvent.email).like(pattern))
    start, end = _bounds(filters)
    if start:
        query = query.where(SecurityEvent.at >= start)
    if end:
        query = query.where(SecurityEvent.at < end)
    return db.paginate(
        query.order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def filtered_audit_page(filters: LogFilters, page: int, per_page: int = 50):
    """Coordinators: the audit log (who changed what), filtered by the actor's e-mail and
    the period, newest first."""
    query = db.select(AuditEntry)
    if filters.account:
        pattern = f"%{filters.account.strip().lower()}%"
        query = query.join(User, AuditEntry.actor_id == User.id).where(
            db.func.lower(User.email).like(pattern)
        )
    start, end = _bounds(filters)
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at < end)
    return db.paginate(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def accounts_page(page: int, per_page: int = 50):
    """Coordinators: every account by name, with its role and state."""
    return db.paginate(
        db.select(User).order_by(User.active.desc(), User.name, User.id),
        page=page,
        per_page=per_page,
        error_out=False,
    )
