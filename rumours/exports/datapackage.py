"""A report as a zipped Frictionless Data Package (v1): datapackage.json, a README and
one CSV per table."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile

from flask_babel import gettext as _

from .csvfiles import table_csv
from .tables import SUPPRESSED_TEXT, Report, about_lines


def package_name(text: str) -> str:
    """A Data Package name from any text: lower-case ASCII, digits and hyphens."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "report"


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
            archive.writestr(f"{table.name}.csv", table_csv(table))
    return buffer.getvalue()


def _readme(report: Report) -> str:
    lines = [f"# {report.title}", ""]
    lines += [f"- **{label}:** {value}" for label, value in about_lines(report)[1:]]
    if report.notes:
        lines += ["", *(f"- {note}" for note in report.notes)]
    lines += ["", f"## {_('Files')}", ""]
    for table in report.tables:
        lines.append(f"- `{table.name}.csv`: {table.title}. {table.description}")
    return "\n".join(lines) + "\n"
