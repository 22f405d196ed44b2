"""Template globals: the demo-data flag, labels, the role enum and the number and
percent formatters."""

from functools import lru_cache

from babel import numbers
from flask import Flask
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from ..charts import progress
from ..models import Role
from ..rules.city import catalogue_languages, city, is_demo
from ..rules.labels import label
from ..rules.themes import theme_label
from .i18n import babel_state
from .markdown import render_markdown
from .navigation import nav_links


class _LazyCity:
    """The city's settings for templates (`city.network_name`), read on first use."""

    def __getattr__(self, name: str):
        return getattr(city(), name)


# The house style keeps a space before the sign ("46 %") in every language, as the
# catalogues did; babel supplies each locale's digits, separators and percent sign.
PERCENT = "#,##0 %"
SIGNED_PERCENT = "+#,##0 %;-#,##0 %"


@lru_cache(maxsize=8192, typed=True)
def _formatted(locale, value, pattern: str | None, kind: str) -> str:
    """Babel's text for a number or a percentage in a locale, worked out once per value:
    a page shows hundreds of figures and most recur (zeros, small counts, shares)."""
    if kind == "percent":
        return numbers.format_percent(value, format=pattern, locale=locale)
    return numbers.format_decimal(value, format=pattern, locale=locale)


# One Locale object per language for the process: flask_babel makes a new one for each
# request, and the cache above then compared it attribute by attribute with the one it
# had stored (babel's Locale.__eq__) at each of a page's hundreds of numbers.
_SAME_LOCALE: dict[str, object] = {}
_last_seen: tuple = (None, None)


def _locale():
    """The reader's locale: flask_babel's own choice for this request once it has made
    it (read straight from where it keeps it: `get_locale()` costs three look-ups through
    Flask's context per call, and a page formats hundreds of numbers), else
    `get_locale()`, which makes it; always the process's one object for that language."""
    global _last_seen
    chosen = getattr(babel_state(), "babel_locale", None) or get_locale()
    seen, same = _last_seen
    if chosen is seen:
        return same
    same = _SAME_LOCALE.setdefault(str(chosen), chosen)
    _last_seen = (chosen, same)
    return same


def numberformat(value) -> str:
    """`value` with the reader's digits and separators, as flask_babel's `numberformat`
    filter gives it (the same babel call, remembered per locale and value)."""
    return _formatted(_locale(), value, None, "number")


def format_percent(value, pattern: str) -> str:
    """flask_babel's `format_percent`, remembered per locale, value and pattern."""
    return _formatted(_locale(), value, pattern, "percent")


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


_HIDDEN = Markup(
    '<span class="chart-hidden"><span aria-hidden="true">—</span>'
    '<span class="visually-hidden">{}</span></span>'
)


def chart_number(value) -> Markup:
    """A chart's count, or the mark of a count hidden to protect privacy (None). A
    function rather than a macro: a page shows hundreds of them."""
    if value is None:
        # As the template's own _() does: the translation is trusted, not escaped.
        return _HIDDEN.format(Markup(gettext("hidden")))
    return escape(numberformat(value))


def plain_number(value) -> Markup:
    """A count as plain text (inside SVG text), "—" for a hidden one."""
    return escape("—" if value is None else numberformat(value))


def chart_share(part, whole) -> Markup:
    """`part` of `whole` as a percentage, "<1 %" for a sliver."""
    return escape(percent(part, whole, under_one=True))


def init_app(app: Flask) -> None:
    app.add_template_filter(label)
    app.add_template_filter(theme_label)
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(percent)
    # Replaces flask_babel's filter of the same name (same text, worked out once per value).
    app.add_template_filter(numberformat)
    app.add_template_global(chart_number)
    app.add_template_global(plain_number)
    app.add_template_global(chart_share)
    app.add_template_global(is_demo, "is_demo_installation")
    app.add_template_global(catalogue_languages)

    @app.context_processor
    def city_settings() -> dict:
        # Read lazily: a page that never names the city pays nothing.
        return {"city": _LazyCity()}
    app.add_template_global(Role)
    app.add_template_global(nav_links)
    # Progress bars from plain rows (label, value, target), for pages outside the dashboard.
    app.add_template_global(progress, "progress_chart")
