"""Exports: the report writers (CSV, XLSX, JSON, Data Package) keep suppressed counts
hidden and text cells formula-safe; the raw conversation export names agents by
pseudonym only and is for coordinators; the export page offers each scope's files."""

import csv
import io
import json
import signal
import sqlite3
import uuid
import zipfile
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from frictionless import Package, validate
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import event, select

from rumours.exports.csvfiles import RAW_ENCOUNTER_COLUMNS, encounters_csv, report_csv
from rumours.exports.datapackage import report_datapackage
from rumours.exports.jsonfiles import report_json
from rumours.exports.tables import SUPPRESSED, Column, Report, Table
from rumours.exports.xlsx import report_xlsx
from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    AuditEntry,
    Campaign,
    District,
    Encounter,
    Neighbourhood,
    Organisation,
    Role,
    Rumour,
    User,
)
from rumours.reports import raw_export, raw_export_sqlite
from rumours.reports.filters import StatsFilter
from rumours.reports.raw import raw_encounters_csv
from rumours.reports.raw_export import raw_export_csv
from rumours.rules.localtime import city_today
from rumours.rules.suppression import FORMULA_PREFIXES
from rumours.services.agents import erase_agent

from .helpers import login
from .test_api_encounters import add_catalogue
from .test_encounters import add_encounter

DANGEROUS = ["=1+2", "+SUM(A1)", "-cmd", "@HYPERLINK()", "\tTab", "\rCR"]


def sample_report() -> Report:
    """Two tables: counts by month (a suppressed cell) and labelled values (formula-like
    text, a negative number, a fraction)."""
    by_month = Table(
        name="by-month",
        title="Month by month",
        description="Counts per calendar month.",
        columns=[
            Column("month", "Month", "date", "The first day of the month."),
            Column("conversations", "Conversations", "integer", "Conversations logged."),
            Column("people_reached", "People reached", "integer"),
        ],
        rows=[
            (date(2026, 1, 1), 120, 340),
            (date(2026, 2, 1), SUPPRESSED, 15),
            (date(2026, 3, 1), 0, 0),
        ],
    )
    labelled = Table(
        name="labelled-values",
        title="Labelled values",
        description="Text that a spreadsheet could mistake for a formula.",
        columns=[
            Column("label", "Label", "string", "Free text."),
            Column("change", "Change", "integer", "May be negative."),
            Column("hours", "Hours", "number"),
        ],
        rows=[(text, -5 - i, 1.5 * i) for i, text in enumerate(DANGEROUS)]
        + [("plain text, with a comma", SUPPRESSED, None)],
    )
    return Report(
        title="Anti-rumours indicators: Casal Gràcia",
        description="A hand-built report for the writers.",
        generated_at=datetime(2026, 4, 2, 9, 30, tzinfo=UTC),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        scope="Casal Gràcia",
        threshold=10,
        notes=["Counts from 1 to 9 are suppressed."],
        tables=[by_month, labelled],
    )


def city_day(app) -> date:
    with app.app_context():
        return city_today()


def read_csv(text: str) -> list[list[str]]:
    # A downloaded CSV starts with the UTF-8 byte-order mark (for Excel); a reader skips it.
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


def test_csv_holds_one_table_with_suppressed_marked_and_formulas_escaped():
    report = sample_report()
    rows = read_csv(report_csv(report))
    assert rows == [
        ["month", "conversations", "people_reached"],
        ["2026-01-01", "120", "340"],
        ["2026-02-01", "suppressed", "15"],
        ["2026-03-01", "0", "0"],
    ]
    header, *body = read_csv(report_csv(report, "labelled-values"))
    assert header == ["label", "change", "hours"]
    assert len(body) == len(report.tables[1].rows)
    assert [r[0] for r in body[:-1]] == ["'" + text for text in DANGEROUS]
    assert body[0][1:] == ["-5", "0.0"]  # numbers are never escaped
    assert body[-1] == ["plain text, with a comma", "suppressed", ""]
    with pytest.raises(KeyError):
        report_csv(report, "no-such-table")


def test_xlsx_has_an_about_sheet_then_one_sheet_per_table():
    report = sample_report()
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    assert book.sheetnames == ["About", "by-month", "labelled-values"]
    about_text = " ".join(
        str(c.value) for row in book["About"].iter_rows() for c in row if c.value is not None
    )
    for expected in ("Casal Gràcia", "2026-01-01", "2026-03-31", "Counts from 1 to 9",
                     "2026-04-02T09:30:00+00:00", "people_reached", "May be negative."):
        assert expected in about_text

    months = book["by-month"]
    assert [c.value for c in months[1]] == ["Month", "Conversations", "People reached"]
    assert all(c.font.b for c in months[1])
    assert months.freeze_panes == "A2"
    assert months["A2"].value.date() == date(2026, 1, 1)
    assert months["B2"].value == 120 and isinstance(months["B2"].value, int)
    assert months["B3"].value == "suppressed" and months["B3"].font.i
    assert months["C3"].value == 15
    assert months.column_dimensions["A"].width >= 10

    labelled = book["labelled-values"]
    # XML stores a carriage return as a line feed; the quote in front is what matters.
    assert [labelled.cell(row=i + 2, column=1).value for i in range(len(DANGEROUS))] == [
        "'" + text.replace("\r", "\n") for text in DANGEROUS
    ]
    assert labelled["B2"].value == -5 and labelled["B2"].data_type == "n"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES)


def test_json_has_nulls_for_suppressed_counts_and_lists_them():
    data = json.loads(report_json(sample_report()))
    assert data["scope"] == "Casal Gràcia"
    assert data["period"] == {"start": "2026-01-01", "end": "2026-03-31"}
    assert data["generated_at"] == "2026-04-02T09:30:00+00:00"
    assert data["suppression"]["threshold"] == 10 and data["suppression"]["marker"] is None
    assert "9" in data["suppression"]["note"]
    assert data["notes"] == ["Counts from 1 to 9 are suppressed."]
    months, labelled = data["tables"]
    assert months["name"] == "by-month"
    assert months["columns"][0] == {
        "name": "month", "title": "Month", "type": "date",
        "description": "The first day of the month.",
    }
    assert months["rows"][0] == {"month": "2026-01-01", "conversations": 120, "people_reached": 340}
    assert months["rows"][1]["conversations"] is None
    assert months["suppressed_cells"] == [[1, "conversations"]]
    assert labelled["rows"][0]["label"] == "=1+2"  # JSON is data, not a spreadsheet
    assert labelled["rows"][0]["change"] == -5
    assert labelled["suppressed_cells"] == [[len(DANGEROUS), "change"]]


def test_data_package_is_valid_frictionless_data(tmp_path):
    report = sample_report()
    archive = zipfile.ZipFile(io.BytesIO(report_datapackage(report, name="rumours-test")))
    assert set(archive.namelist()) == {
        "datapackage.json", "README.md", "by-month.csv", "labelled-values.csv"
    }
    archive.extractall(tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert descriptor["name"] == "rumours-test"
    resource = descriptor["resources"][0]
    assert resource["path"] == "by-month.csv"
    assert resource["profile"] == "tabular-data-resource"
    assert resource["schema"]["missingValues"] == ["", "suppressed"]
    assert "Casal Gràcia" in (tmp_path / "README.md").read_text()

    package = Package("datapackage.json", basepath=str(tmp_path))
    result = package.validate()
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])
    assert result.stats["tasks"] == len(report.tables)
    assert validate(str(tmp_path / "datapackage.json")).valid
    for table in report.tables:
        text = (tmp_path / f"{table.name}.csv").read_text(encoding="utf-8")
        assert not text.startswith("\ufeff")  # the package declares UTF-8 itself
        rows = read_csv(text)
        assert len(rows) - 1 == len(table.rows)
    months = package.get_resource("by-month").read_rows()
    assert months[1]["conversations"] is None and months[1]["people_reached"] == 15


@given(st.lists(st.text(max_size=30), min_size=1, max_size=8))
def test_csv_text_cells_never_start_with_a_formula_prefix(texts):
    table = Table("texts", "Texts", "", [Column("text", "Text", "string")], [(t,) for t in texts])
    report = sample_report()
    report.tables = [table]
    _header, *rows = read_csv(report_csv(report))
    assert len(rows) == len(texts)
    for (cell,), original in zip(rows, texts, strict=True):
        assert not cell.startswith(FORMULA_PREFIXES)
        if not original.startswith(FORMULA_PREFIXES):
            assert cell == original
        else:
            assert cell == "'" + original


# ---------------------------------------------------------------------------
# The raw conversation export
# ---------------------------------------------------------------------------


def test_raw_export_writer_streams_plain_rows_without_an_app():
    """The writer takes rows a report read, needs no app context or session, writes one
    chunk per batch after the header, sorts mentions and makes every text safe."""
    from zoneinfo import ZoneInfo

    from flask import has_app_context

    madrid = ZoneInfo("Europe/Madrid")
    first = (
        7, datetime(2026, 3, 2, 18, 5, 9, 123, tzinfo=madrid), date(2026, 3, 2),
        "ciutat-vella", None, "market", 3, "doubt_sown",
        [("they-take-our-jobs", "they-take-our-jobs:en:v1"), ("=evil", None)],
        None, "-org", "=agent",
    )
    second = (
        9, datetime(2026, 3, 3, 9, 0, tzinfo=madrid), date(2026, 3, 3),
        "eixample", "la-dreta", "bar", 1, "no_change", (), "autumn", None, None,
    )

    def batches():
        assert not has_app_context()
        yield [first]
        yield [second]

    chunks = list(encounters_csv(batches()))
    assert len(chunks) == 3 and all(chunk.endswith("\r\n") for chunk in chunks)
    header, *rows = read_csv("".join(chunks))
    assert tuple(header) == RAW_ENCOUNTER_COLUMNS
    assert rows == [
        ["7", "2026-03-02T18:05:09+01:00", "2026-03-02", "ciutat-vella", "", "market", "3",
         "doubt_sown", "'=evil;they-take-our-jobs", "they-take-our-jobs:en:v1", "",
         "'-org", "'=agent"],
        ["9", "2026-03-03T09:00:00+01:00", "2026-03-03", "eixample", "la-dreta", "bar", "1",
         "no_change", "", "", "autumn", "", ""],
    ]
    assert list(encounters_csv([])) == [chunks[0]]


@pytest.fixture
def network(app, create_user, create_organisation):
    """A catalogue, an organisation with a member, two agents with conversations (the
    second then erased) and a coordinator."""
    with app.app_context():
        add_catalogue()
    organisation = create_organisation("Casal Gràcia")
    other = create_organisation("Another Association")
    marta = create_user(Role.AGENT, name="Marta Puig", email="marta@example.org",
                        organisation=organisation)
    gone = create_user(Role.AGENT, name="Jordi Esborrat", email="jordi@example.org")
    coordinator = create_user(Role.COORDINATOR, email="coord@example.org")
    member = create_user(Role.MEMBER, email="member@example.org", organisation=organisation)
    now = datetime.now(UTC)
    ids = {
        "recent": add_encounter(
            app, marta, occurred_at=now - timedelta(days=3), neighbourhood="el-raval",
            rumours=["they-take-our-jobs", "they-get-all-the-benefits"], people_reached=3,
            outcome="doubt_sown",
        ),
        "older": add_encounter(
            app, marta, occurred_at=now - timedelta(days=20), district="eixample",
            rumours=["they-get-all-the-benefits"], campaign=None, setting="bar",
        ),
        "erased": add_encounter(app, gone, occurred_at=now - timedelta(days=2)),
    }
    with app.app_context():
        pseudonym = db.session.get(AgentProfile, marta.id).pseudonym
        gone_pseudonym = db.session.get(AgentProfile, gone.id).pseudonym
        erase_agent(db.session.get(User, gone.id), actor=db.session.get(User, coordinator.id))
        db.session.commit()
    return {
        "ids": ids, "organisation": organisation, "other": other, "coordinator": coordinator,
        "member": member, "agent": marta, "pseudonym": pseudonym,
        "gone_pseudonym": gone_pseudonym,
    }


def export_rows(app, batch_size=5000, **filters) -> list[dict]:
    today = city_day(app)
    values = {"start": today - timedelta(days=60), "end": today, **filters}
    with app.app_context():
        text = "".join(raw_encounters_csv(StatsFilter(**values), batch_size=batch_size))
        # The route's fast export writes the same bytes, whatever its window, and
        # whichever statement reads the mentions (all the window's or only the kept
        # rows').
        for window in (batch_size, 2):
            for sparse in (None, False, True):
                fast = b"".join(
                    raw_export_csv(StatsFilter(**values), window=window, sparse=sparse)
                )
                assert fast == text.encode(), (window, sparse)
    header, *rows = read_csv(text)
    assert tuple(header) == RAW_ENCOUNTER_COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_raw_export_has_one_row_per_conversation_and_pseudonyms_only(app, network):
    rows = export_rows(app)
    ids = network["ids"]
    assert [int(r["encounter"]) for r in rows] == sorted(ids.values())
    by_id = {int(r["encounter"]): r for r in rows}

    recent = by_id[ids["recent"]]
    assert recent["district"] == "ciutat-vella" and recent["neighbourhood"] == "el-raval"
    assert recent["rumours"] == "they-get-all-the-benefits;they-take-our-jobs"
    assert recent["rebuttal_versions"] == "they-take-our-jobs:en:v1"
    assert recent["setting"] == "market" and recent["outcome"] == "doubt_sown"
    assert recent["people_reached"] == "3"
    assert recent["campaign"] == "autumn-markets-2026"
    assert recent["organisation"] == network["organisation"].slug
    assert recent["agent"] == network["pseudonym"]
    occurred = datetime.fromisoformat(recent["occurred_at"])
    assert occurred.utcoffset() in (timedelta(hours=1), timedelta(hours=2))  # Europe/Madrid
    assert recent["day"] == occurred.date().isoformat()

    older = by_id[ids["older"]]
    assert older["campaign"] == "" and older["neighbourhood"] == "" and older["setting"] == "bar"
    # The erased agent's conversation stays, linked to no one.
    erased = by_id[ids["erased"]]
    assert erased["agent"] == "" and erased["organisation"] == ""

    # Keyset batches of one row give the same file.
    assert export_rows(app, batch_size=1) == rows


def test_raw_export_filters_by_period_district_rumour_and_organisation(app, network):
    ids = network["ids"]
    today = city_day(app)
    with app.app_context():
        eixample = db.session.scalar(select(District.id).where(District.slug == "eixample"))
        benefits = db.session.scalar(
            select(Rumour.id).where(Rumour.slug == "they-get-all-the-benefits")
        )

    def exported(**filters):
        return sorted(int(r["encounter"]) for r in export_rows(app, **filters))

    assert exported(start=today - timedelta(days=10)) == sorted([ids["recent"], ids["erased"]])
    assert exported(district_id=eixample) == [ids["older"]]
    assert exported(rumour_id=benefits) == sorted([ids["recent"], ids["older"]])
    assert exported(organisation_id=network["organisation"].id) == sorted(
        [ids["recent"], ids["older"]]
    )
    assert exported(start=today + timedelta(days=1), end=today + timedelta(days=2)) == []


def test_raw_export_escapes_formula_like_slugs(app, network):
    with app.app_context():
        organisation = db.session.get(Organisation, network["organisation"].id)
        organisation.slug = "=cmd-org"
        db.session.commit()
    rows = export_rows(app)
    assert {r["organisation"] for r in rows} == {"'=cmd-org", ""}


def test_fast_raw_export_writes_the_python_writers_bytes(app, client, network):
    """The route's export (COPY on PostgreSQL, plain tuples on SQLite) writes exactly
    what the Python writer does: formula-like and quoted text, a NULL organisation and
    campaign, an erased agent, fractions of a second, both sides of both DST changes."""
    ids = network["ids"]
    moments = {
        # Europe/Madrid: CET until 2026-03-29 01:00 UTC, then CEST; back on 2025-10-26.
        "recent": datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
        "older": datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        "erased": datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
    }
    with app.app_context():
        for key, moment in moments.items():
            db.session.get(Encounter, ids[key]).occurred_at = moment
        # The same local hour twice, and a city day that is not the UTC day.
        for moment in (datetime(2025, 10, 26, 1, 30, 15, tzinfo=UTC),
                       datetime(2025, 10, 25, 22, 30, tzinfo=UTC)):
            twin = db.session.get(Encounter, ids["recent"])
            db.session.add(Encounter(
                client_uuid=uuid.uuid4(), content_hash="0" * 64, agent_id=twin.agent_id,
                organisation_id=None, occurred_at=moment, district_id=twin.district_id,
                setting=twin.setting, people_reached=12, outcome=twin.outcome,
                notes="=HYPERLINK(\"http://example.org\")", campaign_id=None,
            ))
        db.session.get(Organisation, network["organisation"].id).slug = '=cmd,"org"'
        db.session.get(AgentProfile, network["agent"].id).pseudonym = '-agent,"x"'
        db.session.scalars(select(District).where(District.slug == "eixample")).one().slug = (
            "@eix\nample"
        )
        db.session.scalars(select(Neighbourhood).where(Neighbourhood.slug == "el-raval")).one(
        ).slug = "\tel-raval"
        db.session.scalars(select(Rumour).where(Rumour.slug == "they-take-our-jobs")).one(
        ).slug = "+jobs"
        db.session.scalars(select(Campaign)).first().slug = "\rcampaign"
        db.session.commit()
        start, end = date(2025, 10, 1), date(2026, 4, 30)
        reference = "".join(raw_encounters_csv(StatsFilter(start, end))).encode()
        for window in (1, 2, 5000):
            for sparse in (False, True):
                assert b"".join(
                    raw_export_csv(StatsFilter(start, end), window=window, sparse=sparse)
                ) == reference
    text = reference.decode()
    assert len(read_csv(text)) == 6
    for cell in ("2026-03-29T01:59:59+01:00", "2026-03-29T03:00:00+02:00",
                 "2025-10-26T02:30:00+02:00", "2025-10-26T02:30:15+01:00",
                 "2025-10-26T00:30:00+02:00,2025-10-26", "\"'=cmd,\"\"org\"\"\"",
                 "\"'-agent,\"\"x\"\"\"", "\"'@eix\nample\"", "'\tel-raval",
                 "'+jobs:en:v1", "'\rcampaign", ",12,"):
        assert cell in text, cell
    assert "HYPERLINK" not in text  # notes are never exported

    login(client, network["coordinator"].email)
    response = client.get("/exports/encounters.csv", query_string={
        "from": start.isoformat(), "to": end.isoformat(),
    })
    assert response.status_code == 200
    assert response.data == reference


def test_sqlite_export_reads_a_windows_links_and_rows_as_of_one_moment(app, network):
    """On SQLite a window's links and its rows are two reads: a correction committed
    between them (another outcome, a rumour taken off) must not come out half applied,
    the new outcome beside the old rumours."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL reads each window in one COPY statement")
        recent = network["ids"]["recent"]
        benefits = db.session.scalar(
            select(Rumour.id).where(Rumour.slug == "they-get-all-the-benefits")
        )
        path = db.engine.url.database
        corrected = []

        def correct_before_the_rows(statement: str) -> None:
            if corrected or not statement.startswith("SELECT encounters.id"):
                return
            with closing(sqlite3.connect(path)) as other, other:
                other.execute("UPDATE encounters SET outcome = 'hostile' WHERE id = ?",
                              (recent,))
                other.execute(
                    "DELETE FROM encounter_rumours WHERE encounter_id = ? AND rumour_id = ?",
                    (recent, benefits),
                )
            corrected.append(statement)

        def traced(dbapi_connection, _record):
            dbapi_connection.set_trace_callback(correct_before_the_rows)

        db.session.remove()
        db.engine.dispose()
        event.listen(db.engine, "connect", traced)
        try:
            today = city_day(app)
            text = b"".join(raw_export_csv(
                StatsFilter(today - timedelta(days=60), today)
            )).decode()
        finally:
            event.remove(db.engine, "connect", traced)
            db.engine.dispose()
    assert corrected
    row = next(r for r in read_csv(text)[1:] if r[0] == str(recent))
    assert (row[7], row[8]) == ("doubt_sown", "they-get-all-the-benefits;they-take-our-jobs")


def child_processes() -> set[int]:
    """This process's children (Linux), as the kernel lists them per thread."""
    return {
        int(pid) for task in Path("/proc/self/task").iterdir()
        for pid in (task / "children").read_text().split()
    }


def sqlite_only(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL reads windows side by side on its own connections")


def more_conversations(app, network, count: int) -> None:
    """`count` more of the agent's conversations, a day apart, in two districts, with
    one, two or no rebuttal cited."""
    rumours = [["they-take-our-jobs"], ["they-get-all-the-benefits", "they-take-our-jobs"],
               ["they-get-all-the-benefits"]]
    now = datetime.now(UTC)
    for n in range(count):
        add_encounter(
            app, network["agent"], occurred_at=now - timedelta(days=4 + n, minutes=7 * n),
            district="eixample" if n % 3 else "ciutat-vella", rumours=rumours[n % 3],
            people_reached=1 + n % 4, setting="bar" if n % 2 else "market",
        )


def test_a_long_sqlite_export_is_formatted_on_two_cores_byte_for_byte(app, network):
    """On SQLite a long export hands every other window to a helper process with its
    own read-only connection: the bytes are the Python writer's, in id order, whatever
    the window, the filter and the statement that reads the mentions; the helper ends
    with the export."""
    sqlite_only(app)
    more_conversations(app, network, 14)
    today = city_day(app)
    before = child_processes()
    with app.app_context():
        eixample = db.session.scalar(select(District.id).where(District.slug == "eixample"))
        for filters in (StatsFilter(today - timedelta(days=60), today),
                        StatsFilter(today - timedelta(days=60), today, district_id=eixample)):
            reference = "".join(raw_encounters_csv(filters)).encode()
            assert reference.count(b"\r\n") > 5
            for window in (1, 3):
                for sparse in (None, False, True):
                    chunks = raw_export_csv(filters, window=window, sparse=sparse, helper=True)
                    first = next(chunks) + next(chunks)
                    assert child_processes() - before  # the helper is running
                    assert first + b"".join(chunks) == reference, (window, sparse)
                    assert not child_processes() - before


def test_a_client_that_stops_reading_ends_the_export_helper(app, network):
    sqlite_only(app)
    more_conversations(app, network, 8)
    today = city_day(app)
    before = child_processes()
    with app.app_context():
        chunks = raw_export_csv(StatsFilter(today - timedelta(days=60), today), window=1,
                                helper=True)
        next(chunks), next(chunks), next(chunks)
        helpers = child_processes() - before
        assert helpers
        chunks.close()
    assert not child_processes() & helpers


def assert_the_app_writes_the_helpers_windows(app) -> None:
    """With a helper asked for and failing, the 60 days' export still has the Python
    writer's bytes, and no helper is left running."""
    today = city_day(app)
    before = child_processes()
    with app.app_context():
        filters = StatsFilter(today - timedelta(days=60), today)
        reference = "".join(raw_encounters_csv(filters)).encode()
        assert b"".join(raw_export_csv(filters, window=1, helper=True)) == reference
    assert not child_processes() - before


def test_an_export_helper_that_cannot_start_leaves_its_windows_to_the_app(
    app, network, monkeypatch
):
    """A helper that cannot open the database (here a file that is not there) breaks
    no export: this process formats the windows it would have, with the same bytes."""
    sqlite_only(app)
    more_conversations(app, network, 6)
    monkeypatch.setattr(raw_export_sqlite, "_file", lambda raw: "/nonexistent/rumours.db")
    assert_the_app_writes_the_helpers_windows(app)


def test_an_export_helper_that_never_answers_leaves_its_windows_to_the_app(
    app, network, monkeypatch, tmp_path
):
    """A helper that runs but never answers (here a program that only waits: say the
    server's Python is not one that runs scripts) is stopped after ANSWER_SECONDS, and
    this process formats its windows, with the same bytes."""
    sqlite_only(app)
    more_conversations(app, network, 6)
    silent = tmp_path / "silent.py"
    silent.write_text("import time\ntime.sleep(60)\n")
    monkeypatch.setattr(raw_export_sqlite._Helper, "SCRIPT", silent)
    monkeypatch.setattr(raw_export_sqlite, "ANSWER_SECONDS", 0.5)
    stopped = []
    close = raw_export_sqlite._Helper.close

    def recorded(helper, at_once=False):
        close(helper, at_once)
        stopped.append(helper.process.returncode)

    monkeypatch.setattr(raw_export_sqlite._Helper, "close", recorded)
    assert_the_app_writes_the_helpers_windows(app)
    assert stopped == [-signal.SIGKILL]  # stopped, not waited for


def test_sqlite_export_writes_city_times_of_a_half_hour_zone(app, network):
    """City times by hour serve whole-hour offsets; a city five and a half hours from
    UTC (each hour's minutes shift) gets the Python writer's bytes from the per-second
    path."""
    from rumours.models import SiteSetting
    from rumours.rules import city as city_rules

    sqlite_only(app)
    more_conversations(app, network, 5)
    with app.app_context():
        db.session.add(SiteSetting(key=city_rules.PREFIX + "time_zone", value="Asia/Kolkata"))
        db.session.commit()
        city_rules.forget()
        filters = StatsFilter(date(2000, 1, 1), date(2100, 1, 1))
        reference = "".join(raw_encounters_csv(filters))
        assert "+05:30," in reference
        for window in (1, 5000):
            assert b"".join(raw_export_csv(filters, window=window)) == reference.encode()


def test_coordinators_download_the_raw_export_through_the_route(app, client, network):
    login(client, network["coordinator"].email)
    today = city_day(app)
    response = client.get(
        "/exports/encounters.csv",
        query_string={"from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat()},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="rumours-conversations-network-'
    )
    text = response.get_data(as_text=True)
    # Excel on Windows reads accents right only with the byte-order mark.
    assert response.data.startswith("\ufeff".encode())
    header, *rows = read_csv(text)
    assert tuple(header) == RAW_ENCOUNTER_COLUMNS
    assert len(rows) == 3
    assert network["pseudonym"] in text
    for secret in ("Marta", "Puig", "marta@example.org", "Jordi", "jordi@example.org",
                   network["gone_pseudonym"]):
        assert secret not in text

    district = client.get("/exports/encounters.csv", query_string={
        "from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat(),
        "district": "eixample",
    })
    assert [r[0] for r in read_csv(district.get_data(as_text=True))[1:]] == [
        str(network["ids"]["older"])
    ]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("encounters.export") == 2


def test_only_coordinators_get_the_raw_export(app, client, network):
    assert client.get("/exports/encounters.csv").status_code == 302
    assert "/auth/login" in client.get("/exports/encounters.csv").headers["Location"]
    login(client, network["member"].email)
    assert client.get("/exports/encounters.csv").status_code == 403
    client.post("/auth/logout")
    agent_client = app.test_client()
    login(agent_client, network["agent"].email)
    assert agent_client.get("/exports/encounters.csv").status_code == 403


def test_raw_export_refuses_bad_filters_with_a_message(app, client, network):
    login(client, network["coordinator"].email)
    inverted = client.get(
        "/exports/encounters.csv", query_string={"from": "2026-03-01", "to": "2026-02-01"}
    )
    assert inverted.status_code == 400
    assert "The period ends before it starts." in inverted.get_data(as_text=True)
    unknown = client.get("/exports/encounters.csv", query_string={"district": "atlantis"})
    assert unknown.status_code == 400
    assert "atlantis" in unknown.get_data(as_text=True)


# ---------------------------------------------------------------------------
# The export page
# ---------------------------------------------------------------------------


def test_coordinators_see_every_scope_and_the_raw_export(app, client, network):
    login(client, network["coordinator"].email)
    page = client.get("/exports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Whole network" in html
    assert "Casal Gràcia" in html and "Another Association" in html
    assert "Raw conversations (CSV)" in html
    # The page says what is hidden and what never is, before anything is downloaded.
    assert "Conversations, people reached and outcomes from 1 to 9 are hidden" in html
    assert "Organisations, agents, certifications, trainings and hours are shown" in html
    for fmt in ("xlsx", "json", "zip", "csv"):
        assert f'formaction="/exports/indicators.{fmt}"' in html
    assert 'formaction="/exports/encounters.csv"' in html


def test_members_choose_only_their_own_organisation(app, client, network):
    login(client, network["member"].email)
    page = client.get("/exports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Casal Gràcia" in html
    assert "Another Association" not in html
    assert '<option value="">Whole network</option>' not in html
    assert "Raw conversations (CSV)" not in html
    assert client.get(
        "/exports/", query_string={"organisation": network["other"].slug}
    ).status_code == 403
    assert client.get(
        "/exports/indicators.csv", query_string={"organisation": network["other"].slug}
    ).status_code == 403


def test_agents_have_no_export_page(app, client, network):
    login(client, network["agent"].email)
    assert client.get("/exports/").status_code == 403
    assert client.get("/exports/indicators.xlsx").status_code == 403


def test_an_inverted_period_is_refused_next_to_the_field(app, client, network):
    login(client, network["coordinator"].email)
    for path in ("/exports/", "/exports/indicators.xlsx"):
        response = client.get(path, query_string={"from": "2026-03-01", "to": "2026-02-01"})
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "The period ends before it starts." in html
        assert 'id="filter-to-errors"' in html
    assert client.get("/exports/indicators.pdf").status_code == 404


def test_the_export_of_a_committed_database_reads_windows_side_by_side_byte_for_byte(
    postgres_server,
):
    """On PostgreSQL the route's export reads two windows at once on their own
    connections (committed rows, as the route reads them after its commit): the bytes
    equal the reference writer's, in id order, whatever the window, and a client that
    stops reading early leaves no connection behind."""
    from sqlalchemy.engine import Engine

    from .helpers import seeded_postgres_app

    with seeded_postgres_app(postgres_server, "rumours_export_windows") as app:
        with app.app_context():
            assert isinstance(db.session.get_bind(), Engine)
            everything = StatsFilter(date(2000, 1, 1), date(2100, 1, 1))
            reference = "".join(raw_encounters_csv(everything)).encode()
            assert reference.count(b"\r\n") == 8001
            for window in (333, 5000, 20000):
                assert b"".join(raw_export_csv(everything, window=window)) == reference
            # A filter that keeps a few of each window's ids: after the first windows
            # the export gathers the kept rows' mentions only, with the same bytes.
            district = db.session.scalars(select(District).order_by(District.id)).first()
            one = StatsFilter(date(2000, 1, 1), date(2100, 1, 1), district_id=district.id)
            few = "".join(raw_encounters_csv(one)).encode()
            assert 0 < few.count(b"\r\n") - 1 < 8000 * raw_export.SPARSE_BELOW
            for window in (333, 2000):
                assert b"".join(raw_export_csv(one, window=window)) == few
            # A client that goes away after two chunks.
            chunks = raw_export_csv(everything, window=100)
            assert next(chunks).startswith(b"\xef\xbb\xbf")
            next(chunks)
            chunks.close()
            assert db.engine.pool.checkedout() == 0
