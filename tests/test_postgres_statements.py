"""On PostgreSQL, a connection keeps the statements psycopg has prepared from one request
to the next: every request that only reads ends in a rollback, and psycopg's own rollback
forgets them all (`DEALLOCATE ALL`), so PostgreSQL parsed and planned every statement of
every page anew. These tests talk to PostgreSQL through the app's own engine, outside the
rolled-back transaction the other tests share."""

from datetime import date

import pytest
from sqlalchemy import func, select, text

from config import engine_options
from rumours import create_app
from rumours.extensions import db
from rumours.models import Organisation, OrganisationType, User

from .helpers import config_for


@pytest.fixture
def make_app(postgres_database):
    """An app on the run's PostgreSQL database, with its own engine and pool."""
    made = []

    def make(**overrides):
        app = create_app(config_for(postgres_database, **overrides))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def look_up_user(app, times: int) -> None:
    """The session's user look-up, each time in its own app context (as in a request:
    the session is removed at the end, which rolls its transaction back)."""
    for _ in range(times):
        with app.app_context():
            db.session.scalar(select(User).where(User.email == "nobody@example.org"))


def prepared_statements(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()


def test_statements_stay_prepared_from_one_request_to_the_next(make_app):
    app = make_app()
    look_up_user(app, 7)
    kept = [s for s in prepared_statements(app) if "FROM users" in s]
    assert len(kept) == 1, prepared_statements(app)


def test_an_organisations_figures_are_planned_for_their_own_values(make_app):
    """The figures' statement stays prepared too. For an organisation's view outside a
    campaign, PostgreSQL plans each run for its dates and filters (a generic plan took
    the months' key for an organisation's year), for that transaction only: a pooler in
    transaction mode passes nothing on."""
    from rumours.reports.filters import StatsFilter
    from rumours.reports.stats import figures

    app = make_app()
    year = date(2026, 1, 1), date(2026, 12, 31)
    for filters in ({"organisation_id": 1}, {"organisation_id": 1, "rumour_id": 1}):
        with app.app_context():
            assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"
            assert figures(StatsFilter(*year, **filters)) == {}
            assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        with app.app_context():
            assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"district_id": 1},
        {"campaign_id": 1},
        {"campaign_id": 1, "organisation_id": 1},
    ],
    ids=["network", "district", "campaign", "organisation-in-a-campaign"],
)
def test_other_views_keep_the_generic_plan(make_app, filters):
    """Every other view's figures keep the plan PostgreSQL settles on (a district's and a
    campaign's read 2 to 3 ms faster with it than planned for their values each time)."""
    from rumours.reports.filters import StatsFilter
    from rumours.reports.stats import figures

    app = make_app()
    with app.app_context():
        assert figures(StatsFilter(date(2026, 1, 1), date(2026, 12, 31), **filters)) == {}
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"


def test_a_rollback_still_undoes_what_the_transaction_wrote(make_app):
    app = make_app()
    look_up_user(app, 6)
    with app.app_context():
        db.session.add(Organisation(name="Never saved", slug="never-saved",
                                    type=OrganisationType.ASSOCIATION))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
    with app.app_context():
        db.session.add(Organisation(name="Left unsaved", slug="left-unsaved",
                                    type=OrganisationType.ASSOCIATION))
        db.session.flush()
    # The app context ended without a commit: the session's removal rolled it back.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
    assert any("FROM users" in s for s in prepared_statements(app))


def test_a_failed_transaction_forgets_its_statements_and_the_connection_goes_on(make_app):
    app = make_app()
    look_up_user(app, 6)
    with app.app_context():
        with pytest.raises(Exception, match="division by zero"):
            db.session.execute(text("SELECT 1 / 0"))
        db.session.rollback()
    # psycopg's own rollback ran: nothing is left that the connection would think prepared.
    assert not [s for s in prepared_statements(app) if "FROM users" in s]
    look_up_user(app, 6)
    assert any("FROM users" in s for s in prepared_statements(app))


def test_no_prepared_statements_when_turned_off_for_a_pooler(make_app):
    options = engine_options({"DATABASE_PREPARED_STATEMENTS": "0"})
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=options)
    look_up_user(app, 7)
    assert prepared_statements(app) == []


def test_a_rolled_back_schema_change_forgets_what_was_prepared_against_it(make_app):
    """A migration that fails after changing a table: what the connection prepared
    against the changed table must not outlive the rollback (PostgreSQL would refuse it:
    "cached plan must not change result type")."""
    app = make_app()
    read = text("SELECT v FROM prepared_probe")
    with app.app_context():
        db.session.execute(text("CREATE TABLE prepared_probe (v integer)"))
        db.session.execute(text("INSERT INTO prepared_probe VALUES (1)"))
        db.session.commit()
    try:
        for _ in range(6):
            with app.app_context():
                assert db.session.scalar(read) == 1
        with app.app_context():
            db.session.execute(text("ALTER TABLE prepared_probe ALTER COLUMN v TYPE text"))
            for _ in range(6):
                assert db.session.scalar(read) == "1"
            db.session.rollback()
        with app.app_context():
            assert db.session.scalar(read) == 1
        look_up_user(app, 6)
        assert any("FROM users" in s for s in prepared_statements(app))
    finally:
        with app.app_context():
            db.session.execute(text("DROP TABLE prepared_probe"))
            db.session.commit()
