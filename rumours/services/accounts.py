"""Coordinators deactivating and reactivating accounts; an inactive account's sessions
end at once (its token rotates and the user loader refuses inactive accounts). Callers
commit."""

from flask_babel import gettext as _

from ..models import Role, User
from ..rules.accounts import end_all_sessions
from ..rules.errors import DomainError
from . import record_audit
from .devices import forget_devices
from .security_events import record_event

REASON_LENGTH = 500


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise DomainError(_("Give a reason: it is kept in the security log."), "reason")
    if len(text) > REASON_LENGTH:
        raise DomainError(_("Use at most %(max)d characters.", max=REASON_LENGTH), "reason")
    return text


def set_active(target: User, active: bool, *, actor: User, reason: str) -> None:
    """Coordinators: deactivate (every session of the account ends now) or reactivate an
    account, with a reason in the audit and security logs. Nobody deactivates themselves."""
    if actor.role is not Role.COORDINATOR:
        raise DomainError(_("Only coordinators can change an account."), "reason")
    if target.id == actor.id and not active:
        raise DomainError(_("You cannot deactivate your own account."), "reason")
    text = _reason(reason)
    if target.active == active:
        already = _("This account is already active.") if active else None
        raise DomainError(already or _("This account is already inactive."), "reason")
    target.active = active
    if not active:
        end_all_sessions(target)
        forget_devices(target)
    action = "account.reactivated" if active else "account.deactivated"
    record_audit(action, "user", target.id, actor=actor, details={"reason": text})
    record_event(action, user=target, details={"by": actor.email, "reason": text})
