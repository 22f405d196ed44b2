"""Brute force without lock-out: limits per account and per client address, and a device
cookie that lets the owner's own browser past the account's limit."""

from datetime import UTC, datetime

import pytest

import rumours.services.auth as auth_service
from rumours.extensions import db
from rumours.models import Role, SecurityEvent, TrustedDevice

from .helpers import PASSWORD, csrf_from, login

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """The login limits' clock stands still, so a delay of a second lasts the whole test
    on a slow machine too."""
    fixed = datetime.now(UTC)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    monkeypatch.setattr(auth_service, "datetime", Frozen)


def browser(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base["HTTP_USER_AGENT"] = f"Test browser at {address}"
    return client


def logout(client):
    token = csrf_from(client.get("/"))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def test_thirty_wrong_passwords_slow_the_attacker_but_not_the_owners_browser(app, create_user):
    coordinator = create_user(Role.COORDINATOR, email="coord@example.org")
    own = browser(app, OWNER)
    first = login(own, coordinator.email)
    assert first.status_code == 302
    assert own.get_cookie("rumours_device", path="/auth/") is not None
    logout(own)

    attacker = browser(app, ATTACKER)
    statuses = [login(attacker, coordinator.email, f"guess-{i}").status_code for i in range(30)]
    assert statuses[:5] == [401] * 5
    assert statuses.count(429) >= 20, statuses
    # The attacker is slowed even with the right password...
    assert login(attacker, coordinator.email, PASSWORD).status_code == 429
    # ...while the coordinator's own browser signs in at once.
    assert login(own, coordinator.email).status_code == 302
    assert "Network overview" in own.get("/").get_data(as_text=True)


def test_a_browser_without_the_device_cookie_waits_like_the_attacker(app, create_user):
    agent = create_user(Role.AGENT)
    attacker = browser(app, ATTACKER)
    for i in range(6):
        login(attacker, agent.email, f"guess-{i}")
    stranger = browser(app, OWNER)
    assert login(stranger, agent.email).status_code == 429


def test_the_owners_browser_passes_even_behind_the_attackers_address(app, create_user):
    agent = create_user(Role.AGENT)
    own = browser(app, ATTACKER)  # the same café wifi
    assert login(own, agent.email).status_code == 302
    logout(own)
    attacker = browser(app, ATTACKER)
    for i in range(15):
        login(attacker, agent.email, f"guess-{i}")
    assert login(attacker, agent.email).status_code == 429
    assert login(own, agent.email).status_code == 302


def test_spraying_many_accounts_from_one_address_is_slowed(app, create_user):
    sprayer = browser(app, ATTACKER)
    statuses = [
        login(sprayer, f"person-{i}@example.org", "Summer2026!").status_code for i in range(14)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 4
    page = login(sprayer, "person-99@example.org", "x").get_data(as_text=True)
    assert "Too many failed attempts from this network" in page
    # Another address is not affected.
    agent = create_user(Role.AGENT)
    assert login(browser(app, OWNER), agent.email).status_code == 302


def test_a_device_that_fails_too_often_loses_its_pass(app, create_user):
    app.config.update(DEVICE_MAX_FAILURES=3)
    agent = create_user(Role.AGENT)
    own = browser(app, OWNER)
    assert login(own, agent.email).status_code == 302
    logout(own)
    for i in range(3):
        assert login(own, agent.email, f"typo-{i}").status_code == 401
    with app.app_context():
        device = db.session.execute(db.select(TrustedDevice)).scalar_one()
        assert device.failures == 3
    attacker = browser(app, ATTACKER)
    for i in range(6):
        login(attacker, agent.email, f"guess-{i}")
    assert login(own, agent.email).status_code == 429


def test_failed_and_throttled_logins_are_logged_without_the_password(app, create_user):
    agent = create_user(Role.AGENT, email="agent@example.org")
    attacker = browser(app, ATTACKER)
    for i in range(7):
        login(attacker, agent.email, f"secret-guess-{i}")
    with app.app_context():
        events = db.session.scalars(db.select(SecurityEvent).order_by(SecurityEvent.id)).all()
        kinds = [e.kind for e in events]
        assert kinds.count("login.failed") >= 5 and "login.throttled" in kinds
        failed = next(e for e in events if e.kind == "login.failed")
        assert failed.email == "agent@example.org" and failed.user_id == agent.id
        assert failed.address == ATTACKER
        assert failed.user_agent == f"Test browser at {ATTACKER}"
        assert all("secret-guess" not in repr(e.details) for e in events)
