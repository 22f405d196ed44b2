"""Crawl every page each role reaches, in English, Catalan and Spanish, and fail on
interface text (headings, labels, buttons, links, table headers) that stays English.

Text that is data (names of people, organisations, districts, campaigns, rumours...)
is the same in every language and is left out; so are words whose translation is
spelt the same (the catalogue says so: msgstr == msgid)."""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import String, select

from rumours.extensions import db

from .helpers import login, seeded_app

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-password-2026"
ROLES = {
    "visitor": None,
    "agent": "agent@example.org",
    "member": "member@example.org",
    "coordinator": "coordinator@example.org",
}
LANGUAGES = ["ca", "es"]
INTERFACE_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "label", "button", "a", "th", "legend"}
MAX_PAGES_PER_ROLE = 45
MAX_PER_PATTERN = 2
SKIP_PREFIXES = ("/static/", "/api/", "/auth/logout", "/sw.js", "/manifest")
SKIP_SUFFIXES = (".csv", ".xlsx", ".json", ".ics", ".zip", ".svg", ".png")


class InterfaceText(HTMLParser):
    """Collects the text of interface elements, skipping subtrees marked with another
    `lang` (the language switcher) or translate="no"."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.open: list[list[str]] = []  # text buffers of open interface elements
        self.texts: list[str] = []
        self.links: list[str] = []

    def skipping(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in self.VOID:
            return
        # <html lang> names the page's language; a `lang` below it marks another one.
        skipped = tag != "html" and ("lang" in attrs or attrs.get("translate") == "no")
        self.stack.append((tag, skipped))
        if tag in INTERFACE_TAGS:
            self.open.append([])

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            open_tag, skipped = self.stack.pop()
            if open_tag in INTERFACE_TAGS and self.open:
                buffer = self.open.pop()
                text = " ".join("".join(buffer).split()).strip(" ←→·|:")
                if text and not skipped:
                    self.texts.append(text)
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.open and not self.skipping():
            for buffer in self.open:
                buffer.append(data)


def parse(html: str) -> InterfaceText:
    parser = InterfaceText()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    app = seeded_app(tmp_path_factory.mktemp("crawl") / "crawl.db")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def data_texts(demo_app) -> set[str]:
    """Every short string stored in the demo database: names, titles, claims, slugs."""
    texts = set()
    with demo_app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String)]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                texts.update(v.strip() for v in row if isinstance(v, str) and v.strip())
    return texts


def spelt_the_same(language: str) -> set[str]:
    """The messages whose translation in `language` is spelt like the English."""
    po = ROOT / "rumours" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    return {m.id for m in catalogue if m.id and m.string == m.id}


def with_lang(url: str, language: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"] + [("lang", language)]
    return f"{parts.path}?{urlencode(query)}"


def pattern(path: str) -> str:
    """/agents/12 and /agents/31 are one page to read; so are two rumours' pages."""
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] in {"rumours", "campaigns", "organisations"}:
        parts[1] = "<slug>" if parts[1] not in {"pocket", "cards", "new", "report"} else parts[1]
    return "/" + "/".join(re.sub(r"\d+", "N", p) for p in parts)


def crawl(client, language: str) -> list[str]:
    """Pages a role reaches from its home page by following links (GET, same site)."""
    seen, per_pattern, pages = set(), Counter(), []
    queue = deque(["/"])
    while queue and len(pages) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
            continue
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"]
        key = parts.path + ("?" + urlencode(query) if query else "")
        if key in seen or per_pattern[pattern(parts.path)] >= MAX_PER_PATTERN:
            continue
        seen.add(key)
        response = client.get(with_lang(key, language))
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        per_pattern[pattern(parts.path)] += 1
        pages.append(key)
        queue.extend(parse(response.get_data(as_text=True)).links)
    return pages


def english_left(client, pages, language, data, same) -> dict[str, list[str]]:
    left = {}
    for page in pages:
        english = set(parse(client.get(with_lang(page, "en")).get_data(as_text=True)).texts)
        translated = parse(client.get(with_lang(page, language)).get_data(as_text=True)).texts
        suspects = sorted(
            {
                text
                for text in translated
                if text in english
                and re.search(r"[A-Za-z]{3}", text)
                and text not in data
                and text not in same
                and not any(text in d for d in data if len(text) >= 6)
            }
        )
        if suspects:
            left[page] = suspects
    return left


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_no_english_left_on_any_page(demo_app, data_texts, role, language):
    client = demo_app.test_client()
    if ROLES[role]:
        response = login(client, ROLES[role], DEMO_PASSWORD)
        assert response.status_code == 302, f"{role} could not log in"
    pages = crawl(client, language)
    assert len(pages) >= (3 if role == "visitor" else 6), f"{role} reached too few pages"
    left = english_left(client, pages, language, data_texts, spelt_the_same(language))
    report = "\n".join(f"{page}: {texts}" for page, texts in left.items())
    assert left == {}, f"English interface text on {len(left)} {language} pages:\n{report}"
