"""Configuration classes; `RUMOURS_CONFIG` (development, test, production) picks one."""

import os
from pathlib import Path

from babel import Locale

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def database_url(default: str) -> str:
    """DATABASE_URL, with plain postgres:// URLs pointed at the psycopg 3 driver."""
    url = os.environ.get("DATABASE_URL", default)
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(environ=os.environ) -> dict:
    """SQLAlchemy's engine options. On PostgreSQL behind several app servers, each
    gunicorn worker's pool is sized from the environment (DATABASE_POOL_SIZE,
    DATABASE_MAX_OVERFLOW: SQLAlchemy's 5 and 10 by default), and
    DATABASE_PREPARED_STATEMENTS=0 turns psycopg's server-side prepared statements off
    for a pooler that cannot carry them (PgBouncer before 1.21 in transaction mode).
    A connection is tested before use only once it has sat idle a while
    (DATABASE_PING_AFTER_IDLE, `rumours.extensions.ping_idle_connections`), not on every
    checkout as SQLAlchemy's `pool_pre_ping` would."""
    options: dict = {}
    if environ.get("DATABASE_POOL_SIZE"):
        options["pool_size"] = int(environ["DATABASE_POOL_SIZE"])
    if environ.get("DATABASE_MAX_OVERFLOW"):
        options["max_overflow"] = int(environ["DATABASE_MAX_OVERFLOW"])
    if environ.get("DATABASE_PREPARED_STATEMENTS") == "0":
        options["connect_args"] = {"prepare_threshold": None}
    return options


class Config:
    """Settings shared by every configuration, read from the environment."""

    NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{INSTANCE_DIR / 'rumours.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = engine_options()
    # A pooled connection idle this many seconds is tested (a round trip) before a request
    # uses it, so one the database or a firewall dropped meanwhile is replaced unseen.
    # Under load connections come back within milliseconds and go out untested; 0 tests
    # every checkout.
    DATABASE_PING_AFTER_IDLE = float(os.environ.get("DATABASE_PING_AFTER_IDLE", "5"))
    # Request bodies are capped: the largest legitimate form is a rebuttal.
    MAX_CONTENT_LENGTH = 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "rumours_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Agents may keep a form open for a long street shift.
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    # The interface's languages: English is the source; each other one is a catalogue
    # folder under rumours/translations/. A city adds one there and names it here.
    LANGUAGES = os.environ.get("LANGUAGES", "en,ca,es").split(",")
    # The city's default, for readers whose browser asks for none of LANGUAGES.
    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LANGUAGE", "en")
    BABEL_DEFAULT_TIMEZONE = "Europe/Madrid"
    LANGUAGE_COOKIE = "rumours_lang"
    # Languages a rebuttal can be written in: the interface's, each named in itself.
    CATALOGUE_LANGUAGES = {
        code: Locale.parse(code).get_display_name(code).capitalize() for code in LANGUAGES
    }
    NETWORK_NAME = os.environ.get("NETWORK_NAME", "Anti-Rumours Network")
    # Statistics that leave the app hide counts below this (never below 5).
    SMALL_COUNT_THRESHOLD = int(os.environ.get("SMALL_COUNT_THRESHOLD", "10"))
    # Failed logins per account: a hard cap per rolling hour and a growing delay.
    LOGIN_MAX_FAILURES_PER_HOUR = 100
    LOGIN_FREE_FAILURES = 5
    LOGIN_MAX_DELAY_SECONDS = 15 * 60
    # Failed logins per client address, across accounts (against password spraying).
    ADDRESS_FREE_FAILURES = 10
    ADDRESS_MAX_DELAY_SECONDS = 15 * 60
    ADDRESS_MAX_FAILURES_PER_HOUR = 100
    # A browser that signed in to an account passes that account's limit (device cookie)
    # until it has failed this many times itself.
    DEVICE_COOKIE_NAME = "rumours_device"
    DEVICE_COOKIE_DAYS = 180
    DEVICE_MAX_FAILURES = 10
    # Sessions end after this long whatever happens, and after the idle time per role
    # (the Settings page changes the idle times; these are a new install's).
    SESSION_ABSOLUTE_HOURS = 12
    IDLE_MINUTES_COORDINATOR = 30
    IDLE_MINUTES_MEMBER = 30
    IDLE_MINUTES_AGENT = 8 * 60
    REQUIRE_TWO_FACTOR_FOR_COORDINATORS = os.environ.get("REQUIRE_TWO_FACTOR", "") == "1"
    # The site's own address (https://rumours.example.org): requests for any other host
    # are refused with 400 and absolute links are built from it. TRUSTED_HOSTS may add
    # other names (comma-separated). Unset: any host (local development).
    SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
    EXTRA_TRUSTED_HOSTS = [h for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h]
    ARGON2_MEMORY_KIB = 19 * 1024
    ARGON2_TIME_COST = 2
    ARGON2_PARALLELISM = 1
    DEMO_SEED_ALLOWED = True
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers are
    # trusted (0: the app faces clients directly; 1: one nginx or load balancer).
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    # Each app process keeps the city's settings this many seconds before reading them
    # again: a change on the Settings page applies at once on the server that made it and
    # within this time on the others sharing the database (0: read on every request).
    SETTINGS_CACHE_SECONDS = float(os.environ.get("SETTINGS_CACHE_SECONDS", "5"))
    # On SQLite, an export of 25 windows (500,000 ids) or more is formatted on two cores:
    # a helper process (this Python running reports/sqlite_lines.py: about 15 MB, started
    # in 50 ms, gone with the export) reads and writes every other window.
    # SQLITE_EXPORT_HELPER=0 keeps every export in the app's process.
    SQLITE_EXPORT_HELPER = os.environ.get("SQLITE_EXPORT_HELPER", "1") != "0"
    # The city's name on a new install (the Settings page changes it).
    CITY_NAME = os.environ.get("CITY_NAME", "")
    # Agents and trainings: invitation links expire; certification lapses without a refresher.
    INVITATION_VALID_DAYS = 14
    CERTIFICATION_LAPSE_DAYS = int(os.environ.get("CERTIFICATION_LAPSE_DAYS", "730"))
    CERTIFICATION_DUE_WARNING_DAYS = 60


class DevelopmentConfig(Config):
    """Local development: plain-HTTP cookies and a fixed, public secret."""

    NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret-not-for-production")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestConfig(DevelopmentConfig):
    """The test suite: same security rules, a database the fixtures choose."""

    NAME = "test"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # Tests write settings rows behind the app's back; tests/test_city_settings.py turns
    # the process cache on to check it.
    SETTINGS_CACHE_SECONDS = 0


class ProductionConfig(Config):
    """Production: a real secret and PostgreSQL are expected; no demo seed."""

    NAME = "production"
    DEMO_SEED_ALLOWED = False


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    """Return the configuration class named by RUMOURS_CONFIG (default development)."""
    name = os.environ.get("RUMOURS_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"RUMOURS_CONFIG must be one of {sorted(CONFIGS)}, not {name!r}"
        ) from None
