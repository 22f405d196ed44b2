"""From the public: /rumours/report checks what was typed against the published
rumours, then stores it; bad input, the honeypot and the hourly limit store nothing."""

import pytest
from sqlalchemy import func, select

from rumours.extensions import db
from rumours.models import Report, ReportLimit, ReportSource
from rumours.services import reports as service

from .helpers import csrf_from
from .test_api_encounters import add_catalogue


@pytest.fixture
def catalogue(app):
    with app.app_context():
        add_catalogue()


def count(app, model=Report) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def send(client, action="send", **fields):
    token = csrf_from(client.get("/rumours/report"))
    data = {"csrf_token": token, "claim": "", "district": "", "setting": "", "website": ""}
    data.update(fields, action=action)
    return client.post("/rumours/report", data=data)


def test_the_catalogue_links_to_the_report_page_in_the_readers_language(client, catalogue):
    assert "/rumours/report" in client.get("/rumours/").get_data(as_text=True)
    page = client.get("/rumours/report", headers={"Accept-Language": "en"})
    assert "Heard something about migrants you" in page.get_data(as_text=True)


def test_check_shows_similar_published_rumours_with_answers_and_stores_nothing(
    app,
    client,
    catalogue,
):
    checked = send(client, action="check", claim="immigrants are taking our JOBS")
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "They take our jobs" in text and "No." in text  # the claim and its short answer
    assert 'value="send"' in text and "immigrants are taking our JOBS" in text
    assert "Draft" not in text  # drafts are never suggested publicly
    assert count(app) == 0


def test_sending_stores_a_public_report_without_the_address(app, client, catalogue):
    sent = send(client, claim="Diuen que els nouvinguts no paguen el metro", district="eixample")
    assert sent.status_code == 302 and "sent=1" in sent.headers["Location"]
    assert "Thank you" in client.get(sent.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert report.source is ReportSource.PUBLIC and report.district.slug == "eixample"
        limit = db.session.scalars(select(ReportLimit)).one()
        assert "127.0.0.1" not in limit.address_hash and limit.count == 1


def test_bad_input_is_refused_next_to_the_field_and_nothing_is_stored(
    app,
    client,
    catalogue,
):
    personal = send(client, claim="my neighbour maria@example.org says they get flats")
    assert personal.status_code == 422
    assert "Remove the e-mail address: notes must not identify anyone." in personal.get_data(
        as_text=True
    )
    assert send(client, claim="").status_code == 422
    huge = send(client, claim="x" * 10_000)
    assert huge.status_code in (413, 422)
    unknown = send(client, claim="They get free flats", district="atlantis")
    assert unknown.status_code == 422
    assert count(app) == 0


def test_the_honeypot_is_thanked_and_discarded(app, client, catalogue):
    robot = send(client, claim="buy cheap pills", website="http://spam.example")
    assert robot.status_code == 302 and "sent=1" in robot.headers["Location"]
    assert count(app) == 0


def test_the_21st_report_in_an_hour_from_one_address_is_refused(
    app,
    client,
    catalogue,
    monkeypatch,
):
    monkeypatch.setattr(service, "REPORTS_PER_HOUR", 2)
    assert send(client, claim="They get free flats").status_code == 302
    assert send(client, claim="They get free cars").status_code == 302
    third = send(client, claim="They get free bikes")
    assert third.status_code == 429
    assert "many reports from here this hour" in third.get_data(as_text=True)
    assert count(app) == 2
