"""The public report form (/rumours/report) and the triage forms. Shape only: the
rules are in rumours.services.reports."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import DismissReason, Setting
from ..rules.labels import label

MAX_CLAIM = 280


class PublicReportForm(FlaskForm):
    claim = TextAreaField(
        _l("What did you hear?"),
        validators=[DataRequired(_l("Write what you heard.")), Length(max=MAX_CLAIM)],
        render_kw={"maxlength": MAX_CLAIM, "rows": 3},
    )
    district = SelectField(_l("Where (optional)"), validators=[Optional()])
    setting = SelectField(
        _l("In what setting (optional)"),
        choices=lambda: (
            [SelectChoice("", _l("Rather not say"))]
            + [SelectChoice(s.value, label(s)) for s in Setting]
        ),
        validators=[Optional()],
    )
    # A field people never see; a robot that fills it is silently thanked.
    website = StringField(_l("Leave this empty"), validators=[Optional()])

    def set_districts(self, districts) -> None:
        self.district.choices = [SelectChoice("", _l("Rather not say"))] + [
            SelectChoice(d.slug, d.name) for d in districts
        ]


class TriageForm(FlaskForm):
    """One decision on one report or a group of similar ones (report ids in the form)."""

    rumour = SelectField(_l("It is this rumour"), validators=[Optional()])
    add_wording = BooleanField(_l("Add its wording to \u201calso heard as\u201d"))
    theme = SelectField(_l("Theme of the new draft"), validators=[Optional()])
    reason = SelectField(
        _l("Reason"),
        choices=lambda: [
            SelectChoice(DismissReason.OFF_TOPIC.value, _l("Not about migration or diversity")),
            SelectChoice(DismissReason.ABUSIVE.value, _l("Abusive")),
            SelectChoice(DismissReason.UNCLEAR.value, _l("Unclear")),
        ],
        validators=[Optional()],
    )

    def set_choices(self, rumours, themes) -> None:
        self.rumour.choices = [SelectChoice(str(r.id), r.claim) for r in rumours]
        self.theme.choices = [SelectChoice(t.slug, str(t)) for t in themes]
