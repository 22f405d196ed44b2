"""Roles are enforced on the server: pages and object predicates."""

from rumours.extensions import db
from rumours.models import Encounter, Role
from rumours.permissions import can_view_agent, can_view_encounter, can_view_organisation

from .helpers import login


def test_agent_gets_403_on_a_coordinator_page(app, create_user):
    agent = create_user(Role.AGENT)
    client = app.test_client()
    login(client, agent.email)
    response = client.get("/audit/")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Not allowed" in page
    assert "Your account does not have access to this page" in page


def test_member_gets_403_on_a_coordinator_page(app, create_user, create_organisation):
    member = create_user(Role.MEMBER, organisation=create_organisation())
    client = app.test_client()
    login(client, member.email)
    assert client.get("/audit/").status_code == 403


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_coordinator_navigation_shows_the_audit_log_and_agent_navigation_does_not(app, create_user):
    for role, visible in ((Role.COORDINATOR, True), (Role.AGENT, False)):
        client = app.test_client()
        login(client, create_user(role).email)
        assert ('href="/audit/"' in client.get("/").get_data(as_text=True)) is visible


def test_object_predicates_follow_organisations(app, create_user, create_organisation):
    ours, theirs = create_organisation("Ours"), create_organisation("Theirs")
    member = create_user(Role.MEMBER, organisation=ours)
    our_agent = create_user(Role.AGENT, organisation=ours)
    their_agent = create_user(Role.AGENT, organisation=theirs)
    coordinator = create_user(Role.COORDINATOR)
    with app.app_context():
        member, our_agent, their_agent, coordinator = (
            db.session.merge(u) for u in (member, our_agent, their_agent, coordinator)
        )
        ours, theirs = db.session.merge(ours), db.session.merge(theirs)
        assert can_view_agent(member, our_agent) and not can_view_agent(member, their_agent)
        assert can_view_agent(coordinator, their_agent)
        assert can_view_agent(our_agent, our_agent) and not can_view_agent(our_agent, their_agent)
        assert can_view_organisation(member, ours) and not can_view_organisation(member, theirs)
        mine = Encounter(agent_id=our_agent.id, organisation_id=ours.id)
        other = Encounter(agent_id=their_agent.id, organisation_id=theirs.id)
        assert can_view_encounter(our_agent, mine) and not can_view_encounter(our_agent, other)
        assert can_view_encounter(member, mine) and not can_view_encounter(member, other)
        assert can_view_encounter(coordinator, other)
