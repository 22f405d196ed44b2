"""The city's settings: kept in the database (site_settings rows named `city.*`), edited
on the Settings page or by `flask city init`, with config.py's values as the defaults of
a new install. Kept per process for SETTINGS_CACHE_SECONDS and per app context;
`forget()` after a change. The demo flag (is this database the demo?) comes with them in
the same read: every page asks it for its banner."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from time import monotonic
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from flask import current_app, g, has_app_context
from sqlalchemy import or_
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, first_read
from ..models import DEMO_KEY, SiteSetting

PREFIX = "city."
# Statistics that leave the app never show counts below this, whatever a setting says.
MIN_SMALL_COUNT_THRESHOLD = 5
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@dataclass(frozen=True)
class CitySettings:
    network_name: str
    city: str
    time_zone: str
    # The interface languages offered, in the order the switcher shows them.
    languages: tuple[str, ...]
    default_language: str
    small_count_threshold: int
    certification_lapse_days: int
    # Shown under the maps: whose shapes they are, under which licence.
    map_attribution: str
    # Security: coordinators must use a second factor; minutes without a request before
    # a session ends, per role (agents on phones get longer).
    require_two_factor_for_coordinators: bool = False
    idle_minutes_coordinator: int = 30
    idle_minutes_member: int = 30
    idle_minutes_agent: int = 480

    def idle_minutes(self, role) -> int:
        return getattr(self, f"idle_minutes_{role.value}", self.idle_minutes_coordinator)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def defaults() -> CitySettings:
    """A new install's settings: the configuration's values."""
    config = current_app.config
    return CitySettings(
        network_name=config["NETWORK_NAME"],
        city=config.get("CITY_NAME", ""),
        time_zone=config["BABEL_DEFAULT_TIMEZONE"],
        languages=tuple(config["LANGUAGES"]),
        default_language=config["BABEL_DEFAULT_LOCALE"],
        small_count_threshold=max(config["SMALL_COUNT_THRESHOLD"], MIN_SMALL_COUNT_THRESHOLD),
        certification_lapse_days=config["CERTIFICATION_LAPSE_DAYS"],
        map_attribution=config.get("MAP_ATTRIBUTION", ""),
        require_two_factor_for_coordinators=bool(
            config.get("REQUIRE_TWO_FACTOR_FOR_COORDINATORS", False)
        ),
        idle_minutes_coordinator=config.get("IDLE_MINUTES_COORDINATOR", 30),
        idle_minutes_member=config.get("IDLE_MINUTES_MEMBER", 30),
        idle_minutes_agent=config.get("IDLE_MINUTES_AGENT", 480),
    )


def _parse(raw: str, default):
    if isinstance(default, tuple):
        return tuple(code for code in raw.split(",") if code)
    if isinstance(default, bool):
        if raw not in ("True", "False"):
            raise ValueError(raw)
        return raw == "True"
    if isinstance(default, int):
        return int(raw)
    return raw


def serialise(value) -> str:
    if isinstance(value, tuple | list):
        return ",".join(value)
    return str(value)


_CACHE_KEY = "rumours.city_settings"


def _load() -> tuple[CitySettings, bool, bool]:
    """The stored settings over the defaults, whether the database holds the demo, and
    whether the database answered."""
    base = defaults()
    first = not db.session().in_transaction()
    try:
        rows = first_read(lambda: db.session.execute(
            db.select(SiteSetting.key, SiteSetting.value).where(
                or_(SiteSetting.key.startswith(PREFIX), SiteSetting.key == DEMO_KEY)
            )
        ).all())
    except SQLAlchemyError:
        if not first:
            # A transaction under way lost its connection: the request must fail whole,
            # never carry on (and commit the rest) without what it had done.
            raise
        # No schema yet (before `flask db upgrade`) or no database: the defaults, so that
        # /healthz and the error pages can still say so.
        db.session.rollback()
        return base, False, False
    stored = {key.removeprefix(PREFIX): value for key, value in rows}
    demo = stored.pop(DEMO_KEY, None) == "yes"
    values = {}
    for field in fields(CitySettings):
        default = getattr(base, field.name)
        raw = stored.get(field.name)
        try:
            values[field.name] = default if raw is None else _parse(raw, default)
        except ValueError:
            values[field.name] = default  # a hand-edited row never takes pages down
    values["small_count_threshold"] = max(
        values["small_count_threshold"], MIN_SMALL_COUNT_THRESHOLD
    )
    return CitySettings(**values), demo, True


def _site() -> tuple[CitySettings, bool]:
    """The settings and the demo flag in force: this process's copy while it is younger
    than SETTINGS_CACHE_SECONDS, else read again (one small query); the same copy for the
    whole of an app context."""
    if not has_app_context():
        raise RuntimeError("city settings need an app context")
    site = g.get("_city_settings")
    if site is None:
        ttl = current_app.config.get("SETTINGS_CACHE_SECONDS", 0)
        kept = current_app.extensions.get(_CACHE_KEY)
        now = monotonic()
        if ttl > 0 and kept is not None and now < kept[0]:
            site = kept[1]
        else:
            settings, demo, read = _load()
            site = (settings, demo)
            if ttl > 0 and read:
                current_app.extensions[_CACHE_KEY] = (now + ttl, site)
        g._city_settings = site
    return site


def city() -> CitySettings:
    """The settings in force (see `_site`)."""
    return _site()[0]


def is_demo() -> bool:
    """True when the demo seed has loaded data into this database (read with the
    settings; another process's seed shows within SETTINGS_CACHE_SECONDS)."""
    return _site()[1]


def forget() -> None:
    """Drop this context's and this process's copy after the settings changed (other
    processes read them again within SETTINGS_CACHE_SECONDS)."""
    g.pop("_city_settings", None)
    if has_app_context():
        current_app.extensions.pop(_CACHE_KEY, None)


def catalogue_languages() -> dict[str, str]:
    """Languages a rebuttal can be written in (the offered ones), each named in itself."""
    return {code: endonym(code) for code in city().languages}


@lru_cache(maxsize=64)
def endonym(code: str) -> str:
    return (Locale.parse(code).get_display_name(code) or code).capitalize()


def installed_languages() -> list[str]:
    """Languages the interface can be shown in: English (the source) and every catalogue."""
    found = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    return ["en", *[code for code in found if code != "en"]]


def valid_time_zone(name: str) -> bool:
    return name in available_timezones()
