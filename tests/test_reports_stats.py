"""Reports in what leaves the app: reports received per week and district, and the
public's reports per rumour, in /api/v1/stats and the indicators report, small counts
suppressed like every other statistic and never a report's own words; in an
organisation's view, nothing about reports at all. And beside "heard" on the dashboard."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from frictionless import Package
from openpyxl import load_workbook
from sqlalchemy import select

from rumours.extensions import db
from rumours.models import District, Report, ReportSource, ReportStatus, Role, Rumour

from .helpers import login
from .test_api_encounters import add_catalogue

THRESHOLD = 10


@pytest.fixture
def reports(app):
    """This week: 12 public reports from Ciutat Vella and 2 from l'Eixample (untriaged),
    then 11 public reports linked to "They take our jobs" and 3 to the benefits one,
    all without a district. 28 in all."""
    with app.app_context():
        add_catalogue()
        districts = {d.slug: d for d in db.session.scalars(select(District))}
        rumours = {r.slug: r for r in db.session.scalars(select(Rumour))}
        now = datetime.now(UTC) - timedelta(minutes=5)

        def add(n, claim, district=None, rumour=None):
            for i in range(n):
                db.session.add(
                    Report(
                        source=ReportSource.PUBLIC,
                        claim=f"{claim} {i}",
                        district=districts[district] if district else None,
                        rumour=rumours[rumour] if rumour else None,
                        status=ReportStatus.LINKED if rumour else ReportStatus.UNTRIAGED,
                        created_at=now,
                    )
                )

        add(12, "secret words from the raval", "ciutat-vella")
        add(2, "secret words from the eixample", "eixample")
        add(11, "jobs said by a neighbour", rumour="they-take-our-jobs")
        add(3, "benefits said by a neighbour", rumour="they-get-all-the-benefits")
        db.session.commit()


def visible_counts(value) -> list[int]:
    """Every integer anywhere in a JSON value."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in visible_counts(v)]
    if isinstance(value, list):
        return [n for v in value for n in visible_counts(v)]
    return []


def test_the_stats_api_gives_reports_per_week_and_district_suppressed(
    app, client, create_user, reports
):
    login(client, create_user(Role.COORDINATOR).email)
    body = client.get("/api/v1/stats").get_json()
    emerging = body["emerging"]
    this_week = next(w for w in emerging["weeks"] if w["reports"])
    assert set(this_week["districts"]) == {"ciutat-vella", "eixample", "none"}
    # 2 from l'Eixample is small: hidden, and so is a second cell of the week's row
    # (the week's total, 28, is published); the other weeks stay zeros.
    assert this_week["districts"] == {"ciutat-vella": None, "eixample": None, "none": 14}
    assert this_week["reports"] == 28
    assert emerging["reports"] == 28
    assert sum(1 for w in emerging["weeks"] if w["reports"] != 0) == 1
    assert not [n for n in visible_counts(emerging) if 0 < n < THRESHOLD]
    # Never the words anyone wrote.
    assert "secret words" not in json.dumps(body) and "said by a neighbour" not in json.dumps(body)


def test_the_stats_api_gives_the_publics_reports_per_rumour_suppressed(
    app, client, create_user, reports
):
    login(client, create_user(Role.COORDINATOR).email)
    public = client.get("/api/v1/stats").get_json()["reported_by_public"]
    assert public["rumours"] == [
        {"rumour": "they-take-our-jobs", "claim": "They take our jobs", "reports": 11},
        {"rumour": "they-get-all-the-benefits", "claim": "They get all the benefits",
         "reports": None},
    ]
    # No total: it would give the 3 away.
    assert set(public) == {"rumours"}


def test_an_organisations_view_holds_nothing_about_reports(
    app, client, create_user, create_organisation, reports
):
    organisation = create_organisation()
    login(client, create_user(Role.MEMBER, organisation=organisation).email)
    body = client.get("/api/v1/stats").get_json()
    assert body["emerging"] is None and body["reported_by_public"] is None
    exported = client.get("/exports/indicators.json").get_json()
    assert [t["name"] for t in exported["tables"]] == ["summary", "by-month", "by-district"]


def test_the_indicators_report_holds_both_tables_suppressed(app, client, create_user, reports):
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get("/exports/").get_data(as_text=True)
    assert "Reports by week and district" in page and "Reported by the public" in page
    answer = client.get("/exports/indicators.json")
    assert answer.status_code == 200
    tables = {t["name"]: t for t in answer.get_json()["tables"]}
    weeks = tables["reports-by-week"]["rows"]
    text = json.dumps(answer.get_json())
    assert "secret words" not in text and "said by a neighbour" not in text
    assert not [r for r in weeks if r["reports"] is not None and 0 < r["reports"] < THRESHOLD]
    assert weeks[-1] == {"week": None, "district": None, "reports": 28}
    assert {"week": None, "district": "l'Eixample", "reports": None} in weeks
    public = tables["public-reports-by-rumour"]["rows"]
    assert public[0] == {"rumour": "they-take-our-jobs", "claim": "They take our jobs",
                         "reports": 11}
    assert public[1]["reports"] is None and len(public) == 2
    csv = client.get("/exports/indicators.csv?table=reports-by-week").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff") == "week,district,reports"


def test_the_dashboard_shows_the_publics_reports_beside_heard(app, client, create_user, reports):
    login(client, create_user(Role.COORDINATOR).email)
    text = client.get("/dashboard/").get_data(as_text=True)
    section = text[text.index('id="h-public-reports"') :]
    assert "Reported by the public" in section and "Heard by agents" in section
    jobs = section[section.index("They take our jobs") :]
    assert '<td class="num">11</td><td class="num">0</td>' in jobs


def test_the_reports_tables_are_valid_in_the_data_package_and_the_workbook(
    app, client, create_user, reports, tmp_path
):
    login(client, create_user(Role.COORDINATOR).email)
    package = client.get("/exports/indicators.zip")
    assert package.status_code == 200
    zipfile.ZipFile(io.BytesIO(package.data)).extractall(tmp_path)
    readme = (tmp_path / "README.md").read_text()
    assert "people who told the network a rumour they heard" in readme
    result = Package("datapackage.json", basepath=str(tmp_path)).validate()
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])
    book = load_workbook(io.BytesIO(client.get("/exports/indicators.xlsx").data))
    assert {"reports-by-week", "public-reports-by-rumour"} <= set(book.sheetnames)
