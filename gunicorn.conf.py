"""Serving Rumours in production: `gunicorn -c gunicorn.conf.py "rumours:create_app()"`.

Every value can be overridden from the environment (GUNICORN_WORKERS=8 ...). Logs go to
stdout/stderr, for systemd's journal or the container runtime to keep."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two workers per core, plus one: the app waits on the database more than it computes.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request that takes longer than this is killed and answered 502 by the proxy; exports of
# a whole year stream well inside it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Phones on slow connections keep connections open between requests behind the proxy.
keepalive = 5
# Recycle workers now and then so a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200
# The app is built once, in the master, and each worker is a fork of it: a recycled
# worker is back in milliseconds instead of importing the app again (about a second of
# CPU taken from the workers still serving). A code upgrade therefore needs a restart
# (`systemctl restart`), not a reload.
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The proxy in front sets X-Forwarded-*; the app trusts PROXY_HOPS of them (config.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _flask_app(process):
    """The Flask app the master built (`preload_app`), or None when gunicorn serves
    something else (a WSGI wrapper, another app)."""
    from flask import Flask

    app = process.app.wsgi()
    return app if isinstance(app, Flask) else None


def when_ready(server):
    """Before the first workers fork: the preloaded app compiles its templates, loads its
    translations, projects its map outlines and compiles its hot reads once, so no worker
    does it behind its first requests. Only a head start: whatever goes wrong here is
    logged and the workers start as they would have (each page then fails or works as it
    would without it), never a master that cannot start."""
    app = _flask_app(server)
    if app is None:
        return
    from rumours import warm

    try:
        done = warm(app)
    except Exception:  # noqa: BLE001 - a head start must never keep the site down
        server.log.exception("Not warmed: the workers will prepare what they use")
        return
    server.log.info(
        "Warmed: %(templates)d templates, %(languages)d languages, %(maps)d maps", done
    )


def pre_fork(server, worker):
    """Before each fork: what the master built (the app, its templates, translations and
    compiled statements: 160,000 to 177,000 objects) is moved out of the garbage
    collector's sight (`gc.freeze`). A worker's full collections then walk only its own
    objects instead of pausing a request for about 90 ms to walk all of them, and they
    no longer write to the pages the worker shares with the master."""
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    """A new worker drops the database connections it inherited from the master (the
    master may have opened one while building the app): two processes must never share
    one. `dispose(close=False)` leaves them open for their owner and gives this worker
    empty pools of its own (SQLAlchemy's advice for forked processes)."""
    app = _flask_app(worker)
    if app is None:
        return
    from rumours.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
