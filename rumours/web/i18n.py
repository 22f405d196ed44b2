"""Locale selection for Flask-Babel."""

from flask import current_app, has_request_context, request
from flask_login import current_user


def select_locale() -> str | None:
    """A logged-in user's preference if we have its catalogue, else the browser's."""
    if not has_request_context():
        return None  # commands and background work use the default locale
    languages = current_app.config["LANGUAGES"]
    preferred = getattr(current_user, "preferred_language", None)
    if preferred in languages:
        return preferred
    return request.accept_languages.best_match(languages)
