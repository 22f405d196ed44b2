"""The report model every writer takes: a Report of Tables of typed Columns, with
SUPPRESSED marking a count hidden by small-count suppression. Reports build these;
the writers beside this module turn them into files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_date, format_datetime
from flask import has_app_context
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _


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


def about_lines(report: Report) -> list[tuple[str, str]]:
    """The report's metadata as (label, value) pairs, for the About sheet and README
    (the report's own notes say why counts are hidden; this says how they are shown)."""
    # In the reader's words (locale and the city's time zone), then the ISO form that
    # machines and other languages read alike.
    locale = str(get_locale() or "en")
    start, end = report.period_start, report.period_end
    period = (
        f"{format_date(start, 'long', locale=locale)} – {format_date(end, 'long', locale=locale)}"
        f" ({start.isoformat()} – {end.isoformat()})"
    )
    zone = get_timezone() if has_app_context() else None  # the city's, in a request or command
    generated = format_datetime(report.generated_at, "long", tzinfo=zone, locale=locale)
    return [
        (_("Title"), report.title),
        (_("Description"), report.description),
        (_("Scope"), report.scope),
        (_("Period"), period),
        (_("Generated at"), f"{generated} ({report.generated_at.isoformat(timespec='seconds')})"),
        (
            _("Small counts"),
            _("Counts from 1 to %(below)s are written “suppressed”.",
              below=report.threshold - 1),
        ),
    ]
