"""Template globals: the demo-data flag, labels, the role enum and the one percent
formatter."""

from flask import Flask, g
from flask_babel import format_percent

from ..charts import progress
from ..extensions import db
from ..models import DEMO_KEY, Role, SiteSetting
from ..rules.city import catalogue_languages, city
from ..rules.labels import label
from ..rules.themes import theme_label
from .markdown import render_markdown
from .navigation import nav_links


def is_demo_installation() -> bool:
    """True when the demo seed has loaded data into this database (asked once per request)."""
    if "is_demo" not in g:
        row = db.session.get(SiteSetting, DEMO_KEY)
        g.is_demo = row is not None and row.value == "yes"
    return g.is_demo


class _LazyCity:
    """The city's settings for templates (`city.network_name`), read on first use."""

    def __getattr__(self, name: str):
        return getattr(city(), name)


# The house style keeps a space before the sign ("46 %") in every language, as the
# catalogues did; babel supplies each locale's digits, separators and percent sign.
PERCENT = "#,##0 %"
SIGNED_PERCENT = "+#,##0 %;-#,##0 %"


def percent(
    part: float | None, whole: float = 1, *, signed: bool = False, under_one: bool = False
) -> str | None:
    """`part` of `whole` as a whole percentage ("46 %", "+12 %" when `signed`), None for
    None; with `under_one`, a share too small to round to 1 % but not zero shows "<1 %"."""
    if part is None:
        return None
    share = part * 100 / whole
    if under_one and part > 0 and share < 0.5:
        return "<" + format_percent(0.01, PERCENT)
    # Round the percentage first (half to even) so -0.4 % reads "+0 %", as it always did.
    return format_percent(round(share) / 100, SIGNED_PERCENT if signed else PERCENT)


def init_app(app: Flask) -> None:
    app.add_template_filter(label)
    app.add_template_filter(theme_label)
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(percent)
    app.add_template_global(is_demo_installation)
    app.add_template_global(catalogue_languages)

    @app.context_processor
    def city_settings() -> dict:
        # Read lazily: a page that never names the city pays nothing.
        return {"city": _LazyCity()}
    app.add_template_global(Role)
    app.add_template_global(nav_links)
    # Progress bars from plain rows (label, value, target), for pages outside the dashboard.
    app.add_template_global(progress, "progress_chart")
