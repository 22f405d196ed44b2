"""The audit log: who changed what, and when (coordinators only)."""

from flask import Blueprint, render_template, request

from ..extensions import db
from ..models import AuditEntry, Role
from ..permissions import role_required

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@role_required(Role.COORDINATOR)
def index():
    """Coordinators: the newest audit entries first, paginated."""
    page = db.paginate(
        db.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=request.args.get("page", 1, type=int),
        per_page=50,
        error_out=False,
    )
    return render_template("audit/index.html", page=page)
