"""The input layer for every form, present and future: `install()` (run when
rumours.forms is first imported, so before any form class exists) sets
`FlaskForm.Meta.bind_field`, WTForms' hook for building each field of a form. Every
field of every FlaskForm subclass, wherever it is defined, then gets `storable` as its
first validator: no form author has to remember it, and a new form is covered the day
it is written.

`storable` refuses, with a message on the field, what the database cannot hold or a
page cannot show: control characters (line breaks allowed in text areas only), numbers
outside the INTEGER columns' range, dates outside rumours.rules.inputs' window, and a
choice that is not one of the field's choices (an edit form posted without the field
would otherwise keep a value taken from the edited object). It stops the field's
other validators, so an inline `validate_<field>` never queries with such a value.
"""

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

from ..rules.inputs import value_problem

_MARK = "_rumours_input_layer"


def storable(form, field) -> None:
    """The first validator of every field: stop at a value that cannot be stored."""
    if field.process_errors:
        return
    problem = value_problem(field.data, multiline=isinstance(field, TextAreaField))
    if problem is None and _kept_from_object(field):
        if not any(
            choice[2] for choice in field.iter_choices()
        ):
            problem = field.gettext("Not a valid choice.")
    if problem:
        raise StopValidation(problem)


def _kept_from_object(field) -> bool:
    """A choice the request did not send but the form took from the edited object."""
    return (
        isinstance(field, SelectField)
        and not isinstance(field, SelectMultipleField)
        and field.validate_choice
        and field.choices is not None
        and field.data not in (None, "")
        and not field.raw_data
    )


def _bind_field(meta, form, unbound_field, options):
    field = DefaultMeta.bind_field(meta, form, unbound_field, options)
    if storable not in field.validators:
        field.validators = [storable, *field.validators]
    return field


def install() -> None:
    """Give every FlaskForm field the `storable` check (idempotent)."""
    if not getattr(FlaskForm.Meta, _MARK, False):
        FlaskForm.Meta.bind_field = _bind_field
        setattr(FlaskForm.Meta, _MARK, True)
