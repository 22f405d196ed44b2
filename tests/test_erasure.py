"""An agent's data: the JSON download and erasure, by the agent or a coordinator on
request; encounters stay as anonymous statistics."""

import json
import uuid
from datetime import UTC, datetime

from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    Consent,
    Encounter,
    Enrolment,
    Membership,
    Outcome,
    Role,
    Setting,
    User,
)

from .helpers import csrf_from, login


def add_encounter(app, agent_id, district_id, organisation_id=None) -> int:
    with app.app_context():
        encounter = Encounter(
            client_uuid=uuid.uuid4(),
            content_hash="x" * 64,
            agent_id=agent_id,
            organisation_id=organisation_id,
            occurred_at=datetime.now(UTC),
            district_id=district_id,
            setting=Setting.MARKET,
            people_reached=3,
            outcome=Outcome.DOUBT_SOWN,
            notes="Talked at the fish stall",
        )
        db.session.add(encounter)
        db.session.commit()
        return encounter.id


def test_agent_downloads_everything_about_them(
    app, client, create_user, create_district, create_organisation
):
    district = create_district().id
    organisation = create_organisation("Casal Gràcia")
    agent = create_user(
        Role.AGENT, name="Nil Roca", email="nil@example.org", organisation=organisation
    )
    add_encounter(app, agent.id, district)
    login(client, agent.email)
    page = client.get("/me/data")
    assert page.status_code == 200
    response = client.post("/me/export", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == "nil@example.org"
    assert data["agent_profile"]["status"] == "certified"
    assert data["organisations"][0]["name"] == "Casal Gràcia"
    assert data["encounters"][0]["people_reached"] == 3
    assert data["encounters"][0]["setting"] == "market"
    assert "password_hash" not in json.dumps(data)
    # A GET cannot download (the POST carries the CSRF token and is audited).
    assert client.get("/me/export").status_code == 405


def test_agent_erases_themselves_and_encounters_stay_anonymous(
    app, client, create_user, create_district, create_organisation, create_training
):
    district = create_district().id
    organisation = create_organisation()
    agent = create_user(Role.AGENT, email="gone@example.org", organisation=organisation)
    encounter_id = add_encounter(app, agent.id, district, organisation.id)
    session_id = create_training().id
    with app.app_context():
        db.session.add(Enrolment(session_id=session_id, agent_id=agent.id))
        db.session.add(Consent(user_id=agent.id, purpose="processing", granted=True))
        db.session.commit()
    login(client, agent.email)
    page = client.get("/me/data")
    wrong = client.post("/me/erase", data={"confirm": "yes", "csrf_token": csrf_from(page)})
    assert wrong.status_code == 422
    assert "Type ERASE to confirm." in wrong.get_data(as_text=True)
    response = client.post("/me/erase", data={"confirm": "ERASE", "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.execute(db.select(User).where(User.email == "gone@example.org")).first()
            is None
        )
        assert db.session.get(AgentProfile, agent.id) is None
        for model in (Consent, Membership, Enrolment):
            column = model.user_id if hasattr(model, "user_id") else model.agent_id
            assert (
                db.session.scalar(
                    db.select(db.func.count()).select_from(model).where(column == agent.id)
                )
                == 0
            )
        encounter = db.session.get(Encounter, encounter_id)
        assert encounter is not None and encounter.agent_id is None
        assert encounter.organisation_id == organisation.id and encounter.people_reached == 3
    # Logged out: the old session no longer works.
    assert client.get("/me/data").status_code == 302
    assert login(client, "gone@example.org").status_code == 401


def test_coordinator_exports_and_erases_on_request(app, client, create_user, create_district):
    district = create_district().id
    coordinator = create_user(Role.COORDINATOR)
    agent = create_user(Role.AGENT, email="asked@example.org")
    encounter_id = add_encounter(app, agent.id, district)
    login(client, coordinator.email)
    record = client.get(f"/agents/{agent.id}").get_data(as_text=True)
    assert "Conversations per month" in record
    page = client.get(f"/agents/{agent.id}/data")
    response = client.post(f"/agents/{agent.id}/export", data={"csrf_token": csrf_from(page)})
    assert json.loads(response.data)["account"]["email"] == "asked@example.org"
    response = client.post(
        f"/agents/{agent.id}/data", data={"confirm": "erase", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, agent.id) is None
        assert db.session.get(Encounter, encounter_id).agent_id is None
    assert client.get(f"/agents/{agent.id}").status_code == 404


def test_nobody_else_can_export_or_erase(client, create_user, create_organisation):
    organisation = create_organisation()
    agent = create_user(Role.AGENT, organisation=organisation)
    other_agent = create_user(Role.AGENT)
    member = create_user(Role.MEMBER, organisation=organisation)
    for user in (other_agent, member):
        login(client, user.email)
        page = client.get("/")
        token = csrf_from(page)
        assert (
            client.post(f"/agents/{agent.id}/export", data={"csrf_token": token}).status_code == 403
        )
        assert (
            client.post(
                f"/agents/{agent.id}/data", data={"confirm": "ERASE", "csrf_token": token}
            ).status_code
            == 403
        )
        client.post("/auth/logout", data={"csrf_token": token})
    login(client, member.email)
    assert client.get("/me/data").status_code == 403
