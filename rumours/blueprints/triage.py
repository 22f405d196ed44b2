"""Triage of reports for coordinators: /catalogue/reports lists every report with its
suggested matches; one form links, promotes or dismisses one report or a group."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.reports import TriageForm
from ..models import Report, ReportStatus, Role, Rumour
from ..permissions import role_required
from ..reports.rumour_reports import similar_groups, triage_rows, triage_rumours
from ..rules.themes import active_themes
from ..services.reports import triage_reports
from ..web.binding import refused

bp = Blueprint("triage", __name__, url_prefix="/catalogue")


def _form() -> TriageForm:
    form = TriageForm()
    form.set_choices(triage_rumours(), active_themes())
    return form


@bp.get("/reports")
@role_required(Role.COORDINATOR)
def reports():
    """Coordinators: untriaged reports (or all, ?status=all) with suggested matches."""
    show_all = request.args.get("status") == "all"
    rows = triage_rows(None if show_all else ReportStatus.UNTRIAGED)
    return render_template(
        "catalogue/reports.html",
        rows=rows,
        groups=similar_groups(rows),
        form=_form(),
        show_all=show_all,
    )


@bp.post("/reports/triage")
@role_required(Role.COORDINATOR)
def triage():
    """Coordinators: link, promote or dismiss the chosen reports; audited."""
    form = _form()
    if not form.validate_on_submit():
        abort(400)
    ids = [int(i) for i in request.form.getlist("report_ids") if i.isdigit()]
    chosen = list(db.session.scalars(db.select(Report).where(Report.id.in_(ids))))
    rumour = db.session.get(Rumour, int(form.rumour.data)) if form.rumour.data else None
    with refused() as refusal:
        triage_reports(
            chosen,
            request.form.get("action", ""),
            actor=current_user,
            rumour=rumour,
            add_wording=form.add_wording.data,
            theme=form.theme.data,
            reason=form.reason.data,
        )
        db.session.commit()
    if refusal.error is None:
        flash(_("Triaged %(n)d report(s).", n=len(chosen)), "success")
    return redirect(url_for(".reports"))
