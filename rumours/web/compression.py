"""Gzip for the static text files a phone downloads (CSS, JavaScript, SVG, the manifest)."""

import gzip
import hashlib

from flask import Flask, Response, request

# Static text files go out gzipped, which keeps the phone form's first load small on a
# slow connection. HTML pages are not compressed: they carry the CSRF token (BREACH).
COMPRESSIBLE = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
    "application/manifest+json",
}
COMPRESSED_ENDPOINTS = {"static", "shell.service_worker", "shell.manifest"}
_gzipped: dict[bytes, bytes] = {}


def compress_static(response: Response) -> Response:
    """Anyone: gzip static CSS, JavaScript, SVG and the manifest when the browser accepts it."""
    if (
        request.endpoint not in COMPRESSED_ENDPOINTS
        or response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or "Content-Encoding" in response.headers
    ):
        return response
    original = response.response
    response.direct_passthrough = False
    data = response.get_data()
    if hasattr(original, "close"):
        original.close()
    key = hashlib.sha256(data).digest()
    if key not in _gzipped:
        if len(_gzipped) > 64:
            _gzipped.clear()
        _gzipped[key] = gzip.compress(data, compresslevel=9, mtime=0)
    response.set_data(_gzipped[key])
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress_static)
