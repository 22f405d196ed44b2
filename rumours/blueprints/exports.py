"""Exports: the indicators report as CSV, Excel, JSON or a Data Package for coordinators
and organisation members, and the raw conversations as CSV for coordinators."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..exports.csvfiles import report_csv
from ..exports.datapackage import report_datapackage
from ..exports.jsonfiles import report_json
from ..exports.xlsx import report_xlsx
from ..extensions import db
from ..models import Role
from ..permissions import organisation_ids, role_required, statistics_scope
from ..reports.filters import FilterError, ParsedFilters, filter_choices, parse_filters
from ..reports.indicators import indicator_report, indicator_tables
from ..reports.raw_export import raw_export_csv
from ..rules.city import city
from ..rules.localtime import city_today
from ..services import record_audit
from ..web.i18n import current_locale

bp = Blueprint("exports", __name__, url_prefix="/exports")

# Format -> (mimetype, file extension).
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
    "zip": ("application/zip", "zip"),
}


@bp.get("/")
@role_required(Role.COORDINATOR, Role.MEMBER)
def index():
    """Coordinators and members: choose a scope and period, read what the files hold and
    download them."""
    try:
        parsed = statistics_scope(current_user, parse_filters(request.args, today=city_today()))
    except FilterError as error:
        return _form_with_errors(error)
    return render_template(
        "exports/index.html", **_page(parsed, {}), tables=indicator_tables(parsed)
    )


@bp.get("/indicators.<fmt>")
@role_required(Role.COORDINATOR, Role.MEMBER)
def indicators(fmt: str):
    """Coordinators and members (their organisation only): the indicators report as a
    file, small counts suppressed."""
    if fmt not in FORMATS:
        abort(404)
    try:
        parsed = statistics_scope(current_user, parse_filters(request.args, today=city_today()))
    except FilterError as error:
        return _form_with_errors(error)
    report = indicator_report(parsed, threshold=city().small_count_threshold)
    stem = _file_stem("indicators", parsed)
    if fmt == "csv":
        table = request.args.get("table") or None
        try:
            body = report_csv(report, table)
        except KeyError:
            return _form_with_errors(
                FilterError({"table": [_("There is no table called “%(name)s”.", name=table[:80])]})
            )
        stem += f"-{table}" if table else ""
    elif fmt == "xlsx":
        body = report_xlsx(report)
    elif fmt == "json":
        body = report_json(report)
    else:
        body = report_datapackage(report, name=stem)
    return _download(body, fmt, stem)


@bp.get("/encounters.csv")
@role_required(Role.COORDINATOR)
def encounters():
    """Coordinators: every conversation in the filter as CSV, agents by pseudonym only,
    streamed in batches."""
    try:
        parsed = parse_filters(request.args, today=city_today())
    except FilterError as error:
        return _form_with_errors(error)
    record_audit("encounters.export", "encounter", actor=current_user, details=parsed.query_args())
    db.session.commit()
    stem = _file_stem("conversations", parsed)
    return _download(stream_with_context(raw_export_csv(parsed.filters)), "csv", stem)


def _download(body, fmt: str, stem: str) -> Response:
    mimetype, extension = FORMATS[fmt]
    return Response(
        body,
        content_type=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{extension}"',
            # A download of personal statistics is nobody else's to keep.
            "Cache-Control": "private, no-store",
        },
    )


def _file_stem(kind: str, parsed: ParsedFilters) -> str:
    """rumours-<kind>-<scope>-<start>-<end>; slugs are [a-z0-9-], safe in a header."""
    f = parsed.filters
    scope = parsed.organisation.slug if parsed.organisation else "network"
    return f"rumours-{kind}-{scope}-{f.start.isoformat()}-{f.end.isoformat()}"


def _form_with_errors(error: FilterError):
    """The export form again with each bad value's message next to its field (400)."""
    fallback = statistics_scope(current_user, parse_filters({}, today=city_today()))
    return render_template(
        "exports/index.html", **_page(fallback, error.fields), tables=indicator_tables(fallback)
    ), 400


def _page(parsed: ParsedFilters, errors: dict) -> dict:
    """What the export page shows: the filters, their choices and the threshold."""
    mine = organisation_ids(current_user) if current_user.role is Role.MEMBER else None
    choices = filter_choices(mine, current_locale())
    return {
        "parsed": parsed,
        "errors": errors,
        "args": request.args,
        "choices": choices,
        "threshold": city().small_count_threshold,
        "is_coordinator": current_user.role is Role.COORDINATOR,
    }
