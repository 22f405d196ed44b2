"""One blueprint per area of the app; `register` adds them all to the app."""

from flask import Flask


def register(app: Flask) -> None:
    """Register every area's blueprint (one module per area, each exposing `bp`)."""
    from . import api, audit, auth, main

    for module in (main, auth, api, audit):
        app.register_blueprint(module.bp)
