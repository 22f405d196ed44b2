"""The audit log: who changed what, and when (coordinators only)."""

from flask import Blueprint, render_template, request

from ..models import Role
from ..permissions import role_required
from ..reports.audit import audit_page

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@role_required(Role.COORDINATOR)
def index():
    """Coordinators: the newest audit entries first, paginated."""
    page = audit_page(request.args.get("page", 1, type=int))
    return render_template("audit/index.html", page=page)
