"""The Barcelona demo seed: complete, idempotent, honest about its sources."""

import os
import signal
import struct
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Index, func, inspect
from sqlalchemy.exc import IntegrityError

from rumours import summaries
from rumours.extensions import Base, db
from rumours.models import (
    AgentProfile,
    AgentStatus,
    Campaign,
    Encounter,
    EncounterRumour,
    Membership,
    Organisation,
    Rebuttal,
    RebuttalStatus,
    Role,
    Rumour,
    RumourStatus,
    Theme,
    TrainingSession,
    User,
)
from rumours.seeding.common import load_yaml

from .helpers import login


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(db.select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def test_seed_twice_gives_the_same_counts(app, runner):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        after_first = table_counts()
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert table_counts() == after_first
    assert after_first["districts"] == 10
    assert after_first["neighbourhoods"] == 73
    assert after_first["organisations"] >= 20
    assert after_first["agent_profiles"] >= 150
    assert after_first["campaigns"] == 2
    assert after_first["encounters"] >= 5000


def test_demo_accounts_log_in_with_their_roles(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    homes = {
        "coordinator@example.org": "Network overview",
        "agent@example.org": "My conversations",
        "member@example.org": "Veïns del Raval (demo)",
    }
    for email, heading in homes.items():
        client = app.test_client()
        response = login(client, email, "demo-password-2026")
        assert response.status_code == 302, email
        page = client.get("/").get_data(as_text=True)
        assert heading in page and "Demo data." in page
    with app.app_context():
        agent = db.session.execute(
            db.select(User).where(User.email == "agent@example.org")
        ).scalar_one()
        assert agent.role is Role.AGENT and agent.agent_profile.status is AgentStatus.CERTIFIED
        member = db.session.execute(
            db.select(User).where(User.email == "member@example.org")
        ).scalar_one()
        assert member.role is Role.MEMBER and len(member.memberships) == 1


def test_demo_covers_the_lifecycle_and_the_themes(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        statuses = dict(
            db.session.execute(
                db.select(AgentProfile.status, func.count()).group_by(AgentProfile.status)
            ).all()
        )
        assert all(statuses.get(s, 0) > 0 for s in AgentStatus)
        themes = set(
            db.session.scalars(
                db.select(Rumour.theme).where(Rumour.status == RumourStatus.PUBLISHED)
            )
        )
        assert themes == set(Theme)
        published = db.session.scalar(
            db.select(func.count())
            .select_from(Rumour)
            .where(Rumour.status == RumourStatus.PUBLISHED)
        )
        assert published >= 12


def test_every_published_rebuttal_cites_a_web_source(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        rebuttals = db.session.scalars(
            db.select(Rebuttal).where(Rebuttal.status == RebuttalStatus.PUBLISHED)
        ).all()
        assert rebuttals
        for rebuttal in rebuttals:
            assert rebuttal.sources, rebuttal.rumour.slug
            assert len(rebuttal.short_answer) <= 280
            for source in rebuttal.sources:
                assert urlsplit(source.url).scheme in ("http", "https")
                assert source.supports.strip()
        # A rumour without a published rebuttal is not published.
        for rumour in db.session.scalars(db.select(Rumour)):
            has_published = any(r.status is RebuttalStatus.PUBLISHED for r in rumour.rebuttals)
            assert has_published == (rumour.status is RumourStatus.PUBLISHED), rumour.slug


def test_demo_encounters_are_anonymous_and_consistent(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(func.count()).select_from(Encounter).where(Encounter.notes.is_not(None))
            )
            == 0
        )
        without_rumour = db.session.scalar(
            db.select(func.count())
            .select_from(Encounter)
            .where(
                ~db.select(EncounterRumour.encounter_id)
                .where(EncounterRumour.encounter_id == Encounter.id)
                .exists()
            )
        )
        assert without_rumour == 0
        # Markets are the most common setting, as in the field.
        top_setting = db.session.execute(
            db.select(Encounter.setting, func.count().label("n"))
            .group_by(Encounter.setting)
            .order_by(func.count().desc())
        ).first()
        assert top_setting.setting.value == "market"
        # Encounters carry the agent's organisation for its statistics.
        with_org = db.session.execute(
            db.select(Encounter.agent_id, Encounter.organisation_id)
            .where(Encounter.organisation_id.is_not(None))
            .limit(50)
        ).all()
        for agent_id, organisation_id in with_org:
            assert db.session.get(Membership, (agent_id, organisation_id)) is not None
        assert db.session.scalar(db.select(func.count()).select_from(Organisation)) >= 20


def test_extra_encounters_are_added_in_bulk(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        before = db.session.scalar(db.select(func.count()).select_from(Encounter))
    result = runner.invoke(args=["seed", "--encounters", "1500", "--random-seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Added 1,500 encounters" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(func.count()).select_from(Encounter)) == before + 1500
        orphans = db.session.scalar(
            db.select(func.count())
            .select_from(EncounterRumour)
            .where(
                ~db.select(Encounter.id)
                .where(Encounter.id == EncounterRumour.encounter_id)
                .exists()
            )
        )
        assert orphans == 0
        newest = db.session.scalars(db.select(Encounter).order_by(Encounter.id.desc()).limit(5))
        for encounter in newest:
            assert encounter.occurred_at.tzinfo is not None and encounter.rumour_links


def test_a_large_load_counts_its_rows_in_the_generating_process(app, runner, monkeypatch):
    """The path of a million, made small: rows made and counted in a second process, the
    indexes rebuilt at the end, and the summaries equal to a fresh count of the rows."""
    from rumours.seeding import bulk

    assert runner.invoke(args=["seed"]).exit_code == 0
    # Several messages and several batches, as with a million.
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 1000)
    monkeypatch.setattr(bulk, "BATCH_ROWS", 1000)
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 300)
    # Rows that come from the other process pass through _drain.
    drained, drain = [], bulk._drain
    monkeypatch.setattr(bulk, "_drain", lambda *args: drained.append(args) or drain(*args))
    dropped, drop = [], Index.drop
    monkeypatch.setattr(Index, "drop", lambda index, *a, **k: dropped.append(index.name)
                        or drop(index, *a, **k))
    with app.app_context():
        before = db.session.scalar(db.select(func.count()).select_from(Encounter))
        written = bulk.add_synthetic_encounters(2500, seed=5)
        assert written == 2500 and len(drained) == 1
        assert {i.name for i in Encounter.__table__.indexes} <= set(dropped)
        assert db.session.scalar(db.select(func.count()).select_from(Encounter)) == before + 2500
        assert summaries.mismatches(db.session.connection()) == {
            s.name: 0 for s in summaries.SUMMARIES
        }
        # The indexes dropped for the load are back, and the unique client ids (on
        # PostgreSQL dropped for the load too) still refuse a second row.
        names = {i["name"] for i in inspect(db.session.connection()).get_indexes("encounters")}
        assert {i.name for i in Encounter.__table__.indexes} <= names
        row = db.session.scalars(db.select(Encounter).order_by(Encounter.id.desc())).first()
        mapper = Encounter.__mapper__
        twin = {c.name: getattr(row, mapper.get_property_by_column(c).key)
                for c in Encounter.__table__.columns if c.name != "id"}
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(db.insert(Encounter.__table__).values(**twin))
        # So are the references (on PostgreSQL dropped for the load, and checked again).
        foreign = {
            table: {fk["name"] for fk in inspect(db.session.connection()).get_foreign_keys(table)}
            for table in ("encounters", "encounter_rumours")
        }
        assert foreign["encounters"] >= {"fk_encounters_agent_id_users",
                                         "fk_encounters_district_id_districts"}
        assert "fk_encounter_rumours_encounter_id_encounters" in foreign["encounter_rumours"]
        if db.engine.dialect.name == "postgresql":
            missing = db.session.scalar(db.select(func.max(Encounter.id))) + 1000
            rumour = db.session.scalar(db.select(func.min(Rumour.id)))
            with pytest.raises(IntegrityError), db.session.begin_nested():
                db.session.execute(db.insert(EncounterRumour.__table__).values(
                    encounter_id=missing, rumour_id=rumour))


@contextmanager
def _fails_after(seconds: int):
    """A wait without end fails the test instead of hanging the run."""

    def give_up(signum, frame):
        raise AssertionError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_large_load_whose_generating_process_dies_stops_with_a_message(
    app, runner, monkeypatch
):
    from rumours.seeding import bulk

    assert runner.invoke(args=["seed"]).exit_code == 0
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 1000)

    def die(*args):
        os._exit(3)

    monkeypatch.setattr(bulk, "_produce", die)
    with app.app_context():
        before = db.session.scalar(db.select(func.count()).select_from(Encounter))
        with _fails_after(60), pytest.raises(RuntimeError, match="exit code 3"):
            bulk.add_synthetic_encounters(2500, seed=5)
        db.session.rollback()
        assert db.session.scalar(db.select(func.count()).select_from(Encounter)) == before


def test_a_generating_process_that_dies_in_the_middle_of_a_message_stops_the_load(
    app, runner, monkeypatch
):
    """Killed while sending (the memory of ten million rows' counts, say): the writer
    meets the end of the pipe instead of waiting for the rest of the message."""
    from rumours.seeding import bulk

    assert runner.invoke(args=["seed"]).exit_code == 0
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 1000)

    def die_while_sending(ctx, seed, count, channel, chunk):
        # A message announced as 10 MB (multiprocessing's length prefix), 1 kB of it sent.
        os.write(channel.fileno(), struct.pack("!i", 10_000_000) + b"x" * 1000)
        os._exit(4)

    monkeypatch.setattr(bulk, "_produce", die_while_sending)
    with app.app_context():
        with _fails_after(60), pytest.raises(RuntimeError, match="exit code 4"):
            bulk.add_synthetic_encounters(2500, seed=5)
        db.session.rollback()


def test_the_demo_is_loaded_from_the_seed_files(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    accounts = load_yaml("accounts.yaml")
    campaigns = {c["slug"]: c for c in load_yaml("campaigns.yaml")}
    trainings = load_yaml("trainings.yaml")
    with app.app_context():
        for key, role in (("coordinator", Role.COORDINATOR), ("member", Role.MEMBER)):
            user = db.session.execute(
                db.select(User).where(User.email == accounts[key]["email"])
            ).scalar_one()
            assert (user.name, user.role) == (accounts[key]["name"], role)
        agent = db.session.execute(
            db.select(User).where(User.email == accounts["agent"]["email"])
        ).scalar_one()
        assert sorted(lang.language for lang in agent.agent_profile.languages) == sorted(
            accounts["agent"]["languages"]
        )
        assert db.session.scalar(db.select(func.count()).select_from(AgentProfile)) == 1 + sum(
            accounts["agent_statuses"].values()
        )
        for campaign in db.session.scalars(db.select(Campaign)):
            spec = campaigns.pop(campaign.slug)
            assert (campaign.name, campaign.starts_on, campaign.target_encounters) == (
                spec["name"],
                spec["starts_on"],
                spec["target_encounters"],
            )
            assert {r.theme for r in campaign.rumours} <= set(spec["themes"])
            assert {o.type.value for o in campaign.organisations} <= set(spec["organisation_types"])
        assert campaigns == {}
        sessions = db.session.scalars(db.select(TrainingSession)).all()
        assert {s.title for s in sessions} == {k["title"] for k in trainings["kinds"]}
        assert {s.venue for s in sessions} <= {v["name"] for v in trainings["venues"]}
        assert {s.trainer for s in sessions} <= set(trainings["trainers"])


def test_seed_refuses_production(tmp_path, monkeypatch):
    from config import ProductionConfig
    from rumours import create_app

    config = type(
        "Prod",
        (ProductionConfig,),
        {"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"},
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed"])
    with app.app_context():
        assert db.session.scalar(db.select(func.count()).select_from(User)) == 0
        db.engine.dispose()
    assert result.exit_code != 0
    assert "refuses to run under the production configuration" in result.output


def test_a_large_load_on_postgresql_leaves_tables_index_only_scans_can_use(
    postgres_server, monkeypatch
):
    """After a committed large load on PostgreSQL the loaded tables are vacuumed: every
    page is marked all-visible, so an index-only scan reads no row from the table
    (without the VACUUM, it read each row it counted)."""
    from sqlalchemy import text

    from rumours.seeding import bulk

    from .helpers import seeded_postgres_app

    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 1000)
    monkeypatch.setattr(bulk, "BATCH_ROWS", 1000)
    with seeded_postgres_app(postgres_server, "rumours_load_vacuum") as app:
        with app.app_context():
            assert bulk.add_synthetic_encounters(3000, seed=7) == 3000
            connection = db.session.connection()
            pages, visible = connection.execute(text(
                "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'encounters'"
            )).one()
            assert pages > 0 and visible == pages
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
                "SELECT count(*) FROM encounters WHERE agent_id > 0"
            ).scalars())
            assert "Index Only Scan" in plan and "Heap Fetches: 0" in plan, plan
            db.session.rollback()
