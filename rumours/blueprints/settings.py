"""The city's settings and rumour themes (coordinators only); every change is audited."""

from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms.city import RenameThemeForm, RetireThemeForm, SettingsForm, ThemeForm
from ..models import Role, Rumour
from ..permissions import role_required
from ..rules.city import city, endonym, installed_languages
from ..rules.themes import all_themes
from ..services import city as services
from ..web.binding import form_status, refused

bp = Blueprint("settings", __name__, url_prefix="/settings")


def settings_form() -> SettingsForm:
    current = city()
    form = SettingsForm(data={**asdict(current), "languages": list(current.languages)})
    # Each language named in itself, marked as such (lang="ca") for readers and tools.
    choices = [
        SelectChoice(code, endonym(code), render_kw={"lang": code})
        for code in installed_languages()
    ]
    form.languages.choices = choices
    form.default_language.choices = choices
    return form


def page(form: SettingsForm, theme_form: ThemeForm | None = None):
    counts = dict(
        db.session.execute(db.select(Rumour.theme, db.func.count()).group_by(Rumour.theme)).all()
    )
    return render_template(
        "settings/index.html",
        form=form,
        theme_form=theme_form or ThemeForm(),
        themes=all_themes(),
        counts=counts,
        rename_form=RenameThemeForm(),
        retire_form=RetireThemeForm(),
    ), form_status(form) if theme_form is None else form_status(theme_form)


@bp.get("/")
@role_required(Role.COORDINATOR)
def index():
    """Coordinators: the network's name, city, time zone, languages, thresholds, themes."""
    return page(settings_form())


@bp.post("/")
@role_required(Role.COORDINATOR)
def save():
    form = settings_form()
    if form.validate_on_submit():
        with refused(form, default="network_name") as refusal:
            changes = services.update_settings(dict(form.data), actor=current_user)
            db.session.commit()
        if refusal.error is None:
            flash(_("Settings saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("settings.index"))
    return page(form)


@bp.post("/themes")
@role_required(Role.COORDINATOR)
def add_theme():
    theme_form = ThemeForm()
    if theme_form.validate_on_submit():
        with refused(theme_form, default="name") as refusal:
            services.add_theme(theme_form.name.data, actor=current_user)
            db.session.commit()
        if refusal.error is None:
            flash(_("Theme added."), "success")
            return redirect(url_for("settings.index", _anchor="themes"))
    return page(settings_form(), theme_form)


@bp.post("/themes/<slug>/name")
@role_required(Role.COORDINATOR)
def rename_theme(slug: str):
    form = RenameThemeForm()
    if form.validate_on_submit():
        with refused() as refusal:
            services.rename_theme(slug, form.name.data, actor=current_user)
            db.session.commit()
        if refusal.error is None:
            flash(_("Theme renamed."), "success")
    else:
        flash(_("Give the theme a name."), "error")
    return redirect(url_for("settings.index", _anchor="themes"))


@bp.post("/themes/<slug>/<any(retire, reinstate):action>")
@role_required(Role.COORDINATOR)
def retire_theme(slug: str, action: str):
    if RetireThemeForm().validate_on_submit():
        with refused() as refusal:
            services.retire_theme(slug, actor=current_user, retired=action == "retire")
            db.session.commit()
        if refusal.error is None:
            flash(_("Theme retired.") if action == "retire" else _("Theme back in use."), "success")
    return redirect(url_for("settings.index", _anchor="themes"))
