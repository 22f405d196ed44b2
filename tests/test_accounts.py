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
