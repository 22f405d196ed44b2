"""Coordinators deactivate accounts with a reason; an inactive account's sessions end at
once; 403s and downloads are security events; the audit page filters and pages them."""

from datetime import UTC, datetime, timedelta

from rumours.extensions import db
from rumours.models import AuditEntry, Role, SecurityEvent, User

from .helpers import csrf_from, login


def coordinator_client(app, create_user):
    client = app.test_client()
    login(client, create_user(Role.COORDINATOR, email="lead@example.org").email)
    return client


def test_deactivating_needs_a_reason_and_ends_the_sessions_at_once(app, create_user):
    agent = create_user(Role.AGENT, email="agent@example.org")
    phone = app.test_client()
    login(phone, agent.email)
    assert phone.get("/account/language").status_code == 200
    lead = coordinator_client(app, create_user)
    page = lead.get(f"/accounts/{agent.id}")
    assert page.status_code == 200 and "agent@example.org" in page.get_data(as_text=True)
    url = f"/accounts/{agent.id}/deactivate"
    blank = lead.post(url, data={"reason": "", "csrf_token": csrf_from(page)})
    assert blank.status_code == 422
    assert (
        lead.post(
            url, data={"reason": "Left the network", "csrf_token": csrf_from(page)}
        ).status_code
        == 302
    )
    assert phone.get("/account/language").status_code == 302
    assert login(app.test_client(), agent.email).status_code == 401
    with app.app_context():
        assert not db.session.get(User, agent.id).active
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "account.deactivated")
        ).one()
        assert entry.details == {"reason": "Left the network"}
        kinds = db.session.scalars(db.select(SecurityEvent.kind)).all()
        assert "account.deactivated" in kinds
    again = lead.get(f"/accounts/{agent.id}")
    lead.post(
        f"/accounts/{agent.id}/reactivate", data={"reason": "Back", "csrf_token": csrf_from(again)}
    )
    assert login(app.test_client(), agent.email).status_code == 302


def test_only_coordinators_reach_accounts_and_a_403_is_logged(app, create_user):
    agent = create_user(Role.AGENT, email="agent@example.org")
    client = app.test_client()
    login(client, agent.email)
    assert client.get("/accounts/").status_code == 403
    assert client.post(f"/accounts/{agent.id}/deactivate").status_code in (400, 403)
    with app.app_context():
        denied = db.session.scalars(
            db.select(SecurityEvent).where(SecurityEvent.kind == "access.denied")
        ).first()
        assert denied.email == "agent@example.org" and denied.details == {"path": "/accounts/"}


def test_a_coordinator_cannot_deactivate_themselves(app, create_user):
    client = coordinator_client(app, create_user)
    with app.app_context():
        me = db.session.scalars(db.select(User)).one()
    page = client.get(f"/accounts/{me.id}")
    response = client.post(
        f"/accounts/{me.id}/deactivate", data={"reason": "x", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 422


def test_an_export_is_a_security_event(app, create_user):
    client = coordinator_client(app, create_user)
    assert client.get("/exports/encounters.csv").status_code == 200
    with app.app_context():
        event = db.session.scalars(
            db.select(SecurityEvent).where(SecurityEvent.kind == "export")
        ).one()
        assert event.details == {"path": "/exports/encounters.csv"}


def test_the_audit_page_filters_security_events_by_kind_account_and_period(app, create_user):
    client = coordinator_client(app, create_user)
    login(app.test_client(), "someone@example.org", "wrong-password-1")
    with app.app_context():
        old = SecurityEvent(
            kind="login.failed",
            email="old@example.org",
            at=datetime.now(UTC) - timedelta(days=40),
            details={},
        )
        db.session.add(old)
        db.session.commit()
    page = client.get("/audit/?kind=login.failed").get_data(as_text=True)
    assert "someone@example.org" in page and "old@example.org" in page
    events = page.split('id="security-events"')[1].split("</table>")[0]
    assert "Failed sign-in" in events and "Signed in" not in events
    recent = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    page = client.get(f"/audit/?kind=login.failed&date_from={recent}").get_data(as_text=True)
    assert "someone@example.org" in page and "old@example.org" not in page
    page = client.get("/audit/?account=old@").get_data(as_text=True)
    assert "old@example.org" in page and "someone@example.org" not in page
    assert client.get("/audit/?date_from=not-a-date").status_code == 400


def test_the_security_log_is_paged(app, create_user):
    client = coordinator_client(app, create_user)
    with app.app_context():
        for i in range(60):
            db.session.add(
                SecurityEvent(kind="login.failed", email=f"p{i:02d}@example.org", details={})
            )
        db.session.commit()
    first = client.get("/audit/?kind=login.failed").get_data(as_text=True)
    assert "Page 1 of 2" in first and "p59@example.org" in first and "p00@example.org" not in first
    second = client.get("/audit/?kind=login.failed&page=2").get_data(as_text=True)
    assert "p00@example.org" in second


def _change_role(lead, user_id: int, role: str, reason: str):
    page = lead.get(f"/accounts/{user_id}")
    return lead.post(
        f"/accounts/{user_id}/role",
        data={"change-role": role, "change-reason": reason, "csrf_token": csrf_from(page)},
    )


def test_a_coordinator_changes_a_role_with_a_reason_and_the_sessions_end(app, create_user):
    member = create_user(Role.MEMBER, email="member@example.org")
    phone = app.test_client()
    login(phone, member.email)
    assert phone.get("/account/language").status_code == 200
    lead = coordinator_client(app, create_user)

    blank = _change_role(lead, member.id, "agent", "")
    assert blank.status_code == 422
    assert "This field is required." in blank.get_data(as_text=True)
    changed = _change_role(lead, member.id, "agent", "Trained in March")
    assert changed.status_code == 302
    assert "is now Agent" in lead.get(changed.location).get_data(as_text=True)
    # The old session ends; the next sign-in carries the new role.
    assert phone.get("/account/language").status_code == 302
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user.role is Role.AGENT and user.agent_profile.status.value == "applicant"
        event = db.session.scalars(
            db.select(SecurityEvent).where(SecurityEvent.kind == "account.role_changed")
        ).one()
        assert event.details == {"by": "lead@example.org", "from": "member", "to": "agent",
                                 "reason": "Trained in March"}
    log = lead.get("/audit/?kind=account.role_changed").get_data(as_text=True)
    assert "Role changed" in log


def test_role_changes_refused_with_a_message_and_nothing_changed(app, create_user):
    agent = create_user(Role.AGENT, email="agent@example.org")
    lead = coordinator_client(app, create_user)
    with app.app_context():
        lead_id = db.session.scalars(
            db.select(User.id).where(User.email == "lead@example.org")
        ).one()
    # A member speaks for an organisation: an agent without one cannot become a member.
    no_organisation = _change_role(lead, agent.id, "member", "Joined the board")
    assert no_organisation.status_code == 422
    assert "add this account to one first" in no_organisation.get_data(as_text=True)
    same = _change_role(lead, agent.id, "agent", "Nothing")
    assert "already has that role" in same.get_data(as_text=True)
    unknown = _change_role(lead, agent.id, "admin", "Promote")
    assert unknown.status_code == 422
    # Nobody changes their own role (the form is not even offered on one's own page).
    own_page = lead.get(f"/accounts/{lead_id}").get_data(as_text=True)
    assert f'action="/accounts/{lead_id}/role"' not in own_page
    own = lead.post(f"/accounts/{lead_id}/role", data={
        "change-role": "agent", "change-reason": "x",
        "csrf_token": csrf_from(lead.get(f"/accounts/{agent.id}"))})
    assert own.status_code == 422
    with app.app_context():
        assert db.session.get(User, agent.id).role is Role.AGENT
        assert db.session.get(User, lead_id).role is Role.COORDINATOR
        assert not db.session.scalars(
            db.select(SecurityEvent).where(SecurityEvent.kind == "account.role_changed")
        ).all()


def test_only_coordinators_change_roles(app, create_user):
    target = create_user(Role.AGENT, email="target@example.org")
    for role in (Role.AGENT, Role.MEMBER):
        client = app.test_client()
        login(client, create_user(role).email)
        answer = client.post(f"/accounts/{target.id}/role", data={
            "change-role": "coordinator", "change-reason": "me",
            "csrf_token": csrf_from(client.get("/"))})
        assert answer.status_code == 403
    with app.app_context():
        assert db.session.get(User, target.id).role is Role.AGENT
