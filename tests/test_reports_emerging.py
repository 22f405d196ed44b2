"""The dashboard's "emerging" panel: reports per week and district, and clusters of three
or more similar untriaged reports within two weeks, for coordinators only."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rumours.extensions import db
from rumours.models import District, Report, ReportSource, ReportStatus, Role
from rumours.reports.emerging import emerging

from .helpers import login


def add(claim, days_ago=0.0, district=None, status=ReportStatus.UNTRIAGED):
    db.session.add(
        Report(
            source=ReportSource.PUBLIC,
            claim=claim,
            district=district,
            status=status,
            created_at=datetime.now(UTC) - timedelta(days=days_ago),
        )
    )


def test_three_similar_untriaged_reports_in_two_weeks_are_flagged(app):
    with app.app_context():
        district = District(code="1", slug="ciutat-vella", name="Ciutat Vella")
        db.session.add(district)
        add("Els pisos socials són per als de fora", 1, district)
        add("els pisos socials son per als de fora!", 2, district)
        add("ELS PISOS SOCIALS SÓN PER ALS DE FORA", 3)
        add("They get free cars", 1)
        add("They get free cars", 2)  # only two: not a cluster
        add("Old news about flats", 30)
        db.session.commit()
        found = emerging()
        assert [len(c.report_ids) for c in found.clusters] == [3]
        rows = dict(found.rows)
        assert sum(rows["Ciutat Vella"].values()) == 2
        assert sum(rows[None].values()) == 4  # the 30-day-old one counts in its own week
        assert sum(sum(r.values()) for r in rows.values()) == 6


def test_the_dashboard_shows_emerging_to_coordinators_only(app, client, create_user):
    with app.app_context():
        for days in (1, 2, 3):
            add("Els pisos socials són per als de fora", days)
        db.session.commit()
    coordinator = create_user(Role.COORDINATOR)
    login(client, coordinator.email)
    text = client.get("/dashboard/").get_data(as_text=True)
    assert "Emerging" in text and "3 similar reports in two weeks" in text
    member = create_user(Role.MEMBER, email="member@example.net")
    other = app.test_client()
    login(other, member.email)
    page = other.get("/dashboard/")
    assert "similar reports in two weeks" not in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Report)) == 3
