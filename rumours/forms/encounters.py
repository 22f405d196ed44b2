"""The phone form for logging (and correcting) an encounter. Shape only: the rules
(rumours.rules.encounters, rumours.services.encounters) are checked there, for this form
and the API alike."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import UUID, DataRequired, InputRequired, Length, NumberRange, Optional

from ..models import Outcome, Setting
from ..rules.city import city
from ..rules.encounters import MAX_NOTES, MAX_PEOPLE_REACHED, MAX_UNLISTED, EncounterData
from ..rules.labels import label


class EncounterForm(FlaskForm):
    client_uuid = HiddenField(validators=[DataRequired(), UUID()])
    occurred_at = DateTimeLocalField(
        _l("When"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[DataRequired()]
    )
    district = SelectField(_l("District"), validators=[DataRequired()])
    neighbourhood = SelectField(_l("Neighbourhood"), validators=[Optional()])
    setting = RadioField(
        _l("Where was it?"),
        # Built per request, so the labels are in the reader's language.
        choices=lambda: [SelectChoice(s.value, label(s)) for s in Setting],
        validators=[InputRequired(_l("Choose where the conversation was."))],
    )
    # At least one listed rumour or an unlisted one: the service checks that rule.
    rumours = SelectMultipleField(_l("Which rumours came up?"), validators=[Optional()])
    unlisted_rumour = TextAreaField(
        _l("Not in the list? Write it in a few words"),
        validators=[Optional(), Length(max=MAX_UNLISTED)],
        render_kw={"maxlength": MAX_UNLISTED, "rows": 2},
    )
    outcome = RadioField(
        _l("How did it go?"),
        choices=lambda: [SelectChoice(o.value, label(o)) for o in Outcome],
        validators=[InputRequired(_l("Choose how it went."))],
    )
    people_reached = IntegerField(
        _l("People in the conversation"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_PEOPLE_REACHED)],
    )
    notes = TextAreaField(
        _l("Notes (optional)"),
        validators=[Optional(), Length(max=MAX_NOTES)],
        render_kw={"maxlength": MAX_NOTES, "rows": 2},
    )
    campaign = SelectField(_l("Campaign"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def set_choices(self, choices) -> None:
        """Fill the select lists from reports.encounters.form_choices()."""
        self.district.choices = [SelectChoice(d.slug, d.name) for d in choices.districts]
        self.neighbourhood.choices = [SelectChoice("", _l("Whole district"))] + [
            SelectChoice(n.slug, n.name) for n in choices.neighbourhoods
        ]
        self.rumours.choices = [SelectChoice(r.slug, r.claim) for r in choices.rumours]
        self.campaign.choices = [SelectChoice(c.slug, c.name) for c in choices.campaigns] + [
            SelectChoice("", _l("No campaign"))
        ]

    def data_for_service(self) -> EncounterData:
        """The submitted values as the service takes them (local time made aware)."""
        zone = city().zone
        return EncounterData(
            occurred_at=self.occurred_at.data.replace(tzinfo=zone),
            district=self.district.data,
            neighbourhood=self.neighbourhood.data or None,
            setting=self.setting.data,
            rumours=list(self.rumours.data),
            people_reached=self.people_reached.data,
            outcome=self.outcome.data,
            notes=(self.notes.data or "").strip() or None,
            campaign=self.campaign.data or None,
            unlisted_rumour=(self.unlisted_rumour.data or "").strip() or None,
        )


class ReviewActionForm(FlaskForm):
    """One data-quality decision on a conversation: checked, exclude (with a reason) or
    reinstate; `next` brings the coordinator back to the filtered list."""

    action = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Why exclude it"), validators=[Optional(), Length(max=300)])
    # The review list's query string, to come back to the same filters.
    next = HiddenField()
