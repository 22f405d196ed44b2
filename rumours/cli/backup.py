"""`flask backup FILE` and `flask restore FILE [--force]`: the IT person's copies."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import summaries
from ..extensions import db
from ..services.backup import BackupError, backup, restore


def code_head() -> str:
    """The schema revision this code's migrations end at."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write a consistent copy of the database to FILE while the app runs."""
    try:
        revision = backup(db.engine, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {file} (schema revision {revision}).")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore over data or across schema revisions.")
def restore_command(file: Path, force: bool) -> None:
    """Restore FILE into this (empty) database, then check the summaries."""
    try:
        report = restore(db.engine, file, code_head=code_head(), force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    with db.engine.connect() as connection:
        wrong = {name: n for name, n in summaries.mismatches(connection).items() if n}
    click.echo(f"Restored {report.rows:,} rows at schema revision {report.revision}.")
    if wrong:
        raise click.ClickException(f"The summaries do not match the rows: {wrong}.")
    click.echo("Summaries check: every summary matches the rows.")


COMMANDS = [backup_command, restore_command]
