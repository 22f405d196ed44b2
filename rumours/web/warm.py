"""What a server prepares once, before it forks its workers (gunicorn's `preload_app`):
every template compiled, every language's translations loaded, the maps' outlines
projected and the hot path's reads compiled (the session's user, a logged
conversation's look-ups). A worker forked afterwards, and each one recycled later,
starts with them instead of doing it behind its first requests (the templates about half
a second of CPU, the outlines and the reads a few tenths more)."""

import logging

from flask import Flask
from flask_babel import force_locale, get_babel, get_translations
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..reports.geography import shapes
from ..services import encounter_checks
from .security import load_user

_log = logging.getLogger(__name__)


def warm(app: Flask) -> dict[str, int]:
    """Compile the app's templates, load its translations, project the map outlines and
    run the hot reads once; returns how many templates, languages and maps. The outlines
    and reads go to the database, whose connections are closed again before returning
    (none may pass to a forked worker); a database not reachable yet (or not migrated)
    only leaves them to the workers."""
    env = app.jinja_env
    templates = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in templates:
        env.get_template(name)
    with app.test_request_context():
        languages = [str(locale) for locale in get_babel().instance.list_translations()]
        for language in languages:
            with force_locale(language):
                get_translations()
    maps = 0
    with app.app_context():
        try:
            maps = sum(shapes(level) is not None for level in ("district", "neighbourhood"))
            load_user("")  # no session has an empty token: the look-up runs, finds none
            encounter_checks.warm()
        except SQLAlchemyError as error:
            _log.warning("map outlines and reads left to the workers: %s", error)
        finally:
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    return {"templates": len(templates), "languages": len(languages), "maps": maps}
