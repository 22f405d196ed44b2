"""The input layer for what arrives outside forms: route converters, query strings and
JSON bodies. `init_app` (called by the factory before any blueprint is registered)
installs it for every route, present and future; the rules are rumours.rules.inputs.

- Route converters: `<int:...>` matches only numbers the id columns can hold, and
  `<slug>` / `<path:...>` no text with control characters; anything else is a 404.
- Query strings: a parameter carrying control characters is a 400 naming it;
  `request.args.get(key, default, type=int)` returns the default for a number out of range
  (as it already did for one that is not a number).
- JSON bodies (`request.get_json()`): nested deeper than MAX_JSON_DEPTH is a 400 before
  parsing (no RecursionError); text with control characters or lone surrogates anywhere
  is a 422 naming the top-level key, even with `silent=True`.
Forms have their own hook: rumours.forms.inputs.
"""

from flask import Flask, request
from flask import Request as FlaskRequest
from flask import json as flask_json
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError

from ..rules.inputs import (
    MAX_INTEGER,
    MAX_JSON_DEPTH,
    MIN_INTEGER,
    bounded_int,
    json_depth,
    json_problems,
    text_problem,
)


class InputRefused(BadRequest):
    """Input the layer refused: a 400 (or 422) whose description says why and whose
    `fields` name the parameters or keys to fix."""

    def __init__(self, description: str, fields: dict[str, list[str]], code: int = 400):
        super().__init__(description)
        self.code = code
        self.fields = fields


class _JSONRefused(ValueError):
    def __init__(self, message: str, fields: dict[str, list[str]], code: int):
        super().__init__(message)
        self.fields = fields
        self.code = code


class _SafeJSON:
    """The json module Request.get_json uses (the app's provider, which Flask sets on
    each request): depth bounded before parsing, text checked after."""

    def __init__(self, provider) -> None:
        self.provider = provider

    def dumps(self, obj, **kwargs):
        return self.provider.dumps(obj, **kwargs)

    def loads(self, data, **kwargs):
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        if json_depth(text) > MAX_JSON_DEPTH:
            message = _("The body nests deeper than %(depth)d levels.", depth=MAX_JSON_DEPTH)
            raise _JSONRefused(message, {"body": [message]}, 400)
        value = self.provider.loads(text, **kwargs)
        problems = json_problems(value)
        if problems:
            raise _JSONRefused(_("Some fields need attention."), problems, 422)
        return value


class BoundedArgs(ImmutableMultiDict):
    """Query and form parameters whose `get(..., type=int)` stays in the columns' range."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        return super().get(key, default, bounded_int if type is int else type)


class Request(FlaskRequest):
    """Flask's request with the input layer's parameter and JSON handling."""

    _safe_json = _SafeJSON(flask_json)

    parameter_storage_class = BoundedArgs

    @property
    def json_module(self):
        return self._safe_json

    @json_module.setter
    def json_module(self, provider) -> None:
        self._safe_json = _SafeJSON(provider)

    def get_json(self, force=False, silent=False, cache=True):
        """As Flask's, except that a refusal of the layer is raised even when silent."""
        try:
            return super().get_json(force=force, silent=False, cache=cache)
        except InputRefused:
            raise
        except HTTPException:
            if silent:
                return None
            raise

    def on_json_loading_failed(self, e):
        if isinstance(e, _JSONRefused):
            raise InputRefused(str(e), e.fields, e.code)
        return super().on_json_loading_failed(e)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>`: only numbers an id column can hold."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        min = MIN_INTEGER if min is None else min  # noqa: A001
        max = MAX_INTEGER if max is None else max  # noqa: A001
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class SafeStringConverter(UnicodeConverter):
    """The default converter: no control characters in a path segment."""

    def to_python(self, value: str) -> str:
        if text_problem(value, multiline=False):
            raise ValidationError()
        return value


class SafePathConverter(PathConverter):
    """`<path:...>`: no control characters either."""

    def to_python(self, value: str) -> str:
        if text_problem(value, multiline=False):
            raise ValidationError()
        return value


def check_query_string() -> None:
    """Refuse a query string carrying control characters (400 naming the parameter)."""
    fields = {}
    for key, value in request.args.items(multi=True):
        problem = text_problem(key, multiline=False) or text_problem(value, multiline=False)
        if problem:
            fields[key if not text_problem(key) else "query"] = [problem]
    if fields:
        raise InputRefused(_("Some parameters of this address are not valid."), fields)


def init_app(app: Flask) -> None:
    """Install the layer: request class, converters and the query-string check."""
    app.request_class = Request
    app.url_map.converters.update(
        int=BoundedIntegerConverter,
        default=SafeStringConverter,
        string=SafeStringConverter,
        path=SafePathConverter,
    )
    app.before_request(check_query_string)
