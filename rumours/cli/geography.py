"""`flask geography import`: the city's districts or neighbourhoods from a GeoJSON file."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..rules.geojson import LEVELS, GeographyError, Options
from ..services.geography import UNCHANGED, apply_plan, plan_import


@click.group("geography")
def geography_group() -> None:
    """The city's districts and neighbourhoods."""


def _describe(change) -> str:
    notes = []
    if change.renamed:
        notes.append(f"renamed from {change.old_name}")
    if change.reshaped:
        notes.append("new shape")
    if change.moved:
        notes.append(f"now in district {change.parent}")
    return f"  {change.action:<10} {change.code:<12} {change.name}" + (
        f" ({', '.join(notes)})" if notes else ""
    )


@geography_group.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.Choice(LEVELS), required=True)
@click.option("--name-property", required=True, help="The property holding the name.")
@click.option(
    "--code-property",
    default=None,
    help="The property holding the city's code (default: the feature id, else the name).",
)
@click.option(
    "--parent-property",
    default=None,
    help="Neighbourhoods: the property holding their district's code.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan, change nothing.")
def import_command(
    file: Path,
    level: str,
    name_property: str,
    code_property: str | None,
    parent_property: str | None,
    dry_run: bool,
) -> None:
    """Import districts or neighbourhoods (one transaction): update by code, add the new
    ones, retire the ones missing from the file."""
    if level == "neighbourhood" and not parent_property:
        raise click.UsageError("--parent-property is required with --level neighbourhood")
    options = Options(level, name_property, code_property, parent_property)
    started = time.perf_counter()
    try:
        plan = plan_import(file.read_bytes(), options)
    except GeographyError as error:
        raise click.ClickException(
            "nothing imported:\n" + "\n".join(f"  {p}" for p in error.problems)
        ) from None
    for change in plan.changes:
        if change.action != UNCHANGED:
            click.echo(_describe(change))
    summary = ", ".join(f"{n} {action}" for action, n in plan.counts.items())
    if dry_run:
        click.echo(f"Dry run, nothing changed: {summary}.")
        return
    apply_plan(plan, source=file.name)
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"Imported {len(plan.changes)} {level} records: {summary} ({elapsed:.2f} s).")


COMMANDS = [geography_group]
