"""A crawler that signs in as each role, finds every form and filter on the pages that
role can reach (read from the HTML, not from a list kept by hand), and sends them
generated values: NUL and other control characters, numbers past 64 bits, dates near
year 1 and 9999, 10,000-character strings, emoji, markup, missing fields. It also
requests every GET route of the app with such values in its path. Nothing may answer
5xx, and after each form the page it came from must still load.

FUZZ_FORM_EXAMPLES sets the cases per form (`make fuzz` raises it); the test prints the
pages, forms and requests it covered.
"""

import os
import re
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import DEMO_PASSWORD, login

EXAMPLES = int(os.environ.get("FUZZ_FORM_EXAMPLES", "4"))
# The same cases on every `make test` run; `make fuzz` sets FUZZ_RANDOM=1.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
MAX_PAGES = int(os.environ.get("FUZZ_MAX_PAGES", "60"))
ROLES = ("anonymous", "agent", "member", "coordinator")
# Forms that end the crawler's own session would stop it seeing the rest.
SKIP_ACTIONS = re.compile(r"/auth/logout|/me/erase|/me/delete")
# Links the crawler does not follow: files and the session's end.
SKIP_LINKS = re.compile(r"^/(static/|auth/logout)|\.(csv|xlsx|zip|ics|png|svg|json)(\?|$)")
MISSING = object()
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[2J\x07",
    "99999999999999999999",
    "-99999999999999999999",
    "9223372036854775808",
    "-1",
    "0",
    "1e308",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "0001-01-01T00:00",
    "x" * 10_000,
    "\U0001f600" * 300,
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "=HYPERLINK(\"http://x\")",
    "../../etc/passwd",
    "%00",
]
nasty = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
)


class Page(HTMLParser):
    """The links and forms of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get")
                          .lower(), "fields": {}, "choices": {}}
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["choices"].setdefault(a["name"], []).append(a.get("value", "on"))
                self._form["fields"].setdefault(a["name"], MISSING)
                return
            self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], MISSING)
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._form["choices"].setdefault(self._select, []).append(value)
            if self._form["fields"].get(self._select) is MISSING or "selected" in a:
                self._form["fields"][self._select] = value
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _local(base: str, href: str) -> str | None:
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if SKIP_LINKS.search(path) else path


def crawl(client) -> tuple[list[str], list[tuple[str, dict]]]:
    """The pages reachable from the home page and the forms on them (one per action,
    method and field names)."""
    queue, seen, shapes = ["/"], set(), set()
    forms: dict[tuple, dict] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        # One page per route shape (/rumours/a and /rumours/b are the same form).
        shape = re.sub(r"\d+", "N", urlsplit(path).path)
        if path in seen or (shape in shapes and "?" not in path):
            continue
        seen.add(path)
        shapes.add(shape)
        answer = client.get(path)
        assert answer.status_code < 500, f"GET {path} answered {answer.status_code}"
        if "text/html" not in answer.content_type:
            continue
        page = Page()
        page.feed(answer.get_data(as_text=True))
        for href in page.links:
            local = _local(path, href)
            if local and local not in seen:
                queue.append(local)
        for form in page.forms:
            action = urljoin(path, form["action"]) or path
            key = (action, form["method"], tuple(sorted(form["fields"])))
            if not SKIP_ACTIONS.search(action):
                forms.setdefault(key, {**form, "action": action, "page": path})
    return sorted(seen), list(forms.values())


def _values(form: dict):
    """A strategy of field values: each field kept, changed to a nasty value, one of its
    choices, or left out; the CSRF token is always kept so the form is really read."""
    fields = {}
    for name, original in form["fields"].items():
        if name == "csrf_token":
            fields[name] = st.just(original)
            continue
        options = [st.just(MISSING), nasty]
        if original is not MISSING:
            options.append(st.just(original))
        if form["choices"].get(name):
            options.append(st.sampled_from(form["choices"][name]))
        fields[name] = st.one_of(options)
    return st.fixed_dictionaries(fields)


def _send(client, form: dict, values: dict):
    data = {k: v for k, v in values.items() if v is not MISSING}
    if form["method"] == "post":
        return client.post(form["action"], data=data)
    return client.get(urlsplit(form["action"]).path, query_string=data)


def _fuzz_form(client, role: str, form: dict, totals: dict) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
              suppress_health_check=list(HealthCheck))
    @given(values=_values(form))
    def fuzz(values):
        answer = _send(client, form, values)
        totals["requests"] += 1
        assert answer.status_code < 500, (
            f"{role}: {form['method'].upper()} {form['action']} answered "
            f"{answer.status_code} for {values!r}"
        )
        # The page is still usable, for this user and so for everyone else.
        again = client.get(form["page"])
        assert again.status_code < 500, f"{role}: {form['page']} broke after {values!r}"

    fuzz()


def test_every_form_and_filter_survives_generated_values_for_every_role(app, demo, capsys):
    totals = {"pages": 0, "forms": 0, "requests": 0}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            assert login(client, f"{role}@example.org", DEMO_PASSWORD).status_code == 302
        pages, forms = crawl(client)
        assert pages, role
        totals["pages"] += len(pages)
        totals["forms"] += len(forms)
        for form in forms:
            _fuzz_form(client, role, form, totals)

    with capsys.disabled():
        print(f"\nform crawler: {totals['pages']} pages, {totals['forms']} forms, "
              f"{totals['requests']} generated requests (at most {EXAMPLES} per form) for "
              f"{len(ROLES)} roles")
    # The crawler really found the app: signed-in roles reach many pages and forms.
    assert totals["pages"] >= 40 and totals["forms"] >= 20, totals


PATH_VALUES = ["a%00b", "99999999999999999999", "-1", "0001-01-01", "x" * 2000, "%F0%9F%98%80"]


def test_every_get_route_survives_nasty_path_values(app, demo, capsys):
    client = app.test_client()
    assert login(client, "coordinator@example.org", DEMO_PASSWORD).status_code == 302
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.arguments
             and not r.rule.startswith("/static")]
    assert len(rules) >= 15
    sent = 0
    for rule in rules:
        for value in PATH_VALUES:
            path = rule.rule
            for argument in rule.arguments:
                path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", value, path)
            answer = client.get(path if "%" in value else quote(path))
            sent += 1
            assert answer.status_code < 500, f"GET {path[:120]} answered {answer.status_code}"
    with capsys.disabled():
        print(f"\npath crawler: {len(rules)} routes with arguments, {sent} requests")
