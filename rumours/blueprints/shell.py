"""The installable app's shell: the service worker at the root scope, the web app
manifest and the offline page, each in the reader's language."""

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_babel import gettext as _

from ..web.i18n import current_locale

bp = Blueprint("shell", __name__)


@bp.get("/sw.js")
def service_worker():
    """Anyone: the service worker, served from the root so it can cover every page."""
    path = Path(current_app.static_folder) / "js" / "sw.js"
    response = Response(path.read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """Anyone: the web app manifest (add to home screen, open on the form)."""
    response = jsonify(
        {
            "name": _("Rumours: anti-rumours network"),
            "short_name": _("Rumours"),
            "description": _("Log your anti-rumour conversations, online or offline."),
            "lang": current_locale(),
            "start_url": "/encounters/new",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f6f4ef",
            "theme_color": "#0e5a5a",
            "icons": [
                {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml",
                 "purpose": "any"},
                {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml",
                 "purpose": "maskable"},
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@bp.get("/offline")
def offline():
    """Anyone: what the service worker shows for a page it does not keep, kept in the
    language of the last page the phone loaded."""
    return render_template("shell/offline.html")
