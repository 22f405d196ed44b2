"""Training sessions: scheduling, enrolment, the waiting list, the roll call and the
certification that follows; the whole lifecycle from sign-up to certified."""

from datetime import UTC, datetime, timedelta

from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    AgentStatus,
    Enrolment,
    EnrolmentStatus,
    Role,
    TrainingKind,
    TrainingSession,
    TrainingStatus,
    User,
)

from .helpers import csrf_from, login
from .test_registration import sign_up


def logout(client):
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/"))})


def post(client, url, data=None, page=None):
    token = csrf_from(client.get(page or "/"))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def enrolment_status(app, session_id, agent_id):
    with app.app_context():
        return db.session.execute(
            db.select(Enrolment.status).where(
                Enrolment.session_id == session_id, Enrolment.agent_id == agent_id
            )
        ).scalar_one_or_none()


def session_form(**overrides):
    data = {
        "kind": "basic",
        "title": "Basic training, autumn",
        "starts_at": "2030-03-02T10:00",
        "ends_at": "2030-03-02T15:00",
        "venue": "Biblioteca Sant Pau",
        "district": "",
        "trainer": "Marta Soler",
        "capacity": "2",
        "language": "ca",
        "description": "Five hours.",
    }
    data.update(overrides)
    return data


def test_lifecycle_sign_up_approve_enrol_waitlist_attend_certified(
    app, client, create_user, create_district
):
    district = create_district().id
    coordinator = create_user(Role.COORDINATOR, email="coord@example.org")
    first = create_user(Role.AGENT, status=AgentStatus.IN_TRAINING, name="First")
    # 1. Sign-up: an applicant, who cannot enrol yet.
    assert sign_up(client, district).status_code == 302
    with app.app_context():
        laia = db.session.execute(
            db.select(User).where(User.email == "laia@example.org")
        ).scalar_one()
        laia_id = laia.id
    logout(client)

    # 2. The coordinator schedules a basic training with 1 place... then 2.
    login(client, coordinator.email)
    response = post(client, "/trainings/new", session_form(capacity="1"), "/trainings/new")
    assert response.status_code == 302
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        # 10:00 in Barcelona is 09:00 UTC in March.
        assert session.starts_at == datetime(2030, 3, 2, 9, 0, tzinfo=UTC)
    logout(client)

    login(client, "laia@example.org", "plaza-lantern-orange-tide")
    response = post(client, f"/trainings/{session_id}/enrol")
    assert enrolment_status(app, session_id, laia_id) is None
    assert "waiting for a coordinator" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    logout(client)

    # 3. Approval.
    login(client, coordinator.email)
    page = f"/agents/{laia_id}"
    assert (
        post(
            client, page + "/status", {"action": "approve", "reason": "Interview done"}, page
        ).status_code
        == 302
    )
    logout(client)

    # 4. Enrolment: the first agent takes the only place, Laia waits.
    login(client, first.email)
    post(client, f"/trainings/{session_id}/enrol")
    assert enrolment_status(app, session_id, first.id) is EnrolmentStatus.ENROLLED
    logout(client)
    login(client, "laia@example.org", "plaza-lantern-orange-tide")
    post(client, f"/trainings/{session_id}/enrol")
    assert enrolment_status(app, session_id, laia_id) is EnrolmentStatus.WAITLISTED
    assert "number 1 in line" in client.get(f"/trainings/{session_id}").get_data(as_text=True)
    # Enrolling twice is refused, nothing changes.
    response = post(client, f"/trainings/{session_id}/enrol")
    assert "already enrolled" in client.get(response.headers["Location"]).get_data(as_text=True)
    logout(client)

    # 5. The first agent leaves: Laia gets the place automatically.
    login(client, first.email)
    post(client, f"/trainings/{session_id}/leave")
    assert enrolment_status(app, session_id, first.id) is EnrolmentStatus.WITHDRAWN
    assert enrolment_status(app, session_id, laia_id) is EnrolmentStatus.ENROLLED
    logout(client)

    # 6. Roll call: Laia attended the basic training, so she is certified, with the date.
    login(client, coordinator.email)
    with app.app_context():
        enrolment_id = db.session.execute(
            db.select(Enrolment.id).where(Enrolment.agent_id == laia_id)
        ).scalar_one()
    url = f"/trainings/{session_id}/attendance"
    page = client.get(url)
    assert "Laia Puig" in page.get_data(as_text=True)
    response = client.post(
        url, data={"attended": [str(enrolment_id)], "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    assert "Laia Puig is now a certified agent." in client.get(url).get_data(as_text=True)
    with app.app_context():
        profile = db.session.get(AgentProfile, laia_id)
        assert profile.status is AgentStatus.CERTIFIED
        assert profile.certified_at is not None
        assert [c.to_status for c in profile.status_changes][-1] is AgentStatus.CERTIFIED
    logout(client)
    login(client, "laia@example.org", "plaza-lantern-orange-tide")
    home = client.get("/").get_data(as_text=True)
    assert "Certified" in home and "See and print my certificate" in home


def test_bad_enrolments_are_refused(app, client, create_user, create_training):
    agent = create_user(Role.AGENT, status=AgentStatus.CERTIFIED)
    past = create_training(days_ahead=-2).id
    cancelled = create_training().id
    with app.app_context():
        db.session.get(TrainingSession, cancelled).status = TrainingStatus.CANCELLED
        db.session.commit()
    login(client, agent.email)
    for session_id, message in ((past, "already started"), (cancelled, "cancelled")):
        response = post(client, f"/trainings/{session_id}/enrol")
        assert message in client.get(response.headers["Location"]).get_data(as_text=True)
        assert enrolment_status(app, session_id, agent.id) is None
    # Leaving a session you are not in.
    upcoming = create_training().id
    response = post(client, f"/trainings/{upcoming}/leave")
    assert "not enrolled" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_capacity_cannot_drop_below_enrolments_and_raising_it_promotes(
    app, client, create_user, create_training
):
    coordinator = create_user(Role.COORDINATOR)
    agents = [create_user(Role.AGENT) for _ in range(3)]
    session_id = create_training(capacity=2).id
    for agent in agents:
        login(client, agent.email)
        post(client, f"/trainings/{session_id}/enrol")
        logout(client)
    assert enrolment_status(app, session_id, agents[2].id) is EnrolmentStatus.WAITLISTED
    login(client, coordinator.email)
    edit = f"/trainings/{session_id}/edit"
    response = post(client, edit, session_form(capacity="1"), edit)
    assert response.status_code == 422
    assert "2 agents are already enrolled" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).capacity == 2
    assert post(client, edit, session_form(capacity="3"), edit).status_code == 302
    assert enrolment_status(app, session_id, agents[2].id) is EnrolmentStatus.ENROLLED


def test_attendance_only_for_enrolled_agents(app, client, create_user, create_training):
    coordinator = create_user(Role.COORDINATOR)
    agent = create_user(Role.AGENT, status=AgentStatus.IN_TRAINING)
    session_id = create_training().id
    login(client, agent.email)
    post(client, f"/trainings/{session_id}/enrol")
    logout(client)
    login(client, coordinator.email)
    url = f"/trainings/{session_id}/attendance"
    response = post(client, url, {"attended": ["999999"]}, url)
    assert response.status_code == 422
    assert "only be taken for agents enrolled" in response.get_data(as_text=True)
    response = post(client, url, {"attended": ["abc"]}, url)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(Enrolment.attended)) is None
        assert db.session.get(AgentProfile, agent.id).status is AgentStatus.IN_TRAINING


def test_validation_messages_on_the_session_form(client, create_user):
    login(client, create_user(Role.COORDINATOR).email)
    response = post(
        client,
        "/trainings/new",
        session_form(ends_at="2030-03-02T09:00", capacity="0"),
        "/trainings/new",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Number must be between 1 and 500." in page


def test_end_before_start_is_refused(app, client, create_user):
    login(client, create_user(Role.COORDINATOR).email)
    response = post(
        client, "/trainings/new", session_form(ends_at="2030-03-02T09:00"), "/trainings/new"
    )
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(TrainingSession)) == 0


def test_access_rules_for_trainings(client, create_user, create_training):
    session_id = create_training().id
    agent = create_user(Role.AGENT)
    member = create_user(Role.MEMBER)
    assert client.get("/trainings/").status_code == 302
    login(client, agent.email)
    assert client.get("/trainings/").status_code == 200
    assert client.get(f"/trainings/{session_id}").status_code == 200
    assert client.get("/trainings/new").status_code == 403
    assert client.get(f"/trainings/{session_id}/attendance").status_code == 403
    assert client.get(f"/trainings/{session_id}/edit").status_code == 403
    assert client.get("/trainings/999999").status_code == 404
    logout(client)
    login(client, member.email)
    assert post(client, f"/trainings/{session_id}/enrol").status_code == 403


def test_cancelling_keeps_enrolments_and_blocks_new_ones(app, client, create_user, create_training):
    coordinator = create_user(Role.COORDINATOR)
    session_id = create_training().id
    login(client, coordinator.email)
    page = f"/trainings/{session_id}"
    assert post(client, page + "/cancel", {"reason": "Venue closed"}, page).status_code == 302
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).status is TrainingStatus.CANCELLED
    assert "Cancelled" in client.get("/trainings/").get_data(as_text=True)
    assert (datetime.now(UTC) + timedelta(days=1)) > datetime.now(UTC)
    assert TrainingKind.BASIC.value == "basic"


def test_a_past_session_offers_no_places_and_cannot_be_cancelled(
    app, client, create_user, create_training
):
    past = create_training(days_ahead=-3, capacity=12)
    coordinator = create_user(Role.COORDINATOR)
    login(client, coordinator.email)
    listing = client.get("/trainings/?past=1").get_data(as_text=True)
    assert "0 took part" in listing and "places left" not in listing
    page = client.get(f"/trainings/{past.id}")
    text = page.get_data(as_text=True)
    assert "Cancel this session" not in text and "0 of 12 taken" not in text
    assert "this session has taken place" in text
    # The server refuses too, whatever a stale page posts.
    refused = client.post(
        f"/trainings/{past.id}/cancel",
        data={"reason": "Rain", "csrf_token": csrf_from(page)},
    )
    assert refused.status_code == 303
    assert "already taken place" in client.get(refused.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TrainingSession, past.id).status is TrainingStatus.SCHEDULED
