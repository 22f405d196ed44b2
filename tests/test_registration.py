"""Agent sign-up at /auth/register and invitation links."""

from datetime import UTC, datetime, timedelta

import pytest

from rumours.extensions import db
from rumours.models import (
    AgentProfile,
    AgentStatus,
    Consent,
    ConsentPurpose,
    Invitation,
    Membership,
    Role,
    User,
)
from rumours.rules.passwords import password_problem
from rumours.services.agents import hash_token

from .helpers import csrf_from, login

GOOD_PASSWORD = "plaza-lantern-orange-tide"


def sign_up(client, district_id, url="/auth/register", **overrides):
    token = csrf_from(client.get(url))
    data = {
        "name": "Laia Puig",
        "email": "laia@example.org",
        "password": GOOD_PASSWORD,
        "password_again": GOOD_PASSWORD,
        "languages": ["ca", "es"],
        "district": str(district_id),
        "consent_processing": "y",
        "consent_contact": "",
        "csrf_token": token,
    }
    data.update(overrides)
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def users(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(User))


def test_sign_up_creates_an_applicant_with_consents_languages_and_organisations(
    app, client, create_district, create_organisation
):
    district = create_district().id
    organisation = create_organisation("Veïns del Barri")
    before = datetime.now(UTC)
    page = client.get("/auth/register").get_data(as_text=True)
    assert "Your data, in plain words" in page
    response = sign_up(client, district, organisations=[str(organisation.id)])
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(
            db.select(User).where(User.email == "laia@example.org")
        ).scalar_one()
        assert user.role is Role.AGENT
        assert user.password_hash.startswith("$argon2id$")
        profile = db.session.get(AgentProfile, user.id)
        assert profile.status is AgentStatus.APPLICANT
        assert profile.district_id == district
        assert sorted(lang.language for lang in profile.languages) == ["ca", "es"]
        consents = {
            c.purpose: c
            for c in db.session.scalars(db.select(Consent).where(Consent.user_id == user.id))
        }
        assert consents[ConsentPurpose.PROCESSING].granted is True
        assert consents[ConsentPurpose.CONTACT].granted is False
        assert consents[ConsentPurpose.PROCESSING].recorded_at >= before - timedelta(seconds=1)
        assert db.session.get(Membership, (user.id, organisation.id)) is not None
    # Logged in straight away, on their own page, told they await approval.
    home = client.get("/").get_data(as_text=True)
    assert "A coordinator will review your sign-up" in home


@pytest.mark.parametrize(
    "overrides,field_message",
    [
        ({"password": "short-pass", "password_again": "short-pass"}, "at least 12"),
        ({"password": "password1234", "password_again": "password1234"}, "too common"),
        ({"password": "qwertyuiop123", "password_again": "qwertyuiop123"}, "too common"),
        ({"password": "aaaaaaaaaaaaaaaa", "password_again": "aaaaaaaaaaaaaaaa"}, "too common"),
        ({"password_again": "something-else-entirely"}, "The two passwords differ."),
        ({"consent_processing": None}, "We need this consent"),
        ({"languages": []}, "Choose at least one language."),
        ({"email": "not-an-email"}, "Invalid email address."),
    ],
)
def test_bad_sign_up_shows_the_message_next_to_the_field_and_creates_nothing(
    app, client, create_district, overrides, field_message
):
    district = create_district().id
    response = sign_up(client, district, **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="errors"' in page and field_message in page
    assert users(app) == 0


def test_duplicate_email_is_refused(app, client, create_district, create_user):
    district = create_district().id
    create_user(Role.AGENT, email="laia@example.org")
    response = sign_up(client, district, email="Laia@Example.org")
    assert response.status_code == 422
    assert "Someone has already signed up with this e-mail." in response.get_data(as_text=True)
    assert users(app) == 1


def test_common_password_check_knows_patterns(app):
    with app.test_request_context():
        assert password_problem("Password2026!") is not None
        assert password_problem("barcelona2026") is not None
        assert password_problem("lentil-harbour-quiet-9") is None
        assert password_problem("laia.puig.2026xx", email="laia.puig@example.org") is not None


def test_invitation_link_is_single_use_expires_and_approves(
    app, client, create_user, create_district
):
    district = create_district().id
    coordinator = create_user(Role.COORDINATOR)
    login(client, coordinator.email)
    page = client.get("/agents/invitations")
    response = client.post(
        "/agents/invitations", data={"email": "joan@example.org", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 200
    link = response.get_data(as_text=True).split("/auth/register/")[1].split("<")[0]
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/"))})

    url = f"/auth/register/{link}"
    assert 'value="joan@example.org"' in client.get(url).get_data(as_text=True)
    # The link is for one address only.
    wrong = sign_up(client, district, url=url, email="other@example.org")
    assert wrong.status_code == 422
    assert "This invitation is for joan@example.org." in wrong.get_data(as_text=True)
    assert sign_up(client, district, url=url, email="joan@example.org").status_code == 302
    with app.app_context():
        user = db.session.execute(
            db.select(User).where(User.email == "joan@example.org")
        ).scalar_one()
        assert user.agent_profile.status is AgentStatus.IN_TRAINING
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/"))})
    assert client.get(url).status_code == 404  # used

    with app.app_context():
        db.session.add(
            Invitation(
                email="late@example.org",
                token_hash=hash_token("expired-token"),
                expires_at=datetime.now(UTC) - timedelta(minutes=1),
            )
        )
        db.session.commit()
    assert client.get("/auth/register/expired-token").status_code == 404
    assert client.get("/auth/register/made-up-token").status_code == 404


def test_only_coordinators_invite(client, create_user):
    agent = create_user(Role.AGENT)
    login(client, agent.email)
    assert client.get("/agents/invitations").status_code == 403
