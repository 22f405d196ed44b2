"""Training sessions: the list, scheduling (coordinators), enrolling and leaving (agents),
the roll call, and each session as an iCalendar file."""

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..exports.ics import calendar_for
from ..extensions import db
from ..forms.fields import options
from ..forms.trainings import (
    AttendanceForm,
    CancelSessionForm,
    EnrolForm,
    LeaveForm,
    TrainingSessionForm,
)
from ..models import EnrolmentStatus, Role, TrainingKind, TrainingSession
from ..permissions import role_required
from ..reports import trainings as reports
from ..reports.geography import active_districts
from ..rules.city import catalogue_languages, city
from ..rules.errors import DomainError
from ..rules.inputs import integer_problem
from ..services.trainings import (
    SessionData,
    cancel_session,
    create_session,
    enrol,
    leave,
    record_attendance,
    update_session,
)
from ..web.binding import form_status, refused

bp = Blueprint("trainings", __name__, url_prefix="/trainings")


def local_zone() -> ZoneInfo:
    return city().zone


def session_form(obj: TrainingSession | None = None) -> TrainingSessionForm:
    form = TrainingSessionForm(obj=obj)
    if obj is not None and not form.is_submitted():
        form.kind.data = obj.kind.value
        form.starts_at.data = obj.starts_at.astimezone(local_zone()).replace(tzinfo=None)
        form.ends_at.data = obj.ends_at.astimezone(local_zone()).replace(tzinfo=None)
        form.district.data = str(obj.district_id or "")
    districts = active_districts(keep=obj.district_id if obj is not None else None)
    form.district.choices = options(
        [("", _("No district"))] + [(str(d.id), d.name) for d in districts]
    )
    form.language.choices = options(catalogue_languages().items())
    return form


def session_data(form: TrainingSessionForm) -> SessionData:
    zone = local_zone()
    return SessionData(
        kind=TrainingKind(form.kind.data),
        title=form.title.data.strip(),
        starts_at=form.starts_at.data.replace(tzinfo=zone).astimezone(UTC),
        ends_at=form.ends_at.data.replace(tzinfo=zone).astimezone(UTC),
        venue=form.venue.data.strip(),
        district_id=int(form.district.data) if form.district.data else None,
        trainer=form.trainer.data.strip(),
        capacity=form.capacity.data,
        language=form.language.data,
        description=(form.description.data or "").strip(),
    )


@bp.get("/")
@login_required
def index():
    """Logged-in users: upcoming sessions with places left; coordinators also see past ones."""
    past = request.args.get("past") == "1" and current_user.role is Role.COORDINATOR
    rows = reports.session_rows(viewer=current_user, upcoming=not past)
    return render_template("trainings/index.html", rows=rows, past=past)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new():
    """Coordinators: schedule a session."""
    form = session_form()
    if form.validate_on_submit():
        with refused(form, default="starts_at"):
            session = create_session(session_data(form), actor=current_user)
            db.session.commit()
            flash(_("Session scheduled."), "success")
            return redirect(url_for(".show", session_id=session.id))
    return render_template("trainings/form.html", form=form, session=None), form_status(form)


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit(session_id: int):
    """Coordinators: change a session (capacity never below the agents enrolled)."""
    session = db.get_or_404(TrainingSession, session_id)
    form = session_form(session)
    if form.validate_on_submit():
        with refused(form, default="starts_at"):
            update_session(session, session_data(form), actor=current_user)
            db.session.commit()
            flash(_("Session saved."), "success")
            return redirect(url_for(".show", session_id=session.id))
    return render_template("trainings/form.html", form=form, session=session), form_status(form)


@bp.get("/<int:session_id>")
@login_required
def show(session_id: int):
    """Logged-in users: a session; agents enrol or leave; coordinators see the roster."""
    session = db.get_or_404(TrainingSession, session_id)
    row = reports.session_row(session, current_user)
    coordinator = current_user.role is Role.COORDINATOR
    return render_template(
        "trainings/show.html",
        row=row,
        session=session,
        roster=reports.roster(session) if coordinator else None,
        position=reports.waiting_position(session, current_user)
        if row.mine is EnrolmentStatus.WAITLISTED
        else None,
        enrol_form=EnrolForm(),
        leave_form=LeaveForm(),
        cancel_form=CancelSessionForm(),
    )


@bp.post("/<int:session_id>/enrol")
@role_required(Role.AGENT)
def enrol_view(session_id: int):
    """Agents: enrol in a session, or join its waiting list when it is full."""
    session = db.get_or_404(TrainingSession, session_id)
    if not EnrolForm().validate_on_submit():
        abort(400)
    with refused():
        enrolment = enrol(session, current_user)
        db.session.commit()
        if enrolment.status is EnrolmentStatus.WAITLISTED:
            flash(
                _(
                    "The session is full: you are on the waiting list and will get the first "
                    "free place."
                ),
                "info",
            )
        else:
            flash(_("You are enrolled. See you there!"), "success")
        return redirect(url_for(".show", session_id=session.id))
    return redirect(url_for(".show", session_id=session.id)), 303


@bp.post("/<int:session_id>/leave")
@role_required(Role.AGENT)
def leave_view(session_id: int):
    """Agents: leave a session or its waiting list."""
    session = db.get_or_404(TrainingSession, session_id)
    if not LeaveForm().validate_on_submit():
        abort(400)
    with refused():
        leave(session, current_user)
        db.session.commit()
        flash(_("You have left this session."), "success")
        return redirect(url_for(".show", session_id=session.id))
    return redirect(url_for(".show", session_id=session.id)), 303


@bp.post("/<int:session_id>/cancel")
@role_required(Role.COORDINATOR)
def cancel(session_id: int):
    """Coordinators: cancel a session, with a reason."""
    session = db.get_or_404(TrainingSession, session_id)
    form = CancelSessionForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for cancelling."), "error")
        return redirect(url_for(".show", session_id=session.id)), 303
    with refused():
        cancel_session(session, actor=current_user, reason=form.reason.data.strip())
        db.session.commit()
        flash(_("Session cancelled."), "success")
        return redirect(url_for(".show", session_id=session.id))
    return redirect(url_for(".show", session_id=session.id)), 303


@bp.route("/<int:session_id>/attendance", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def attendance(session_id: int):
    """Coordinators: the roll call, one large toggle per enrolled agent."""
    session = db.get_or_404(TrainingSession, session_id)
    form = AttendanceForm()
    if form.validate_on_submit():
        values = request.form.getlist("attended")
        with refused(form):
            if not all(v.isdigit() and not integer_problem(int(v)) for v in values):
                raise DomainError(
                    _("Attendance can only be taken for agents enrolled in this session.")
                )
            certified = record_attendance(session, {int(v) for v in values}, actor=current_user)
            db.session.commit()
            flash(_("Attendance saved: %(num)d present.", num=len(values)), "success")
            for agent in certified:
                flash(_("%(name)s is now a certified agent.", name=agent.name), "success")
            return redirect(url_for(".attendance", session_id=session.id))
    return render_template(
        "trainings/attendance.html",
        session=session,
        roster=reports.roster(session),
        form=form,
        error=" ".join(form.form_errors) or None,
    ), form_status(form)


@bp.get("/<int:session_id>.ics")
@login_required
def ics(session_id: int):
    """Logged-in users: one session as an iCalendar file to add to a calendar."""
    session = db.get_or_404(TrainingSession, session_id)
    body = calendar_for(
        [session],
        name=session.title,
        url_for_session=lambda s: url_for(".show", session_id=s.id, _external=True),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="training-{session.id}.ics"'},
    )


@bp.cli.command("apply-lapses")
def apply_lapses_command():
    """Operators (cron): lapse the certifications past their date without a refresher."""
    from ..services.trainings import apply_lapses

    count = apply_lapses(actor=None)
    db.session.commit()
    print(f"{count} certifications lapsed.")
