"""The JSON API under /api/v1/ (session cookie plus X-CSRFToken on writes)."""

from flask import Blueprint, jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

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
