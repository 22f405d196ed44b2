"""The coordinators' agent list and agent page; approve, pause, reactivate; access rules."""

from datetime import UTC, datetime, timedelta

from rumours.extensions import db
from rumours.models import (
    AgentLanguage,
    AgentProfile,
    AgentStatus,
    AuditEntry,
    Membership,
    Role,
)

from .helpers import csrf_from, login


def act(client, agent_id, action, reason="Met them at the info session"):
    page = client.get(f"/agents/{agent_id}")
    return client.post(
        f"/agents/{agent_id}/status",
        data={"action": action, "reason": reason, "csrf_token": csrf_from(page)},
    )


def status_of(app, agent_id):
    with app.app_context():
        return db.session.get(AgentProfile, agent_id).status


def test_approve_pause_reactivate_with_reasons_in_the_audit_log(app, client, create_user):
    coordinator = create_user(Role.COORDINATOR)
    agent = create_user(Role.AGENT, status=AgentStatus.APPLICANT, name="Pau Serra")
    login(client, coordinator.email)

    assert act(client, agent.id, "approve").status_code == 302
    assert status_of(app, agent.id) is AgentStatus.IN_TRAINING
    assert act(client, agent.id, "pause", "Moved abroad for a year").status_code == 302
    assert status_of(app, agent.id) is AgentStatus.INACTIVE
    assert act(client, agent.id, "reactivate", "Back in town").status_code == 302
    assert status_of(app, agent.id) is AgentStatus.IN_TRAINING

    with app.app_context():
        entries = db.session.scalars(
            db.select(AuditEntry)
            .where(AuditEntry.entity_type == "agent", AuditEntry.entity_id == agent.id)
            .order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == ["agent.approve", "agent.pause", "agent.reactivate"]
        assert entries[1].details["reason"] == "Moved abroad for a year"
        assert all(e.actor_id == coordinator.id for e in entries)
    page = client.get(f"/agents/{agent.id}").get_data(as_text=True)
    assert "Status history" in page and "Moved abroad for a year" in page


def test_a_change_needs_a_reason_and_a_valid_transition(app, client, create_user):
    coordinator = create_user(Role.COORDINATOR)
    agent = create_user(Role.AGENT, status=AgentStatus.CERTIFIED)
    login(client, coordinator.email)
    response = act(client, agent.id, "pause", reason="")
    assert response.status_code == 422
    assert "Give a reason." in response.get_data(as_text=True)
    response = act(client, agent.id, "approve")
    assert response.status_code == 422
    assert "Only applicants can be approved." in response.get_data(as_text=True)
    assert status_of(app, agent.id) is AgentStatus.CERTIFIED


def test_list_searches_filters_and_paginates(app, client, create_user, create_organisation):
    coordinator = create_user(Role.COORDINATOR)
    organisation = create_organisation("Casal Sants")
    create_user(
        Role.AGENT, name="Marta Vidal", status=AgentStatus.APPLICANT, organisation=organisation
    )
    speaker = create_user(Role.AGENT, name="Omar Haddad", status=AgentStatus.CERTIFIED)
    for i in range(55):
        create_user(Role.AGENT, name=f"Agent {i:02d}", status=AgentStatus.IN_TRAINING)
    with app.app_context():
        db.session.add(AgentLanguage(agent_id=speaker.id, language="ar"))
        db.session.get(AgentProfile, speaker.id).last_active_at = datetime.now(UTC)
        db.session.commit()
    login(client, coordinator.email)

    def names(query):
        return client.get("/agents/?" + query).get_data(as_text=True)

    assert "57 agents" in names("")
    assert "Marta Vidal" in names("q=marta") and "Omar" not in names("q=marta")
    assert "Omar Haddad" in names("status=certified")
    assert "Marta Vidal" not in names("status=certified")
    assert "Marta Vidal" in names(f"organisation={organisation.id}")
    assert "1 agent" in names(f"organisation={organisation.id}")
    assert "Omar Haddad" in names("language=ar") and "1 agent" in names("language=ar")
    assert "1 agent" in names("active=30")
    assert "56 agents" in names("active=never")
    page_two = names("page=2")
    assert "Page 2 of 2" in page_two
    # Nonsense filters are ignored, never a 500.
    assert client.get("/agents/?status=nope&district=x&page=-4&active=zz").status_code == 200


def test_access_rules_for_each_role(app, client, create_user, create_organisation):
    mine = create_organisation("Ours")
    theirs = create_organisation("Theirs")
    member = create_user(Role.MEMBER, organisation=mine)
    our_agent = create_user(Role.AGENT, name="Our Agent", organisation=mine)
    their_agent = create_user(Role.AGENT, name="Their Agent", organisation=theirs)

    login(client, member.email)
    listing = client.get("/agents/").get_data(as_text=True)
    assert "Our Agent" in listing and "Their Agent" not in listing
    # Filtering by another organisation shows nothing of it.
    assert "Their Agent" not in client.get(f"/agents/?organisation={theirs.id}").get_data(
        as_text=True
    )
    assert client.get(f"/agents/{our_agent.id}").status_code == 200
    assert client.get(f"/agents/{their_agent.id}").status_code == 403
    assert client.get(f"/agents/{our_agent.id}/data").status_code == 403
    page = client.get(f"/agents/{our_agent.id}")
    response = client.post(
        f"/agents/{our_agent.id}/status",
        data={"action": "pause", "reason": "x", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 403

    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, our_agent.email)
    assert client.get("/agents/").status_code == 403
    assert client.get(f"/agents/{our_agent.id}").status_code == 200
    assert client.get(f"/agents/{their_agent.id}").status_code == 403
    assert client.get("/agents/999999").status_code == 404

    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/"))})
    assert client.get("/agents/").status_code == 302  # to the login page
    with app.app_context():
        assert db.session.get(Membership, (our_agent.id, mine.id)) is not None


def test_agent_page_shows_trainings_history_and_activity(app, client, create_user):
    coordinator = create_user(Role.COORDINATOR)
    agent = create_user(Role.AGENT, name="Rosa Martí")
    login(client, coordinator.email)
    page = client.get(f"/agents/{agent.id}").get_data(as_text=True)
    for heading in ("Activity", "Trainings", "Status history", "conversations logged"):
        assert heading in page
    assert (datetime.now(UTC) - timedelta(days=1)).year > 2000
