"""The schema comes from migrations/ alone, and the models match it."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from rumours import create_app, summaries
from rumours.extensions import db

from .helpers import config_for, seeded_app_at

ARGUMENTS = (
    "p_day date, p_district integer, p_neighbourhood integer, p_organisation integer,"
    " p_campaign integer, p_setting integer, p_measures integer[], p_rumours integer[],"
    " p_rebuttals integer[]"
)


@pytest.fixture
def empty_postgres(postgres_server):
    """The URL of a new, empty database on the test server, dropped afterwards."""
    url = postgres_server.create("rumours_migrate")
    yield url
    postgres_server.drop(url)


def upgrade_then_check(url: str) -> None:
    app = create_app(config_for(url))
    runner = app.test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    checked = runner.invoke(args=["db", "check"])
    with app.app_context():
        db.engine.dispose()
    assert checked.exit_code == 0, checked.output
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    if engine.dialect.name == "postgresql":
        # Alembic's comparison leaves out an index's INCLUDE columns: compared here.
        for table in db.metadata.sorted_tables:
            reflected = {i["name"]: i for i in inspector.get_indexes(table.name)}
            for index in table.indexes:
                wanted = [str(c) for c in index.dialect_options["postgresql"]["include"] or []]
                options = reflected[index.name].get("dialect_options", {})
                assert options.get("postgresql_include", []) == wanted, index.name
        # A POST's summaries go through a function the migrations create: the one the
        # models make (a changed summary table needs a migration that replaces it).
        with engine.connect() as conn:
            migrated = conn.execute(text(
                "SELECT prosrc, pg_get_function_identity_arguments(oid) FROM pg_proc"
                " WHERE proname = :name"
            ), {"name": summaries.ADD_ENCOUNTER}).all()
        assert migrated == [(summaries.add_encounter_body(), ARGUMENTS)]
    engine.dispose()
    assert {"users", "encounters", "rumours", "rebuttals", "audit_log"} <= tables


def test_migrations_build_the_model_on_sqlite(tmp_path):
    upgrade_then_check(f"sqlite:///{tmp_path / 'migrated.db'}")


def test_migrations_build_the_model_on_postgresql(empty_postgres):
    upgrade_then_check(empty_postgres)


@pytest.mark.parametrize("table", ["encounters"])
def test_encounter_client_uuid_is_unique_in_the_migrated_schema(tmp_path, table):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app(config_for(url))
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    engine = create_engine(url)
    uniques = inspect(engine).get_unique_constraints(table)
    engine.dispose()
    assert any(u["column_names"] == ["client_uuid"] for u in uniques)


def downgrade_then_upgrade_counts_neighbourhoods(url: str) -> None:
    from sqlalchemy import func, select

    from rumours import summaries
    from rumours.models import neighbourhood_stats_day

    app = seeded_app_at(url)
    runner = app.test_cli_runner()
    # Back to before the neighbourhood summaries, then forward: the conversations
    # already stored are counted into the new tables by the migration itself.
    for args in (["db", "downgrade", "f15c4ec0a001"], ["db", "upgrade"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        connection = db.session.connection()
        assert not any(summaries.mismatches(connection).values())
        rows = connection.execute(
            select(func.sum(neighbourhood_stats_day.c.encounters))
            .where(neighbourhood_stats_day.c.neighbourhood_id != 0)
        ).scalar()
        assert rows > 1000
        db.session.remove()
        db.engine.dispose()


def test_the_neighbourhood_summaries_migration_counts_stored_conversations(tmp_path):
    downgrade_then_upgrade_counts_neighbourhoods(f"sqlite:///{tmp_path / 'migrated.db'}")


def test_the_neighbourhood_summaries_migration_on_postgresql(empty_postgres):
    downgrade_then_upgrade_counts_neighbourhoods(empty_postgres)


def _narrow_rumour_neighbourhoods(connection) -> tuple[list, list]:
    """(a fresh count of the rows, the stored day table) per day, district,
    neighbourhood and rumour, every measure: the shape before f21d9e3f6001."""
    from sqlalchemy import text

    from rumours.models import SUMMARY_MEASURES

    outcomes = [m[len("outcome_"):] for m in SUMMARY_MEASURES if m.startswith("outcome_")]
    settings = [m[len("setting_"):] for m in SUMMARY_MEASURES if m.startswith("setting_")]
    sums = ["count(*)", "sum(e.people_reached)",
            *(f"sum(CASE WHEN e.outcome = '{o}' THEN 1 ELSE 0 END)" for o in outcomes),
            *(f"sum(CASE WHEN e.setting = '{s}' THEN 1 ELSE 0 END)" for s in settings)]
    fresh = connection.execute(text(
        "SELECT e.local_day, e.district_id, coalesce(e.neighbourhood_id, 0), l.rumour_id, "
        f"{', '.join(sums)} FROM encounters e JOIN encounter_rumours l "
        "ON l.encounter_id = e.id WHERE e.excluded_at IS NULL GROUP BY 1, 2, 3, 4"
    )).all()
    stored = connection.execute(text(
        "SELECT period_start, district_id, neighbourhood_id, rumour_id, "
        f"{', '.join(SUMMARY_MEASURES)} FROM rumour_neighbourhood_stats_day"
    )).all()
    return sorted(map(tuple, fresh)), sorted(map(tuple, stored))


def a_rumours_neighbourhoods_by_campaign_migrate_both_ways(url: str) -> None:
    """With some conversations excluded (they count nowhere): down to before the campaign
    was kept with a rumour's neighbourhoods, the tables hold each district,
    neighbourhood and rumour's counts added up over the campaigns, every measure equal
    to a count of the rows; the migration that first made those tables counts the same
    on its own; back up, every summary equals the rows again."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from rumours import summaries
    from rumours.models import Encounter

    app = seeded_app_at(url)
    runner = app.test_cli_runner()
    with app.app_context():
        excluded = db.session.scalars(
            select(Encounter).where(Encounter.id % 7 == 0, Encounter.campaign_id.is_not(None))
        ).all()
        assert len(excluded) > 20
        for encounter in excluded:
            encounter.excluded_at = datetime.now(UTC)
        db.session.commit()
    for target in ("e20b7c1d4001", "a16d0e1b7001"):
        result = runner.invoke(args=["db", "downgrade", target])
        assert result.exit_code == 0, result.output
        if target == "a16d0e1b7001":
            result = runner.invoke(args=["db", "upgrade", "b17e0f2c8001"])
            assert result.exit_code == 0, result.output
        with app.app_context():
            connection = db.session.connection()
            columns = {c["name"] for c in inspect(connection).get_columns(
                "rumour_neighbourhood_stats_day")}
            assert "campaign_id" not in columns
            fresh, stored = _narrow_rumour_neighbourhoods(connection)
            assert len(fresh) > 1000
            assert stored == fresh, target
            db.session.remove()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        connection = db.session.connection()
        assert not any(summaries.mismatches(connection).values())
        db.session.remove()
        db.engine.dispose()


def test_a_rumours_neighbourhoods_by_campaign_migrate_both_ways_on_sqlite(tmp_path):
    a_rumours_neighbourhoods_by_campaign_migrate_both_ways(
        f"sqlite:///{tmp_path / 'migrated.db'}"
    )


def test_a_rumours_neighbourhoods_by_campaign_migrate_both_ways_on_postgresql(empty_postgres):
    a_rumours_neighbourhoods_by_campaign_migrate_both_ways(empty_postgres)


def the_burst_migration_flags_stored_conversations(url: str) -> None:
    """Upgraded from before the stored flag, every conversation already stored gets the
    flag the rule gives it, exactly five minutes apart included."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from rumours.models import Encounter, Outcome, Role, Setting, User

    from .helpers import wrong_bursts

    app = seeded_app_at(url)
    runner = app.test_cli_runner()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    with app.app_context():
        agent = User(email="many@example.org", name="Many", role=Role.AGENT, password_hash="x",
                     session_token=uuid.uuid4().hex)
        db.session.add(agent)
        db.session.flush()
        agent_id = agent.id
        district = db.session.scalar(select(Encounter.district_id).limit(1))
        # Four within five minutes of the one at 5 (0 and 10 exactly five away), but not
        # of the others around it; then four within three minutes.
        for minutes in (0, 3, 5, 10, 30, 31, 32, 33):
            db.session.add(Encounter(
                client_uuid=uuid.uuid4(), content_hash="0" * 64, agent=agent,
                occurred_at=start + timedelta(minutes=minutes), district_id=district,
                setting=Setting.MARKET, people_reached=1, outcome=Outcome.OPEN,
            ))
        db.session.commit()
        db.session.remove()
    for args in (["db", "downgrade", "b23f1c5d8001"], ["db", "upgrade"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        connection = db.session.connection()
        assert wrong_bursts(connection) == {}
        table = Encounter.__table__
        flagged = connection.execute(
            select(table.c.occurred_at).where(table.c.burst, table.c.agent_id == agent_id)
        ).scalars()
        assert sorted(flagged) == [start + timedelta(minutes=m) for m in (5, 30, 31, 32, 33)]
        db.session.remove()
        db.engine.dispose()


def test_the_burst_migration_flags_stored_conversations_on_sqlite(tmp_path):
    the_burst_migration_flags_stored_conversations(f"sqlite:///{tmp_path / 'migrated.db'}")


def test_the_burst_migration_flags_stored_conversations_on_postgresql(empty_postgres):
    the_burst_migration_flags_stored_conversations(empty_postgres)
