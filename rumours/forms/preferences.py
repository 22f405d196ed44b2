"""The account's own preferences."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField


class LanguageForm(FlaskForm):
    """The interface language saved for the account ("" follows the browser)."""

    language = RadioField(_l("Language of the interface"), default="")
    submit = SubmitField(_l("Save"))
