"""`flask seed`, `flask create-user` and `flask stats`."""

import time

import click
from flask.cli import with_appcontext
from sqlalchemy import func

from ..extensions import db
from ..models import AgentProfile, AgentStatus, Role, User


@click.command("seed")
@with_appcontext
@click.option(
    "--encounters",
    "encounters",
    type=click.IntRange(min=0),
    default=0,
    help="Also add N synthetic encounters over the past year (bulk, with progress).",
)
@click.option("--random-seed", type=int, default=None, help="Make --encounters repeatable.")
def seed_command(encounters: int, random_seed: int | None) -> None:
    """Load the Barcelona demo data (idempotent); optionally add N synthetic encounters."""
    from ..seeding import SeedRefused, add_synthetic_encounters, seed_demo

    started = time.perf_counter()
    try:
        seed_demo()
    except SeedRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Demo data ready ({time.perf_counter() - started:.1f} s).")
    if encounters:
        started = time.perf_counter()
        with click.progressbar(length=encounters, label="Adding encounters") as bar:
            written = add_synthetic_encounters(encounters, progress=bar.update, seed=random_seed)
        elapsed = time.perf_counter() - started
        rate = written / max(elapsed, 1e-9)
        click.echo(f"Added {written:,} encounters in {elapsed:.1f} s ({rate:,.0f}/s).")


def _validate_password(ctx, param, value: str) -> str:
    if len(value) < 12:
        raise click.BadParameter("use at least 12 characters")
    return value


@click.command("create-user")
@with_appcontext
@click.option("--email", prompt=True, help="Login e-mail.")
@click.option("--name", prompt=True, help="Display name.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.COORDINATOR.value,
    show_default=True,
)
@click.password_option(callback=_validate_password, help="At least 12 characters.")
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create an account (a coordinator by default) on a real deployment."""
    from ..rules.accounts import new_session_token, normalise_email
    from ..rules.passwords import hash_password

    email = normalise_email(email)
    if "@" not in email:
        raise click.BadParameter("not an e-mail address", param_hint="--email")
    exists = db.session.scalar(db.select(func.count()).select_from(User).where(User.email == email))
    if exists:
        raise click.ClickException(f"An account with {email} already exists.")
    user = User(
        email=email,
        name=name.strip(),
        role=Role(role),
        password_hash=hash_password(password),
        session_token=new_session_token(),
    )
    db.session.add(user)
    if user.role is Role.AGENT:
        import secrets

        db.session.flush()
        db.session.add(
            AgentProfile(
                user_id=user.id, status=AgentStatus.APPLICANT, pseudonym=secrets.token_hex(6)
            )
        )
    db.session.commit()
    click.echo(f"Created {user.role.value} {email}.")


@click.group("stats")
def stats_group() -> None:
    """The dashboard's summary tables."""


@stats_group.command("rebuild")
@with_appcontext
def stats_rebuild_command() -> None:
    """Recompute every summary table, and the review's burst flags, from the raw
    encounters (one transaction)."""
    from .. import summaries

    started = time.perf_counter()
    summaries.rebuild(db.session.connection())
    summaries.recount_all_bursts(db.session.connection())
    db.session.commit()
    click.echo(
        f"Summary tables and burst flags rebuilt in {time.perf_counter() - started:.1f} s."
    )


@stats_group.command("check")
@with_appcontext
def stats_check_command() -> None:
    """Compare every summary table with a fresh count of the raw encounters."""
    from .. import summaries

    differences = summaries.mismatches(db.session.connection())
    for name, count in differences.items():
        click.echo(f"{name}: {count} rows differ")
    if any(differences.values()):
        raise click.ClickException(
            "The summaries differ from the raw rows: run `flask stats rebuild`."
        )
    click.echo("The summary tables equal the raw rows.")


COMMANDS = [seed_command, create_user_command, stats_group]
