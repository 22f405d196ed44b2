"""The raw export on SQLite: plain tuples from the driver's cursor, each row written as
one f-string of cells finished once per distinct value (`reports.sqlite_lines`), the
same bytes as `reports.raw` writes (see `reports.raw_export`, which calls `written`).

A long export is formatted on two cores: the driver hands Python every cell of every
row, which holds the GIL (a reading thread gained nothing), so a helper process, with
its own read-only connection to the database file, reads and formats every other window
while this one does the rest, and the windows go out in order. The helper runs
`reports/sqlite_lines.py` as a script (the standard library and nothing of the app: it
starts in milliseconds) and ends with the export."""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import String, cast, func, select

from ..models import Encounter, EncounterRumour
from ..rules.localtime import city_timezone
from .raw import HIGH, LOW, compiled_window, encounter_names
from .sqlite_lines import Lines, Statement

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None

# Below this share of a window's ids kept by the filter, the next window reads only the
# kept encounters' links.
SPARSE_BELOW = 0.5
# From this many windows on, a helper process formats every other window.
HELPER_FROM = 25
# Windows the helper may have read ahead of the one being sent (memory stays flat).
HELPER_AHEAD = 2
# The helper's output pipe: Linux's largest for an unprivileged process by default.
PIPE_SIZE = 1 << 20
# A window the helper has not answered in this long (a tenth of a second is usual) is
# formatted here, and the helper ended.
ANSWER_SECONDS = 30.0


def _compiled(session, statement) -> Statement:
    """`statement` compiled once for the export, as plain values."""
    compiled = compiled_window(session, statement)
    return Statement(str(compiled), compiled.params, list(compiled.positiontup))


def _statements(session, conditions: list) -> tuple[Statement, dict[bool, Statement]]:
    """The rows' statement, and the links' (all the window's, or joined to the kept
    encounters: True)."""
    e, link = Encounter.__table__.c, EncounterRumour.__table__.c
    rows = _compiled(session, select(
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
        False: _compiled(session, grouped),
        True: _compiled(session, grouped.join(Encounter.__table__, e.id == link.encounter_id)
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
    lines = Lines(names, city_timezone())
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
    that stops reading ends the helper; a helper that cannot start or stops answering
    leaves the windows it had not answered to this process."""
    helper = _Helper.started({
        "path": path, "names": names, "zone": city_timezone().key, "rows": rows.plain(),
        "links": {joined: statement.plain() for joined, statement in links.items()},
    })
    ahead: deque[int] = deque()  # the windows asked of the helper, in order
    following = 1  # the next window for the helper
    kept = 1.0
    try:
        for index, low in enumerate(lows):
            while helper and following < len(lows) and len(ahead) < HELPER_AHEAD:
                if not helper.ask(lows[following], window, _joined(kept, sparse)):
                    break
                ahead.append(following)
                following += 2
            done = None
            if ahead and ahead[0] == index:
                ahead.popleft()
                done = helper.answer()
                if done is None:  # the helper is gone: the rest is formatted here
                    helper.close(at_once=True)
                    helper, ahead = None, deque()
            chunk, count = done or _read(
                session, lines, rows, links[_joined(kept, sparse)], low, window
            )
            kept = count / window
            yield chunk
    finally:
        if helper:
            helper.close()


def _joined(kept: float, sparse: bool | None) -> bool:
    return kept < SPARSE_BELOW if sparse is None else sparse


def _read(session, lines: Lines, rows, links, low: int, window: int) -> tuple[bytes, int]:
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


class _Helper:
    """The helper process: `reports/sqlite_lines.py` run as a script by this Python,
    given the export's set-up, then windows to format; a thread reads its answers as
    they come, so it never waits for this process to take one."""

    SCRIPT = Path(__file__).with_name("sqlite_lines.py")

    def __init__(self, setup: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(self.SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        # A window's lines (a few MB) in a few reads of its pipe rather than 64 kB at a
        # time, each of which the reading thread needs the GIL back for (Linux only).
        if hasattr(fcntl, "F_SETPIPE_SZ"):
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.process.stdout, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        self.answers: queue.SimpleQueue = queue.SimpleQueue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.alive = self._send(setup)

    @classmethod
    def started(cls, setup: dict) -> _Helper | None:
        if not sys.executable:  # an embedded interpreter: no Python to run
            return None
        try:
            helper = cls(setup)
        except OSError:
            return None
        if not helper.alive:
            helper.close(at_once=True)
            return None
        return helper

    def __bool__(self) -> bool:
        return self.alive

    def _send(self, value) -> bool:
        try:
            pickle.dump(value, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            return True
        except OSError:
            self.alive = False
            return False

    def _read(self) -> None:
        try:
            while True:
                self.answers.put(pickle.load(self.process.stdout))
        except Exception:  # the end of its output: it stopped, or failed
            self.answers.put(None)

    def ask(self, low: int, window: int, joined: bool) -> bool:
        return self._send((low, window, joined))

    def answer(self) -> tuple[bytes, int] | None:
        """The next window asked, or None if the helper stopped (or is not a helper:
        a program that never answers) before answering within ANSWER_SECONDS."""
        try:
            return self.answers.get(timeout=ANSWER_SECONDS)
        except queue.Empty:
            return None

    def close(self, at_once: bool = False) -> None:
        """End of input: the helper finishes the window in hand and leaves (`at_once`:
        one that failed is stopped without waiting)."""
        self.alive = False
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        if at_once:
            self.process.kill()
        try:
            self.process.wait(timeout=ANSWER_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=ANSWER_SECONDS)
        self.process.stdout.close()
