"""Template globals: the demo-data flag, labels and the role enum."""

from flask import Flask, g

from ..charts import district_shapes
from ..extensions import db
from ..models import DEMO_KEY, Role, SiteSetting
from ..rules.labels import label
from .markdown import render_markdown
from .navigation import nav_links


def is_demo_installation() -> bool:
    """True when the demo seed has loaded data into this database (asked once per request)."""
    if "is_demo" not in g:
        row = db.session.get(SiteSetting, DEMO_KEY)
        g.is_demo = row is not None and row.value == "yes"
    return g.is_demo


def init_app(app: Flask) -> None:
    app.add_template_filter(label)
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(is_demo_installation)
    app.add_template_global(Role)
    app.add_template_global(nav_links)
    # The district map's shapes, for the dashboard's chart macros.
    app.add_template_global(district_shapes, "district_shapes")
