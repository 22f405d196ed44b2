"""Certification: manual certify and revoke with a reason, the lapse without a refresher,
the list of who is due, and the printable certificate."""

from datetime import UTC, datetime, timedelta

from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    AgentStatus,
    AuditEntry,
    Enrolment,
    Role,
    TrainingKind,
    TrainingSession,
)
from rumours.services.trainings import apply_lapses, certify_for_attendance

from .helpers import csrf_from, login


def certify_long_ago(app, agent_id, days_ago):
    with app.app_context():
        profile = db.session.get(AgentProfile, agent_id)
        profile.certified_at = datetime.now(UTC) - timedelta(days=days_ago)
        db.session.commit()


def attend(app, agent_id, session_id):
    with app.app_context():
        db.session.add(Enrolment(session_id=session_id, agent_id=agent_id, attended=True))
        db.session.commit()


def test_manual_certify_and_revoke_need_a_reason(app, client, create_user):
    coordinator = create_user(Role.COORDINATOR)
    agent = create_user(Role.AGENT, status=AgentStatus.IN_TRAINING)
    login(client, coordinator.email)
    page = client.get(f"/agents/{agent.id}")
    response = client.post(
        f"/agents/{agent.id}/status",
        data={
            "action": "certify",
            "reason": "Trained in Sabadell's programme",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        profile = db.session.get(AgentProfile, agent.id)
        assert profile.status is AgentStatus.CERTIFIED
        assert profile.certification_override_reason == "Trained in Sabadell's programme"
        assert profile.certified_at is not None
    assert client.get(f"/agents/{agent.id}/certificate").status_code == 200
    response = client.post(
        f"/agents/{agent.id}/status",
        data={"action": "revoke", "reason": "Certified by mistake", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    with app.app_context():
        profile = db.session.get(AgentProfile, agent.id)
        assert profile.status is AgentStatus.IN_TRAINING
        assert profile.certified_at is None
        actions = db.session.scalars(
            db.select(AuditEntry.action).where(AuditEntry.entity_id == agent.id)
        ).all()
        assert "agent.certify" in actions and "agent.revoke" in actions
    assert client.get(f"/agents/{agent.id}/certificate").status_code == 404


def test_lapse_without_a_refresher_and_the_due_list(app, client, create_user, create_training):
    coordinator = create_user(Role.COORDINATOR)
    app.config["CERTIFICATION_LAPSE_DAYS"] = 365
    lapsed = create_user(Role.AGENT, name="Long Ago")
    due_soon = create_user(Role.AGENT, name="Due Soon")
    refreshed = create_user(Role.AGENT, name="Refreshed")
    fresh = create_user(Role.AGENT, name="Fresh")
    certify_long_ago(app, lapsed.id, 400)
    certify_long_ago(app, due_soon.id, 340)
    certify_long_ago(app, refreshed.id, 400)
    certify_long_ago(app, fresh.id, 10)
    refresher = create_training(TrainingKind.REFRESHER, days_ahead=-30, title="Refresher").id
    attend(app, refreshed.id, refresher)

    login(client, coordinator.email)
    page = client.get("/agents/certifications")
    text = page.get_data(as_text=True)
    assert "Long Ago" in text and "Due Soon" in text and "Lapsed" in text
    assert "Refreshed" not in text and "Fresh" not in text

    response = client.post("/agents/certifications", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(AgentProfile, lapsed.id).status is AgentStatus.IN_TRAINING
        assert db.session.get(AgentProfile, due_soon.id).status is AgentStatus.CERTIFIED
        assert db.session.get(AgentProfile, refreshed.id).status is AgentStatus.CERTIFIED
        # Nothing more to lapse the second time.
        assert apply_lapses(actor=None) == 0
        # A refresher re-certifies a lapsed agent.
        profile = db.session.get(AgentProfile, lapsed.id)
        session = db.session.get(TrainingSession, refresher)
        assert certify_for_attendance(profile, session, actor=None) is True
        assert profile.status is AgentStatus.CERTIFIED


def test_certificate_is_for_the_agent_and_coordinators(
    app, client, create_user, create_organisation
):
    organisation = create_organisation()
    agent = create_user(Role.AGENT, name="Aina Ferrer", organisation=organisation)
    other = create_user(Role.AGENT)
    member = create_user(Role.MEMBER, organisation=organisation)
    certify_long_ago(app, agent.id, 5)
    certify_long_ago(app, other.id, 5)
    login(client, agent.email)
    response = client.get("/me/certificate", follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Certificate of anti-rumour agent" in text and "Aina Ferrer" in text
    assert client.get(f"/agents/{other.id}/certificate").status_code == 403
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, member.email)
    assert client.get(f"/agents/{agent.id}/certificate").status_code == 403


def test_lapse_command_for_a_scheduler(app, runner, create_user):
    app.config["CERTIFICATION_LAPSE_DAYS"] = 30
    agent = create_user(Role.AGENT)
    certify_long_ago(app, agent.id, 31)
    result = runner.invoke(args=["trainings", "apply-lapses"])
    assert result.exit_code == 0, result.output
    assert "1 certifications lapsed." in result.output
    with app.app_context():
        assert db.session.get(AgentProfile, agent.id).status is AgentStatus.IN_TRAINING
