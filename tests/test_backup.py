"""`flask backup` while the app writes, `flask restore` into an empty database: every row
committed before the backup is back, nothing the source never held appears, the
summaries check passes, and a second restore over data is refused."""

import threading

import pytest
from sqlalchemy import create_engine, select

from rumours import create_app
from rumours.extensions import db
from rumours.models import Organisation, OrganisationType

from .helpers import config_for


def rows_by_table(url: str) -> dict[str, set[tuple]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: {tuple(map(str, row)) for row in connection.execute(select(table))}
                for name, table in db.metadata.tables.items()
            }
    finally:
        engine.dispose()


def add_organisation(app, n: int) -> None:
    with app.app_context():
        db.session.add(
            Organisation(slug=f"org-{n}", name=f"Association {n}", type=OrganisationType.NGO)
        )
        db.session.commit()
        db.session.remove()


def round_trip(source_url: str, target_url: str, copy) -> None:
    source = create_app(config_for(source_url))
    runner = source.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    for n in range(10):
        add_organisation(source, n)

    stop, written = threading.Event(), []

    def keep_writing() -> None:  # an agent logging while the IT person backs up
        n = 10
        while not stop.is_set():
            add_organisation(source, n)
            written.append(n)
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 3:
            stop.wait(0.01)
        before = set(written)
        result = runner.invoke(args=["backup", str(copy)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "schema revision" in result.output

    target = create_app(config_for(target_url))
    restored = target.test_cli_runner().invoke(args=["restore", str(copy)])
    assert restored.exit_code == 0, restored.output
    assert "every summary matches the rows" in restored.output

    source_rows, target_rows = rows_by_table(source_url), rows_by_table(target_url)
    for name in source_rows:
        assert target_rows[name] <= source_rows[name], name  # nothing invented
    slugs = {row[1] for row in target_rows["organisations"]}
    assert {f"org-{n}" for n in range(10)} | {f"org-{n}" for n in before} <= slugs

    again = target.test_cli_runner().invoke(args=["restore", str(copy)])
    assert again.exit_code != 0 and "holds data" in again.output
    for app in (source, target):
        with app.app_context():
            db.engine.dispose()


def test_backup_under_writes_restores_into_an_empty_sqlite_database(tmp_path):
    round_trip(
        f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'new.db'}",
        tmp_path / "rumours.backup",
    )


def test_backup_under_writes_restores_into_an_empty_postgresql_database(
    postgres_server, tmp_path
):
    source, target = postgres_server.create("rumours_live"), postgres_server.create("rumours_new")
    try:
        round_trip(source, target, tmp_path / "rumours.dump")
    finally:
        postgres_server.drop(source)
        postgres_server.drop(target)


def test_restore_refuses_a_backup_of_another_schema_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    app = create_app(config_for(url))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["backup", str(tmp_path / "copy.db")]).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'elsewhere'")
    engine.dispose()
    other = create_app(config_for(f"sqlite:///{tmp_path / 'new.db'}"))
    refused = other.test_cli_runner().invoke(args=["restore", str(tmp_path / "copy.db")])
    assert refused.exit_code != 0 and "schema revision elsewhere" in refused.output
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("missing", ["no-such-file.backup"])
def test_restore_of_a_missing_file_says_so(tmp_path, missing):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'new.db'}"))
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / missing)])
    assert result.exit_code != 0 and "is not a file" in result.output


def test_a_missing_pg_dump_is_a_clear_message(monkeypatch, tmp_path):
    from rumours.services import backup as service

    monkeypatch.setattr(service.shutil, "which", lambda name: None)
    with pytest.raises(service.BackupError, match="pg_dump is not installed"):
        service._tool("pg_dump")
