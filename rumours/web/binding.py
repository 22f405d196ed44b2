"""A refused change back on the form: a DomainError's messages land on the fields they
name, the session is rolled back, and the form is sent back as 422 (Unprocessable
Content), the one status of a refused form."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import abort, flash
from flask_wtf import FlaskForm
from wtforms import FieldList, HiddenField

from ..extensions import db
from ..rules.errors import DomainError, NotAllowed

REFUSED = 422


def _shown_field(form: FlaskForm, name: str | None):
    """The field called `name` when the page shows its messages beside it, else None."""
    field = form._fields.get(name) if name else None
    if field is None or isinstance(field, (HiddenField, FieldList)):
        return None
    return field


def bind_errors(form: FlaskForm, error: DomainError, default_field: str | None = None) -> None:
    """Put the error's messages on the fields it names (its message on `default_field` when
    it names none). What no shown field takes goes to the default field, or to the form's
    own list, `form.form_errors`, which the view shows where its page has room for it."""
    for name, messages in (error.fields or {default_field: [error.message]}).items():
        field = _shown_field(form, name) or _shown_field(form, default_field)
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = list(field.errors) + messages


def form_status(form: FlaskForm) -> int:
    """200 for a form shown to be filled in, 422 for one sent back with errors."""
    return REFUSED if form.errors else 200


@dataclass
class Refusal:
    """What `refused` caught: the error, if any, and the status to answer with."""

    error: DomainError | None = None

    @property
    def status(self) -> int:
        """422, or the error's own status (429 for a login limit, 401 for a failed login)."""
        return self.error.status if self.error is not None else 200


@contextmanager
def refused(form: FlaskForm | None = None, default: str | None = None) -> Iterator[Refusal]:
    """`with refused(form, default="name"):` around a service call and its commit. A
    DomainError raised inside rolls the session back, lands on the form (bind_errors) and
    is swallowed, so the view goes on to send the form back; without a form its message
    is flashed as an error (buttons that redirect back to their page). NotAllowed is a
    403 page."""
    refusal = Refusal()
    try:
        yield refusal
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, NotAllowed):
            abort(403)
        refusal.error = error
        if form is None:
            flash(error.message, "error")
        else:
            bind_errors(form, error, default)
