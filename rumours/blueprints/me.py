"""The agent's own corner: their data (download, contact consent, erasure), their
training schedule as a calendar and their certificate."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..exports.ics import calendar_for
from ..extensions import db
from ..forms.agents import ContactConsentForm, ErasureForm, ExportForm
from ..models import Role
from ..permissions import role_required
from ..reports import agents as reports
from ..reports.trainings import agent_schedule
from ..services import record_audit
from ..services.agents import erase_agent, set_contact_consent
from ..web.binding import form_status
from ..web.downloads import json_download

bp = Blueprint("me", __name__, url_prefix="/me")


def data_page(erase_form: ErasureForm):
    return render_template(
        "me/data.html",
        export_form=ExportForm(),
        consent_form=ContactConsentForm(consent_contact=reports.contact_consent(current_user)),
        erase_form=erase_form,
    ), form_status(erase_form)


@bp.get("/data")
@role_required(Role.AGENT)
def data():
    """Agents: what we hold about them, with download, contact choice and erasure."""
    return data_page(ErasureForm())


@bp.post("/export")
@role_required(Role.AGENT)
def export():
    """Agents: download everything stored about them as JSON."""
    if not ExportForm().validate_on_submit():
        abort(400)
    record_audit("agent.export", "agent", current_user.id, actor=current_user)
    db.session.commit()
    return json_download(reports.personal_data(current_user), "my-data.json")


@bp.post("/consent")
@role_required(Role.AGENT)
def consent():
    """Agents: change whether they may be contacted about campaigns."""
    form = ContactConsentForm()
    if not form.validate_on_submit():
        abort(400)
    set_contact_consent(current_user, bool(form.consent_contact.data))
    db.session.commit()
    flash(_("Your choice has been saved."), "success")
    return redirect(url_for(".data"))


@bp.post("/erase")
@role_required(Role.AGENT)
def erase():
    """Agents: erase their personal data; their conversations stay as anonymous figures."""
    form = ErasureForm()
    if not form.validate_on_submit():
        return data_page(form)
    erase_agent(current_user._get_current_object(), actor=current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("Your personal data has been erased. Thank you for taking part."), "success")
    return redirect(url_for("main.home"))


@bp.get("/schedule.ics")
@role_required(Role.AGENT)
def schedule_ics():
    """Agents: their own enrolled trainings as an iCalendar file."""
    body = calendar_for(
        agent_schedule(current_user),
        name=_("My anti-rumour trainings"),
        url_for_session=lambda s: url_for("trainings.show", session_id=s.id, _external=True),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="my-trainings.ics"'},
    )


@bp.get("/certificate")
@role_required(Role.AGENT)
def certificate():
    """Agents: their own printable certificate."""
    return redirect(url_for("agents.certificate", agent_id=current_user.id))
