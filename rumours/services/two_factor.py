"""The second factor: RFC 6238 time-based codes (pyotp) and ten single-use recovery codes
stored salted and hashed. A code is accepted once: the last time step used is kept, so a
code (or an earlier one) cannot be replayed within its window. Callers commit."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from flask_babel import gettext as _

from ..extensions import db
from ..models import RecoveryCode, Role, User
from ..rules.accounts import end_all_sessions
from ..rules.errors import DomainError
from . import record_audit
from .devices import forget_devices
from .security_events import record_event

STEP_SECONDS = 30
# Codes from one step before or after are accepted: phone clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
REASON_LENGTH = 500


def new_secret() -> str:
    """A fresh base32 secret (160 bits) for an enrolment in progress."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address the QR code carries, for authenticator apps."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, after: int | None, now: datetime) -> int | None:
    """The time step near `now` whose code is `code` and that is later than `after`."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash_recovery(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + code).encode()).hexdigest()}"


def _recovery_matches(stored: str, code: str) -> bool:
    salt, _sep, _digest = stored.partition("$")
    return hmac.compare_digest(_hash_recovery(code, salt), stored)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with ten new ones, returned once in clear."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(raw)))
    return codes


def enrol(user: User, secret: str, code: str, now: datetime | None = None) -> list[str]:
    """The user themselves: confirm the secret with a code from their app; returns the
    recovery codes to show once. A wrong code is a DomainError (the caller counts it)."""
    now = now or datetime.now(UTC)
    step = _matching_step(secret, _clean(code), None, now)
    if step is None:
        raise DomainError(_("That code is not right. Check the time on your phone."), "code")
    user.totp_secret = secret
    user.totp_last_step = step
    user.totp_enabled_at = now
    codes = new_recovery_codes(user)
    record_audit("two-factor enabled", "user", user.id, actor=user)
    record_event("two_factor.enabled", user=user)
    return codes


def verify(user: User, code: str, now: datetime | None = None) -> str | None:
    """Signing in: 'code' or 'recovery' when `code` is a fresh time-based code or an unused
    recovery code of the account (each accepted once), else None (the caller counts it)."""
    now = now or datetime.now(UTC)
    if not user.has_two_factor:
        return None
    cleaned = _clean(code)
    step = _matching_step(user.totp_secret, cleaned, user.totp_last_step, now)
    if step is not None:
        user.totp_last_step = step
        return "code"
    unused = db.session.scalars(
        db.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for row in unused:
        if _recovery_matches(row.code_hash, cleaned):
            row.used_at = now
            left = len(unused) - 1
            record_event("recovery_code.used", user=user, details={"left": left})
            return "recovery"
    return None


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        db.select(db.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def _remove(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_enabled_at = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User) -> None:
    """The user themselves (after confirming their password): remove their second factor."""
    _remove(user)
    record_audit("two-factor disabled", "user", user.id, actor=user)
    record_event("two_factor.disabled", user=user)


@dataclass(frozen=True)
class Reset:
    target: User
    reason: str


def reset(target: User, *, actor: User, reason: str) -> Reset:
    """Coordinators: remove another account's second factor (a lost phone), with a reason
    kept in the audit and security logs; that account's sessions and trusted browsers end."""
    if actor.role is not Role.COORDINATOR:
        raise DomainError(_("Only coordinators can reset a second factor."), "reason")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Say why the second factor is reset."), "reason")
    if len(reason) > REASON_LENGTH:
        raise DomainError(_("Use at most %(max)d characters.", max=REASON_LENGTH), "reason")
    if not target.has_two_factor:
        raise DomainError(_("This account has no second factor."), "reason")
    _remove(target)
    end_all_sessions(target)
    forget_devices(target)
    record_audit("two-factor reset", "user", target.id, actor=actor, details={"reason": reason})
    record_event("two_factor.reset", user=target, details={"by": actor.email, "reason": reason})
    return Reset(target, reason)
