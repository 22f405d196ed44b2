"""What a load balancer asks: is the database reachable, is its schema the code's? No data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Role, User

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


@lru_cache(maxsize=1)
def code_revision() -> str:
    """The newest migration the code ships (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head() or ""


@dataclass(frozen=True)
class Health:
    database: bool
    revision: str | None

    @property
    def migrations_current(self) -> bool:
        return self.revision == code_revision()

    @property
    def ok(self) -> bool:
        return self.database and self.migrations_current

    def as_json(self) -> dict:
        return {
            "status": "ok" if self.ok else "unavailable",
            "database": "reachable" if self.database else "unreachable",
            "migrations": "current" if self.migrations_current else "behind",
        }


def check() -> Health:
    try:
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        db.session.rollback()
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            return Health(database=False, revision=None)
        return Health(database=True, revision=None)
    return Health(database=True, revision=revision)


def has_coordinator() -> bool:
    """False on a fresh install, until `flask create-user` made the first coordinator."""
    found = db.session.execute(
        db.select(User.id).where(User.role == Role.COORDINATOR, User.active.is_(True)).limit(1)
    ).first()
    return found is not None
