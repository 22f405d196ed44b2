"""Triaged, an agent's unlisted rumour counts as that rumour heard: its encounter gains
the link row every statistic reads, and the summary tables follow on the same flush."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rumours import summaries
from rumours.extensions import db
from rumours.models import Encounter, EncounterRumour, Report, Rumour
from rumours.reports.filters import StatsFilter
from rumours.reports.stats import figures, raw_figures

from .helpers import csrf_from
from .test_api_encounters import add_catalogue, logged_in_agent, payload, post
from .test_reports_triage import coordinator


@pytest.fixture
def catalogue(app):
    with app.app_context():
        add_catalogue()


def this_year() -> StatsFilter:
    today = datetime.now(UTC).date()
    return StatsFilter(start=today - timedelta(days=300), end=today + timedelta(days=1))


def heard(app) -> dict[str, int]:
    """Encounters per rumour slug as the summaries give them, checked against the rows."""
    with app.app_context():
        assert not any(summaries.mismatches(db.session.connection()).values())
        from_summaries = figures(this_year(), ("rumour",))
        assert from_summaries == raw_figures(this_year(), ("rumour",))
        slugs = dict(db.session.execute(select(Rumour.id, Rumour.slug)).all())
        return {slugs[k[0]]: v.encounters for k, v in from_summaries.items()}


def street_report(app, client, create_user, **overrides) -> tuple[int, int]:
    token = logged_in_agent(client, create_user)
    body = payload(**{"rumours": [], "unlisted_rumour": "Ens prenen la feina", **overrides})
    assert post(client, token, body).status_code == 201
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        return report.id, report.encounter_id


def triage(app, create_user, data: dict):
    team = app.test_client()
    token = coordinator(team, create_user)
    answer = team.post("/catalogue/reports/triage", data={"csrf_token": token, **data})
    assert answer.status_code == 302
    return team


def rumour_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Rumour.id).where(Rumour.slug == slug))


def test_linking_an_agents_report_counts_its_encounter_as_that_rumour_heard(
    app, client, create_user, catalogue, runner
):
    report_id, encounter_id = street_report(app, client, create_user)
    assert heard(app) == {}
    jobs = rumour_id(app, "they-take-our-jobs")
    triage(app, create_user, {"report_ids": [report_id], "action": "link", "rumour": str(jobs)})
    assert heard(app) == {"they-take-our-jobs": 1}
    with app.app_context():
        link = db.session.get(EncounterRumour, (encounter_id, jobs))
        assert link is not None and link.rebuttal_id is None
    # The agent's own list now shows it too, and the check command stays clean.
    listed = client.get("/api/v1/encounters").get_json()
    assert "they-take-our-jobs" in str(listed)
    result = runner.invoke(args=["stats", "check"])
    assert result.exit_code == 0 and "equal the raw rows" in result.output


def test_promoting_an_agents_report_counts_the_new_draft_as_heard(
    app, client, create_user, catalogue
):
    report_id, encounter_id = street_report(app, client, create_user, unlisted_rumour="Free cars")
    triage(app, create_user, {"report_ids": [report_id], "action": "promote", "theme": "welfare"})
    with app.app_context():
        draft = db.session.get(Report, report_id).rumour
        slug = draft.slug
        links = db.session.get(Encounter, encounter_id).rumour_links
        assert [link.rumour_id for link in links] == [draft.id]
    assert heard(app) == {slug: 1}


def test_a_rumour_also_ticked_is_not_counted_twice(app, client, create_user, catalogue):
    report_id, _ = street_report(
        app, client, create_user, rumours=["they-take-our-jobs"], unlisted_rumour="Ens prenen"
    )
    assert heard(app) == {"they-take-our-jobs": 1}
    jobs = rumour_id(app, "they-take-our-jobs")
    triage(app, create_user, {"report_ids": [report_id], "action": "link", "rumour": str(jobs)})
    assert heard(app) == {"they-take-our-jobs": 1}


def test_a_correction_after_triage_keeps_the_linked_rumour_heard(
    app, client, create_user, catalogue
):
    report_id, encounter_id = street_report(app, client, create_user)
    benefits = rumour_id(app, "they-get-all-the-benefits")
    triage(
        app, create_user, {"report_ids": [report_id], "action": "link", "rumour": str(benefits)}
    )
    edit = client.get(f"/encounters/{encounter_id}/edit")
    text = edit.get_data(as_text=True)
    occurred = re.search(r'<input[^>]*id="occurred_at"[^>]*>', text).group(0)
    form = {
        "csrf_token": csrf_from(edit),
        "client_uuid": re.search(r'name="client_uuid"[^>]*value="([^"]+)"', text).group(1),
        "occurred_at": occurred.split('value="')[1][:16],
        "district": "ciutat-vella",
        "setting": "bar",
        "outcome": "open",
        "people_reached": "3",
        "rumours": ["they-take-our-jobs"],
        "unlisted_rumour": "Ens prenen la feina",
        "campaign": "",
    }
    corrected = client.post(f"/encounters/{encounter_id}/edit", data=form)
    assert corrected.status_code == 302, corrected.get_data(as_text=True)
    assert heard(app) == {"they-take-our-jobs": 1, "they-get-all-the-benefits": 1}
