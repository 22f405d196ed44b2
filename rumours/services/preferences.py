"""A user's own preferences. Callers own the transaction."""

from ..models import User


def set_preferred_language(user: User, language: str | None) -> None:
    """The user (or the switcher on their behalf): the interface language to use for them;
    None goes back to the browser's language."""
    user.preferred_language = language
