"""Changing the city's settings and its rumour themes; every change goes to the audit log.
Callers commit."""

from __future__ import annotations

from dataclasses import asdict, fields

from flask_babel import gettext as _

from ..extensions import db
from ..models import Rumour, SiteSetting, ThemeRow
from ..rules import city as city_rules
from ..rules import themes as theme_rules
from ..rules.errors import DomainError, FieldErrors
from ..rules.slugs import unique_slug
from . import record_audit

# Bounds a sane setting stays within (a lapse of a month to ten years).
MAX_SMALL_COUNT_THRESHOLD = 1000
LAPSE_DAYS = (30, 3650)
# Idle minutes before a session ends: five minutes to the absolute limit (12 hours).
IDLE_MINUTES = (5, 12 * 60)
LENGTHS = {"network_name": 200, "city": 120, "map_attribution": 300}


def _text(errors: FieldErrors, name: str, value, required: bool) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        errors.add(name, _("This field is required."))
    elif len(text) > LENGTHS[name]:
        errors.add(name, _("Use at most %(max)d characters.", max=LENGTHS[name]))
    return text


def _number(errors: FieldErrors, name: str, value, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.add(name, _("Give a whole number."))
        return None
    if not low <= number <= high:
        errors.add(name, _("Give a number from %(low)d to %(high)d.", low=low, high=high))
        return None
    return number


def _languages(errors: FieldErrors, value, default_language) -> tuple[tuple[str, ...], str]:
    codes = value.split(",") if isinstance(value, str) else list(value or [])
    codes = [c.strip() for c in codes if c.strip()]
    codes = list(dict.fromkeys(codes))  # keep the order given, once each
    installed = city_rules.installed_languages()
    unknown = [c for c in codes if c not in installed]
    if unknown:
        errors.add(
            "languages",
            _(
                "No interface catalogue for %(codes)s. Available: %(available)s.",
                codes=", ".join(unknown),
                available=", ".join(installed),
            ),
        )
    elif not codes:
        errors.add("languages", _("Offer at least one language."))
    default = (default_language or (codes[0] if codes else "")).strip()
    if codes and not unknown and default not in codes:
        errors.add("default_language", _("The default language must be one of those offered."))
    return tuple(codes), default


def validate(values: dict) -> city_rules.CitySettings:
    """The settings `values` would make, merged over those in force; a DomainError naming
    every field to fix otherwise."""
    current = asdict(city_rules.city())
    # An idle time left blank keeps the one in force.
    given = {k: v for k, v in values.items() if k in current}
    given = {k: v for k, v in given.items() if not (k.startswith("idle_") and v in (None, ""))}
    merged = {**current, **given}
    errors = FieldErrors()
    merged["network_name"] = _text(errors, "network_name", merged["network_name"], True)
    merged["city"] = _text(errors, "city", merged["city"], False)
    merged["map_attribution"] = _text(errors, "map_attribution", merged["map_attribution"], False)
    zone = str(merged["time_zone"] or "").strip()
    if not city_rules.valid_time_zone(zone):
        errors.add("time_zone", _("Not a time zone name. Use one like Europe/Madrid."))
    merged["time_zone"] = zone
    merged["languages"], merged["default_language"] = _languages(
        errors, merged["languages"], merged["default_language"]
    )
    low = city_rules.MIN_SMALL_COUNT_THRESHOLD
    threshold = _number(
        errors,
        "small_count_threshold",
        merged["small_count_threshold"],
        low,
        MAX_SMALL_COUNT_THRESHOLD,
    )
    lapse = _number(
        errors, "certification_lapse_days", merged["certification_lapse_days"], *LAPSE_DAYS
    )
    idle = {
        name: _number(errors, name, merged[name], *IDLE_MINUTES)
        for name in ("idle_minutes_coordinator", "idle_minutes_member", "idle_minutes_agent")
    }
    merged["require_two_factor_for_coordinators"] = bool(
        merged["require_two_factor_for_coordinators"]
    )
    if errors.fields:
        raise DomainError(_("Some settings need fixing."), errors.fields)
    merged.update(idle)
    merged["small_count_threshold"], merged["certification_lapse_days"] = threshold, lapse
    return city_rules.CitySettings(**merged)


def update_settings(values: dict, actor=None) -> dict[str, list]:
    """Store the settings that changed; returns {name: [old, new]} (also in the audit log)."""
    before = city_rules.city()
    after = validate(values)
    changes = {}
    for field in fields(city_rules.CitySettings):
        old, new = getattr(before, field.name), getattr(after, field.name)
        stored = db.session.get(SiteSetting, city_rules.PREFIX + field.name)
        if old == new and stored is not None:
            continue
        value = city_rules.serialise(new)
        if stored is None:
            db.session.add(SiteSetting(key=city_rules.PREFIX + field.name, value=value))
        else:
            stored.value = value
        if old != new:
            changes[field.name] = [city_rules.serialise(old), value]
    if changes:
        record_audit("settings.changed", "settings", actor=actor, details=changes)
    db.session.flush()
    city_rules.forget()
    return changes


# -- themes -----------------------------------------------------------------------------


def _theme_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise DomainError(_("Give the theme a name."), "name")
    if len(text) > 120:
        raise DomainError(_("Use at most %(max)d characters.", max=120), "name")
    taken = {str(t).casefold() for t in theme_rules.all_themes()}
    if text.casefold() in taken:
        raise DomainError(_("There is already a theme called %(name)s.", name=text), "name")
    return text


def add_theme(name: str, actor=None) -> ThemeRow:
    text = _theme_name(name)
    slug = unique_slug(
        text,
        fallback="theme",
        max_length=40,
        taken=lambda s: db.session.get(ThemeRow, s) is not None,
    )
    last = db.session.scalar(db.select(db.func.max(ThemeRow.position))) or 0
    row = ThemeRow(slug=slug, name=text, position=last + 1, retired=False)
    db.session.add(row)
    _audit("theme.added", row, actor, {"name": text})
    return row


def theme_row(slug: str) -> ThemeRow:
    row = db.session.get(ThemeRow, slug)
    if row is None:
        raise DomainError(_("No such theme."), "theme")
    return row


def rename_theme(slug: str, name: str, actor=None) -> ThemeRow:
    row = theme_row(slug)
    old = str(theme_rules.theme(slug))
    if " ".join((name or "").split()).casefold() == old.casefold():
        return row
    row.name = _theme_name(name)
    _audit("theme.renamed", row, actor, {"from": old, "to": row.name})
    return row


def retire_theme(slug: str, actor=None, *, retired: bool = True) -> ThemeRow:
    """Retire (or reinstate) a theme: its rumours keep it; new ones cannot choose it."""
    row = theme_row(slug)
    if retired and not row.retired:
        in_use = [t for t in theme_rules.active_themes() if t.slug != slug]
        if not in_use:
            raise DomainError(_("Keep at least one theme in use."), "theme")
    if row.retired != retired:
        row.retired = retired
        count = db.session.scalar(db.select(db.func.count(Rumour.id)).where(Rumour.theme == slug))
        _audit("theme.retired" if retired else "theme.reinstated", row, actor, {"rumours": count})
    return row


def _audit(action: str, row: ThemeRow, actor, details: dict) -> None:
    db.session.flush()
    record_audit(action, "theme", actor=actor, details={"theme": row.slug, **details})
    theme_rules.forget()
