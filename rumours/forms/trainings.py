"""Forms for training sessions: scheduling, enrolling, leaving, cancelling, the roll call."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..models import TrainingKind
from ..rules.labels import label
from .fields import options

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class TrainingSessionForm(FlaskForm):
    kind = SelectField(
        _l("Type"),
        choices=lambda: options((k.value, label(k)) for k in TrainingKind),
        validators=[DataRequired()],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMATS, validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    district = SelectField(_l("District"), validators=[Optional()])
    trainer = StringField(_l("Trainer"), validators=[DataRequired(), Length(max=120)])
    capacity = IntegerField(
        _l("Places"), default=20, validators=[InputRequired(), NumberRange(min=1, max=500)]
    )
    language = SelectField(_l("Language"), validators=[DataRequired()])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 4}
    )
    submit = SubmitField(_l("Save session"))


class EnrolForm(FlaskForm):
    submit = SubmitField(_l("Enrol"))


class LeaveForm(FlaskForm):
    submit = SubmitField(_l("Leave this session"))


class CancelSessionForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Cancel this session"))


class AttendanceForm(FlaskForm):
    """The roll call; the ticked enrolment ids arrive as repeated `attended` values."""

    submit = SubmitField(_l("Save attendance"))
