"""Data quality: a coordinator marks a flagged conversation as checked, excludes one from
every statistic with a reason, or reinstates it. Each step is in the audit log; the
summaries follow on the same flush (an excluded entry counts nowhere). Callers commit."""

from datetime import UTC, datetime

from flask_babel import gettext as _

from ..extensions import db
from ..models import Encounter, User
from ..rules.errors import DomainError
from . import record_audit

REASON_LENGTH = 300


def mark_checked(encounter: Encounter, *, actor: User) -> None:
    """The flags were looked at and the entry is plausible: they no longer count."""
    if encounter.excluded_at is not None:
        raise DomainError(_("This entry is excluded: reinstate it first."), "action")
    encounter.checked_at = datetime.now(UTC)
    record_audit("encounter.checked", "encounter", encounter.id, actor=actor)
    db.session.flush()


def exclude(encounter: Encounter, *, actor: User, reason: str) -> None:
    """Leave the entry out of every statistic (it stays in the agent's own list)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Say why this entry is excluded."), "reason")
    if len(reason) > REASON_LENGTH:
        raise DomainError(_("Use at most %(max)d characters.", max=REASON_LENGTH), "reason")
    if encounter.excluded_at is not None:
        raise DomainError(_("This entry is already excluded."), "action")
    encounter.excluded_at = datetime.now(UTC)
    encounter.excluded_reason = reason
    record_audit(
        "encounter.excluded", "encounter", encounter.id, actor=actor, details={"reason": reason}
    )
    db.session.flush()


def reinstate(encounter: Encounter, *, actor: User) -> None:
    """Count an excluded entry again."""
    if encounter.excluded_at is None:
        raise DomainError(_("This entry is not excluded."), "action")
    reason = encounter.excluded_reason
    encounter.excluded_at = None
    encounter.excluded_reason = None
    record_audit(
        "encounter.reinstated", "encounter", encounter.id, actor=actor,
        details={"was_excluded_for": reason},
    )
    db.session.flush()


ACTIONS = {"checked": mark_checked, "exclude": exclude, "reinstate": reinstate}
