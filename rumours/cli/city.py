"""`flask city init` and `flask city show`: the city's settings from a script."""

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..rules.city import city
from ..rules.errors import DomainError
from ..services.city import update_settings


@click.group("city")
def city_group() -> None:
    """The city's settings (name, time zone, languages, thresholds)."""


@city_group.command("init")
@with_appcontext
@click.option("--name", required=True, help="The network's name, as pages show it.")
@click.option("--timezone", "time_zone", required=True, help="IANA name, e.g. Europe/Warsaw.")
@click.option("--languages", required=True, help="Interface languages offered, e.g. ca,es.")
@click.option("--default-language", help="For readers who ask for none (default: the first).")
@click.option("--city", "city_name", help="The city's name.")
@click.option("--threshold", type=int, help="Hide counts below this in exports (at least 5).")
@click.option("--lapse-days", type=int, help="Days a certification holds without training.")
@click.option("--map-attribution", help="Credit shown under the maps.")
def init_command(
    name, time_zone, languages, default_language, city_name, threshold, lapse_days, map_attribution
) -> None:
    """Set the city's settings (again at any time; every change is in the audit log)."""
    values = {
        "network_name": name,
        "time_zone": time_zone,
        "languages": languages,
        "default_language": default_language or languages.split(",")[0].strip(),
        "city": city_name,
        "small_count_threshold": threshold,
        "certification_lapse_days": lapse_days,
        "map_attribution": map_attribution,
    }
    try:
        changes = update_settings({k: v for k, v in values.items() if v is not None})
    except DomainError as error:
        db.session.rollback()
        lines = [f"{name}: {' '.join(messages)}" for name, messages in error.fields.items()]
        raise click.ClickException("\n".join([error.message, *lines])) from None
    db.session.commit()
    click.echo(f"Settings saved ({len(changes)} changed).")
    show()


@city_group.command("show")
@with_appcontext
def show_command() -> None:
    """Print the settings in force."""
    show()


def show() -> None:
    settings = city()
    for field, value in settings.__dict__.items():
        shown = ",".join(value) if isinstance(value, tuple) else value
        click.echo(f"  {field}: {shown}")


COMMANDS = [city_group]
