"""Forms for the city's districts and neighbourhoods: by hand, and from a GeoJSON file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .fields import options

LEVEL_LABELS = {"district": _l("Districts"), "neighbourhood": _l("Neighbourhoods")}


class PlaceForm(FlaskForm):
    """A new district, or a neighbourhood of a chosen district."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("Code (optional)"),
        validators=[Optional(), Length(max=40)],
        description=_l("The city's own code; made from the name when left empty."),
    )
    district = SelectField(
        _l("District"), choices=[], validators=[Optional()], validate_choice=False
    )


class RenameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class ActionForm(FlaskForm):
    """A button that changes something (retire, reinstate, confirm an import)."""

    token = HiddenField()


class UploadForm(FlaskForm):
    """A GeoJSON file and how to read it."""

    file = FileField(_l("GeoJSON file"), validators=[FileRequired(_l("Choose a file."))])
    level = SelectField(
        _l("What the file holds"),
        choices=lambda: options(LEVEL_LABELS.items()),
        validators=[DataRequired()],
    )
    name_property = StringField(
        _l("Property with the name"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    code_property = StringField(
        _l("Property with the code (optional)"),
        validators=[Optional(), Length(max=80)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    parent_property = StringField(
        _l("Property with the district's code (neighbourhoods)"),
        validators=[Optional(), Length(max=80)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )

    def validate_parent_property(self, field) -> None:
        if self.level.data == "neighbourhood" and not (field.data or "").strip():
            raise ValidationError(_l("Neighbourhoods need the property with their district."))
