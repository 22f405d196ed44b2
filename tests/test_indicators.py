"""The indicators report: its figures equal counts from the rows, small counts are
suppressed so that none can be worked out from a total, and it is the same report in
every format."""

from datetime import date

import pytest
from sqlalchemy import func, select

from rumours.exports.tables import SUPPRESSED
from rumours.extensions import db
from rumours.models import Encounter, Organisation, Outcome
from rumours.reports.filters import add_months, month_end, parse_filters
from rumours.reports.indicators import indicator_report
from rumours.rules.localtime import city_today
from rumours.rules.suppression import worked_out

OUTCOMES = [f"outcome_{o.value}" for o in Outcome]




def report_for(args: dict, threshold: int = 10):
    parsed = parse_filters(args, today=city_today())
    return parsed, indicator_report(parsed, threshold=threshold)


def table(report, name):
    found = next(t for t in report.tables if t.name == name)
    columns = [c.name for c in found.columns]
    return [dict(zip(columns, row, strict=True)) for row in found.rows]


def test_network_report_equals_counts_from_the_rows(app, demo):
    with app.test_request_context():
        today = city_today()
        start, end = add_months(today, -11), month_end(today)
        _, report = report_for({"from": start.isoformat(), "to": end.isoformat()})
        months = table(report, "by-month")
        assert [m["month"] for m in months][0] == start
        assert len(months) == 12
        for row in months:
            first = row["month"]
            count, people = db.session.execute(
                select(func.count(), func.coalesce(func.sum(Encounter.people_reached), 0)).where(
                    Encounter.local_day.between(first, month_end(first))
                )
            ).one()
            assert row["conversations"] in (count, SUPPRESSED)
            assert row["people_reached"] in (people, SUPPRESSED)
        summary = {r["indicator"]: r["value"] for r in table(report, "summary")}
        total = db.session.scalar(
            select(func.count()).where(Encounter.local_day.between(start, end))
        )
        assert summary["conversations"] == total
        assert summary["organisations"] == db.session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.active)
        )
        assert "suppressed" in report.notes[0]
    assert worked_out(*published_equations(report)) == set()


def published_equations(report) -> tuple[list[dict], set]:
    """What a reader can add up from the report's tables exactly as they are published:
    each row's conversations are its outcomes, each column of the month and district
    tables adds up to the summary's figure, the outcomes add up to the conversations;
    and the figures written "suppressed"."""
    figures = ("conversations", "people_reached", *OUTCOMES)
    summary = {r["indicator"]: r["value"] for r in table(report, "summary")}
    values = {("total", f): summary[f] for f in figures}
    found = [{("total", "conversations"): 1, **{("total", o): -1 for o in OUTCOMES}}]
    for name in ("by-month", "by-district"):
        rows = table(report, name)
        for i, row in enumerate(rows):
            values.update({(name, i, f): row[f] for f in figures})
            found.append({(name, i, "conversations"): 1, **{(name, i, o): -1 for o in OUTCOMES}})
        for f in figures:
            found.append({("total", f): 1, **{(name, i, f): -1 for i in range(len(rows))}})
    return found, {key for key, value in values.items() if value is SUPPRESSED}


def test_no_suppressed_count_can_be_worked_out_from_the_totals(app, demo):
    hidden = {threshold: check_suppression(app, threshold) for threshold in (5, 10, 40)}
    # The organisation's figures are small enough that suppression really happens.
    assert hidden[40] > hidden[5] >= 0 and hidden[40] > 0


def check_suppression(app, threshold: int) -> int:
    """Check one threshold's report; return how many cells it hid."""
    hidden_cells = 0
    with app.test_request_context():
        organisation = db.session.scalar(select(Organisation.slug).order_by(Organisation.id))
        _, report = report_for(
            {"from": "2020-01-01", "to": month_end(city_today()).isoformat(),
             "organisation": organisation},
            threshold,
        )
    # Exactly: no suppressed figure follows from the published ones, all tables together.
    assert worked_out(*published_equations(report)) == set()
    for name in ("by-month", "by-district"):
        rows = table(report, name)
        for row in rows:
            cells = [row[k] for k in OUTCOMES]
            for value in cells:
                assert value is SUPPRESSED or value == 0 or value >= threshold
            hidden = sum(v is SUPPRESSED for v in cells)
            hidden_cells += hidden
            # A row total that is published never sits beside exactly one hidden cell.
            if row["conversations"] is not SUPPRESSED:
                assert hidden != 1
            else:
                # A row whose conversations are hidden says nothing of its people either.
                assert row["people_reached"] is SUPPRESSED
        people = [row["people_reached"] for row in rows]
        assert sum(v is SUPPRESSED for v in people) != 1
        for key in OUTCOMES:
            column = [row[key] for row in rows]
            assert sum(v is SUPPRESSED for v in column) != 1 or any(
                r["conversations"] is SUPPRESSED for r in rows
            )
    return hidden_cells


def test_the_threshold_never_goes_below_five(app, demo):
    with app.test_request_context(), pytest.raises(ValueError):
        report_for({}, threshold=4)


def test_a_member_period_report_counts_only_their_organisation(app, demo):
    with app.test_request_context():
        organisation = db.session.scalar(select(Organisation).order_by(Organisation.id))
        parsed, report = report_for(
            {"from": "2020-01-01", "to": date.today().isoformat(),
             "organisation": organisation.slug}
        )
        summary = {r["indicator"]: r["value"] for r in table(report, "summary")}
        count = db.session.scalar(
            select(func.count()).where(
                Encounter.organisation_id == organisation.id,
                Encounter.local_day.between(parsed.filters.start, parsed.filters.end),
            )
        )
        assert summary["conversations"] in (count, SUPPRESSED)
        assert report.scope == organisation.name


# ---------------------------------------------------------------------------
# The files, through /exports/indicators.<fmt>
# ---------------------------------------------------------------------------

DEMO = "demo-password-2026"


def _login(client, email):
    from .helpers import login

    login(client, email, DEMO)


def test_every_format_opens_in_its_own_reader_with_the_same_figures(app, client, demo, tmp_path):
    import csv
    import io
    import json
    import zipfile

    import openpyxl
    from frictionless import validate

    _login(client, "coordinator@example.org")
    query = {"from": "2025-12-01", "to": "2026-11-30"}
    with app.test_request_context():
        _, report = report_for(query)
    expected = {r["indicator"]: r["value"] for r in table(report, "summary")}

    response = client.get("/exports/indicators.csv", query_string={**query, "table": "summary"})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert int(rows[[r["indicator"] for r in rows].index("conversations")]["value"]) == (
        expected["conversations"]
    )

    response = client.get("/exports/indicators.xlsx", query_string=query)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == 1 + len(report.tables)
    # The About sheet says, in plain words, which figures are suppressed and why.
    about = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row
             if isinstance(c, str)]
    assert any(c.startswith("Suppressed when small: Conversations, People reached")
               for c in about)
    assert any(c.startswith("Never suppressed: Organisations in the network, Agents")
               for c in about)
    sheet = book.worksheets[1]
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["conversations"] == expected["conversations"]

    response = client.get("/exports/indicators.json", query_string=query)
    body = json.loads(response.data)
    assert body["suppression"]["threshold"] == 10
    summary = next(t for t in body["tables"] if t["name"] == "summary")
    assert {r["indicator"]: r["value"] for r in summary["rows"]}["conversations"] == (
        expected["conversations"]
    )

    response = client.get("/exports/indicators.zip", query_string=query)
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(tmp_path)
    checked = validate(str(tmp_path / "datapackage.json"))
    assert checked.valid, checked.flatten(["type", "note"])[:5]
    with (tmp_path / "by-month.csv").open(encoding="utf-8") as file:
        assert len(list(csv.DictReader(file))) == 12


def test_exports_refuse_what_they_should(app, client, demo):
    with app.app_context():
        from rumours.models import Membership, User

        member = db.session.scalar(select(User).where(User.email == "member@example.org"))
        own = db.session.scalar(
            select(Organisation.slug).join(Membership).where(Membership.user_id == member.id)
        )
        other = db.session.scalar(select(Organisation.slug).where(Organisation.slug != own))
    assert client.get("/exports/indicators.csv").status_code == 302  # log in first
    _login(client, "member@example.org")
    other_report = client.get("/exports/indicators.csv", query_string={"organisation": other})
    assert other_report.status_code == 403
    mine = client.get("/exports/indicators.json", query_string={"organisation": own})
    assert mine.status_code == 200
    assert client.get("/exports/indicators.json").get_json()["scope"] == mine.get_json()["scope"]
    assert client.get("/exports/indicators.pdf").status_code == 404
    inverted = client.get("/exports/indicators.csv",
                          query_string={"from": "2026-05-01", "to": "2026-01-01"})
    assert inverted.status_code == 400
    assert "The period ends before it starts." in inverted.get_data(as_text=True)


def test_a_formula_in_a_name_stays_text_in_the_spreadsheet(app, client, demo):
    import io

    import openpyxl

    with app.app_context():
        organisation = db.session.scalar(select(Organisation).order_by(Organisation.id))
        organisation.name = '=HYPERLINK("http://evil.example","x")'
        db.session.commit()
        slug = organisation.slug
    _login(client, "coordinator@example.org")
    response = client.get("/exports/indicators.xlsx", query_string={"organisation": slug})
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    texts = [c for c in cells if isinstance(c, str)]
    assert any("HYPERLINK" in c for c in texts)
    assert not any(c.startswith("=") for c in texts)


def test_an_organisation_sees_its_own_network_figures_however_small(app, demo):
    # The demo's first organisation has 5 agents: its own workbook says 5, not "suppressed".
    with app.test_request_context():
        organisation = db.session.scalar(select(Organisation).order_by(Organisation.id))
        _, report = report_for({"organisation": organisation.slug})
        summary = {r["indicator"]: r["value"] for r in table(report, "summary")}
        months = table(report, "by-month")
    assert summary["agents"] == 5
    for key in ("organisations", "agents_certified_now", "trainings_held",
                "training_attendances", "agents_certified_in_period"):
        assert summary[key] is not SUPPRESSED
    assert all(m["agents_certified"] is not SUPPRESSED for m in months)
    assert any(note.startswith("Never suppressed: ") and "Agents" in note for note in report.notes)
