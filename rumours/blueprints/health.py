"""`/healthz` for load balancers: 200 when the database answers and its schema is current,
503 otherwise. It says nothing about the data."""

from flask import Blueprint, jsonify

from ..reports.health import check

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Anyone (a load balancer): database reachable and migrations current, or 503."""
    health = check()
    response = jsonify(health.as_json())
    response.status_code = 200 if health.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
