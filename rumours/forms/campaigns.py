"""The campaign form (coordinators). Shape only: rumours.services.campaigns checks the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from .fields import CheckboxListField

# Far above any network's figures, and well inside a 32-bit integer column.
TARGET_MAX = 10_000_000


def target_field(text) -> IntegerField:
    return IntegerField(
        text,
        validators=[
            Optional(),
            NumberRange(min=0, max=TARGET_MAX, message=_l("Give a whole number, 0 or more.")),
        ],
        render_kw={"min": 0, "inputmode": "numeric"},
    )


class CampaignForm(FlaskForm):
    """Choices for `rumours` and `organisations` are set by the view."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=200)], render_kw={"maxlength": 200}
    )
    description = TextAreaField(
        _l("Description (optional)"),
        validators=[Optional(), Length(max=4000)],
        render_kw={"rows": 3, "maxlength": 4000},
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    rumours = CheckboxListField(_l("Rumours in focus"), coerce=int)
    organisations = CheckboxListField(_l("Participating organisations"), coerce=int)
    target_encounters = target_field(_l("Conversations"))
    target_people_reached = target_field(_l("People reached"))
    target_agents_trained = target_field(_l("Agents trained"))
    target_trainings = target_field(_l("Training sessions"))
    submit = SubmitField(_l("Save campaign"))

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot be before the first day."))
