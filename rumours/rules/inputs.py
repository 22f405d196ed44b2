"""What any value from outside must be before it reaches the database: text without
control characters or lone surrogates, integers the database can hold, dates inside the
window this install accepts. One place, so forms (rumours.forms.inputs), query strings,
route converters and the JSON API (rumours.web.inputs) and the services all say the same.

The date window is 2000-01-01 to 2100-12-31: wide enough for any rumour's history, a
campaign or a training, narrow enough that no page computing a period around a stored
date runs past what Python and the databases can represent.
"""

import re
from datetime import date, datetime

from flask_babel import gettext as _

from .errors import DomainError

# The id and count columns are SQL INTEGER (32 bits on PostgreSQL); a larger number in a
# route, a query string or a form can name nothing stored and cannot be stored.
MIN_INTEGER = -(2**31)
MAX_INTEGER = 2**31 - 1
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
# Control characters (C0 but tab, line feed and carriage return; DEL; C1) and the
# surrogate halves, which no UTF-8 text can carry. Line breaks are refused separately in
# single-line text.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
LINE_BREAKS = re.compile("[\r\n]")
# A JSON body nested deeper than this is refused before it is parsed; an encounter is two.
MAX_JSON_DEPTH = 32


def text_problem(value: str, *, multiline: bool = True) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if UNSAFE_CHARACTERS.search(value):
        return _("Remove the invisible control characters from this text.")
    if not multiline and LINE_BREAKS.search(value):
        return _("Keep this on one line.")
    return None


def integer_problem(value: int) -> str | None:
    """Why `value` cannot be stored as a whole number, or None when it can."""
    if not MIN_INTEGER <= value <= MAX_INTEGER:
        return _("This number is too large.")
    return None


def date_problem(value: date) -> str | None:
    """Why a day (or the day of a time) is outside the accepted window, or None."""
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        return _(
            "Give a date between %(first)s and %(last)s.",
            first=FIRST_DAY.isoformat(),
            last=LAST_DAY.isoformat(),
        )
    return None


def value_problem(value, *, multiline: bool = True) -> str | None:
    """Why a parsed value (text, number, date, or a list of them) cannot be stored."""
    if isinstance(value, str):
        return text_problem(value, multiline=multiline)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return integer_problem(value)
    if isinstance(value, date):
        return date_problem(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return next((p for v in value if (p := value_problem(v, multiline=multiline))), None)
    return None


def check_dates(**days: date | None) -> None:
    """Raise DomainError naming the first field whose date is outside the window; the
    services call it so no stored date can break a page, whoever sends it."""
    for name, day in days.items():
        if day is not None and (problem := date_problem(day)):
            raise DomainError(problem, name)


def bounded_int(value) -> int:
    """int(value) for query strings, ValueError when it is outside the database's range
    (werkzeug's `args.get(key, default, type=...)` then falls back to the default)."""
    number = int(value)
    if integer_problem(number):
        raise ValueError("integer out of range")
    return number


def json_depth(text: str) -> int:
    """How deeply a JSON text nests its arrays and objects, read in one pass without
    parsing (brackets inside strings do not count)."""
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', "", text)
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", without_strings):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def json_problems(value, path: str = "") -> dict[str, list[str]]:
    """Text anywhere in a parsed JSON value that cannot be stored, keyed by where it
    is (the top-level key, e.g. "notes"), so the answer names the field."""
    found: dict[str, list[str]] = {}
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((path, v) for v in value)
    else:
        items = ()
        if isinstance(value, str) and (problem := text_problem(value)):
            found[path or "body"] = [problem]
    for key, item in items:
        key_text = key if isinstance(key, str) else str(key)
        if text_problem(key_text):
            found.setdefault(path or "body", []).append(text_problem(key_text))
            continue
        for name, messages in json_problems(item, path or key_text).items():
            found.setdefault(name, []).extend(messages)
    return found
