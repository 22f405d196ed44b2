"""The raw export on SQLite: plain tuples from the driver's cursor, each row written as
one f-string of cells finished once per distinct value (escaped, and quoted as
csv.writer quotes), the same bytes as `reports.raw` writes (see `reports.raw_export`,
which calls `written`).

A long export is formatted on two cores: the driver hands Python every cell of every
row, which holds the GIL (a reading thread gained nothing), so a helper process, with
its own connection to the database file, reads and formats every other window while
this one does the rest, and the windows go out in order."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import sqlite3
import urllib.parse
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import String, cast, func, select

from ..models import Encounter, EncounterRumour
from ..rules.localtime import city_timezone
from ..rules.suppression import escape_formula
from .raw import HIGH, LOW, compiled_window, encounter_names

# Below this share of a window's ids kept by the filter, the next window reads only the
# kept encounters' links.
SPARSE_BELOW = 0.5
# From this many windows on, a helper process formats every other window (starting it
# costs a few milliseconds, a second or so the first time in a process).
HELPER_FROM = 25
# Windows the helper may have read ahead of the one being sent (memory stays flat).
HELPER_AHEAD = 2


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


class _Lines:
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

    def window(self, cursor, rows: _Statement, links: _Statement, low: int, window: int):
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


class _Statement:
    """A statement compiled once (plain values, so a helper process can take it); called
    with a window, its SQL and positional values."""

    def __init__(self, session, statement):
        compiled = compiled_window(session, statement)
        self.sql, self.params, self.names = str(compiled), compiled.params, compiled.positiontup

    def __call__(self, low: int, window: int) -> tuple[str, list]:
        values = {**self.params, "low": low, "high": low + window}
        return self.sql, [values[name] for name in self.names]


def _statements(session, conditions: list) -> tuple[_Statement, dict[bool, _Statement]]:
    """The rows' statement, and the links' (all the window's, or joined to the kept
    encounters: True)."""
    e, link = Encounter.__table__.c, EncounterRumour.__table__.c
    rows = _Statement(session, select(
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
    links = {
        False: _Statement(session, grouped),
        True: _Statement(session, grouped.join(Encounter.__table__, e.id == link.encounter_id)
                         .where(e.id > LOW, e.id <= HIGH, *conditions)),
    }
    return rows, links


def written(
    session, conditions: list, first: int, last: int, window: int,
    sparse: bool | None = None, helper: bool | None = None,
) -> Iterator[bytes]:
    """Each window's links as one text per encounter, then its rows, read as plain
    tuples through the driver's cursor in one read transaction, which ends before the
    window's lines (one f-string per row) are handed on.

    Unless `sparse` is given, which statement reads a window's links follows the share
    of ids the filter kept in the last window read (the first reads all its links).
    Unless `helper` is given, a helper process formats every other window when the
    export spans HELPER_FROM windows or more, the database is a file, the machine has
    more than one core and SQLITE_EXPORT_HELPER is on."""
    names = encounter_names(session)
    lines = _Lines(names, city_timezone())
    rows, links = _statements(session, conditions)
    lows = range(first - 1, last, window)
    raw = session.connection().connection.driver_connection
    path = _file(raw)
    session.rollback()
    if helper is None:
        helper = (
            len(lows) >= HELPER_FROM and bool(path) and (os.cpu_count() or 1) > 1
            and current_app.config["SQLITE_EXPORT_HELPER"]
        )
    if not helper or len(lows) < 2:
        yield from _here(session, lines, rows, links, lows, window, sparse)
        return
    yield from _shared(session, lines, rows, links, lows, window, sparse, path, names)


def _here(session, lines, rows, links, lows, window, sparse) -> Iterator[bytes]:
    """Every window formatted in this process."""
    kept = 1.0  # the share of the last window's ids that the filter kept
    for low in lows:
        chunk, count = _read(session, lines, rows, links[_joined(kept, sparse)], low, window)
        kept = count / window
        yield chunk


def _shared(session, lines, rows, links, lows, window, sparse, path, names) -> Iterator[bytes]:
    """Odd windows formatted by a helper process (its own connection, each window in
    its own read transaction, as here), even ones here; handed on in order. A client
    that stops reading ends the helper; a helper that cannot start or dies leaves the
    windows it had not handed back to this process."""
    pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
        1, mp_context=_context(), initializer=_helper_start,
        initargs=(path, names, city_timezone(), rows, links),
    )
    ahead: deque[tuple[int, Future]] = deque()
    following = 1  # the next window for the helper
    kept = 1.0
    try:
        for index, low in enumerate(lows):
            while pool is not None and following < len(lows) and len(ahead) < HELPER_AHEAD:
                future = pool.submit(_helper_window, lows[following], window,
                                     _joined(kept, sparse))
                ahead.append((following, future))
                following += 2
            done = None
            if ahead and ahead[0][0] == index:
                try:
                    done = ahead.popleft()[1].result()
                except BrokenProcessPool:
                    ahead.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = None
            chunk, count = done or _read(
                session, lines, rows, links[_joined(kept, sparse)], low, window
            )
            kept = count / window
            yield chunk
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _joined(kept: float, sparse: bool | None) -> bool:
    return kept < SPARSE_BELOW if sparse is None else sparse


def _read(session, lines: _Lines, rows, links, low: int, window: int) -> tuple[bytes, int]:
    """One window in this process, on the session's connection."""
    raw = session.connection().connection.driver_connection
    cursor = raw.cursor()
    try:
        if not raw.in_transaction:
            # Both reads from one snapshot: a correction changes a conversation
            # and its links together, and must not come out half applied.
            cursor.execute("BEGIN")
        return lines.window(cursor, rows, links, low, window)
    finally:
        cursor.close()
        session.rollback()


def _file(raw) -> str:
    """The main database's file ('' for one in memory or temporary)."""
    return next((file for _seq, name, file in raw.execute("PRAGMA database_list")
                 if name == "main"), "") or ""


def _context():
    """Processes started clean (no copy of this one's connections or threads): by a
    fork server where there is one, which loads this module once."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


# The helper process's connection and look-ups (set by _helper_start).
_helper: dict = {}


def _helper_start(path: str, names: dict, zone: ZoneInfo, rows, links) -> None:
    """The helper's connection (read only) and look-ups, once per export."""
    connection = sqlite3.connect(
        f"file:{urllib.parse.quote(path)}?mode=ro", uri=True, isolation_level=None
    )
    connection.execute("PRAGMA busy_timeout=5000")
    _helper.update(
        connection=connection, lines=_Lines(names, zone), rows=rows, links=links,
    )


def _helper_window(low: int, window: int, joined: bool) -> tuple[bytes, int]:
    """One window in the helper, in its own read transaction."""
    cursor = _helper["connection"].cursor()
    try:
        cursor.execute("BEGIN")
        return _helper["lines"].window(
            cursor, _helper["rows"], _helper["links"][joined], low, window
        )
    finally:
        cursor.execute("ROLLBACK")
        cursor.close()
