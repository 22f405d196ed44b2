"""The JSON API under /api/v1/ (session cookie plus X-CSRFToken on writes)."""

from flask import Blueprint, jsonify, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..reports import catalogue

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
