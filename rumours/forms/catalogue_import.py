"""The coordinator's form for importing another network's catalogue feed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional, ValidationError


class FeedImportForm(FlaskForm):
    """A feed file, or the address of another network's `/rumours/feed.json`."""

    file = FileField(_l("Feed file (JSON)"))
    url = StringField(_l("Or the feed's address"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Preview the import"))

    def validate_url(self, field) -> None:
        if field.data and not field.data.strip().startswith(("http://", "https://")):
            raise ValidationError(_l("Give an address starting with https:// or http://."))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not (self.url.data or "").strip():
            self.file.errors = list(self.file.errors) + [
                str(_l("Choose a feed file, or give its address below."))
            ]
            return False
        return True
