"""The raw export on SQLite: plain tuples from the driver's cursor, each row written as
one f-string of cells finished once per distinct value (escaped, and quoted as
csv.writer quotes), the same bytes as `reports.raw` writes (see `reports.raw_export`,
which calls `written`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, func, select

from ..models import Encounter, EncounterRumour
from ..rules.localtime import city_timezone
from ..rules.suppression import escape_formula
from .raw import HIGH, LOW, compiled_window, encounter_names

# Below this share of a window's ids kept by the filter, the next window reads only the
# kept encounters' links.
SPARSE_BELOW = 0.5


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


class _Moments(dict):
    """City time, as isoformat(timespec="seconds") writes it, of the stored UTC text
    (YYYY-MM-DD HH:MM:SS.ffffff), by hour: in an hour with one whole-hour offset the
    minutes and seconds stay as stored, so each hour's local date, hour and offset are
    worked out once; any other hour (a half-hour zone, a change of offset) per row."""

    def __init__(self, zone):
        super().__init__()
        self.zone = zone

    def __missing__(self, hour: str):
        start = datetime.fromisoformat(hour + ":00:00").replace(tzinfo=UTC)
        local = start.astimezone(self.zone)
        offset = local.utcoffset()
        split = None
        if offset == (start + timedelta(seconds=3599)).astimezone(self.zone).utcoffset() and (
            not offset % timedelta(hours=1)
        ):
            text = local.isoformat(timespec="seconds")
            split = (text[:13], text[19:])
        if len(self) > 200_000:  # about 23 years of hours: keep memory bounded
            self.clear()
        self[hour] = split
        return split

    def text(self, stored: str) -> str:
        split = self[stored[:13]]
        if split is None or len(stored) < 19:
            moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
            return moment.astimezone(self.zone).isoformat(timespec="seconds")
        return split[0] + stored[13:19] + split[1]


class _Cells(dict):
    """A look-up's finished cells by id; an id it does not hold (None, or a row added
    since the names were read) is an empty cell, as the Python writer writes it."""

    def __missing__(self, key):
        return ""


def written(
    session, conditions: list, first: int, last: int, window: int, sparse: bool | None = None
) -> Iterator[bytes]:
    """Each window's links as one text per encounter, then its rows, read as plain
    tuples through the driver's cursor in one read transaction, which ends before the
    window's lines (one f-string per row) are handed on.

    Unless `sparse` is given, which statement reads a window's links follows the share
    of ids the filter kept in the last window read (the first reads all its links)."""
    names = encounter_names(session)
    safe = _Safe()
    district, neighbourhood, campaign, organisation, agent = (
        _Cells({key: safe[value] for key, value in names[kind].items()})
        for kind in ("district", "neighbourhood", "campaign", "organisation", "agent")
    )
    mentions = _Mentions(names)
    moment = _Moments(city_timezone()).text
    e, link = Encounter.__table__.c, EncounterRumour.__table__.c
    rows_sql = _window_sql(session, select(
        e.id, e.occurred_at, e.local_day, e.district_id, e.neighbourhood_id, e.setting,
        e.people_reached, e.outcome, e.campaign_id, e.organisation_id, e.agent_id,
    ).where(e.id > LOW, e.id <= HIGH, *conditions).order_by(e.id))
    # Each encounter's links as one text, grouped by SQLite (the order does not matter:
    # _Mentions sorts), so Python does nothing per link. Read apart from the rows and
    # matched by id in Python: joined in SQL, SQLite materialises the links and builds
    # an index on them for every window, slower than both reads together. A window where
    # the filter keeps most ids reads all its links; a sparse one joins the links to the
    # kept encounters (each side a bounded index range, as reports.raw reads them).
    grouped = select(
        link.encounter_id,
        func.group_concat(
            cast(link.rumour_id, String) + " "
            + func.coalesce(cast(link.rebuttal_id, String), ""), ","
        ),
    ).where(link.encounter_id > LOW, link.encounter_id <= HIGH).group_by(link.encounter_id)
    links_sql = {
        False: _window_sql(session, grouped),
        True: _window_sql(session, grouped.join(Encounter.__table__, e.id == link.encounter_id)
                          .where(e.id > LOW, e.id <= HIGH, *conditions)),
    }
    kept = 1.0  # the share of the last window's ids that the filter kept
    for low in range(first - 1, last, window):
        raw = session.connection().connection.driver_connection
        cursor = raw.cursor()
        try:
            if not raw.in_transaction:
                # Both reads from one snapshot: a correction changes a conversation
                # and its links together, and must not come out half applied.
                cursor.execute("BEGIN")
            joined = kept < SPARSE_BELOW if sparse is None else sparse
            linked = dict(cursor.execute(*links_sql[joined](low, window))).get
            # Each row one f-string of finished cells (csv.writer would look at every
            # character of every cell, each time), written as the cursor reads it.
            lines = [
                f"{encounter_id},{moment(occurred_at)},{day},{district[district_id]},"
                f"{neighbourhood[neighbourhood_id]},{safe[setting]},{people_reached},"
                f"{safe[outcome]},{mentions[linked(encounter_id)]},{campaign[campaign_id]},"
                f"{organisation[organisation_id]},{agent[agent_id]}\r\n"
                for (encounter_id, occurred_at, day, district_id, neighbourhood_id, setting,
                     people_reached, outcome, campaign_id, organisation_id, agent_id)
                in cursor.execute(*rows_sql(low, window))
            ]
        finally:
            cursor.close()
        session.rollback()
        kept = len(lines) / window
        yield "".join(lines).encode()



def _window_sql(session, statement):
    """`statement` compiled once; called with a window, its SQL and positional values."""
    compiled = compiled_window(session, statement)
    sql, params, names = str(compiled), compiled.params, compiled.positiontup

    def bound(low: int, window: int) -> tuple[str, list]:
        values = {**params, "low": low, "high": low + window}
        return sql, [values[name] for name in names]

    return bound
