"""A report as an Excel workbook (openpyxl): an About sheet, then one sheet per table."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from flask_babel import gettext as _

from ..rules.suppression import escape_formula
from .csvfiles import text_cell
from .tables import SUPPRESSED, SUPPRESSED_TEXT, Report, Table, about_lines


def report_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook: an About sheet (metadata, notes and what each
    column means), then one sheet per table with a bold, frozen header row."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet_titles = _about_sheet(workbook.active, report)
    for table in report.tables:
        _table_sheet(workbook.create_sheet(sheet_titles[table.name]), table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _about_sheet(about, report: Report) -> dict[str, str]:
    """Fill the About sheet; the sheet title chosen for each table, by table name."""
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    about.title = _safe_sheet_title(_("About"), set())
    about.append([escape_formula(report.title)])
    about["A1"].font = Font(bold=True, size=14)
    about.append([])
    for label, value in about_lines(report)[1:]:
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
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in about.iter_rows():
        for cell in row:
            cell.alignment = wrap
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 60
    about.column_dimensions["C"].width = 70
    return sheet_titles


def _table_sheet(sheet, table: Table) -> None:
    """Fill one table's sheet: a bold, frozen header of titles, typed cells, widths."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    grey = Font(italic=True, color="6B6B6B")
    right = Alignment(horizontal="right")
    sheet.append([escape_formula(c.title) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
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
            widths[index] = max(widths[index], len(text_cell(value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)


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
