"""From the street: an agent's unlisted rumour through the API and the form, replayed
as the phone's outbox does, privacy-checked like notes, stored as a report."""

import re

import pytest
from sqlalchemy import func, select

from rumours import summaries
from rumours.extensions import db
from rumours.models import (
    Encounter,
    Report,
    ReportSource,
    ReportStatus,
    encounter_stats_day,
    rumour_stats_day,
)

from .helpers import csrf_from
from .test_api_encounters import add_catalogue, logged_in_agent, payload, post


@pytest.fixture
def catalogue(app):
    with app.app_context():
        add_catalogue()


def reports(app) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.id)).all()
        return [(r.source.value, r.claim, r.encounter_id) for r in rows]


def test_api_takes_an_unlisted_rumour_instead_of_a_listed_one_and_a_replay_keeps_one(
    app,
    client,
    create_user,
    catalogue,
):
    token = logged_in_agent(client, create_user)
    body = payload(rumours=[], unlisted_rumour="Diuen que als nouvinguts els paguen el lloguer")
    first = post(client, token, body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["unlisted_rumour"].startswith("Diuen que")
    assert first.get_json()["rumours"] == []
    # The outbox sends the same record again after a lost answer: nothing new.
    replay = post(client, token, body)
    assert replay.status_code == 200 and replay.get_json()["id"] == first.get_json()["id"]
    other = post(client, token, dict(body, unlisted_rumour="Something else entirely"))
    assert other.status_code == 422
    assert reports(app) == [("agent", body["unlisted_rumour"], first.get_json()["id"])]
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert report.status is ReportStatus.UNTRIAGED and report.source is ReportSource.AGENT
        assert report.district.slug == "ciutat-vella"
        # Counted in the dashboard's figures like any conversation, in no rumour's.
        assert not any(summaries.mismatches(db.session.connection()).values())
        assert db.session.scalar(select(func.sum(encounter_stats_day.c.encounters))) == 1
        assert db.session.scalar(select(func.count()).select_from(rumour_stats_day)) == 0


def test_api_needs_a_listed_or_an_unlisted_rumour_and_refuses_personal_data(
    app,
    client,
    create_user,
    catalogue,
):
    token = logged_in_agent(client, create_user)
    neither = post(client, token, payload(rumours=[]))
    assert neither.status_code == 422 and "rumours" in neither.get_json()["fields"]
    personal = post(client, token, payload(unlisted_rumour="el de la botiga, 612 345 678"))
    assert personal.status_code == 422
    assert personal.get_json()["fields"]["unlisted_rumour"] == [
        "Remove the phone number: notes must not identify anyone."
    ]
    long = post(client, token, payload(unlisted_rumour="x" * 281))
    assert long.status_code == 422 and "unlisted_rumour" in long.get_json()["fields"]
    wrong = post(client, token, payload(unlisted_rumour=["a list"]))
    assert wrong.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Encounter)) == 0
    assert reports(app) == []


def test_both_listed_and_unlisted_are_kept(app, client, create_user, catalogue):
    token = logged_in_agent(client, create_user)
    answer = post(client, token, payload(unlisted_rumour="They get free flats"))
    assert answer.status_code == 201
    assert answer.get_json()["rumours"] == ["they-take-our-jobs"]
    assert [r[1] for r in reports(app)] == ["They get free flats"]


def test_the_form_takes_an_unlisted_rumour_and_the_correction_follows(
    app,
    client,
    create_user,
    catalogue,
):
    logged_in_agent(client, create_user)
    page = client.get("/encounters/new")
    text = page.get_data(as_text=True)
    assert "Not in the list? Write it in a few words" in text
    form = {
        "csrf_token": csrf_from(page),
        "client_uuid": re.search(r'name="client_uuid"[^>]*value="([^"]+)"', text).group(1),
        "occurred_at": re.search(r'<input[^>]*id="occurred_at"[^>]*>', text)
        .group(0)
        .split('value="')[1][:16],
        "district": "ciutat-vella",
        "setting": "bar",
        "outcome": "open",
        "people_reached": "1",
        "unlisted_rumour": "Els okupes són tots estrangers",
        "campaign": "",
    }
    saved = client.post("/encounters/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert [r[1] for r in reports(app)] == ["Els okupes són tots estrangers"]
    with app.app_context():
        encounter_id = db.session.scalar(select(Encounter.id))
    edit = client.get(f"/encounters/{encounter_id}/edit")
    assert "Els okupes són tots estrangers" in edit.get_data(as_text=True)
    corrected = client.post(
        f"/encounters/{encounter_id}/edit",
        data=dict(form, csrf_token=csrf_from(edit), unlisted_rumour="Els okupes"),
    )
    assert corrected.status_code == 302
    assert [r[1] for r in reports(app)] == ["Els okupes"]
    # Without any rumour the form says so next to the rumours and stores nothing new.
    empty = client.post(
        "/encounters/new",
        data=dict(form, client_uuid="6f1c9a8e-4b8e-4f6e-9a55-2f7f0c1d2e3f", unlisted_rumour=""),
    )
    assert "Choose at least one rumour, or write the one you heard." in empty.get_data(as_text=True)
    assert len(reports(app)) == 1
