"""The device cookie: a random nonce signed with the app's secret, one per browser, kept
for DEVICE_COOKIE_DAYS. Which accounts trust it is on the server (services.devices)."""

import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "rumours-device"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def device_nonce() -> str | None:
    """This browser's nonce, when it carries a device cookie the app signed."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def nonce_for_this_browser() -> str:
    """The browser's nonce, or a new one to set."""
    return device_nonce() or secrets.token_urlsafe(24)


def set_device_cookie(response, nonce: str):
    config = current_app.config
    response.set_cookie(
        config["DEVICE_COOKIE_NAME"],
        _serializer().dumps(nonce),
        max_age=config["DEVICE_COOKIE_DAYS"] * 86400,
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
        path="/auth/",
    )
    return response
