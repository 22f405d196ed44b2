"""The public rumour mailbox: /rumours/report. Anyone, no account; a check step shows
the published rumours that look like what was typed, with their answers, before
anything is sent. Nothing sent is ever shown publicly."""

from flask import Blueprint, redirect, render_template, request, url_for

from ..extensions import db
from ..forms.reports import PublicReportForm
from ..reports.rumour_reports import report_districts, similar_published
from ..services.reports import check_claim, submit_public_report
from ..web.binding import form_status, refused
from ..web.i18n import current_locale

bp = Blueprint("public_reports", __name__)


@bp.route("/rumours/report", methods=["GET", "POST"])
def report():
    """Anyone: write a rumour heard, see the answers that exist, then send it."""
    if request.args.get("sent"):
        return render_template("rumours/report_sent.html")
    form = PublicReportForm()
    form.set_districts(report_districts())
    similar, checked = [], False
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: thank the robot, keep nothing
            return redirect(url_for(".report", sent=1))
        sending = request.form.get("action") == "send"
        with refused(form, default="claim") as refusal:
            if sending:
                submit_public_report(
                    claim=form.claim.data,
                    district=form.district.data or None,
                    setting=form.setting.data or None,
                    language=current_locale(),
                    address=request.remote_addr or "",
                )
                db.session.commit()
                return redirect(url_for(".report", sent=1))
            check_claim(form.claim.data, form.district.data or None, form.setting.data or None)
            similar = similar_published(form.claim.data, current_locale())
            checked = True
        if refusal.error is not None:
            page = render_template("rumours/report.html", form=form, similar=[], checked=False)
            return page, refusal.status
    page = render_template("rumours/report.html", form=form, similar=similar, checked=checked)
    return page, form_status(form)
