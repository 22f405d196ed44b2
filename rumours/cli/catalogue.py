"""`flask catalogue import FILE_OR_URL`: another network's feed, as drafts here."""

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..rules.feed import FeedRefused
from ..services import catalogue_import


@click.group("catalogue")
def catalogue_group() -> None:
    """The rumour catalogue: import another network's feed."""


@catalogue_group.command("import")
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--dry-run", is_flag=True, help="Only say what would be added, updated, skipped.")
@with_appcontext
def import_command(source: str, dry_run: bool) -> None:
    """Import a catalogue feed (a file or an http(s) address) as drafts, in one transaction."""
    try:
        document = catalogue_import.read_feed(catalogue_import.read_source(source))
    except FeedRefused as refused:
        raise click.ClickException(str(refused)) from None
    plan = catalogue_import.plan_import(document, source)
    if not dry_run:
        catalogue_import.apply_import(plan, actor=None)
        db.session.commit()
    verbs = {
        catalogue_import.ADD: "would add" if dry_run else "added",
        catalogue_import.UPDATE: "would update" if dry_run else "updated",
        catalogue_import.UNCHANGED: "unchanged",
        catalogue_import.SKIP: "skipped",
    }
    click.echo(f"Catalogue of {plan.network} ({source}):")
    for decision in plan.decisions:
        line = f"  {verbs[decision.action]}: {decision.slug or '?'}"
        if decision.rumour is not None and decision.action != catalogue_import.SKIP:
            line += f" -> {decision.rumour.slug} (draft)"
        if decision.reason:
            line += f" ({decision.reason})"
        click.echo(line)
        for note in decision.notes:
            click.echo(f"    {note}")
    counts = plan.counts()
    click.echo(
        f"{counts['add']} added, {counts['update']} updated, {counts['unchanged']} unchanged, "
        f"{counts['skip']} skipped" + (" (dry run: nothing written)" if dry_run else "") + "."
    )


COMMANDS = [catalogue_group]
