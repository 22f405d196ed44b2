"""A city puts Rumours into service from an empty database, in the production
configuration, with nothing but the commands the README gives: migrations, `city init`,
`create-user`, its geography from GeoJSON, a published rumour; then an agent signs up, is
certified, and logs a conversation in one of its neighbourhoods, which the dashboard and
its maps show."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from config import ProductionConfig
from rumours import create_app
from rumours.extensions import db
from rumours.models import AgentStatus, Rebuttal, RebuttalStatus, Rumour, RumourStatus, User

from .helpers import csrf_from, login

DATA = Path(__file__).resolve().parent / "data"
PASSWORD = "a-long-coordinator-passphrase"
AGENT_PASSWORD = "plaza-lantern-orange-tide"


# The apps a test built, whose connections are closed before their database is dropped
# (else each is left open in Python's view, and warns when it is collected).
_BUILT: list = []


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    server = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'city.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create("rumours_city")
    try:
        yield url
    finally:
        while _BUILT:
            app = _BUILT.pop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if server is not None:
            server.drop(url)


def production_app(url: str):
    url = make_url(url).render_as_string(hide_password=False)
    config = type(
        "CityConfig",
        (ProductionConfig,),
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "city-test-secret-" + "x" * 20},
    )
    app = create_app(config)
    _BUILT.append(app)
    return app


def run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def https_client(app):
    # Production cookies are Secure: the browser only sends them over HTTPS.
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def test_a_new_city_goes_from_an_empty_database_to_its_first_conversation(empty_database):
    app = production_app(empty_database)
    run(app, "db", "upgrade")
    run(
        app,
        "city",
        "init",
        "--name",
        "Lublin bez plotek",
        "--city",
        "Lublin",
        "--timezone",
        "Europe/Warsaw",
        "--languages",
        "en,es",
        "--default-language",
        "en",
    )
    run(
        app,
        "create-user",
        "--email",
        "koordynator@lublin.example",
        "--name",
        "Anna Nowak",
        "--role",
        "coordinator",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    run(
        app,
        "geography",
        "import",
        str(DATA / "smalltown-districts.geojson"),
        "--level",
        "district",
        "--name-property",
        "name",
        "--code-property",
        "code",
    )
    run(
        app,
        "geography",
        "import",
        str(DATA / "smalltown-neighbourhoods.geojson"),
        "--level",
        "neighbourhood",
        "--name-property",
        "name",
        "--code-property",
        "code",
        "--parent-property",
        "district",
    )
    with app.app_context():
        rumour = Rumour(
            slug="they-take-our-jobs",
            claim="They take our jobs.",
            theme="employment",
            status=RumourStatus.PUBLISHED,
        )
        db.session.add(rumour)
        db.session.flush()
        db.session.add(
            Rebuttal(
                rumour_id=rumour.id,
                language="en",
                short_answer="No.",
                explanation="Because.",
                status=RebuttalStatus.PUBLISHED,
            )
        )
        db.session.commit()

    # A volunteer signs up in Śródmieście.
    visitor = https_client(app)
    form = visitor.get("/auth/register")
    page = form.get_data(as_text=True)
    assert "Śródmieście" in page and "Old Harbour" in page
    with app.app_context():
        from rumours.models import District, Neighbourhood

        district = db.session.scalars(db.select(District).where(District.code == "D1")).one()
        assert district.slug == "srodmiescie"
        neighbourhood = db.session.scalars(
            db.select(Neighbourhood).where(Neighbourhood.code == "N2")
        ).one()
    signed = visitor.post(
        "/auth/register",
        data={
            "name": "Piotr Wiśniewski",
            "email": "piotr@lublin.example",
            "password": AGENT_PASSWORD,
            "password_again": AGENT_PASSWORD,
            "languages": ["es"],
            "district": str(district.id),
            "consent_processing": "y",
            "csrf_token": csrf_from(form),
        },
    )
    assert signed.status_code == 302

    # The coordinator approves and certifies them.
    coordinator = https_client(app)
    assert login(coordinator, "koordynator@lublin.example", PASSWORD).status_code == 302
    with app.app_context():
        agent = db.session.scalars(
            db.select(User).where(User.email == "piotr@lublin.example")
        ).one()
        agent_id = agent.id
    for action in ("approve", "certify"):
        page = coordinator.get(f"/agents/{agent_id}")
        done = coordinator.post(
            f"/agents/{agent_id}/status",
            data={
                "action": action,
                "reason": "Trained at the Lublin kick-off",
                "csrf_token": csrf_from(page),
            },
        )
        assert done.status_code == 302, done.get_data(as_text=True)[:500]
    with app.app_context():
        assert db.session.get(User, agent_id).agent_profile.status is AgentStatus.CERTIFIED

    # The agent logs a conversation in Plac Litewski from their phone.
    phone = https_client(app)
    login(phone, "piotr@lublin.example", AGENT_PASSWORD)
    token = csrf_from(phone.get("/encounters/new"))
    saved = phone.post(
        "/api/v1/encounters",
        headers={"X-CSRFToken": token},
        json={
            "client_uuid": str(uuid.uuid4()),
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "district": district.slug,
            "neighbourhood": neighbourhood.slug,
            "setting": "market",
            "rumours": ["they-take-our-jobs"],
            "people_reached": 3,
            "outcome": "doubt_sown",
        },
    )
    assert saved.status_code == 201, saved.get_json()

    # The dashboard counts it and draws every district and neighbourhood from the shapes.
    dashboard = coordinator.get("/dashboard/").get_data(as_text=True)
    for slug in ("srodmiescie", "czechow", "old-harbour"):
        assert f'data-district="{slug}"' in dashboard
    assert f'data-neighbourhood="{neighbourhood.slug}"' in dashboard
    assert "Lublin bez plotek" in dashboard
