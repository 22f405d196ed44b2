"""Forms for curating the catalogue (coordinators)."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..models import RumourStatus
from ..rules.labels import label
from ..rules.themes import active_themes

EXPLANATION_TEMPLATE = """### The fact

State the fact first, simply, with its figure and source.

### The myth

Warn that a myth follows, then name it once: "It is often said that ..."

### Why it misleads

Explain the trick: what the myth leaves out, or which numbers it mixes up.

### The fact again

Repeat the fact, in other words if you can.
"""


def http_url(form, field) -> None:
    """Only web addresses: http or https with a host."""
    if not field.data:
        return
    parts = urlsplit(field.data.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(_l("Give a web address starting with http:// or https://."))


def theme_choices():
    return [SelectChoice(t.slug, str(t)) for t in active_themes()]


class RumourForm(FlaskForm):
    claim = TextAreaField(
        _l("The rumour, as people say it"),
        validators=[DataRequired(), Length(max=300)],
        render_kw={"rows": 2, "maxlength": 300},
    )
    also_heard_as = StringField(
        _l("Also heard as (optional)"),
        validators=[Optional(), Length(max=500)],
        render_kw={"maxlength": 500},
    )
    theme = SelectField(_l("Theme"), choices=theme_choices, validators=[DataRequired()])
    status = SelectField(
        _l("Status"),
        choices=lambda: [SelectChoice(s.value, label(s)) for s in RumourStatus],
        default=RumourStatus.DRAFT.value,
    )
    reviewed_on = DateField(_l("Last reviewed on"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


class SourceForm(Form):
    """One source inside the rebuttal form (its CSRF token is the parent's)."""

    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    publisher = StringField(_l("Publisher"), validators=[Optional(), Length(max=200)])
    url = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=1000), http_url],
        render_kw={"inputmode": "url", "placeholder": "https://"},
    )
    published_on = DateField(_l("Published on"), validators=[Optional()])
    supports = TextAreaField(
        _l("The figure or quote it supports"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    checked_on = DateField(_l("Checked on"), validators=[Optional()])
    remove = BooleanField(_l("Remove this source"))

    def validate_title(self, field) -> None:
        filled = [self.title.data, self.publisher.data, self.url.data, self.supports.data]
        if any(filled) and not all(filled):
            raise ValidationError(
                _l("A source needs its title, publisher, web address and what it supports.")
            )


class RebuttalForm(FlaskForm):
    short_answer = TextAreaField(
        _l("Short answer"),
        validators=[Length(max=280)],
        render_kw={"rows": 3, "maxlength": 280},
    )
    explanation = TextAreaField(
        _l("Full explanation (Markdown)"),
        validators=[Length(max=20000)],
        render_kw={"rows": 16},
    )
    review_due_on = DateField(_l("Review due on"), validators=[Optional()])
    sources = FieldList(FormField(SourceForm), min_entries=1, max_entries=20)
    save = SubmitField(_l("Save draft"))
    publish = SubmitField(_l("Publish this version"))
    add_source = SubmitField(_l("Add another source"))


class ConfirmForm(FlaskForm):
    """A bare form for one-button actions (archive), for its CSRF token."""

    submit = SubmitField(_l("Confirm"))
