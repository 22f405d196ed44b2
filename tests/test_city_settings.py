"""The city's settings and themes: edited by coordinators (and `flask city init`), kept in
the database, audited, and read by everything that used to read config.py."""

from datetime import timedelta

import pytest

from rumours.extensions import db
from rumours.models import AuditEntry, Role, Rumour, RumourStatus
from rumours.rules.certification import lapse_period
from rumours.rules.city import city
from rumours.rules.localtime import city_timezone

from .helpers import csrf_from, login

GOOD = {
    "network_name": "Xarxa Antirumors de Sabadell",
    "city": "Sabadell",
    "time_zone": "Europe/Madrid",
    "languages": ["ca", "es"],
    "default_language": "ca",
    "small_count_threshold": "8",
    "certification_lapse_days": "365",
    "map_attribution": "Ajuntament de Sabadell (CC BY 4.0)",
}


@pytest.fixture
def coordinator(client, create_user):
    user = create_user(Role.COORDINATOR, email="coord@example.org")
    assert login(client, user.email).status_code == 302
    return user


def post_settings(client, **changes):
    token = csrf_from(client.get("/settings/"))
    return client.post("/settings/", data={**GOOD, **changes, "csrf_token": token})


def test_a_coordinator_sets_the_city_and_every_reader_follows(app, client, coordinator):
    response = post_settings(client)
    assert response.status_code == 302
    with app.app_context():
        settings = city()
        assert settings.network_name == "Xarxa Antirumors de Sabadell"
        assert settings.languages == ("ca", "es")
        assert settings.small_count_threshold == 8
        assert lapse_period() == timedelta(days=365)
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "settings.changed")
        ).one()
        assert entry.details["network_name"][1] == "Xarxa Antirumors de Sabadell"
        assert entry.details["small_count_threshold"] == ["10", "8"]
    # English is no longer offered: an English browser gets the city's default, Catalan.
    page = client.get("/settings/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="ca"' in page and "Xarxa Antirumors de Sabadell" in page
    assert 'lang="en"' not in client.get("/?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "Not a time zone name"),
        ({"small_count_threshold": "4"}, "small_count_threshold", "from 5 to 1000"),
        ({"certification_lapse_days": "abc"}, "certification_lapse_days", "Not a valid integer"),
        ({"default_language": "en"}, "default_language", "must be one of those offered"),
        ({"languages": []}, "languages", "required"),
    ],
)
def test_bad_settings_are_refused_beside_their_field_and_keep_what_was_typed(
    app, client, coordinator, changes, field, message
):
    response = post_settings(client, **changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-errors"' in page and message in page
    assert 'value="Xarxa Antirumors de Sabadell"' in page  # what was typed is kept
    with app.app_context():
        assert city().network_name != "Xarxa Antirumors de Sabadell"  # nothing saved


def test_only_coordinators_reach_the_settings(client, create_user):
    assert client.get("/settings/").status_code == 302  # to the login page
    agent = create_user(Role.AGENT)
    login(client, agent.email)
    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/themes/housing/retire").status_code in (400, 403)


def theme_choices(client) -> str:
    return client.get("/catalogue/new").get_data(as_text=True)


def test_themes_are_added_renamed_and_retired_without_losing_rumours(app, client, coordinator):
    settings_page = client.get("/settings/")
    token = csrf_from(settings_page)
    assert (
        client.post("/settings/themes", data={"name": "Elections", "csrf_token": token}).status_code
        == 302
    )
    assert 'value="elections"' in theme_choices(client)
    # Renaming a built-in theme changes its name everywhere, in every language.
    client.post("/settings/themes/housing/name", data={"name": "Homes", "csrf_token": token})
    with app.app_context():
        db.session.add(
            Rumour(
                slug="rents",
                claim="They push rents up.",
                theme="housing",
                status=RumourStatus.PUBLISHED,
            )
        )
        db.session.commit()
    assert ">Homes<" in theme_choices(client)
    # Retired: no longer offered for a new rumour; the rumour keeps it.
    assert (
        client.post("/settings/themes/housing/retire", data={"csrf_token": token}).status_code
        == 302
    )
    assert 'value="housing"' not in theme_choices(client)
    with app.app_context():
        assert db.session.scalars(db.select(Rumour.theme)).one() == "housing"
        actions = set(db.session.scalars(db.select(AuditEntry.action)))
    assert {"theme.added", "theme.renamed", "theme.retired"} <= actions
    page = client.get("/settings/").get_data(as_text=True)
    assert "1 rumour" in page and "retired" in page
    # A name already used is refused with a message; nothing is added.
    refused = client.post("/settings/themes", data={"name": "homes", "csrf_token": token})
    assert refused.status_code == 422
    assert "There is already a theme called" in refused.get_data(as_text=True)


def test_city_init_sets_the_settings_from_a_script(app, runner):
    result = runner.invoke(
        args=[
            "city",
            "init",
            "--name",
            "Lublin Anti-Rumours",
            "--timezone",
            "Europe/Warsaw",
            "--languages",
            "es,ca",
            "--default-language",
            "es",
            "--city",
            "Lublin",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "network_name: Lublin Anti-Rumours" in result.output
    with app.app_context():
        assert city().languages == ("es", "ca")
        assert str(city_timezone()) == "Europe/Warsaw"


@pytest.mark.parametrize(
    "args,words",
    [
        (["--timezone", "Mars/Olympus"], "time_zone"),
        (["--threshold", "3"], "small_count_threshold"),
        (["--languages", "pl"], "No interface catalogue for pl"),
    ],
)
def test_city_init_refuses_bad_values_naming_the_field(app, runner, args, words):
    base = {"--name": "X", "--timezone": "Europe/Madrid", "--languages": "ca"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [part for pair in base.items() for part in pair]
    result = runner.invoke(args=["city", "init", *flat])
    assert result.exit_code != 0
    assert words in result.output
    with app.app_context():
        assert city().network_name != "X"


def test_each_process_keeps_the_settings_a_few_seconds_and_its_own_change_at_once(
    app, client, coordinator, monkeypatch
):
    """Two app servers on one database: the one that saves sees the change at once; the
    other keeps its copy for SETTINGS_CACHE_SECONDS, then reads the new values."""
    from rumours.models import SiteSetting
    from rumours.rules import city as city_rules

    app.config["SETTINGS_CACHE_SECONDS"] = 5
    clock = [1000.0]
    monkeypatch.setattr(city_rules, "monotonic", lambda: clock[0])
    name = "Barcelona Anti-Rumours Network"
    with app.app_context():
        first = city().network_name
    # This server saves on the Settings page: its next request shows the new name.
    assert post_settings(client).status_code == 302
    assert "Xarxa Antirumors de Sabadell" in client.get("/settings/").get_data(as_text=True)
    # Another server's write (straight to the database, as a second process would).
    with app.app_context():
        row = db.session.get(SiteSetting, "city.network_name")
        row.value = name
        db.session.commit()
        assert city().network_name == "Xarxa Antirumors de Sabadell"  # still its copy
    clock[0] += 5.1
    with app.app_context():
        assert city().network_name == name
    assert first != "Xarxa Antirumors de Sabadell"


def test_the_demo_banner_comes_with_the_settings_read(app, client, monkeypatch):
    """Every page's footer asks whether this database holds the demo: answered by the
    settings' own read (kept SETTINGS_CACHE_SECONDS), not by a query of its own per page.
    A demo seeded by another process shows within those seconds."""
    from sqlalchemy import event

    from rumours.models import DEMO_KEY, SiteSetting
    from rumours.rules import city as city_rules

    app.config["SETTINGS_CACHE_SECONDS"] = 5
    clock = [1000.0]
    monkeypatch.setattr(city_rules, "monotonic", lambda: clock[0])
    assert "Demo data." not in client.get("/auth/login").get_data(as_text=True)
    with app.app_context():
        db.session.add(SiteSetting(key=DEMO_KEY, value="yes"))
        db.session.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        if "site_settings" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert "Demo data." not in client.get("/auth/login").get_data(as_text=True)
        assert statements == []  # the copy kept a few seconds: no read at all
        clock[0] += 5.1
        assert "Demo data." in client.get("/auth/login").get_data(as_text=True)
        assert len(statements) == 1  # settings and demo flag in one read
    finally:
        event.remove(engine, "before_cursor_execute", count)
