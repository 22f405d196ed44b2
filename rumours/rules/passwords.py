"""Passwords: which are refused, and hashing with argon2id at the parameters DESIGN.md sets."""

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

from .accounts import normalise_email

COMMON_PASSWORDS = Path(__file__).resolve().parents[2] / "seeds" / "common-passwords.txt"


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """Return an argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash; never raises for a mismatch."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_DUMMY_HASH: dict[str, str] = {}


def burn_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown e-mail costs as much as a known one."""
    key = "dummy"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password-for-timing")
    verify_password(_DUMMY_HASH[key], password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused (too short, very common, a pattern), or None."""
    if len(password) < 12:
        return _("Use at least 12 characters.")
    lowered = password.lower()
    letters = "".join(c for c in lowered if c.isalpha())
    rest = "".join(c for c in lowered if not c.isalpha())
    common = common_passwords()
    if (
        lowered in common
        or (letters and letters in common and not any(c.isalpha() for c in rest))
        or (letters and len(set(letters)) <= 2 and len(letters) >= len(lowered) - 4)
    ):
        return _("This password is too common. Try a few unrelated words together.")
    if len(set(lowered)) < 5:
        return _("This password repeats too few characters. Try a few unrelated words.")
    local = normalise_email(email).split("@")[0]
    if len(local) >= 4 and local in lowered:
        return _("Do not use your e-mail address in your password.")
    return None
