"""CSV files: one report table as CSV, and the raw conversation export streamed from
the rows `reports.raw` reads. Every text cell goes through `escape_formula`, so a value
like "=HYPERLINK(...)" stays inert text; numbers are never escaped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from ..rules.suppression import escape_formula
from .tables import SUPPRESSED, SUPPRESSED_TEXT, Report, Table


def text_cell(value) -> str:
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


# A CSV downloaded on its own starts with the UTF-8 byte-order mark: without it Excel on
# Windows reads the file in the machine's code page and breaks every accent ("GrÃ cia").
# The Data Package's CSVs go without it: its datapackage.json declares UTF-8.
BYTE_ORDER_MARK = "\ufeff"


def csv_text(rows: Iterable[Iterable]) -> str:
    """Rows as CSV text, lines ended by CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def table_csv(table: Table) -> str:
    """A table as CSV: a header of column names, then one line per row."""
    header = [escape_formula(c.name) for c in table.columns]
    return csv_text([header, *([text_cell(v) for v in row] for row in table.rows)])


def report_csv(report: Report, table_name: str | None = None) -> str:
    """One table of the report (the first unless named) as plain CSV: a header of column
    names, one line per row, suppressed counts written as `suppressed`. A CSV holds one
    table and no metadata; the JSON, XLSX and Data Package carry the notes."""
    return BYTE_ORDER_MARK + table_csv(report.table(table_name))


# ---------------------------------------------------------------------------
# The raw conversation export (coordinators only)
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


class _SafeText(dict):
    """Text made formula-safe, each distinct value escaped once (None is empty): an
    export repeats a few hundred slugs and pseudonyms over millions of rows."""

    def __missing__(self, value):
        text = "" if value is None else escape_formula(value)
        self[value] = text
        return text


class _SafeLink(dict):
    """A (rumour slug, rebuttal version or None) pair made formula-safe, once per pair."""

    def __init__(self, safe: _SafeText):
        super().__init__()
        self.safe = safe

    def __missing__(self, link):
        slug, version = link
        pair = (self.safe[slug], None if version is None else self.safe[version])
        self[link] = pair
        return pair


def encounters_csv(batches: Iterable[list[tuple]]) -> Iterator[str]:
    """The raw conversation export as CSV text: the header, then one chunk per batch.

    Each row holds, in `RAW_ENCOUNTER_COLUMNS` order: the encounter id, its moment in city
    time (a datetime), its day (a date), the district, neighbourhood, setting, people
    reached and outcome, the (rumour slug, rebuttal version or None) pairs it mentions,
    then the campaign, organisation and agent pseudonym; None where there is none.
    Mentions are written sorted, rumours and rebuttal versions each joined by ";"."""
    yield BYTE_ORDER_MARK + csv_text([RAW_ENCOUNTER_COLUMNS])
    safe = _SafeText()
    text = safe.__getitem__
    safe_link = _SafeLink(safe).__getitem__
    for batch in batches:
        lines = []
        for (
            encounter_id, occurred_at, day, district, neighbourhood, setting,
            people_reached, outcome, mentions, campaign, organisation, agent,
        ) in batch:
            links = sorted(map(safe_link, mentions))
            lines.append(
                (
                    encounter_id,
                    occurred_at.isoformat(timespec="seconds"),
                    day.isoformat(),
                    text(district),
                    text(neighbourhood),
                    text(setting),
                    people_reached,
                    text(outcome),
                    ";".join([slug for slug, _version in links]),
                    ";".join([version for _slug, version in links if version]),
                    text(campaign),
                    text(organisation),
                    text(agent),
                )
            )
        yield csv_text(lines)
