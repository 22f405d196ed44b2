"""One blueprint per area of the app; `register` adds them all to the app."""

from flask import Flask


def register(app: Flask) -> None:
    """Register every area's blueprint (one module per area, each exposing `bp`)."""
    from . import api, audit, auth, catalogue, main, rumours

    for module in (main, auth, api, audit, rumours, catalogue):
        app.register_blueprint(module.bp)
