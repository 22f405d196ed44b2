"""Error pages in HTML, and JSON errors under /api/."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..rules.errors import DomainError, NotAllowed


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Please log in"), _("You need to log in to see this page.")),
        403: (
            _("Not allowed"),
            _(
                "Your account does not have access to this page. "
                "If you think it should, ask a coordinator."
            ),
        ),
        404: (_("Not found"), _("There is nothing at this address.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("Too large"), _("What you sent is larger than we accept.")),
        429: (_("Too many attempts"), _("Please wait a moment and try again.")),
        500: (
            _("Something went wrong"),
            _("We could not complete this. Nothing you typed was saved; please try again."),
        ),
    }


def render_error(code: int, description: str | None = None):
    title, message = _messages().get(code, (_("Error"), _("Something went wrong.")))
    if wants_json():
        return jsonify({"error": description or message}), code
    return render_template(
        "errors/error.html", code=code, title=title, message=description or message
    ), code


def api_error(error: DomainError):
    """The JSON answer to a refused API call, the session rolled back: {"error": message,
    "fields": {...}} with the error's status; a refusal of the caller (NotAllowed, 403)
    names no fields."""
    db.session.rollback()
    body = {"error": error.message}
    if not isinstance(error, NotAllowed):
        body["fields"] = error.fields
    return jsonify(body), error.status


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _(
                "The form's security token was missing or expired. "
                "Reload the page and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        fields = getattr(error, "fields", None)
        if fields is not None:  # the input layer's refusal: say why, name the fields
            if wants_json():
                return jsonify({"error": error.description, "fields": fields}), code
            return render_error(code, error.description)
        # Werkzeug's default descriptions are English-only; keep our translated ones.
        return render_error(code)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return render_error(500)
