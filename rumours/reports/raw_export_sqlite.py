"""The raw export on SQLite (and other databases without COPY): plain tuples from the
driver's cursor written by csv.writer, the same bytes as `reports.raw` writes (see
`reports.raw_export`, which calls `written`)."""

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


class _Safe(dict):
    """Text made formula-safe, each distinct value escaped once (None stays None)."""

    def __missing__(self, value):
        text = None if value is None else escape_formula(value)
        self[value] = text
        return text


class _Mentions(dict):
    """The rumours and rebuttal versions cells of an encounter's links, given as SQLite
    concatenates them ("<rumour id> <rebuttal id or nothing>", joined by ",", in any
    order), worked out once per distinct text as the Python writer does: pairs of
    (escaped slug, escaped version) sorted, then each side joined by ";"."""

    def __init__(self, names: dict, safe: _Safe):
        super().__init__()
        self.rumours, self.rebuttals, self.safe = names["rumour"], names["rebuttal"], safe
        self[None] = ("", "")

    def __missing__(self, links: str):
        safe, pairs = self.safe, []
        for link in links.split(","):
            rumour_id, _, rebuttal_id = link.partition(" ")
            version = self.rebuttals.get(int(rebuttal_id)) if rebuttal_id else None
            pairs.append((
                safe[self.rumours.get(int(rumour_id))] or "",
                None if version is None else safe[version],
            ))
        pairs.sort()
        cells = (";".join([slug for slug, _v in pairs]), ";".join([v for _s, v in pairs if v]))
        if len(self) > 100_000:  # bounded in practice; cleared if not, so memory stays flat
            self.clear()
            self[None] = ("", "")
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


def written(session, conditions: list, first: int, last: int, window: int) -> Iterator[bytes]:
    """Each window's rows (with their links as one text) read as plain tuples through
    the driver's cursor, the read ended, then written with one writerows call."""
    names = encounter_names(session)
    safe = _Safe()
    district, neighbourhood, campaign, organisation, agent = (
        {key: safe[value] for key, value in names[kind].items()}.get
        for kind in ("district", "neighbourhood", "campaign", "organisation", "agent")
    )
    mentions = _Mentions(names, safe)
    moment = _Moments(city_timezone()).text
    e, link = Encounter.__table__.c, EncounterRumour.__table__.c
    # Each encounter's links as one text, grouped by SQLite (the order does not matter:
    # _Mentions sorts), so Python does nothing per link. Both ranges given, as
    # reports.raw reads them: each side a bounded index range.
    links = (
        select(
            link.encounter_id,
            func.group_concat(
                cast(link.rumour_id, String) + " "
                + func.coalesce(cast(link.rebuttal_id, String), ""), ","
            ).label("links"),
        )
        .join(Encounter.__table__, e.id == link.encounter_id)
        .where(link.encounter_id > LOW, link.encounter_id <= HIGH, e.id > LOW, e.id <= HIGH,
               *conditions)
        .group_by(link.encounter_id)
        .subquery("links")
    )
    rows_sql = compiled_window(session, select(
        e.id, e.occurred_at, e.local_day, e.district_id, e.neighbourhood_id, e.setting,
        e.people_reached, e.outcome, links.c.links, e.campaign_id, e.organisation_id,
        e.agent_id,
    ).outerjoin(links, links.c.encounter_id == e.id)
     .where(e.id > LOW, e.id <= HIGH, *conditions).order_by(e.id))
    sql = str(rows_sql)
    for low in range(first - 1, last, window):
        values = {**rows_sql.params, "low": low, "high": low + window}
        buffer = io.StringIO()
        cursor = session.connection().connection.driver_connection.cursor()
        try:
            # Written as the rows are read (no list of them), the read ended after.
            cursor.execute(sql, [values[name] for name in rows_sql.positiontup])
            cursor.arraysize = 1000
            csv.writer(buffer, lineterminator="\r\n").writerows(
                (encounter_id, moment(occurred_at), day, district(district_id),
                 neighbourhood(neighbourhood_id), safe[setting], people_reached, safe[outcome],
                 *mentions[linked], campaign(campaign_id), organisation(organisation_id),
                 agent(agent_id))
                for (encounter_id, occurred_at, day, district_id, neighbourhood_id, setting,
                     people_reached, outcome, linked, campaign_id, organisation_id, agent_id)
                in cursor
            )
        finally:
            cursor.close()
        session.rollback()
        yield buffer.getvalue().encode()
