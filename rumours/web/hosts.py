"""Trusted hosts: with SITE_URL set, a request for any other host is refused (400) before
the app sees it, and every request is seen as coming to the site's own address, so
absolute links (API URLs, QR codes, .ics files, invitations, feeds) are built from it and
never from a Host header. Flask's TRUSTED_HOSTS is set to the same names."""

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.sansio.utils import get_host
from werkzeug.wrappers import Response


def trusted_hosts(config) -> list[str] | None:
    """The host names requests may name: the site's own and any extra ones; None (any)
    while SITE_URL is unset."""
    site = config.get("SITE_URL")
    if not site:
        return None
    parts = urlsplit(site)
    return [parts.hostname or "", *config.get("EXTRA_TRUSTED_HOSTS", [])]


class SiteAddress:
    """WSGI middleware placed inside ProxyFix (so a trusted proxy's X-Forwarded-Host
    counts): refuses foreign hosts, then pins scheme and host to SITE_URL."""

    def __init__(self, wsgi_app, site_url: str, hosts: list[str]):
        parts = urlsplit(site_url)
        self.wsgi_app = wsgi_app
        self.scheme = parts.scheme or "https"
        self.netloc = parts.netloc
        self.hosts = hosts

    def __call__(self, environ, start_response):
        try:
            get_host(
                environ.get("wsgi.url_scheme", "http"),
                environ.get("HTTP_HOST"),
                (environ.get("SERVER_NAME", ""), int(environ.get("SERVER_PORT") or 0) or None),
                self.hosts,
            )
        except SecurityError:
            response = Response(
                "Bad request: this site does not answer for that host name.\n",
                status=400,
                mimetype="text/plain",
            )
            return response(environ, start_response)
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.netloc
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Configure TRUSTED_HOSTS and wrap the WSGI app when the site's address is known."""
    hosts = trusted_hosts(app.config)
    if hosts is None:
        return
    app.config["TRUSTED_HOSTS"] = hosts
    app.wsgi_app = SiteAddress(app.wsgi_app, app.config["SITE_URL"], hosts)
