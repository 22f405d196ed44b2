"""The audit log and the security log, side by side (coordinators only)."""

from flask import Blueprint, render_template, request

from ..forms.security import SecurityLogFilterForm
from ..models import Role
from ..permissions import role_required
from ..reports.security import LogFilters, filtered_audit_page, security_events_page
from ..rules.labels import label
from ..services.security_events import KINDS

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@role_required(Role.COORDINATOR)
def index():
    """Coordinators: security events filtered by kind, account and period, and the audit
    entries of the same account and period, each newest first and paged."""
    form = SecurityLogFilterForm(request.args)
    form.kind.choices = [("", "—")] + [(kind, label(kind)) for kind in KINDS]
    valid = form.validate()
    filters = LogFilters(
        kind=form.kind.data or None,
        account=form.account.data or None,
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
    )
    events = security_events_page(filters, request.args.get("page", 1, type=int))
    entries = filtered_audit_page(filters, request.args.get("audit_page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k not in ("page", "audit_page") and v}
    return render_template(
        "audit/index.html", form=form, events=events, page=entries, args=args
    ), (200 if valid else 400)
