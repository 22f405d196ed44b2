"""Triage at /catalogue/reports: every report with its best match first (accents and
case aside, across languages), and link, promote, dismiss and bulk doing what they say."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rumours.extensions import db
from rumours.models import (
    AuditEntry,
    Report,
    ReportSource,
    ReportStatus,
    Role,
    Rumour,
    RumourClaim,
    RumourStatus,
)

from .helpers import csrf_from, login
from .test_api_encounters import add_catalogue, logged_in_agent, payload, post


@pytest.fixture
def catalogue(app):
    with app.app_context():
        add_catalogue()
        jobs = db.session.scalars(select(Rumour).where(Rumour.slug == "they-take-our-jobs")).one()
        jobs.translations = [
            RumourClaim(language="ca", claim="Ens prenen la feina."),
            RumourClaim(language="es", claim="Los inmigrantes nos quitan el trabajo."),
        ]
        benefits = db.session.scalars(select(Rumour).where(Rumour.slug.like("%benefits"))).one()
        benefits.translations = [RumourClaim(language="ca", claim="S'emporten totes les ajudes.")]
        db.session.commit()


def add_report(app, claim: str, days_ago: float = 0) -> int:
    with app.app_context():
        report = Report(
            source=ReportSource.PUBLIC,
            claim=claim,
            created_at=datetime.now(UTC) - timedelta(days=days_ago),
        )
        db.session.add(report)
        db.session.commit()
        return report.id


def coordinator(client, create_user) -> str:
    user = create_user(Role.COORDINATOR)
    login(client, user.email)
    return csrf_from(client.get("/catalogue/reports"))


def item(text: str, report_id: int) -> str:
    start = text.index(f'id="report-{report_id}"')
    return text[start : text.index("</li>\n", text.index("</ol>", start))]


@pytest.mark.parametrize(
    "claim",
    ["els immigrants ens prenen la feina", "ELS IMMIGRANTS ENS PRENEN LA FEÍNA"],
)
def test_best_match_comes_first_with_and_without_accents(
    app, client, create_user, catalogue, claim
):
    report_id = add_report(app, claim)
    other_id = add_report(app, "s'emporten totes les ajudes socials")
    coordinator(client, create_user)
    text = client.get("/catalogue/reports").get_data(as_text=True)
    first = item(text, report_id).split("<li>")[1]
    assert first.startswith("They take our jobs")
    assert item(text, other_id).split("<li>")[1].startswith("They get all the benefits")


def test_an_agents_unlisted_rumour_and_a_public_report_both_reach_triage(
    app, client, create_user, catalogue
):
    agent_token = logged_in_agent(client, create_user)
    assert (
        post(
            client,
            agent_token,
            payload(rumours=[], unlisted_rumour="Ens prenen la feina als joves"),
        ).status_code
        == 201
    )
    public = app.test_client()
    token = csrf_from(public.get("/rumours/report"))
    public.post(
        "/rumours/report",
        data={"csrf_token": token, "claim": "Nos quitan el trabajo", "action": "send"},
    )
    team = app.test_client()
    coordinator(team, create_user)
    text = team.get("/catalogue/reports").get_data(as_text=True)
    assert "Ens prenen la feina als joves" in text and "From an agent" in text
    assert "Nos quitan el trabajo" in text and "From the public" in text


def test_link_promote_and_dismiss_each_do_what_they_say(app, client, create_user, catalogue):
    link_id = add_report(app, "Diuen que ens prenen la feina")
    promote_id = add_report(app, "They are given free cars")
    dismiss_id = add_report(app, "asdf qwer")
    token = coordinator(client, create_user)
    with app.app_context():
        jobs_id = db.session.scalar(select(Rumour.id).where(Rumour.slug == "they-take-our-jobs"))

    def act(ids, action, **extra):
        data = {"csrf_token": token, "report_ids": ids, "action": action, **extra}
        return client.post("/catalogue/reports/triage", data=data)

    assert act([link_id], "link", rumour=str(jobs_id), add_wording="y").status_code == 302
    assert act([promote_id], "promote", theme="welfare").status_code == 302
    assert act([dismiss_id], "dismiss", reason="unclear").status_code == 302
    with app.app_context():
        linked, promoted, dismissed = (
            db.session.get(Report, i) for i in (link_id, promote_id, dismiss_id)
        )
        assert linked.status is ReportStatus.LINKED and linked.rumour_id == jobs_id
        assert "Diuen que ens prenen la feina" in db.session.get(Rumour, jobs_id).also_heard_as
        assert promoted.status is ReportStatus.PROMOTED
        assert promoted.rumour.status is RumourStatus.DRAFT
        assert promoted.rumour.claim == "They are given free cars"
        assert (
            dismissed.status is ReportStatus.DISMISSED
            and dismissed.dismiss_reason.value == "unclear"
        )
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"link report", "promote report", "dismiss report"} <= actions
    # Triaged reports leave the default list; a second decision is refused.
    text = client.get("/catalogue/reports").get_data(as_text=True)
    assert "No report waits for triage." in text
    act([dismiss_id], "link", rumour=str(jobs_id))
    with app.app_context():
        assert db.session.get(Report, dismiss_id).status is ReportStatus.DISMISSED


def test_similar_reports_are_grouped_and_triaged_together_and_old_ones_flagged(
    app, client, create_user, catalogue
):
    ids = [
        add_report(app, c, days_ago=9)
        for c in ("ens prenen la feina", "Ens prenen la feina!", "ENS PRENEN LA FEINA")
    ]
    token = coordinator(client, create_user)
    text = client.get("/catalogue/reports").get_data(as_text=True)
    assert "3 reports say the same thing" in text
    assert "waiting more than a week" in text
    client.post(
        "/catalogue/reports/triage",
        data={"csrf_token": token, "report_ids": ids, "action": "dismiss", "reason": "off_topic"},
    )
    with app.app_context():
        statuses = {db.session.get(Report, i).status for i in ids}
        assert statuses == {ReportStatus.DISMISSED}


def test_only_coordinators_triage(app, client, create_user, catalogue):
    report_id = add_report(app, "ens prenen la feina")
    token = logged_in_agent(client, create_user)
    assert client.get("/catalogue/reports").status_code == 403
    denied = client.post(
        "/catalogue/reports/triage",
        data={
            "csrf_token": token,
            "report_ids": [report_id],
            "action": "dismiss",
            "reason": "unclear",
        },
    )
    assert denied.status_code == 403
    with app.app_context():
        assert db.session.get(Report, report_id).status is ReportStatus.UNTRIAGED
