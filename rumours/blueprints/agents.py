"""Agents for coordinators (and organisation members, for their own organisations):
the searchable list, an agent's page, status and certification changes, invitations,
certifications due, the certificate, and data export or erasure on request."""


from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.agents import (
    AgentFilterForm,
    ErasureForm,
    ExportForm,
    InvitationForm,
    LapseForm,
    ReasonForm,
)
from ..forms.fields import options
from ..models import AgentStatus, Role, User
from ..permissions import can_view_agent, organisation_ids, role_required
from ..reports import agents as reports
from ..rules.inputs import integer_problem
from ..rules.labels import AGENT_LANGUAGES, label
from ..services import record_audit
from ..services.agents import apply_action, create_invitation
from ..services.agents import erase_agent as erase_agent_service
from ..services.trainings import apply_lapses
from ..web.binding import form_status, refused
from ..web.downloads import json_download

bp = Blueprint("agents", __name__, url_prefix="/agents")


def agent_or_404(agent_id: int) -> User:
    """The agent with this id, or 404; 403 when the current user may not see them."""
    agent = db.get_or_404(User, agent_id)
    if agent.agent_profile is None:
        abort(404)
    if not can_view_agent(current_user, agent):
        abort(403)
    return agent


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and not integer_problem(int(value)) else None


@bp.get("/")
@role_required(Role.COORDINATOR, Role.MEMBER)
def index():
    """Coordinators (every agent) and members (their organisations'): search and filter agents."""
    form = AgentFilterForm(request.args)
    choices = reports.filter_choices()
    within = None
    if current_user.role is Role.MEMBER:
        within = frozenset(organisation_ids(current_user))
        choices["organisations"] = [c for c in choices["organisations"] if c[0] in within]
    form.status.choices = options(
        [("", _("Any status"))] + [(s.value, label(s)) for s in AgentStatus]
    )
    form.district.choices = options(
        [("", _("Any district"))] + [(str(i), n) for i, n in choices["districts"]]
    )
    form.organisation.choices = options(
        [("", _("Any organisation"))] + [(str(i), n) for i, n in choices["organisations"]]
    )
    form.language.choices = options([("", _("Any language"))] + list(AGENT_LANGUAGES.items()))
    status = request.args.get("status")
    filters = reports.AgentFilters(
        query=(request.args.get("q") or "")[:100],
        status=AgentStatus(status) if status in {s.value for s in AgentStatus} else None,
        district_id=_int(request.args.get("district")),
        organisation_id=_int(request.args.get("organisation")),
        language=request.args.get("language")
        if request.args.get("language") in AGENT_LANGUAGES
        else None,
        active=request.args.get("active", ""),
        within_organisations=within,
    )
    page = reports.agent_list(filters, page=request.args.get("page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("agents/index.html", form=form, page=page, args=args)


@bp.get("/<int:agent_id>")
@login_required
def show(agent_id: int):
    """Coordinators, members of the agent's organisations, the agent: trainings, history,
    activity."""
    agent = agent_or_404(agent_id)
    record = reports.agent_record(agent)
    return render_template(
        "agents/show.html",
        record=record,
        action_form=ReasonForm(),
        languages=AGENT_LANGUAGES,
    )


@bp.post("/<int:agent_id>/status")
@role_required(Role.COORDINATOR)
def change(agent_id: int):
    """Coordinators: approve, pause, reactivate, certify or revoke, with a reason."""
    agent = agent_or_404(agent_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with refused(form, default="action"):
            apply_action(
                agent.agent_profile,
                form.action.data,
                actor=current_user,
                reason=form.reason.data.strip(),
            )
            db.session.commit()
            flash(
                _(
                    "Saved: %(name)s is now %(status)s.",
                    name=agent.name,
                    status=label(agent.agent_profile.status),
                ),
                "success",
            )
            return redirect(url_for(".show", agent_id=agent.id))
    record = reports.agent_record(agent)
    return render_template(
        "agents/show.html", record=record, action_form=form, languages=AGENT_LANGUAGES
    ), form_status(form)


@bp.route("/invitations", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def invitations():
    """Coordinators: create a single-use sign-up link that expires."""
    form = InvitationForm()
    link = None
    if form.validate_on_submit():
        with refused(form, default="email"):
            token = create_invitation(form.email.data, actor=current_user)
            db.session.commit()
            link = url_for("register.register_invited", token=token, _external=True)
    return render_template("agents/invitations.html", form=form, link=link), form_status(form)


@bp.route("/certifications", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def certifications():
    """Coordinators: who is due a refresher or has lapsed; apply the lapses."""
    form = LapseForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        count = apply_lapses(actor=current_user)
        db.session.commit()
        flash(_("%(num)d certifications lapsed.", num=count), "success")
        return redirect(url_for(".certifications"))
    rows = reports.certification_due()
    return render_template("agents/certifications.html", rows=rows, form=form)


@bp.get("/<int:agent_id>/certificate")
@login_required
def certificate(agent_id: int):
    """The agent and coordinators: a printable certificate, for a certified agent."""
    agent = agent_or_404(agent_id)
    if current_user.role is not Role.COORDINATOR and current_user.id != agent.id:
        abort(403)
    profile = agent.agent_profile
    if profile.status is not AgentStatus.CERTIFIED or profile.certified_at is None:
        abort(404)
    return render_template(
        "agents/certificate.html",
        agent=agent,
        profile=profile,
        lapses_on=reports.lapse_date(profile),
    )


@bp.post("/<int:agent_id>/export")
@role_required(Role.COORDINATOR)
def export(agent_id: int):
    """Coordinators, on the agent's request: download everything stored about them as JSON."""
    agent = agent_or_404(agent_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    record_audit("agent.export", "agent", agent.id, actor=current_user)
    db.session.commit()
    return json_download(reports.personal_data(agent), f"agent-{agent.id}.json")


@bp.route("/<int:agent_id>/data", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def data(agent_id: int):
    """Coordinators, on the agent's request: the export button and erasure."""
    agent = agent_or_404(agent_id)
    form = ErasureForm()
    if form.validate_on_submit():
        erase_agent_service(agent, actor=current_user)
        db.session.commit()
        flash(
            _(
                "The agent's personal data has been erased; their conversations stay as "
                "anonymous figures."
            ),
            "success",
        )
        return redirect(url_for(".index"))
    return render_template("agents/data.html", agent=agent, form=form, export_form=ExportForm()), (
        form_status(form)
    )
