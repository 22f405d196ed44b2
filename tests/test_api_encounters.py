"""POST/GET /api/v1/encounters: the contract of DESIGN.md, idempotency and bad input."""

import json
import threading
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select

from rumours import create_app, summaries
from rumours.extensions import db
from rumours.models import (
    AgentStatus,
    Campaign,
    District,
    Encounter,
    EncounterRumour,
    Neighbourhood,
    Rebuttal,
    RebuttalStatus,
    Role,
    Rumour,
    RumourStatus,
    Theme,
)

from .helpers import config_for, csrf_from, login, statements_sent


def add_catalogue() -> None:
    """A district with a neighbourhood, two published rumours, a draft and a campaign."""
    district = District(code="1", slug="ciutat-vella", name="Ciutat Vella")
    other = District(code="2", slug="eixample", name="l'Eixample")
    db.session.add_all([district, other])
    db.session.flush()
    db.session.add_all(
        [
            Neighbourhood(district_id=district.id, code="1", slug="el-raval", name="el Raval"),
            Neighbourhood(district_id=other.id, code="7", slug="sant-antoni", name="Sant Antoni"),
        ]
    )
    jobs = Rumour(
        slug="they-take-our-jobs",
        claim="They take our jobs",
        theme=Theme.EMPLOYMENT,
        status=RumourStatus.PUBLISHED,
    )
    benefits = Rumour(
        slug="they-get-all-the-benefits",
        claim="They get all the benefits",
        theme=Theme.WELFARE,
        status=RumourStatus.PUBLISHED,
    )
    draft = Rumour(slug="draft-rumour", claim="Draft", theme=Theme.HOUSING)
    db.session.add_all([jobs, benefits, draft])
    db.session.flush()
    db.session.add(
        Rebuttal(
            rumour_id=jobs.id,
            language="en",
            status=RebuttalStatus.PUBLISHED,
            short_answer="No.",
            explanation="Because.",
        )
    )
    today = datetime.now(UTC).date()
    campaign = Campaign(
        slug="autumn-markets-2026",
        name="Autumn in the markets",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=30),
    )
    campaign.rumours = [jobs]
    db.session.add(campaign)
    db.session.add(
        Campaign(
            slug="old-campaign", name="Old", starts_on=date(2020, 1, 1), ends_on=date(2020, 2, 1)
        )
    )
    db.session.commit()


@pytest.fixture
def catalogue(app):
    with app.app_context():
        add_catalogue()


def payload(**overrides) -> dict:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=20)).isoformat(),
        "district": "ciutat-vella",
        "neighbourhood": "el-raval",
        "setting": "market",
        "rumours": ["they-take-our-jobs"],
        "people_reached": 2,
        "outcome": "doubt_sown",
        "notes": "",
        "campaign": "autumn-markets-2026",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def logged_in_agent(client, create_user, status=AgentStatus.CERTIFIED) -> str:
    user = create_user(Role.AGENT, status=status)
    login(client, user.email)
    return csrf_from(client.get("/"))


def post(client, token, body, **kwargs):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        "/api/v1/encounters",
        data=data,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        **kwargs,
    )


def count_encounters(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Encounter))


def test_post_creates_then_replay_returns_the_same_and_other_content_is_refused(
    app, client, create_user, catalogue
):
    token = logged_in_agent(client, create_user)
    body = payload()
    first = post(client, token, body)
    assert first.status_code == 201, first.get_json()
    stored = first.get_json()
    assert stored["client_uuid"] == body["client_uuid"]
    assert stored["rumours"] == ["they-take-our-jobs"]
    assert stored["neighbourhood"] == "el-raval"
    assert stored["campaign"] == "autumn-markets-2026"
    replay = post(client, token, body)
    assert replay.status_code == 200
    assert replay.get_json()["id"] == stored["id"]
    changed = post(client, token, dict(body, people_reached=3))
    assert changed.status_code == 422
    assert "client_uuid" in changed.get_json()["fields"]
    assert count_encounters(app) == 1
    with app.app_context():
        link = db.session.execute(select(EncounterRumour)).scalar_one()
        assert link.rebuttal_id is not None  # the rebuttal current when logged


def test_a_new_conversation_reads_what_it_names_in_one_statement(
    app, client, create_user, catalogue
):
    """The district, neighbourhood, campaign, the agent's organisation and the rumours
    with their current rebuttals come back in one read (a round trip each was a POST's
    largest cost on PostgreSQL), and the rules still name each field they refuse."""
    token = logged_in_agent(client, create_user)
    body = payload(rumours=["they-take-our-jobs", "they-get-all-the-benefits"])
    with app.app_context(), statements_sent() as sent:
        created = post(client, token, body)
    assert created.status_code == 201, created.get_json()
    reads = [s for s, _ in sent if "FROM rumours" in s or "JOIN rumours" in s]
    assert len(reads) == 1
    assert all(name in reads[0] for name in ("districts", "neighbourhoods", "campaigns"))
    with app.app_context():
        links = db.session.execute(
            select(Rumour.slug, EncounterRumour.rebuttal_id)
            .join(EncounterRumour, EncounterRumour.rumour_id == Rumour.id)
            .where(EncounterRumour.encounter_id == created.get_json()["id"])
        ).all()
    answered = {slug: rebuttal is not None for slug, rebuttal in links}
    assert answered == {"they-take-our-jobs": True, "they-get-all-the-benefits": False}

    wrong = post(client, token, payload(
        district="nowhere", neighbourhood="sant-antoni", campaign="old-campaign",
        rumours=["draft-rumour", "they-take-our-jobs"],
    ))
    assert wrong.status_code == 422
    assert set(wrong.get_json()["fields"]) == {"district", "campaign", "rumours"}
    assert "draft-rumour" in wrong.get_json()["fields"]["rumours"][0]


def test_the_created_answer_is_what_the_database_then_holds(app, client, create_user, catalogue):
    """The 201 is built from what was written, without reading it back: the replay (read
    from the database) and the agent's list answer the same, field for field."""
    token = logged_in_agent(client, create_user)
    body = payload(
        rumours=["they-get-all-the-benefits", "they-take-our-jobs"],
        notes="Market stall, calm talk.",
        unlisted_rumour="They jump the queue for flats",
        # With microseconds and another offset: stored to the second, answered in UTC.
        occurred_at=(datetime.now(UTC) - timedelta(hours=3))
        .astimezone(timezone(timedelta(hours=1)))
        .isoformat(),
    )
    created = post(client, token, body)
    assert created.status_code == 201, created.get_json()
    replay = post(client, token, body)
    assert replay.status_code == 200
    listed = client.get("/api/v1/encounters").get_json()["encounters"]
    assert created.get_json() == replay.get_json() == listed[0]
    answer = created.get_json()
    assert answer["rumours"] == ["they-get-all-the-benefits", "they-take-our-jobs"]
    assert answer["unlisted_rumour"] == "They jump the queue for flats"
    assert answer["occurred_at"].endswith("Z") and "." not in answer["occurred_at"]
    with app.app_context():
        links = db.session.scalars(select(EncounterRumour).order_by(EncounterRumour.rumour_id))
        assert [link.rebuttal_id is not None for link in links] == [True, False]

    # Named from what was sent: a rumour twice and padded, no neighbourhood, no campaign.
    bare = payload(
        rumours=[" they-take-our-jobs", "they-get-all-the-benefits", "they-take-our-jobs "],
        district=" ciutat-vella ", neighbourhood=..., campaign=...,
    )
    created = post(client, token, bare)
    assert created.status_code == 201, created.get_json()
    replay = post(client, token, bare)
    listed = client.get("/api/v1/encounters").get_json()["encounters"]
    stored = next(e for e in listed if e["id"] == created.get_json()["id"])
    assert created.get_json() == replay.get_json() == stored
    assert stored["rumours"] == ["they-get-all-the-benefits", "they-take-our-jobs"]
    assert (stored["district"], stored["neighbourhood"], stored["campaign"]) == (
        "ciutat-vella", None, None,
    )


def test_get_lists_only_the_callers_own(app, client, create_user, catalogue):
    token = logged_in_agent(client, create_user)
    assert post(client, token, payload()).status_code == 201
    mine = client.get("/api/v1/encounters").get_json()
    assert len(mine["encounters"]) == 1
    other = app.test_client()
    other_token = logged_in_agent(other, create_user)
    assert other.get("/api/v1/encounters").get_json()["encounters"] == []
    # Another agent replaying my uuid cannot read or overwrite my entry.
    body = payload(client_uuid=mine["encounters"][0]["client_uuid"])
    assert post(other, other_token, body).status_code == 422


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"rumours": ["no-such-rumour"]}, "rumours"),
        ({"rumours": ["draft-rumour"]}, "rumours"),
        ({"rumours": []}, "rumours"),
        ({"district": "atlantis"}, "district"),
        ({"neighbourhood": "sant-antoni"}, "neighbourhood"),
        ({"campaign": "no-such-campaign"}, "campaign"),
        ({"campaign": "old-campaign"}, "campaign"),
        ({"occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "occurred_at"),
        ({"occurred_at": "2019-05-01T10:00:00+02:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-11-28T10:00:00"}, "occurred_at"),
        ({"people_reached": 0}, "people_reached"),
        ({"people_reached": 10_000}, "people_reached"),
        ({"people_reached": "two"}, "people_reached"),
        ({"setting": "moon"}, "setting"),
        ({"outcome": "converted"}, "outcome"),
        ({"outcome": ...}, "outcome"),
        ({"district": ...}, "district"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"notes": "write to maria@example.com"}, "notes"),
        ({"notes": "her number is 612 34 56 78"}, "notes"),
        ({"notes": "DNI 12345678Z"}, "notes"),
        ({"notes": "NIE X1234567L"}, "notes"),
        ({"notes": "x" * 281}, "notes"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    app, client, create_user, catalogue, overrides, field
):
    token = logged_in_agent(client, create_user)
    response = post(client, token, payload(**overrides))
    assert response.status_code == 422
    body = response.get_json()
    assert field in body["fields"], body
    assert body["error"]
    assert count_encounters(app) == 0


def test_harmless_notes_are_kept(app, client, create_user, catalogue):
    token = logged_in_agent(client, create_user)
    note = "Stallholder at the fish market, listened in 2026 after 10 minutes."
    response = post(client, token, payload(notes=note))
    assert response.status_code == 201
    assert response.get_json()["notes"] == note


def test_malformed_json_oversized_body_and_csrf(app, client, create_user, catalogue):
    token = logged_in_agent(client, create_user)
    malformed = post(client, token, "{not json")
    assert malformed.status_code == 400
    assert malformed.is_json and malformed.get_json()["error"]
    too_big = post(client, token, json.dumps(payload(notes="a" * 40_000)))
    assert too_big.status_code == 413
    assert too_big.is_json
    no_token = client.post("/api/v1/encounters", json=payload())
    assert no_token.status_code == 400
    assert no_token.is_json
    assert count_encounters(app) == 0


def test_anonymous_gets_401_json_and_uncertified_agent_403(app, client, create_user, catalogue):
    token = csrf_from(client.get("/auth/login"))
    anonymous = post(client, token, payload())
    assert anonymous.status_code == 401
    assert anonymous.is_json
    assert client.get("/api/v1/encounters").status_code == 401
    trainee = app.test_client()
    trainee_token = logged_in_agent(trainee, create_user, status=AgentStatus.IN_TRAINING)
    assert post(trainee, trainee_token, payload()).status_code == 403
    coordinator = app.test_client()
    login(coordinator, create_user(Role.COORDINATOR).email)
    coordinator_token = csrf_from(coordinator.get("/"))
    assert post(coordinator, coordinator_token, payload()).status_code == 403
    assert count_encounters(app) == 0


# ---------------------------------------------------------------------------
# Concurrency: real commits on separate connections, so not the rolled-back `app`
# ---------------------------------------------------------------------------


def catalogue_app(url: str):
    """An app on its own database at `url` (real commits), with the test catalogue."""
    app = create_app(config_for(url))
    with app.app_context():
        db.create_all()
        add_catalogue()
    return app


def add_agent(app, email: str, pseudonym: str, password_hash: str) -> int:
    """A certified agent in `app`'s database; returns their id."""
    from rumours.models import AgentProfile, User
    from rumours.rules.accounts import new_session_token

    with app.app_context():
        user = User(
            email=email,
            name=pseudonym,
            role=Role.AGENT,
            password_hash=password_hash,
            session_token=new_session_token(),
        )
        db.session.add(user)
        db.session.flush()
        db.session.add(
            AgentProfile(user_id=user.id, status=AgentStatus.CERTIFIED, pseudonym=pseudonym)
        )
        db.session.commit()
        return user.id


def fire_same_uuid(
    url: str, threads: int = 12, distinct: bool = False
) -> tuple[list[int], int, dict[str, int]]:
    """Post from `threads` threads at once: the same record, or (`distinct`) one new
    record each about the same day and place, so they all add to the same summary rows.
    Returns the statuses, the encounter rows and the summary tables' mismatches."""
    from rumours.rules.passwords import hash_password

    app = catalogue_app(url)
    with app.app_context():  # the hasher reads its settings from the app
        hashed = hash_password("correct-horse-battery-2026")
    add_agent(app, "racer@example.org", "racer1", hashed)
    client = app.test_client()
    login(client, "racer@example.org", "correct-horse-battery-2026")
    token = csrf_from(client.get("/"))
    cookie = client.get_cookie("rumours_session").value
    same = json.dumps(payload())
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def fire():
        own = app.test_client()
        own.set_cookie("rumours_session", cookie)
        body = json.dumps(payload()) if distinct else same
        barrier.wait()
        response = post(own, token, body)
        statuses.append(response.status_code)

    workers = [threading.Thread(target=fire) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with app.app_context():
        mismatches = summaries.mismatches(db.session.connection())
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(Encounter.__table__)).scalar_one()
    engine.dispose()
    return statuses, rows, mismatches


def test_same_uuid_from_many_threads_makes_one_row_on_sqlite(tmp_path):
    statuses, rows, mismatches = fire_same_uuid(f"sqlite:///{tmp_path / 'race.db'}")
    assert rows == 1
    assert not any(mismatches.values())
    assert sorted(statuses).count(201) == 1
    assert set(statuses) <= {200, 201}, statuses


def test_same_uuid_from_many_threads_makes_one_row_on_postgresql(postgres_server):
    url = postgres_server.create("rumours_race")
    try:
        statuses, rows, mismatches = fire_same_uuid(url)
    finally:
        postgres_server.drop(url)
    assert rows == 1
    assert not any(mismatches.values())
    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201}, statuses


def test_many_agents_at_once_keep_the_summaries_equal_to_the_rows(postgres_server, tmp_path):
    """Sixteen new records at the same moment, each adding to the same summary rows
    from its own connection (several app servers), on both databases."""
    for make in (lambda: f"sqlite:///{tmp_path / 'many.db'}",
                 lambda: postgres_server.create("rumours_many")):
        # Created when its turn comes, so a failure on SQLite leaves no database behind.
        url = make()
        try:
            statuses, rows, mismatches = fire_same_uuid(url, threads=16, distinct=True)
        finally:
            if url.startswith("postgresql"):
                postgres_server.drop(url)
        assert statuses == [201] * 16
        assert rows == 16
        assert mismatches and not any(mismatches.values()), mismatches
