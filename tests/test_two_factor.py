"""The second factor: enrolment with a confirmation code, recovery codes shown once and
stored hashed, the code asked for after the password, no replay, the coordinators'
setting and a coordinator's reset with a reason."""

import re
import time

import pyotp
import pytest

from rumours.extensions import db
from rumours.models import AuditEntry, RecoveryCode, Role, SecurityEvent, SiteSetting, User

from .helpers import PASSWORD, csrf_from, login

SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get("/auth/two-factor/")
    secret = SECRET.search(page.get_data(as_text=True)).group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    response = client.post(
        "/auth/two-factor/", data={"code": totp.now(), "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return totp, CODES.findall(response.get_data(as_text=True))


def logout(client):
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/"))})


def send_code(client, code: str):
    page = client.get("/auth/two-factor/code")
    return client.post("/auth/two-factor/code", data={"code": code, "csrf_token": csrf_from(page)})


def later_code(totp: pyotp.TOTP, steps: int = 1) -> str:
    return totp.at(time.time() + 30 * steps)


@pytest.fixture
def enrolled(app, create_user):
    user = create_user(Role.COORDINATOR, email="coord@example.org")
    client = app.test_client()
    login(client, user.email)
    totp, codes = enrol(client)
    logout(client)
    return user, client, totp, codes


def test_enrolment_needs_a_right_code_and_shows_ten_recovery_codes_once(app, create_user):
    user = create_user(Role.AGENT)
    client = app.test_client()
    login(client, user.email)
    page = client.get("/auth/two-factor/")
    assert "<svg" in page.get_data(as_text=True)
    wrong = client.post("/auth/two-factor/", data={"code": "000000", "csrf_token": csrf_from(page)})
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)
    totp, codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        stored = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10
        assert not any(code.replace("-", "") in h for code in codes for h in stored)
        assert db.session.get(User, user.id).has_two_factor
        kinds = db.session.scalars(db.select(SecurityEvent.kind)).all()
        assert "two_factor.failed" in kinds and "two_factor.enabled" in kinds
    # The page now says it is on; the codes are not shown again.
    again = client.get("/auth/two-factor/").get_data(as_text=True)
    assert "10 recovery codes left" in again and codes[0] not in again


def test_login_asks_for_the_code_after_the_password_and_refuses_a_replay(app, enrolled):
    user, client, totp, _codes = enrolled
    response = login(client, user.email)
    assert response.status_code == 302 and "/auth/two-factor/code" in response.location
    assert client.get("/audit/").status_code == 302  # not signed in yet
    # The code used at enrolment cannot be used again. (Its own time step's code, not
    # totp.now(): the clock may have moved into the next step since, whose code is new.)
    with app.app_context():
        enrolled_step = db.session.get(User, user.id).totp_last_step
    replay = send_code(client, totp.generate_otp(enrolled_step))
    assert replay.status_code == 422 and "already used" in replay.get_data(as_text=True)
    code = later_code(totp)
    assert send_code(client, code).status_code == 302
    assert client.get("/audit/").status_code == 200
    logout(client)
    login(client, user.email)
    assert send_code(client, code).status_code == 422  # the same code, a second time


def test_a_recovery_code_works_once(app, enrolled):
    user, client, _totp, codes = enrolled
    login(client, user.email)
    assert send_code(client, codes[0]).status_code == 302
    logout(client)
    login(client, user.email)
    assert send_code(client, codes[0]).status_code == 422
    assert send_code(client, codes[1].upper()).status_code == 302
    with app.app_context():
        used = db.session.scalars(db.select(SecurityEvent.kind)).all().count("recovery_code.used")
        assert used == 2


def test_wrong_codes_are_counted_by_the_login_limit(app, enrolled):
    user, _own, totp, _codes = enrolled
    client = app.test_client()  # not the owner's browser: no device cookie
    login(client, user.email)
    statuses = [send_code(client, "123456").status_code for _ in range(6)]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429
    assert send_code(client, later_code(totp)).status_code == 429


def test_the_code_page_needs_a_right_password_first(app, client):
    assert client.get("/auth/two-factor/code").status_code == 302


def test_the_city_can_require_it_for_coordinators(app, create_user):
    with app.app_context():
        db.session.add(SiteSetting(key="city.require_two_factor_for_coordinators", value="True"))
        db.session.commit()
    coordinator = create_user(Role.COORDINATOR)
    client = app.test_client()
    login(client, coordinator.email)
    response = client.get("/audit/")
    assert response.status_code == 302 and response.location.endswith("/auth/two-factor/")
    assert client.get("/api/v1/").status_code == 403
    enrol(client)
    assert client.get("/audit/").status_code == 200
    # An agent is not asked.
    agent = create_user(Role.AGENT)
    other = app.test_client()
    login(other, agent.email)
    assert other.get("/").status_code == 200


def test_a_coordinator_resets_anothers_second_factor_with_a_reason(app, enrolled, create_user):
    user, client, totp, _codes = enrolled
    login(client, user.email)
    send_code(client, later_code(totp))
    lead = create_user(Role.COORDINATOR, email="lead@example.org")
    lead_client = app.test_client()
    login(lead_client, lead.email)
    page = lead_client.get(f"/accounts/{user.id}")
    url = f"/accounts/{user.id}/reset-two-factor"
    blank = lead_client.post(url, data={"reason": " ", "csrf_token": csrf_from(page)})
    assert blank.status_code == 422
    done = lead_client.post(url, data={"reason": "Lost her phone", "csrf_token": csrf_from(page)})
    assert done.status_code == 302
    with app.app_context():
        assert not db.session.get(User, user.id).has_two_factor
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "two-factor reset")
        ).one()
        assert entry.details == {"reason": "Lost her phone"} and entry.actor_id == lead.id
    assert client.get("/audit/").status_code == 302  # their sessions ended
    assert login(client, user.email, PASSWORD).location.endswith("/")
