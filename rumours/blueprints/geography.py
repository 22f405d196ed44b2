"""The city's districts and neighbourhoods, for coordinators: the list, changes by hand
(add, rename, retire, reinstate) and an import from a GeoJSON file (upload, preview of
the shapes and of what will change, confirm)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..charts import project
from ..extensions import csrf, db
from ..forms.fields import options
from ..forms.geography import ActionForm, PlaceForm, RenameForm, UploadForm
from ..models import District, Neighbourhood, Role
from ..permissions import role_required
from ..reports.geography import active_districts, listing
from ..rules.geojson import MAX_BYTES, GeographyError, Options
from ..services.geography import (
    add_place,
    confirm_import,
    pending_import,
    plan_import,
    rename_place,
    set_retired,
    stash_import,
)
from ..web.binding import form_status, refused

bp = Blueprint("geography", __name__, url_prefix="/geography")
MODELS = {"district": District, "neighbourhood": Neighbourhood}


def _place_or_404(level: str, place_id: int):
    if level not in MODELS:
        abort(404)
    return db.get_or_404(MODELS[level], place_id)


def _forms(upload: UploadForm | None = None, **given) -> dict:
    # Blank forms beside the one sent back (never read from the request: it may be the
    # upload refused for its size).
    forms = {"district_form": PlaceForm(formdata=None, prefix="d"),
             "neighbourhood_form": PlaceForm(formdata=None, prefix="n"),
             "upload": upload or UploadForm(formdata=None), "action": ActionForm(formdata=None)}
    forms.update(given)
    forms["neighbourhood_form"].district.choices = options(
        [("", _("Choose the district"))] + [(str(d.id), d.name) for d in active_districts()]
    )
    return forms


def _index(status: int = 200, **forms):
    return render_template("geography/index.html", listing=listing(), max_mb=MAX_BYTES >> 20,
                           **_forms(**forms)), status


@bp.get("/")
@role_required(Role.COORDINATOR)
def index():
    """Coordinators: every district and neighbourhood, retired ones too."""
    return _index()


@bp.post("/<level>/new")
@role_required(Role.COORDINATOR)
def new(level: str):
    """Coordinators: add a district or neighbourhood by hand (no shape)."""
    if level not in MODELS:
        abort(404)
    form = PlaceForm(prefix=level[0])
    _forms(**{f"{level}_form": form})  # fills the district choices
    if form.validate_on_submit():
        chosen = form.district.data or ""
        district = db.session.get(District, int(chosen)) if chosen.isdigit() else None
        with refused(form, default="name"):
            add_place(level, form.name.data, code=form.code.data, district=district,
                      actor=current_user)
            db.session.commit()
            flash(_("%(name)s added.", name=form.name.data.strip()), "success")
            return redirect(url_for(".index"))
    return _index(form_status(form) if form.errors else 422, **{f"{level}_form": form})


@bp.route("/<level>/<int:place_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit(level: str, place_id: int):
    """Coordinators: rename a district or neighbourhood (its address stays)."""
    place = _place_or_404(level, place_id)
    form = RenameForm(obj=place)
    if form.validate_on_submit():
        with refused(form, default="name"):
            rename_place(place, form.name.data, actor=current_user)
            db.session.commit()
            flash(_("Renamed."), "success")
            return redirect(url_for(".index"))
    return render_template("geography/edit.html", form=form, place=place, level=level,
                           action=ActionForm()), form_status(form)


@bp.post("/<level>/<int:place_id>/<any(retire, reinstate):change>")
@role_required(Role.COORDINATOR)
def retire(level: str, place_id: int, change: str):
    """Coordinators: retire a place (hidden from forms, kept in history) or bring it back."""
    place = _place_or_404(level, place_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    set_retired(place, change == "retire", actor=current_user)
    db.session.commit()
    flash(_("%(name)s retired.", name=place.name) if change == "retire"
          else _("%(name)s is back in the forms.", name=place.name), "success")
    return redirect(url_for(".index"))


@bp.post("/upload")
@csrf.exempt  # checked below, once the larger upload cap is set
@role_required(Role.COORDINATOR)
def upload():
    """Coordinators: read a GeoJSON file and show what importing it would change."""
    request.max_content_length = MAX_BYTES + (1 << 16)
    try:
        csrf.protect()  # a missing or wrong token: 400, as on every other form
        form = UploadForm()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.file.errors = [_("The file is larger than %(mb)s MB.", mb=MAX_BYTES >> 20)]
        return _index(413, upload=form)
    if not form.validate_on_submit():
        return _index(422, upload=form)
    data = form.file.data.read()
    options_ = Options(form.level.data, form.name_property.data.strip(),
                       (form.code_property.data or "").strip() or None,
                       (form.parent_property.data or "").strip() or None)
    try:
        plan_import(data, options_)  # refuse a bad file before keeping it
    except GeographyError as error:
        form.file.errors = list(error.problems)
        return _index(422, upload=form)
    token = stash_import(data, options_, actor=current_user).token
    db.session.commit()
    return redirect(url_for(".preview", token=token))


@bp.get("/import/<token>")
@role_required(Role.COORDINATOR)
def preview(token: str):
    """Coordinators: the shapes of an uploaded file and the table of what will change."""
    found = pending_import(token, actor=current_user)
    if found is None:
        flash(_("This upload has expired or was already imported; upload it again."), "error")
        return redirect(url_for(".index"))
    _pending, options_, text = found
    try:
        plan = plan_import(text, options_)
    except GeographyError as error:
        for problem in error.problems:
            flash(problem, "error")
        return redirect(url_for(".index"))
    return render_template("geography/preview.html", plan=plan, token=token,
                           shapes=project(plan.shapes, width=400), action=ActionForm())


@bp.post("/import/<token>")
@role_required(Role.COORDINATOR)
def confirm(token: str):
    """Coordinators: import the previewed file (one transaction)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    with refused():
        try:
            plan = confirm_import(token, actor=current_user)
        except GeographyError as error:
            db.session.rollback()
            for problem in error.problems:
                flash(problem, "error")
            return redirect(url_for(".index"))
        db.session.commit()
        counts = plan.counts
        flash(_("Imported: %(added)s added, %(updated)s updated, %(retired)s retired.",
                added=counts["added"], updated=counts["updated"] + counts["reinstated"],
                retired=counts["retired"]), "success")
    return redirect(url_for(".index"))
