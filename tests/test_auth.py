"""Logging in and out: messages, limits, server-side session ending, safe redirects."""

from datetime import UTC, datetime, timedelta

from rumours.extensions import db
from rumours.models import LoginThrottle, Role, User
from rumours.services.auth import login_blocked, record_failed_login, record_successful_login

from .helpers import PASSWORD, csrf_from, login


def test_login_page_has_email_and_password_fields(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page
    assert 'name="csrf_token"' in page


def test_each_role_lands_on_its_home(app, create_user, create_organisation):
    organisation = create_organisation("Casal Demo")
    expectations = {
        Role.COORDINATOR: "Network overview",
        Role.AGENT: "My conversations",
        Role.MEMBER: "Casal Demo",
    }
    for role, heading in expectations.items():
        user = create_user(role, organisation=organisation if role is Role.MEMBER else None)
        client = app.test_client()
        response = login(client, user.email)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        assert heading in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_message(client, create_user):
    user = create_user(Role.AGENT)
    wrong_password = login(client, user.email, "not-the-password")
    unknown_email = login(client, "nobody-here@example.org", "not-the-password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    for response in (wrong_password, unknown_email):
        assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_form_keeps_the_email_typed_after_a_failure(client, create_user):
    user = create_user(Role.AGENT)
    page = login(client, user.email, "nope").get_data(as_text=True)
    assert f'value="{user.email}"' in page


def test_disabled_account_cannot_log_in(client, create_user):
    user = create_user(Role.AGENT, active=False)
    response = login(client, user.email)
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, create_user):
    user = create_user(Role.AGENT)
    for _ in range(5):
        assert login(client, user.email, "wrong-password").status_code == 401
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts for this account" in response.get_data(as_text=True)
    assert "Network overview" not in client.get("/").get_data(as_text=True)


def test_unknown_emails_are_limited_like_real_ones(client):
    for _ in range(5):
        login(client, "ghost@example.org", "wrong-password")
    response = login(client, "ghost@example.org", "wrong-password")
    assert response.status_code == 429


def test_delay_grows_with_each_failure_and_success_resets_it(app):
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    with app.app_context():
        for _ in range(4):
            record_failed_login("a@example.org", now)
        assert not login_blocked("a@example.org", now).blocked
        waits = []
        for _ in range(4):
            record_failed_login("a@example.org", now)
            waits.append(login_blocked("a@example.org", now).retry_after_seconds)
        assert waits == sorted(waits) and waits[-1] > waits[0]
        record_successful_login("A@example.org ")
        assert not login_blocked("a@example.org", now).blocked
        db.session.commit()


def test_hourly_cap_blocks_until_the_hour_is_over(app):
    app.config.update(LOGIN_FREE_FAILURES=10_000, LOGIN_MAX_FAILURES_PER_HOUR=100)
    start = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    with app.app_context():
        for i in range(99):
            record_failed_login("b@example.org", start + timedelta(seconds=i))
        assert not login_blocked("b@example.org", start + timedelta(minutes=2)).blocked
        record_failed_login("b@example.org", start + timedelta(minutes=2))
        state = login_blocked("b@example.org", start + timedelta(minutes=2))
        assert state.blocked and 57 * 60 < state.retry_after_seconds <= 58 * 60 + 1
        assert not login_blocked("b@example.org", start + timedelta(minutes=61)).blocked
        # A new hour starts a new count.
        record_failed_login("b@example.org", start + timedelta(minutes=61))
        row = db.session.get(LoginThrottle, "b@example.org")
        assert row.failures_in_window == 1
        db.session.commit()


def test_logout_ends_the_session_on_the_server(app, create_user):
    user = create_user(Role.COORDINATOR)
    client = app.test_client()
    login(client, user.email)
    stolen_cookie = client.get_cookie("rumours_session").value
    assert "Network overview" in client.get("/").get_data(as_text=True)

    token = csrf_from(client.get("/"))
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302

    replay = app.test_client()
    replay.set_cookie("rumours_session", stolen_cookie)
    assert replay.get("/audit/").status_code == 302  # sent to the login page
    assert "Network overview" not in replay.get("/").get_data(as_text=True)


def test_disabling_an_account_ends_its_sessions(app, create_user):
    user = create_user(Role.COORDINATOR)
    client = app.test_client()
    login(client, user.email)
    assert client.get("/audit/").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert client.get("/audit/").status_code == 302


def test_logout_page_asks_before_logging_out(app, create_user):
    user = create_user(Role.AGENT)
    client = app.test_client()
    login(client, user.email)
    page = client.get("/auth/logout")
    assert page.status_code == 200 and "Log out?" in page.get_data(as_text=True)
    assert "My conversations" in client.get("/").get_data(as_text=True)


def test_next_accepts_local_paths_only(app, create_user):
    user = create_user(Role.COORDINATOR)
    cases = {
        "/audit/": "/audit/",
        "https://evil.example/": "/",
        "//evil.example/path": "/",
        "/\\evil.example": "/",
        "javascript:alert(1)": "/",
    }
    for target, expected in cases.items():
        client = app.test_client()
        response = login(client, user.email, next_url=target)
        assert response.headers["Location"] == expected, target


def test_login_and_logout_are_in_the_audit_log(app, create_user):
    coordinator = create_user(Role.COORDINATOR, name="Clara Coordinator")
    client = app.test_client()
    login(client, coordinator.email)
    page = client.get("/audit/").get_data(as_text=True)
    assert "Clara Coordinator" in page and "login" in page


def test_changing_the_password_ends_other_sessions(app, create_user):
    user = create_user(Role.COORDINATOR)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user.email)
    login(phone, user.email)
    token = csrf_from(laptop.get("/auth/password"))
    response = laptop.post(
        "/auth/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "violet river lantern 42",
            "confirm": "violet river lantern 42",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/audit/").status_code == 200  # this device carries on
    assert phone.get("/audit/").status_code == 302  # the other is logged out
    fresh = app.test_client()
    assert login(fresh, user.email, PASSWORD).status_code == 401
    assert login(fresh, user.email, "violet river lantern 42").status_code == 302


def test_password_change_refuses_a_wrong_current_password_and_common_ones(app, create_user):
    user = create_user(Role.AGENT)
    client = app.test_client()
    login(client, user.email)
    token = csrf_from(client.get("/auth/password"))
    wrong = client.post(
        "/auth/password",
        data={
            "csrf_token": token,
            "current_password": "nope",
            "new_password": "violet river 42",
            "confirm": "violet river 42",
        },
    )
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    common = client.post(
        "/auth/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "password1234",
            "confirm": "password1234",
        },
    )
    assert common.status_code == 422
    assert "too common" in common.get_data(as_text=True)
    mismatch = client.post(
        "/auth/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "violet river 42",
            "confirm": "violet river 43",
        },
    )
    assert "The two do not match." in mismatch.get_data(as_text=True)
