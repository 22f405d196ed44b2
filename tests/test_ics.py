"""Calendars: each session and an agent's own schedule as iCalendar, parsed back with the
icalendar library."""

from datetime import UTC, datetime

from icalendar import Calendar

from rumours.extensions import db
from rumours.models import AgentStatus, Role, TrainingSession

from .helpers import csrf_from, login


def events(body: bytes):
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    return calendar.walk("VEVENT")


def test_session_ics_is_valid_and_carries_the_session(app, client, create_user, create_training):
    session_id = create_training(title="Basic training, Sants").id
    login(client, create_user(Role.AGENT).email)
    response = client.get(f"/trainings/{session_id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert b"\r\n" in response.data  # RFC 5545 line endings
    [event] = events(response.data)
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        assert str(event["UID"]) == f"{session.uid}@rumours"
        assert event.decoded("DTSTART") == session.starts_at.replace(microsecond=0)
        assert event.decoded("DTEND") == session.ends_at.replace(microsecond=0)
    assert str(event["SUMMARY"]) == "Basic training, Sants"
    assert str(event["LOCATION"]) == "Casal de Barri"
    assert isinstance(event.decoded("DTSTAMP"), datetime)
    assert event.decoded("DTSTART").tzinfo is not None
    assert str(event["STATUS"]) == "CONFIRMED"


def test_agent_schedule_lists_only_their_sessions(client, create_user, create_training):
    agent = create_user(Role.AGENT, status=AgentStatus.IN_TRAINING)
    mine = create_training(title="Mine").id
    create_training(title="Not mine")
    login(client, agent.email)
    client.post(f"/trainings/{mine}/enrol", data={"csrf_token": csrf_from(client.get("/"))})
    response = client.get("/me/schedule.ics")
    assert response.status_code == 200
    assert [str(e["SUMMARY"]) for e in events(response.data)] == ["Mine"]
    assert datetime.now(UTC).year >= 2026


def test_calendars_need_a_login_and_schedules_an_agent(client, create_user, create_training):
    session_id = create_training().id
    assert client.get(f"/trainings/{session_id}.ics").status_code == 302
    assert client.get("/me/schedule.ics").status_code == 302
    login(client, create_user(Role.COORDINATOR).email)
    assert client.get("/me/schedule.ics").status_code == 403
