"""Forms: one FlaskForm per use case. They check shape; services check rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from . import inputs

# Every FlaskForm field, in this package or elsewhere, checks its value is storable.
inputs.install()


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))
