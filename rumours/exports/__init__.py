"""Report tables -> CSV, XLSX, JSON and Frictionless Data Package files, and the raw
encounter export as a stream of CSV text. Pure functions: no request or session access
(the raw export reads the database through the app's session, in batches).

Every text cell written to a CSV or a spreadsheet goes through `escape_formula`, so a
value like "=HYPERLINK(...)" stays inert text; numbers are never escaped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from ..rules.suppression import escape_formula

# ---------------------------------------------------------------------------
# The report model the writers take
# ---------------------------------------------------------------------------


class Suppressed:
    """The marker for a count hidden by small-count suppression (use `SUPPRESSED`)."""

    _instance: Suppressed | None = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "suppressed"

    def __reduce__(self):
        return (Suppressed, ())


SUPPRESSED = Suppressed()
# How a hidden count is written in CSV files and spreadsheets.
SUPPRESSED_TEXT = "suppressed"
COLUMN_TYPES = ("string", "integer", "date", "number")


@dataclass(frozen=True)
class Column:
    """One column: a machine name, a human title, a Table Schema type and its meaning."""

    name: str
    title: str
    type: str  # "string" | "integer" | "date" | "number"
    description: str = ""


@dataclass
class Table:
    """One table of a report; `name` is a lowercase-hyphen slug (file, resource and
    sheet name); row values are str, int, float, date, None or SUPPRESSED."""

    name: str
    title: str
    description: str
    columns: list[Column]
    rows: list[tuple]


@dataclass
class Report:
    """A statistics report ready to leave the app: small counts already suppressed."""

    title: str
    description: str
    generated_at: datetime
    period_start: date
    period_end: date
    scope: str
    threshold: int
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self, name: str | None = None) -> Table:
        """The named table, or the first; KeyError for a name the report lacks."""
        for table in self.tables:
            if name is None or table.name == name:
                return table
        raise KeyError(name)


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------


def _text_cell(value) -> str:
    """A value as CSV text: ISO dates, suppressed marked, text made formula-safe."""
    if value is None:
        return ""
    if value is SUPPRESSED:
        return SUPPRESSED_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return escape_formula(str(value))


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _csv_text(rows: Iterable[Iterable]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _table_csv(table: Table) -> str:
    header = [escape_formula(c.name) for c in table.columns]
    return _csv_text([header, *([_text_cell(v) for v in row] for row in table.rows)])


def package_name(text: str) -> str:
    """A Data Package name from any text: lower-case ASCII, digits and hyphens."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "report"


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


def report_csv(report: Report, table_name: str | None = None) -> str:
    """One table of the report (the first unless named) as plain CSV: a header of column
    names, one line per row, suppressed counts written as `suppressed`. A CSV holds one
    table and no metadata; the JSON, XLSX and Data Package carry the notes."""
    return _table_csv(report.table(table_name))


def report_json(report: Report) -> str:
    """The whole report as JSON: suppressed counts are null and listed per table in
    `suppressed_cells` as [row index, column name]."""
    tables = []
    for table in report.tables:
        names = [c.name for c in table.columns]
        rows, hidden = [], []
        for index, row in enumerate(table.rows):
            record = {}
            for name, value in zip(names, row, strict=True):
                if value is SUPPRESSED:
                    hidden.append([index, name])
                    value = None
                record[name] = _json_value(value)
            rows.append(record)
        tables.append(
            {
                "name": table.name,
                "title": table.title,
                "description": table.description,
                "columns": [
                    {"name": c.name, "title": c.title, "type": c.type,
                     "description": c.description}
                    for c in table.columns
                ],
                "rows": rows,
                "suppressed_cells": hidden,
            }
        )
    document = {
        "title": report.title,
        "description": report.description,
        "scope": report.scope,
        "period": {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()},
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "suppression": {
            "threshold": report.threshold,
            "marker": None,
            "note": _suppression_note(report.threshold),
        },
        "notes": [str(n) for n in report.notes],
        "tables": tables,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _suppression_note(threshold: int) -> str:
    return _(
        "Counts from 1 to %(below)s are suppressed: null here, and listed in each table's "
        "suppressed_cells. So is a second count wherever a suppressed one could be worked "
        "out from a total.",
        below=threshold - 1,
    )


def _about_lines(report: Report) -> list[tuple[str, str]]:
    """The report's metadata as (label, value) pairs, for the About sheet and README
    (the report's own notes say why counts are hidden; this says how they are shown)."""
    return [
        (_("Title"), report.title),
        (_("Description"), report.description),
        (_("Scope"), report.scope),
        (_("Period"), f"{report.period_start.isoformat()} – {report.period_end.isoformat()}"),
        (_("Generated at"), report.generated_at.isoformat(timespec="seconds")),
        (
            _("Small counts"),
            _("Counts from 1 to %(below)s are written “suppressed”.",
              below=report.threshold - 1),
        ),
    ]


def report_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook: an About sheet (metadata, notes and what each
    column means), then one sheet per table with a bold, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    grey = Font(italic=True, color="6B6B6B")
    wrap = Alignment(wrap_text=True, vertical="top")
    right = Alignment(horizontal="right")
    workbook = Workbook()
    about = workbook.active
    about.title = _safe_sheet_title(_("About"), set())
    about.append([escape_formula(report.title)])
    about["A1"].font = Font(bold=True, size=14)
    about.append([])
    for label, value in _about_lines(report)[1:]:
        about.append([escape_formula(label), escape_formula(str(value))])
        about.cell(about.max_row, 1).font = bold
    for note in report.notes:
        about.append([_("Note"), escape_formula(str(note))])
        about.cell(about.max_row, 1).font = bold
    about.append([])
    about.append([_("Sheet"), _("Column"), _("Meaning")])
    for cell in about[about.max_row]:
        cell.font = bold
    used = {about.title}
    sheet_titles = {}
    for table in report.tables:
        sheet_titles[table.name] = _safe_sheet_title(table.name, used)
        used.add(sheet_titles[table.name])
        about.append(
            [escape_formula(sheet_titles[table.name]), "",
             escape_formula(f"{table.title}: {table.description}")]
        )
        for column in table.columns:
            about.append(
                ["", escape_formula(column.name),
                 escape_formula(f"{column.title}. {column.description}".strip())]
            )
    for row in about.iter_rows():
        for cell in row:
            cell.alignment = wrap
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 60
    about.column_dimensions["C"].width = 70

    for table in report.tables:
        sheet = workbook.create_sheet(sheet_titles[table.name])
        sheet.append([escape_formula(c.title) for c in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        widths = [len(str(c.title)) for c in table.columns]
        for values in table.rows:
            sheet.append([_sheet_value(v) for v in values])
            for index, (column, cell) in enumerate(
                zip(table.columns, sheet[sheet.max_row], strict=True)
            ):
                value = values[index]
                if value is SUPPRESSED:
                    # Lined up with the numbers around it, but plainly not one.
                    cell.font = grey
                    cell.alignment = right
                elif isinstance(value, date) and not isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd"
                elif column.type == "integer" and isinstance(value, int):
                    cell.number_format = "#,##0"
                widths[index] = max(widths[index], len(_text_cell(value)))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_value(value):
    if value is SUPPRESSED:
        return SUPPRESSED_TEXT
    if isinstance(value, datetime):
        # Excel has no time zones: write the moment as ISO text.
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        return escape_formula(value)
    return value


def _safe_sheet_title(name: str, used: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    title = re.sub(r"[\[\]:*?/\\]", "-", str(name)).strip("'")[:31] or "sheet"
    candidate, n = title, 2
    while candidate.lower() in {u.lower() for u in used}:
        suffix = f"-{n}"
        candidate = title[: 31 - len(suffix)] + suffix
        n += 1
    return candidate


def report_datapackage(report: Report, name: str | None = None) -> bytes:
    """The report as a zipped Frictionless Data Package (v1): datapackage.json, a README
    and one CSV per table, suppressed counts written as `suppressed` (a missing value)."""
    descriptor = {
        "profile": "tabular-data-package",
        "name": package_name(name or report.title),
        "title": report.title,
        "description": report.description,
        "created": report.generated_at.isoformat(timespec="seconds"),
        "resources": [
            {
                "name": table.name,
                "path": f"{table.name}.csv",
                "profile": "tabular-data-resource",
                "title": table.title,
                "description": table.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": c.name, "title": c.title, "type": c.type,
                         "description": c.description}
                        for c in table.columns
                    ],
                    "missingValues": ["", SUPPRESSED_TEXT],
                },
            }
            for table in report.tables
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2)
        )
        archive.writestr("README.md", _readme(report))
        for table in report.tables:
            archive.writestr(f"{table.name}.csv", _table_csv(table))
    return buffer.getvalue()


def _readme(report: Report) -> str:
    lines = [f"# {report.title}", ""]
    lines += [f"- **{label}:** {value}" for label, value in _about_lines(report)[1:]]
    if report.notes:
        lines += ["", *(f"- {note}" for note in report.notes)]
    lines += ["", f"## {_('Files')}", ""]
    for table in report.tables:
        lines.append(f"- `{table.name}.csv`: {table.title}. {table.description}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# The raw encounter export (coordinators only)
# ---------------------------------------------------------------------------

RAW_ENCOUNTER_COLUMNS = (
    "encounter",
    "occurred_at",
    "day",
    "district",
    "neighbourhood",
    "setting",
    "people_reached",
    "outcome",
    "rumours",
    "rebuttal_versions",
    "campaign",
    "organisation",
    "agent",
)
RAW_BATCH_SIZE = 5000


def raw_encounters_csv(filters, batch_size: int = RAW_BATCH_SIZE) -> Iterator[str]:
    """Every encounter in the filter (a `StatsFilter`) as CSV text: a header, then chunks
    of about `batch_size` rows in id order. Agents appear by pseudonym only (empty once
    erased); notes are left out. Rows are read in windows of `batch_size` ids, one query
    for the encounters and one for their rumours, each window's read transaction ended
    before anything is yielded: memory stays flat and no transaction is held while the
    client downloads. Rows written while the export runs may or may not be included."""
    from sqlalchemy import String, func, select, type_coerce

    from ..extensions import db
    from ..models import (
        AgentProfile,
        Campaign,
        District,
        Encounter,
        EncounterRumour,
        Neighbourhood,
        Organisation,
        Rebuttal,
        Rumour,
    )
    from ..rules.localtime import city_timezone

    zone = city_timezone()
    session = db.session

    # Look-ups loaded once, already formula-safe: a joined list starts with its first
    # item, so escaping each item escapes the cell.
    def slugs(model) -> dict[int | None, str]:
        found = {key: escape_formula(slug) for key, slug in session.execute(
            select(model.id, model.slug)
        )}
        found[None] = ""
        return found

    districts = slugs(District)
    neighbourhoods = slugs(Neighbourhood)
    campaigns = slugs(Campaign)
    organisations = slugs(Organisation)
    rumours = slugs(Rumour)
    pseudonyms = {
        user_id: escape_formula(pseudonym)
        for user_id, pseudonym in session.execute(
            select(AgentProfile.user_id, AgentProfile.pseudonym)
        )
    }
    rebuttals = {
        rebuttal_id: f"{rumours.get(rumour_id, '')}:{language}:v{version}"
        for rebuttal_id, rumour_id, language, version in session.execute(
            select(Rebuttal.id, Rebuttal.rumour_id, Rebuttal.language, Rebuttal.version)
        )
    }
    session.rollback()
    yield _csv_text([RAW_ENCOUNTER_COLUMNS])

    # Table columns, enums read as their stored text: no ORM row processing per cell.
    e = Encounter.__table__.c
    conditions = [e.local_day >= filters.start, e.local_day <= filters.end]
    for column, value in (
        (e.campaign_id, filters.campaign_id),
        (e.district_id, filters.district_id),
        (e.organisation_id, filters.organisation_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.rumour_id is not None:
        # An alias: the links query below also reads encounter_rumours.
        heard = EncounterRumour.__table__.alias("heard")
        conditions.append(
            select(heard.c.encounter_id)
            .where(heard.c.encounter_id == e.id, heard.c.rumour_id == filters.rumour_id)
            .correlate(Encounter.__table__)
            .exists()
        )
    columns = (
        e.id, e.occurred_at, e.local_day, e.district_id, e.neighbourhood_id,
        type_coerce(e.setting, String), e.people_reached, type_coerce(e.outcome, String),
        e.campaign_id, e.organisation_id, e.agent_id,
    )
    link = EncounterRumour.__table__.c
    first, last = session.execute(select(func.min(e.id), func.max(e.id)).where(*conditions)).one()
    session.rollback()
    if first is None:
        return
    # Windows of `batch_size` ids rather than `id > last ORDER BY id LIMIT n`: each
    # query reads a bounded primary-key range whatever the filter and whatever the
    # planner's statistics say (a LIMIT query may be planned as a scan of every later
    # row, and done once per batch that is quadratic).
    lines: list[tuple] = []
    for low in range(first - 1, last, batch_size):
        high = low + batch_size
        batch = session.execute(
            select(*columns).where(e.id > low, e.id <= high, *conditions).order_by(e.id)
        ).all()
        if not batch:
            session.rollback()
            continue
        # The rumour links of the window's rows (both ranges given: each side of the
        # join is a bounded index range, however the planner joins them).
        mentioned: dict[int, list[tuple[str, str | None]]] = {}
        for encounter_id, rumour_id, rebuttal_id in session.execute(
            select(link.encounter_id, link.rumour_id, link.rebuttal_id)
            .join(Encounter.__table__, e.id == link.encounter_id)
            .where(
                link.encounter_id > low, link.encounter_id <= high,
                e.id > low, e.id <= high, *conditions,
            )
        ).all():
            mentioned.setdefault(encounter_id, []).append(
                (rumours.get(rumour_id, ""), rebuttals.get(rebuttal_id))
            )
        # End the read before handing the rows to a slow client.
        session.rollback()
        for (
            encounter_id, occurred_at, day, district_id, neighbourhood_id, setting,
            people_reached, outcome, campaign_id, organisation_id, agent_id,
        ) in batch:
            links = sorted(mentioned.get(encounter_id, ()))
            lines.append(
                (
                    encounter_id,
                    occurred_at.astimezone(zone).isoformat(timespec="seconds"),
                    day.isoformat(),
                    districts.get(district_id, ""),
                    neighbourhoods.get(neighbourhood_id, ""),
                    setting,
                    people_reached,
                    outcome,
                    ";".join(slug for slug, _version in links),
                    ";".join(version for _slug, version in links if version),
                    campaigns.get(campaign_id, ""),
                    organisations.get(organisation_id, ""),
                    pseudonyms.get(agent_id, ""),
                )
            )
        if len(lines) >= batch_size:
            yield _csv_text(lines)
            lines = []
    if lines:
        yield _csv_text(lines)
