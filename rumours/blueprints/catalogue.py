"""Curating the catalogue: coordinators create rumours, write rebuttals, publish versions."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms.catalogue import EXPLANATION_TEMPLATE, ConfirmForm, RebuttalForm, RumourForm
from ..models import Rebuttal, Role, Rumour, RumourStatus
from ..permissions import role_required
from ..reports import catalogue as reports
from ..reports.audit import rumour_history
from ..rules.city import catalogue_languages
from ..rules.review import review_due
from ..rules.themes import all_themes, theme
from ..services import catalogue as services
from ..web.binding import form_status, refused

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


def get_rumour(rumour_id: int) -> Rumour:
    return db.get_or_404(
        Rumour,
        rumour_id,
        options=[selectinload(Rumour.rebuttals).selectinload(Rebuttal.sources)],
    )


def check_language(language: str) -> str:
    if language not in catalogue_languages():
        abort(404)
    return language


def parse_filters() -> reports.Filters:
    args = request.args

    def enum_or_none(enum_cls, value):
        try:
            return enum_cls(value) if value else None
        except ValueError:
            return None

    language = args.get("language") or None
    return reports.Filters(
        query=args.get("q", "")[:200],
        theme=args.get("theme") if theme(args.get("theme")) else None,
        status=enum_or_none(RumourStatus, args.get("status")),
        language=language if language in catalogue_languages() else None,
        review_due=args.get("due") == "1",
    )


@bp.get("/")
@role_required(Role.COORDINATOR)
def index():
    """Coordinators: every rumour, searchable and filterable, with what needs review."""
    filters = parse_filters()
    page = reports.search_rumours(
        filters, public=False, page=request.args.get("page", 1, type=int), per_page=25
    )
    return render_template(
        "catalogue/index.html",
        page=page,
        filters=filters,
        themes=all_themes(),
        statuses=list(RumourStatus),
        review_due=reports.rumour_review_due,
        languages=catalogue_languages(),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new():
    """Coordinators: add a rumour (a draft until its first rebuttal is published)."""
    form = RumourForm()
    del form.status
    if form.validate_on_submit():
        rumour = services.create_rumour(
            actor=current_user,
            claim=form.claim.data,
            theme=form.theme.data,
            also_heard_as=form.also_heard_as.data,
            reviewed_on=form.reviewed_on.data,
        )
        db.session.commit()
        flash(_("Rumour added. Now write its rebuttal."), "success")
        return redirect(url_for(".rebuttal", rumour_id=rumour.id, language="en"))
    return render_template("catalogue/rumour_form.html", form=form, rumour=None), (
        form_status(form)
    )


@bp.get("/<int:rumour_id>")
@role_required(Role.COORDINATOR)
def show(rumour_id: int):
    """Coordinators: a rumour with its rebuttals per language, versions and history."""
    rumour = get_rumour(rumour_id)
    return render_template(
        "catalogue/show.html",
        rumour=rumour,
        history=rumour_history(rumour),
        languages=catalogue_languages(),
        current=reports.current_rebuttals(rumour),
        review_due=review_due,
        archive_form=ConfirmForm(),
    )


@bp.route("/<int:rumour_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit(rumour_id: int):
    """Coordinators: change a rumour's claim, theme, status or review date."""
    rumour = get_rumour(rumour_id)
    form = RumourForm(obj=rumour if request.method == "GET" else None)
    if request.method == "GET":
        form.theme.data = rumour.theme
        form.status.data = rumour.status.value
    if form.validate_on_submit():
        with refused(form, default="status"):
            services.update_rumour(
                rumour,
                actor=current_user,
                claim=form.claim.data,
                theme=form.theme.data,
                status=RumourStatus(form.status.data),
                also_heard_as=form.also_heard_as.data,
                reviewed_on=form.reviewed_on.data,
            )
            db.session.commit()
            flash(_("Rumour saved."), "success")
            return redirect(url_for(".show", rumour_id=rumour.id))
    return render_template("catalogue/rumour_form.html", form=form, rumour=rumour), (
        form_status(form)
    )


@bp.post("/<int:rumour_id>/archive")
@role_required(Role.COORDINATOR)
def archive(rumour_id: int):
    """Coordinators: take a rumour out of the public catalogue."""
    rumour = get_rumour(rumour_id)
    if ConfirmForm().validate_on_submit():
        services.archive_rumour(rumour, actor=current_user)
        db.session.commit()
        flash(_("The rumour is archived: it no longer shows in public."), "success")
    return redirect(url_for(".show", rumour_id=rumour.id))


def form_to_input(form: RebuttalForm) -> services.RebuttalInput:
    return services.RebuttalInput(
        short_answer=form.short_answer.data or "",
        explanation=form.explanation.data or "",
        review_due_on=form.review_due_on.data,
        sources=[
            services.SourceInput(
                title=entry.title.data or "",
                publisher=entry.publisher.data or "",
                url=entry.url.data or "",
                published_on=entry.published_on.data,
                supports=entry.supports.data or "",
                checked_on=entry.checked_on.data,
            )
            for entry in form.sources
            if not entry.remove.data
        ],
    )


def fill_form(form: RebuttalForm, rebuttal: Rebuttal | None) -> None:
    if rebuttal is None:
        form.explanation.data = EXPLANATION_TEMPLATE
        return
    form.short_answer.data = rebuttal.short_answer
    form.explanation.data = rebuttal.explanation
    form.review_due_on.data = rebuttal.review_due_on
    while len(form.sources):
        form.sources.pop_entry()
    for source in rebuttal.sources:
        form.sources.append_entry(
            {
                "title": source.title,
                "publisher": source.publisher,
                "url": source.url,
                "published_on": source.published_on,
                "supports": source.supports,
                "checked_on": source.checked_on,
            }
        )
    if not rebuttal.sources:
        form.sources.append_entry()


def save_or_publish(rumour: Rumour, language: str, form: RebuttalForm):
    """Save the rebuttal as the working draft, or publish it as a new version when asked."""
    data = form_to_input(form)
    if form.publish.data:
        version = services.publish(rumour, language, data, actor=current_user)
        db.session.commit()
        flash(_("Version %(version)d is published.", version=version.version), "success")
        return redirect(url_for(".show", rumour_id=rumour.id))
    services.save_draft(rumour, language, data, actor=current_user)
    db.session.commit()
    flash(_("Draft saved. It is not public until you publish it."), "success")
    return redirect(url_for(".rebuttal", rumour_id=rumour.id, language=language))


@bp.route("/<int:rumour_id>/rebuttals/<language>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def rebuttal(rumour_id: int, language: str):
    """Coordinators: write the rebuttal in one language; save a draft or publish a version."""
    rumour = get_rumour(rumour_id)
    check_language(language)
    draft = services.working_draft(rumour, language)
    published = services.published_rebuttal(rumour, language)
    form = RebuttalForm()
    if request.method == "GET":
        fill_form(form, draft or published)
    elif form.add_source.data:
        # Adding a source re-renders with everything typed so far, plus an empty source.
        form.validate()
        form.sources.append_entry()
    elif form.validate_on_submit():
        with refused(form) as refusal:
            return save_or_publish(rumour, language, form)
        flash(refusal.error.message, "error")
    # The sources' own messages (none cited yet) show above the list of sources.
    return render_template(
        "catalogue/rebuttal_form.html",
        form=form,
        rumour=rumour,
        language=language,
        language_name=catalogue_languages()[language],
        draft=draft,
        published=published,
        shape=services.explanation_shape(form.explanation.data or ""),
        source_errors=form.form_errors,
    ), 200 if form.add_source.data else form_status(form)


@bp.get("/versions/<int:rebuttal_id>")
@role_required(Role.COORDINATOR)
def version(rebuttal_id: int):
    """Coordinators: read any version of a rebuttal, drafts included."""
    rebuttal = db.get_or_404(Rebuttal, rebuttal_id)
    return render_template(
        "catalogue/version.html",
        rebuttal=rebuttal,
        rumour=rebuttal.rumour,
        review_due=review_due,
    )
