"""Rumours: the anti-rumours volunteer network tracker."""

import logging
from pathlib import Path

from flask import Flask
from flask_babel import force_locale, get_babel, get_translations
from sqlalchemy.exc import SQLAlchemyError

from config import Config, config_from_environment

from . import cli, summaries
from .blueprints import register_all as register_blueprints
from .extensions import babel, csrf, db, login_manager, migrate, ping_idle_connections
from .reports.dashboard import dashboard
from .reports.filters import parse_filters
from .reports.geography import shapes
from .rules.localtime import city_today
from .services import encounter_checks
from .web import compression, errors, hosts, i18n, inputs, security, templating

ROOT = Path(__file__).resolve().parent.parent
_log = logging.getLogger(__name__)


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the application: load config, wire extensions, blueprints, handlers, commands."""
    config_class = config_class or config_from_environment()
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config_class)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError("SECRET_KEY must be set in the environment for this configuration")

    # The site's own address is checked inside ProxyFix, after a trusted proxy's headers.
    hosts.init_app(app)
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine, app.config.get("DATABASE_PING_AFTER_IDLE", 0.0))
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone
    )

    # The input layer first: converters must be in place before any route is added.
    inputs.init_app(app)
    summaries.init_app(app)
    security.init_app(app)
    compression.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    return app


def warm(app: Flask) -> dict[str, int]:
    """What a server prepares once, before it forks its workers (gunicorn's
    `preload_app`, through `gunicorn.conf.py`'s `when_ready`): every template compiled,
    every language's translations loaded, the map outlines projected and the hot path's
    reads compiled (the session's user, a logged conversation's look-ups, the network's
    dashboard). A worker forked afterwards, and each one recycled later, starts with them
    instead of doing it behind its first requests. Returns how many templates, languages
    and maps.

    The outlines and reads go to the database, whose connections are closed again before
    returning (none may pass to a forked worker); a database not reachable yet (or not
    migrated) only leaves them to the workers."""
    env = app.jinja_env
    templates = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in templates:
        env.get_template(name)
    maps = 0
    with app.test_request_context():
        languages = [str(locale) for locale in get_babel().instance.list_translations()]
        for language in languages:
            with force_locale(language):
                get_translations()
        try:
            maps = sum(shapes(level) is not None for level in ("district", "neighbourhood"))
            security.load_user("")  # no session has an empty token: the look-up finds none
            encounter_checks.warm()
            dashboard(parse_filters({}, today=city_today()).filters)  # the network's view
        except SQLAlchemyError as error:
            _log.warning("map outlines and reads left to the workers: %s", error)
        finally:
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    return {"templates": len(templates), "languages": len(languages), "maps": maps}
