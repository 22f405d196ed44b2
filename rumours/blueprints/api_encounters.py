"""The encounters JSON API: POST /api/v1/encounters (idempotent on client_uuid) and
GET /api/v1/encounters (the caller's own). Session cookie plus X-CSRFToken on writes."""

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..reports.encounters import own_encounters_page
from ..rules.encounters import encounter_from_json, is_certified_agent
from ..rules.errors import DomainError, NotAllowed
from ..services.encounters import encounter_as_dict, log_encounter
from ..web.errors import api_error, render_error

bp = Blueprint("api_encounters", __name__, url_prefix="/api/v1")

# One encounter is a few hundred bytes; refuse anything far larger before parsing it.
MAX_ENCOUNTER_BODY = 16 * 1024


def api_login_required(view: Callable) -> Callable:
    """Like login_required, but answers 401 JSON instead of redirecting to the login page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return render_error(401, _("Please log in."))
        return view(*args, **kwargs)

    return wrapped


@bp.post("/encounters")
@api_login_required
def create_encounter():
    """Certified agents: log one encounter; 201 new, 200 replay of the same content."""
    if (request.content_length or 0) > MAX_ENCOUNTER_BODY:
        abort(413)
    request.max_content_length = MAX_ENCOUNTER_BODY
    if not is_certified_agent(current_user):
        return api_error(NotAllowed(_("Only certified agents can log conversations.")))
    payload = request.get_json(force=True, silent=True)
    if payload is None:
        return render_error(400, _("The body is not valid JSON."))
    try:
        client_uuid, data = encounter_from_json(payload)
        encounter, created = log_encounter(actor=current_user, client_uuid=client_uuid, data=data)
    except DomainError as error:
        return api_error(error)
    # Serialise before the commit expires the loaded objects (saves a dozen queries); a
    # new entry is named by what was sent, a replay by what is stored.
    body = encounter_as_dict(encounter, data if created else None)
    location = url_for("encounters.edit", encounter_id=encounter.id)
    db.session.commit()
    response = jsonify(body)
    response.status_code = 201 if created else 200
    response.headers["Location"] = location
    return response


@bp.get("/encounters")
@api_login_required
def list_encounters():
    """Logged-in users: their own encounters, newest first, 50 a page (?page=N)."""
    page = request.args.get("page", 1, type=int)
    encounters, has_next = own_encounters_page(current_user, page=max(page, 1))
    return jsonify(
        {
            "encounters": [encounter_as_dict(e) for e in encounters],
            "page": page,
            "next": url_for(".list_encounters", page=page + 1) if has_next else None,
        }
    )
