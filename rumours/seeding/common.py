"""What every demo loader shares: the seeds/ folder, the natural-key upsert, the
demo's fixed names (password, UUID namespace) and the refusal under production."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path

import yaml

from ..extensions import db

SEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "seeds"
DEMO_PASSWORD = "demo-password-2026"
DEMO_NAMESPACE = uuid.UUID("0b6f5d1e-8c1f-4c55-9d7e-2a4f3c7b9e10")


class SeedRefused(RuntimeError):
    """The demo seed must not run here (production configuration)."""


def load_yaml(name: str):
    """Parse one file of seeds/."""
    with open(SEEDS_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def get_or_create(model, defaults: dict | None = None, **keys):
    """Find a row by its natural key or add a new one; returns (row, created)."""
    row = db.session.execute(db.select(model).filter_by(**keys)).scalar_one_or_none()
    if row is not None:
        return row, False
    row = model(**keys, **(defaults or {}))
    db.session.add(row)
    return row, True


def update_fields(row, values: dict) -> None:
    """Set only the attributes that differ, so an unchanged rerun writes nothing."""
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC timestamp on `day`."""
    return datetime.combine(day, time(hour, minute), UTC)
