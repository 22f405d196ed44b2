"""Trusted devices (OWASP's device cookie against brute force): a browser that signed in
to an account gets a random nonce (the web layer signs it into a cookie; this module keeps
its hash). Presenting it lets that browser past the account's login limit, so an attacker
cannot lock the real user out; a device that fails too often loses that pass. Callers
commit."""

import hashlib
from datetime import UTC, datetime

from flask import current_app

from ..extensions import db
from ..models import TrustedDevice, User


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def trusted_device(user: User | None, nonce: str | None) -> TrustedDevice | None:
    """The device row for this browser's nonce and this account, while it is still
    trusted (fewer than DEVICE_MAX_FAILURES failures of its own)."""
    if user is None or not nonce:
        return None
    device = db.session.execute(
        db.select(TrustedDevice).where(
            TrustedDevice.user_id == user.id, TrustedDevice.nonce_hash == _hash(nonce)
        )
    ).scalar_one_or_none()
    if device is None or device.failures >= current_app.config["DEVICE_MAX_FAILURES"]:
        return None
    return device


def trust_device(user: User, nonce: str, now: datetime | None = None) -> None:
    """After a complete sign-in: remember this browser for this account (or refresh it)."""
    now = now or datetime.now(UTC)
    device = db.session.execute(
        db.select(TrustedDevice).where(
            TrustedDevice.user_id == user.id, TrustedDevice.nonce_hash == _hash(nonce)
        )
    ).scalar_one_or_none()
    if device is None:
        db.session.add(
            TrustedDevice(
                user_id=user.id, nonce_hash=_hash(nonce), created_at=now, last_used_at=now
            )
        )
    else:
        device.failures = 0
        device.last_used_at = now


def device_failed(device: TrustedDevice | None) -> None:
    """A wrong password or code from a trusted browser counts against that browser."""
    if device is not None:
        device.failures += 1


def forget_devices(user: User) -> None:
    """The account's second factor was reset or the account deactivated: no browser keeps
    its pass."""
    db.session.execute(db.delete(TrustedDevice).where(TrustedDevice.user_id == user.id))
