"""Importing another network's catalogue: upload or address -> preview -> confirm (coordinators)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms.catalogue import ConfirmForm
from ..forms.catalogue_import import FeedImportForm
from ..models import Role
from ..permissions import role_required
from ..rules.feed import MAX_FEED_BYTES, FeedRefused
from ..services import catalogue_import as service

bp = Blueprint("catalogue_import", __name__, url_prefix="/catalogue/import")
# Room for the form's other fields and the multipart envelope around the file.
MAX_UPLOAD_BODY = MAX_FEED_BYTES + 64 * 1024


@bp.url_value_preprocessor
def allow_a_feed_upload(endpoint, values) -> None:
    """A feed may be larger than the app's usual body cap. URL preprocessors run before any
    before_request function, so the CSRF check that parses the form already sees this cap."""
    request.max_content_length = MAX_UPLOAD_BODY


def uploaded(form: FeedImportForm) -> tuple[bytes, str]:
    if form.file.data:
        raw = form.file.data.read(MAX_FEED_BYTES + 1)
        return raw, form.file.data.filename or "upload.json"
    address = form.url.data.strip()
    return service.read_source(address, public_only=True), address


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def start():
    """Coordinators: choose a feed (a file or an address) to preview before importing."""
    form = FeedImportForm()
    if form.validate_on_submit():
        field = form.file if form.file.data else form.url
        try:
            raw, source = uploaded(form)
            service.read_feed(raw)
        except FeedRefused as refused:
            field.errors = list(field.errors) + [str(refused)]
        else:
            token = service.hold_for_confirmation(raw, source, actor=current_user)
            db.session.commit()
            return redirect(url_for(".preview", token=token))
    return render_template(
        "catalogue_import/start.html", form=form, max_mb=MAX_FEED_BYTES >> 20
    ), 422 if form.errors else 200


@bp.route("/<token>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def preview(token: str):
    """Coordinators: what the import will add, update and skip; confirming imports it as drafts."""
    found = service.held(token, current_user)
    if found is None:
        abort(404)
    pending, raw, source = found
    try:
        plan = service.plan_import(service.read_feed(raw), source)
    except FeedRefused:
        abort(404)  # it was read once already; a changed install may refuse it now
    form = ConfirmForm()
    if form.validate_on_submit():
        service.apply_import(plan, actor=current_user)
        db.session.delete(pending)
        db.session.commit()
        counts = plan.counts()
        flash(
            _(
                "Imported as drafts: %(added)d added, %(updated)d updated, %(skipped)d skipped.",
                added=counts["add"],
                updated=counts["update"],
                skipped=counts["skip"],
            ),
            "success",
        )
        return redirect(url_for("catalogue.index", status="draft"))
    return render_template("catalogue_import/preview.html", plan=plan, form=form, token=token)
