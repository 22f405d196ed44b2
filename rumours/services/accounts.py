"""Coordinators deactivating and reactivating accounts and changing their role; an
inactive account's sessions end at once (its token rotates and the user loader refuses
inactive accounts), and so do the sessions of an account whose role changes. Callers
commit."""

import secrets
from datetime import UTC, datetime

from flask_babel import gettext as _

from ..models import AgentProfile, AgentStatus, Role, User
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


def change_role(target: User, role: str, *, actor: User, reason: str) -> None:
    """Coordinators: give another account a new role, with a reason in the audit and
    security logs. Its sessions end, so the next sign-in carries the new role (and, for
    a coordinator, the second-factor rule). A member needs an organisation; a new agent
    starts as an applicant, to be approved like any other."""
    if actor.role is not Role.COORDINATOR:
        raise DomainError(_("Only coordinators can change an account."), "reason")
    if target.id == actor.id:
        raise DomainError(_("You cannot change your own role."), "role")
    try:
        new = Role(role)
    except ValueError:
        raise DomainError(_("Choose a role."), "role") from None
    if new is target.role:
        raise DomainError(_("This account already has that role."), "role")
    if new is Role.MEMBER and not target.memberships:
        raise DomainError(
            _("A member speaks for an organisation: add this account to one first."), "role"
        )
    text = _reason(reason)
    old = target.role
    target.role = new
    if new is Role.AGENT and target.agent_profile is None:
        target.agent_profile = AgentProfile(
            status=AgentStatus.APPLICANT,
            pseudonym=secrets.token_hex(6),
            applied_at=datetime.now(UTC),
        )
    end_all_sessions(target)
    details = {"from": old.value, "to": new.value, "reason": text}
    record_audit("account.role_changed", "user", target.id, actor=actor, details=details)
    record_event("account.role_changed", user=target, details={"by": actor.email, **details})
