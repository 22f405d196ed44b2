"""What a server prepares once, before it forks its workers (gunicorn's `preload_app`):
every template compiled and every language's translations loaded. A worker forked
afterwards, and each one recycled later, starts with them instead of compiling the
templates behind its first pages (74 templates, about half a second of CPU) and loading
a catalogue on its first page in each language. Nothing here touches the database."""

from flask import Flask
from flask_babel import force_locale, get_babel, get_translations


def warm(app: Flask) -> dict[str, int]:
    """Compile the app's templates and load its translations; returns how many of each."""
    env = app.jinja_env
    templates = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in templates:
        env.get_template(name)
    with app.test_request_context():
        languages = [str(locale) for locale in get_babel().instance.list_translations()]
        for language in languages:
            with force_locale(language):
                get_translations()
    return {"templates": len(templates), "languages": len(languages)}
