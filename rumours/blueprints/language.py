"""The reader's language: `?lang=` on any page switches and remembers it (cookie, and the
account's preference when logged in); the account page saves a preference."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.preferences import LanguageForm
from ..services.preferences import set_preferred_language
from ..web.i18n import asked_language, language_names, offered_languages

bp = Blueprint("language", __name__, url_prefix="/account")

ONE_YEAR = 365 * 24 * 3600


@bp.before_app_request
def remember_asked_language() -> None:
    """`?lang=` becomes the logged-in user's saved preference, and the cookie's value."""
    language = asked_language()
    if language is None:
        return
    g.remember_language = language
    if current_user.is_authenticated and current_user.preferred_language != language:
        set_preferred_language(current_user, language)
        db.session.commit()


@bp.after_app_request
def set_language_cookie(response):
    """The switcher's choice lives in a cookie too, for visitors and the login page."""
    language = g.pop("remember_language", None)
    if language is not None:
        response.set_cookie(
            current_app.config["LANGUAGE_COOKIE"],
            language,
            max_age=ONE_YEAR,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.route("/language", methods=["GET", "POST"])
@login_required
def preference():
    """Any logged-in user: choose the interface language, or follow the browser's."""
    form = LanguageForm(language=current_user.preferred_language or "")
    names = language_names()
    form.language.choices = [("", _("The browser's language"))] + [
        (code, names[code]) for code in offered_languages()
    ]
    if form.validate_on_submit():
        set_preferred_language(current_user, form.language.data or None)
        db.session.commit()
        if form.language.data:
            g.remember_language = form.language.data
        flash(_("Language saved."), "success")
        return redirect(url_for("language.preference"))
    status = 422 if form.errors else 200
    return render_template("language/preference.html", form=form), status
