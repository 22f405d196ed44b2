"""Forms for the city's settings and its rumour themes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .fields import CheckboxListField


class SettingsForm(FlaskForm):
    network_name = StringField(
        _l("Name of the network"), validators=[DataRequired(), Length(max=200)]
    )
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    time_zone = StringField(
        _l("Time zone"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("Its IANA name, for example Europe/Madrid or Europe/Warsaw."),
    )
    languages = CheckboxListField(_l("Languages offered"), validators=[DataRequired()])
    default_language = SelectField(_l("Default language"), validators=[DataRequired()])
    small_count_threshold = IntegerField(
        _l("Hide counts below"),
        validators=[InputRequired()],
        description=_l(
            "Statistics that leave the app show counts under this as “fewer than”. Never below 5."
        ),
    )
    certification_lapse_days = IntegerField(
        _l("A certification lapses after (days)"),
        validators=[InputRequired()],
        description=_l("Without a basic training or a refresher in that time."),
    )
    map_attribution = StringField(
        _l("Credit for the map's shapes"),
        validators=[Optional(), Length(max=300)],
        description=_l("Shown under every map, as the shapes' licence asks."),
    )
    require_two_factor_for_coordinators = BooleanField(
        _l("Coordinators must use a second factor"),
        description=_l("They set it up at their next sign-in and cannot go on without it."),
    )
    idle_minutes_coordinator = IntegerField(
        _l("Coordinators are signed out after (idle minutes)"), validators=[Optional()]
    )
    idle_minutes_member = IntegerField(
        _l("Organisation members are signed out after (idle minutes)"),
        validators=[Optional()],
    )
    idle_minutes_agent = IntegerField(
        _l("Agents are signed out after (idle minutes)"),
        validators=[Optional()],
        description=_l(
            "Every session also ends 12 hours after sign-in. An agent's unsent "
            "conversations stay on the phone and are sent after the next sign-in."
        ),
    )
    submit = SubmitField(_l("Save settings"))


class ThemeForm(FlaskForm):
    name = StringField(_l("New theme"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Add theme"))


class RenameThemeForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Rename"))


class RetireThemeForm(FlaskForm):
    submit = SubmitField(_l("Retire"))
