"""The reader's language: their saved preference, then the switcher's cookie, then the
browser's, then the city's default. `?lang=xx` on any page switches and remembers."""

from functools import lru_cache
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_login import current_user

from ..rules.city import city


def offered_languages() -> list[str]:
    """The interface languages this install offers (config LANGUAGES)."""
    return list(city().languages)


def asked_language() -> str | None:
    """The language named by `?lang=`, when it is one we offer (anything else is ignored)."""
    asked = request.args.get("lang", type=str)
    return asked if asked in offered_languages() else None


def select_locale() -> str | None:
    """Flask-Babel's locale selector, in the order DESIGN.md gives."""
    if not has_request_context():
        return None  # commands and background work use the default locale
    offered = offered_languages()
    candidates = (
        asked_language(),
        getattr(current_user, "preferred_language", None),
        request.cookies.get(current_app.config["LANGUAGE_COOKIE"]),
        request.accept_languages.best_match(offered),
    )
    for candidate in candidates:
        if candidate in offered:
            return candidate
    return city().default_language


def select_timezone() -> str:
    """Flask-Babel's time zone: the city's, for every reader."""
    return city().time_zone


def current_locale() -> str:
    """The language this response is written in, for <html lang> and links."""
    return str(get_locale() or city().default_language)


def claim(rumour) -> str:
    """A rumour's claim in the reader's language where it has been translated."""
    return rumour.claim_in(current_locale())


@lru_cache(maxsize=256)
def _display_name(code: str, in_language: str) -> str:
    """CLDR's name of language `code` in language `in_language` (asked once per pair)."""
    return Locale.parse(code).get_display_name(in_language) or code


def language_names() -> dict[str, str]:
    """Each offered language in its own words (Català, Español), as a switcher shows it."""
    return {code: _display_name(code, code).capitalize() for code in offered_languages()}


def language_name(code: str) -> str:
    """A language named in the reader's words, for running text ("anglès", "inglés")."""
    return _display_name(code, current_locale())


def language_url(language: str) -> str:
    """This page in another language: the same path and query with `lang` set."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*args, ("lang", language)])


def say_content_language(response):
    """Pages say which language they are in (the service worker keeps its offline page
    in the same one)."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Language", current_locale())
    return response


def babel_state():
    """Where flask_babel keeps this app context's choices (`babel_locale`, once made:
    `force_locale` and `refresh()` change it), or None before it made any or outside an
    app context. Read straight, for what a page asks hundreds of times: flask_babel's
    own getters go through Flask's context several times per call."""
    try:
        return g.get("_flask_babel")
    except RuntimeError:  # no application context
        return None


def _translations():
    """flask_babel's translations for this request's locale, looked up once per locale:
    its own `get_translations()` goes through Flask's context four times and names the
    locale anew on every call, about 6 µs of the 13 µs a template's `_()` took, and a
    dashboard says over a hundred. Kept beside flask_babel's own state and checked
    against the locale object it holds, so `force_locale` and `refresh()` are followed."""
    state = babel_state()
    locale = getattr(state, "babel_locale", None)
    known = getattr(state, "rumours_translations", None)
    if known is not None and locale is not None and known[0] is locale:
        return known[1]
    translations = get_translations()  # chooses the locale first if it was not yet
    state = babel_state()
    locale = getattr(state, "babel_locale", None)
    if state is not None and locale is not None:
        state.rumours_translations = (locale, translations)
    return translations


def init_app(app: Flask) -> None:
    """Give templates the language helpers (blueprints.language remembers choices)."""
    # The same callables flask_babel installs, through the per-request look-up above.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.after_request(say_content_language)
    app.add_template_global(current_locale)
    app.add_template_global(offered_languages)
    app.add_template_global(language_url)
    app.add_template_global(language_names)
    app.add_template_global(language_name)
    app.add_template_filter(claim)
