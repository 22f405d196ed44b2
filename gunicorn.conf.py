"""Serving Rumours in production: `gunicorn -c gunicorn.conf.py "rumours:create_app()"`.

Every value can be overridden from the environment (GUNICORN_WORKERS=8 ...). Logs go to
stdout/stderr, for systemd's journal or the container runtime to keep."""

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
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The proxy in front sets X-Forwarded-*; the app trusts PROXY_HOPS of them (config.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
