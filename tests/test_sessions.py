"""Session lifetime on the server: an idle timeout per role and an absolute one; the
phone's API gets a 401 (its outbox keeps the records) rather than losing them."""

from pathlib import Path
from types import SimpleNamespace

import pytest

import rumours.blueprints.auth as auth_views
from rumours.extensions import db
from rumours.models import Role, SecurityEvent, SiteSetting
from rumours.rules.city import city

from .helpers import csrf_from, login
from .test_city_settings import GOOD


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(auth_views, "time", SimpleNamespace(time=lambda: now[0]))

    def advance(minutes: float) -> None:
        now[0] += minutes * 60

    return advance


def signed_in(client) -> bool:
    return client.get("/account/language").status_code == 200


def test_a_coordinator_is_signed_out_after_thirty_idle_minutes(app, create_user, clock):
    client = app.test_client()
    login(client, create_user(Role.COORDINATOR).email)
    clock(29)
    assert signed_in(client)
    clock(31)
    response = client.get("/audit/")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert "next=/audit/" in response.location
    assert "Your session ended" in client.get("/auth/login").get_data(as_text=True)
    assert not signed_in(client)
    with app.app_context():
        event = db.session.scalars(
            db.select(SecurityEvent).where(SecurityEvent.kind == "session.expired")
        ).one()
        assert event.details == {"reason": "idle"}


def test_agents_on_phones_get_longer_and_the_setting_changes_it(app, create_user, clock):
    agent = create_user(Role.AGENT)
    client = app.test_client()
    login(client, agent.email)
    clock(120)
    assert signed_in(client)
    with app.app_context():
        db.session.add(SiteSetting(key="city.idle_minutes_agent", value="60"))
        db.session.commit()
    clock(61)
    assert not signed_in(client)


def test_every_session_ends_after_twelve_hours_however_busy(app, create_user, clock):
    client = app.test_client()
    login(client, create_user(Role.COORDINATOR).email)
    for _ in range(12 * 3):
        clock(20)
        assert signed_in(client)
    clock(20)
    assert not signed_in(client)


def test_the_phone_api_answers_401_after_a_timeout(app, create_user, clock):
    client = app.test_client()
    login(client, create_user(Role.AGENT).email)
    clock(8 * 60 + 1)
    response = client.get("/api/v1/encounters")
    assert response.status_code == 401 and response.is_json


def test_the_outbox_keeps_records_on_401():
    """The phone's sync code queues a record again on 401 (it is sent after the next
    login) and clears the outbox only on an explicit logout."""
    source = Path("static/js/shell.js").read_text(encoding="utf-8")
    branch = source[source.index("response.status === 401") :][:200]
    assert "later(record" in branch and "store.remove" not in branch


def test_the_settings_page_sets_the_security_settings(app, create_user):
    client = app.test_client()
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get("/settings/")
    assert "Security" in page.get_data(as_text=True)
    form = {**GOOD, "csrf_token": csrf_from(page), "idle_minutes_coordinator": "2"}
    refused = client.post("/settings/", data=form)
    assert refused.status_code == 422
    assert 'id="idle_minutes_coordinator-errors"' in refused.get_data(as_text=True)
    form.update(idle_minutes_coordinator="20", require_two_factor_for_coordinators="y")
    assert client.post("/settings/", data=form).status_code == 302
    with app.app_context():
        settings = city()
        assert settings.idle_minutes_coordinator == 20
        assert settings.require_two_factor_for_coordinators is True
        assert settings.idle_minutes_agent == 480  # left blank: unchanged
