"""A SQLite export window's lines: plain tuples from the driver's cursor, each row one
f-string of cells finished once per distinct value (escaped, and quoted as csv.writer
quotes). `reports.raw_export_sqlite` formats windows with it, and so does the export's
helper process, which runs this file as a script with its own connection (`serve`):
it needs only the standard library and the formula escaping of `rules.suppression`,
so the helper starts in a few milliseconds without the app."""

from __future__ import annotations

import csv
import io
import pickle
import sqlite3
import sys
import urllib.parse
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

if __package__:
    from ..rules.suppression import escape_formula
else:  # the helper's script: the app's package is not imported, only this one file
    import importlib.util
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location(
        "suppression", Path(__file__).resolve().parent.parent / "rules" / "suppression.py"
    )
    _suppression = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_suppression)
    escape_formula = _suppression.escape_formula


class Statement:
    """A statement's SQL, its fixed values and the order of its parameters (plain values,
    so the helper takes it as it is); called with a window, the SQL and positional
    values."""

    def __init__(self, sql: str, params: dict, names: list[str]):
        self.sql, self.params, self.names = sql, params, names

    def plain(self) -> tuple[str, dict, list[str]]:
        return self.sql, self.params, self.names

    def __call__(self, low: int, window: int) -> tuple[str, list]:
        values = {**self.params, "low": low, "high": low + window}
        return self.sql, [values[name] for name in self.names]


def _quoted(text: str) -> str:
    """One cell as csv.writer writes it in a row of several (QUOTE_MINIMAL): quoted, its
    quotes doubled, if it holds a comma, a quote or a line break."""
    if not text:
        return ""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([text])
    return buffer.getvalue()[:-2]


class _Safe(dict):
    """Text as a finished CSV cell, made formula-safe and quoted where csv.writer would
    quote it, each distinct value worked out once (None is an empty cell)."""

    def __missing__(self, value):
        text = "" if value is None else _quoted(escape_formula(value))
        self[value] = text
        return text


class _Mentions(dict):
    """The rumours and rebuttal versions cells of an encounter's links (two finished
    cells and the comma between them), given as SQLite concatenates them ("<rumour id>
    <rebuttal id or nothing>", joined by ",", in any order), worked out once per
    distinct text as the Python writer does: pairs of (escaped slug, escaped version)
    sorted, then each side joined by ";"."""

    def __init__(self, names: dict):
        super().__init__()
        self.rumours, self.rebuttals = names["rumour"], names["rebuttal"]
        self[None] = ","

    def __missing__(self, links: str):
        pairs = []
        for link in links.split(","):
            rumour_id, _, rebuttal_id = link.partition(" ")
            version = self.rebuttals.get(int(rebuttal_id)) if rebuttal_id else None
            pairs.append((
                escape_formula(self.rumours.get(int(rumour_id))) or "",
                None if version is None else escape_formula(version),
            ))
        pairs.sort()
        cells = (
            _quoted(";".join([slug for slug, _v in pairs])) + ","
            + _quoted(";".join([v for _s, v in pairs if v]))
        )
        if len(self) > 100_000:  # bounded in practice; cleared if not, so memory stays flat
            self.clear()
            self[None] = ","
        self[links] = cells
        return cells


class _Irregular(LookupError):
    """A stored hour whose city time is not its minutes and seconds as stored under one
    whole-hour offset (a half-hour zone, an offset that changes within the hour)."""


class _Moments(dict):
    """City time, as isoformat(timespec="seconds") writes it, of the stored UTC text
    (YYYY-MM-DD HH:MM:SS.ffffff), in three parts a line puts together: the local text
    up to `width` characters of the stored key `stored[:width]` (this dict), the stored
    text from there up to the seconds, and the offset (`offsets`).

    By hour (width 13), each hour's local date, hour and offset are worked out once, and
    an hour where the stored minutes and seconds do not carry over raises `_Irregular`;
    by second (width 19, any stored text) the whole local time is the first part."""

    def __init__(self, zone: ZoneInfo, width: int):
        super().__init__()
        self.zone, self.width, self.offsets = zone, width, {}

    def __missing__(self, key: str):
        if self.width == 19:
            moment = datetime.fromisoformat(key).replace(tzinfo=UTC)
            prefix, offset = moment.astimezone(self.zone).isoformat(timespec="seconds"), ""
        else:
            if len(key) != 13:
                raise _Irregular(key)
            start = datetime.fromisoformat(key + ":00:00").replace(tzinfo=UTC)
            local = start.astimezone(self.zone)
            shift = local.utcoffset()
            end = (start + timedelta(seconds=3599)).astimezone(self.zone).utcoffset()
            if shift != end or shift % timedelta(hours=1):
                raise _Irregular(key)
            text = local.isoformat(timespec="seconds")
            prefix, offset = text[:13], text[19:]
        if len(self) > 200_000:  # about 23 years of hours: keep memory bounded
            self.clear()
            self.offsets.clear()
        self[key] = prefix
        self.offsets[key] = offset
        return prefix


class _Cells(dict):
    """A look-up's finished cells by id; an id it does not hold (None, or a row added
    since the names were read) is an empty cell, as the Python writer writes it."""

    def __missing__(self, key):
        return ""


class Lines:
    """Everything a window's lines are made of, worked out once per export: the names'
    finished cells, the sets of mentions, the city times by hour and by second."""

    def __init__(self, names: dict, zone: ZoneInfo):
        self.safe = safe = _Safe()
        self.district, self.neighbourhood, self.campaign, self.organisation, self.agent = (
            _Cells({key: safe[value] for key, value in names[kind].items()})
            for kind in ("district", "neighbourhood", "campaign", "organisation", "agent")
        )
        self.mentions = _Mentions(names)
        self.by_hour, self.by_second = _Moments(zone, 13), _Moments(zone, 19)

    def window(self, cursor, rows: Statement, links: Statement, low: int, window: int):
        """The window's lines as bytes and how many, its links then its rows read in the
        cursor's read transaction."""
        linked = dict(cursor.execute(*links(low, window))).get
        try:
            lines = self._lines(cursor.execute(*rows(low, window)), linked, self.by_hour)
        except _Irregular:
            lines = self._lines(cursor.execute(*rows(low, window)), linked, self.by_second)
        return "".join(lines).encode(), len(lines)

    def _lines(self, rows, linked, moments: _Moments) -> list[str]:
        # Each row one f-string of finished cells (csv.writer would look at every
        # character of every cell, each time), written as the cursor reads it.
        safe, mentions, width, offsets = self.safe, self.mentions, moments.width, moments.offsets
        district, neighbourhood = self.district, self.neighbourhood
        campaign, organisation, agent = self.campaign, self.organisation, self.agent
        return [
            f"{encounter_id},{moments[(hour := occurred_at[:width])]}"
            f"{occurred_at[width:19]}{offsets[hour]},{day},{district[district_id]},"
            f"{neighbourhood[neighbourhood_id]},{safe[setting]},{people_reached},"
            f"{safe[outcome]},{mentions[linked(encounter_id)]},{campaign[campaign_id]},"
            f"{organisation[organisation_id]},{agent[agent_id]}\r\n"
            for (encounter_id, occurred_at, day, district_id, neighbourhood_id, setting,
                 people_reached, outcome, campaign_id, organisation_id, agent_id)
            in rows
        ]


def serve() -> None:
    """The helper's loop: the export's set-up, then one window per request on standard
    input ((low, window, joined) pickled), each answered on standard output with its
    lines and how many, read in a read transaction of its own on a read-only
    connection; ends when the input does. An error ends the helper (its traceback on
    standard error), and the app formats the windows it had not answered."""
    given, answers = sys.stdin.buffer, sys.stdout.buffer
    setup = pickle.load(given)
    connection = sqlite3.connect(
        f"file:{urllib.parse.quote(setup['path'])}?mode=ro", uri=True, isolation_level=None
    )
    connection.execute("PRAGMA busy_timeout=5000")
    lines = Lines(setup["names"], ZoneInfo(setup["zone"]))
    rows = Statement(*setup["rows"])
    links = {joined: Statement(*plain) for joined, plain in setup["links"].items()}
    while True:
        try:
            low, window, joined = pickle.load(given)
        except EOFError:
            return
        cursor = connection.cursor()
        try:
            cursor.execute("BEGIN")
            answer = lines.window(cursor, rows, links[joined], low, window)
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    serve()
