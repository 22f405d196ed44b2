"""Forms for organisations and their members."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..models import OrganisationType
from .fields import options

TYPE_LABELS = {
    OrganisationType.ASSOCIATION: _l("Association"),
    OrganisationType.NGO: _l("NGO"),
    OrganisationType.SCHOOL: _l("School"),
    OrganisationType.LIBRARY: _l("Library"),
    OrganisationType.PUBLIC_BODY: _l("Public body"),
    OrganisationType.BUSINESS: _l("Business"),
    OrganisationType.OTHER: _l("Other"),
}


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    type = SelectField(
        _l("Type"),
        choices=lambda: options((t.value, text) for t, text in TYPE_LABELS.items()),
        validators=[DataRequired()],
    )
    district = SelectField(_l("District"), validators=[Optional()])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=120)])
    contact_email = EmailField(
        _l("Contact e-mail"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    joined_on = DateField(_l("Joined the network on"), validators=[Optional()])
    active = BooleanField(_l("Active in the network"), default=True)
    submit = SubmitField(_l("Save organisation"))


class MemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail of an existing account"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    submit = SubmitField(_l("Add to organisation"))


class RemoveMemberForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
