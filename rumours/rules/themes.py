"""Rumour themes: rows of `themes`, read once per app context. A built-in theme shows its
translated label until a coordinator renames it; a retired one keeps its rumours but is
no longer offered for new ones."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g

from ..extensions import db
from ..models import ThemeRow
from .labels import label


@dataclass(frozen=True)
class ThemeInfo:
    slug: str
    # The coordinator's wording, or None for the built-in label.
    name: str | None
    position: int
    retired: bool

    @property
    def value(self) -> str:
        return self.slug

    def __str__(self) -> str:
        return self.name or label(self.slug)


def all_themes() -> list[ThemeInfo]:
    """Every theme, retired ones included, in the catalogue's order."""
    cached = g.get("_themes")
    if cached is None:
        rows = db.session.scalars(db.select(ThemeRow).order_by(ThemeRow.position, ThemeRow.slug))
        cached = [ThemeInfo(r.slug, r.name, r.position, r.retired) for r in rows]
        g._themes = cached
    return cached


def active_themes() -> list[ThemeInfo]:
    return [t for t in all_themes() if not t.retired]


def theme(slug: str | None) -> ThemeInfo | None:
    return next((t for t in all_themes() if t.slug == slug), None)


def theme_label(slug) -> str:
    """A theme's name for the reader: the coordinator's wording or the built-in label."""
    found = theme(str(slug)) if slug is not None else None
    return str(found) if found is not None else str(label(slug))


def theme_order() -> dict[str, int]:
    return {t.slug: i for i, t in enumerate(all_themes())}


def forget() -> None:
    g.pop("_themes", None)
