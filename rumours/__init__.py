"""Rumours: the anti-rumours volunteer network tracker."""

from pathlib import Path

from flask import Flask

from config import Config, config_from_environment

from . import cli, summaries
from .blueprints import register_all as register_blueprints
from .extensions import babel, csrf, db, login_manager, migrate
from .web import compression, errors, hosts, i18n, inputs, security, templating

ROOT = Path(__file__).resolve().parent.parent


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
