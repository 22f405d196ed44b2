"""A report as one JSON document: suppressed counts are null and listed per table."""

from __future__ import annotations

import json
from datetime import date, datetime

from flask_babel import gettext as _

from .tables import SUPPRESSED, Report


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


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
