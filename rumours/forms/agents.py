"""Forms for signing up, inviting and managing agents. Shape only: the services in
rumours.services.agents check the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..rules.labels import AGENT_LANGUAGES
from ..rules.passwords import password_problem
from .fields import CheckboxListField, options


def language_choices() -> list[SelectChoice]:
    return options(AGENT_LANGUAGES.items())


class RegistrationForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=12, max=1024)],
        render_kw={"autocomplete": "new-password", "minlength": 12},
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    languages = CheckboxListField(
        _l("Languages you speak"),
        choices=language_choices,
        validators=[DataRequired(_l("Choose at least one language."))],
    )
    district = SelectField(_l("Your district"), validators=[DataRequired()])
    organisations = CheckboxListField(_l("Organisations you belong to (optional)"), coerce=int)
    consent_processing = BooleanField(
        _l("I agree that the network stores and uses my data to let me take part as an agent."),
        validators=[DataRequired(_l("We need this consent to register you as an agent."))],
    )
    consent_contact = BooleanField(
        _l("I would like to be contacted about campaigns and trainings (optional).")
    )
    submit = SubmitField(_l("Sign up"))

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", self.email.data or "", self.name.data or "")
        if problem:
            raise ValidationError(problem)


class InvitationForm(FlaskForm):
    email = EmailField(
        _l("E-mail of the person to invite"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    submit = SubmitField(_l("Create invitation link"))


class AgentFilterForm(FlaskForm):
    """The agent list's search; a GET form that changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Search name or e-mail"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    organisation = SelectField(_l("Organisation"), validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()])
    active = SelectField(
        _l("Last active"),
        choices=lambda: options(
            [
                ("", _l("Any time")),
                ("30", _l("In the last 30 days")),
                ("90", _l("In the last 90 days")),
                ("idle90", _l("Not for 90 days or more")),
                ("never", _l("Never")),
            ]
        ),
        validators=[Optional()],
    )


class ReasonForm(FlaskForm):
    """A status or certification change: approve, pause, reactivate, certify, revoke."""

    action = SelectField(
        _l("Action"),
        choices=lambda: options(
            [
                ("approve", _l("Approve")),
                ("pause", _l("Pause")),
                ("reactivate", _l("Reactivate")),
                ("certify", _l("Certify by hand")),
                ("revoke", _l("Revoke certification")),
            ]
        ),
        validators=[DataRequired()],
    )
    reason = TextAreaField(
        _l("Reason (kept in the audit log)"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=500)],
        render_kw={"rows": 2, "maxlength": 500},
    )
    submit = SubmitField(_l("Save"))


class ErasureForm(FlaskForm):
    confirm = StringField(
        _l("Type ERASE to confirm"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    submit = SubmitField(_l("Erase personal data"))

    def validate_confirm(self, field) -> None:
        if (field.data or "").strip().upper() != "ERASE":
            raise ValidationError(_l("Type ERASE to confirm."))


class ExportForm(FlaskForm):
    submit = SubmitField(_l("Download my data (JSON)"))


class ContactConsentForm(FlaskForm):
    consent_contact = BooleanField(_l("Contact me about campaigns and trainings"))
    submit = SubmitField(_l("Save my choice"))


class LapseForm(FlaskForm):
    submit = SubmitField(_l("Apply lapses now"))
