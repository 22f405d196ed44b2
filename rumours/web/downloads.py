"""Responses that hand the user a file."""

import json

from flask import Response


def json_download(data: dict, name: str) -> Response:
    """`data` as a pretty-printed UTF-8 JSON attachment called `name`."""
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
