"""Organisations: coordinators create, edit and manage members; members see only their own."""

from rumours.extensions import db
from rumours.models import Membership, Organisation, OrganisationType, Role

from .helpers import csrf_from, login


def form(**overrides):
    data = {
        "name": "Associació Veïnal del Poble-sec",
        "type": "association",
        "district": "",
        "contact_name": "Rosa",
        "contact_email": "rosa@example.org",
        "joined_on": "2024-05-01",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_coordinator_creates_edits_and_manages_members(app, client, create_user):
    coordinator = create_user(Role.COORDINATOR)
    agent = create_user(Role.AGENT, email="agent@example.org", name="Agent Poble-sec")
    login(client, coordinator.email)
    page = client.get("/organisations/new")
    response = client.post("/organisations/new", data={**form(), "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        organisation = db.session.execute(db.select(Organisation)).scalar_one()
        assert organisation.slug == "associacio-veinal-del-poble-sec"
        assert organisation.type is OrganisationType.ASSOCIATION
        organisation_id = organisation.id
    url = f"/organisations/{organisation_id}"
    response = client.post(
        url + "/edit", data={**form(type="ngo", active=""), "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        assert organisation.type is OrganisationType.NGO and organisation.active is False

    bad = client.post(url, data={"email": "nobody@example.org", "csrf_token": csrf_from(page)})
    assert bad.status_code == 422
    assert "No account uses this e-mail" in bad.get_data(as_text=True)
    assert (
        client.post(
            url, data={"email": "agent@example.org", "csrf_token": csrf_from(page)}
        ).status_code
        == 302
    )
    again = client.post(url, data={"email": "agent@example.org", "csrf_token": csrf_from(page)})
    assert "already belongs" in again.get_data(as_text=True)
    assert "Agent Poble-sec" in client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/members/{agent.id}/remove", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Membership, (agent.id, organisation_id)) is None


def test_bad_input_is_refused_next_to_the_field(app, client, create_user):
    login(client, create_user(Role.COORDINATOR).email)
    page = client.get("/organisations/new")
    response = client.post(
        "/organisations/new",
        data={**form(name="", contact_email="not-mail"), "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="name-errors"' in text and 'id="contact_email-errors"' in text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 0


def test_members_see_only_their_own_organisation(client, create_user, create_organisation):
    mine = create_organisation("Mine")
    theirs = create_organisation("Theirs")
    member = create_user(Role.MEMBER, organisation=mine)
    login(client, member.email)
    listing = client.get("/organisations/").get_data(as_text=True)
    assert "Mine" in listing and "Theirs" not in listing
    assert client.get(f"/organisations/{mine.id}").status_code == 200
    assert client.get(f"/organisations/{theirs.id}").status_code == 403
    assert client.get(f"/organisations/{mine.id}/edit").status_code == 403
    assert client.get("/organisations/new").status_code == 403
    assert client.get("/organisations/999999").status_code == 404
    page = client.get(f"/organisations/{mine.id}")
    assert (
        client.post(
            f"/organisations/{mine.id}", data={"email": member.email, "csrf_token": csrf_from(page)}
        ).status_code
        == 403
    )


def test_agents_do_not_browse_organisations(client, create_user, create_organisation):
    organisation = create_organisation()
    agent = create_user(Role.AGENT, organisation=organisation)
    login(client, agent.email)
    assert client.get("/organisations/").status_code == 403
    assert client.get(f"/organisations/{organisation.id}").status_code == 403
