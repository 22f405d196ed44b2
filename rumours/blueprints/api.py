"""The JSON API under /api/v1/ (session cookie plus X-CSRFToken on writes)."""

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..permissions import statistics_scope
from ..reports import catalogue
from ..reports.dashboard import dashboard
from ..reports.emerging import emerging_json
from ..reports.filters import FilterError, parse_filters
from ..reports.published import stats_json
from ..rules.city import city
from ..rules.localtime import city_today
from ..web.openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/")
def index():
    """Anyone: what this API offers and who is calling."""
    return jsonify(
        {
            "name": "Rumours API",
            "version": 1,
            "user": (
                {"name": current_user.name, "role": current_user.role.value}
                if current_user.is_authenticated
                else None
            ),
        }
    )


@bp.get("/openapi.json")
def openapi():
    """Anyone: the OpenAPI 3.1 description of this API."""
    return jsonify(document())


@bp.get("/csrf-token")
def csrf_token():
    """Anyone: a fresh CSRF token, fetched by the phone before it syncs queued records."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.get("/rumours")
def rumours():
    """Anyone: the published catalogue with current rebuttals and sources, for offline use."""
    items = catalogue.catalogue_json(
        lambda rumour: url_for("rumours.show", slug=rumour.slug, _external=True)
    )
    return jsonify({"rumours": items, "count": len(items)})


@bp.get("/stats")
def stats():
    """Coordinators (any view) and organisation members (their organisation's): the
    dashboard's figures as JSON, with the dashboard's filters, and (in a network-wide
    view) the reports received per week and district and the public's reports per
    rumour; small counts hidden."""
    if not current_user.is_authenticated:
        return jsonify({"error": _("Please log in.")}), 401
    try:
        parsed = parse_filters(request.args, today=city_today())
    except FilterError as error:
        fields = {key: [str(m) for m in messages] for key, messages in error.fields.items()}
        return jsonify({"error": _("Some filters are not valid."), "fields": fields}), 400
    parsed = statistics_scope(current_user, parsed)
    # The API publishes no counts per neighbourhood: the one raw read is skipped.
    board = dashboard(parsed.filters, neighbourhoods=False)
    threshold = city().small_count_threshold
    body = stats_json(parsed, board, threshold)
    body.update(emerging_json(parsed.filters, threshold))
    return jsonify(body)
