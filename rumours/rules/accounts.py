"""Account rules every layer shares: how e-mails compare and how sessions are keyed."""

import secrets


def normalise_email(email: str) -> str:
    """The form of an e-mail address that accounts and login limits are keyed by."""
    return email.strip().lower()


def new_session_token() -> str:
    """A fresh alternative token: changing it ends every session issued before."""
    return secrets.token_urlsafe(32)


def end_all_sessions(user) -> None:
    """Rotate the user's session token: every cookie issued before stops working."""
    user.session_token = new_session_token()
