"""A Barcelona volunteer with a phone set to Catalan: log in, read the pocket list and a
rebuttal, log a conversation, all in Catalan; then the switcher turns it to Spanish.
Expected words come from the catalogues themselves, so the test checks that what the
browser shows is the translation, not English."""

from functools import cache
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from . import test_browser
from .test_browser import PHONE, assert_fits, assert_same_origin, shoot

live_server = test_browser.live_server
browser = test_browser.browser
page_at = test_browser.page_at

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser


@cache
def catalogue(language: str):
    path = ROOT / "rumours" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def t(language: str, msgid: str) -> str:
    """The catalogue's translation of `msgid` (and proof that it is not the English)."""
    text = catalogue(language)[msgid].string
    assert text and text != msgid, f"{msgid!r} is not translated in {language}"
    return text


def demo_translation(language: str, slug: str) -> dict:
    items = yaml.safe_load((ROOT / "seeds" / f"rumours.{language}.yaml").read_text("utf-8"))
    return next(item for item in items if item["slug"] == slug)


def read_pocket_and_rebuttal(page, language: str) -> None:
    page.goto("/rumours/pocket")
    assert page.locator("html").get_attribute("lang") == language
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == t(language, "Answers to carry")
    wanted = demo_translation(language, "they-take-our-jobs")
    item = page.locator("#they-take-our-jobs")
    assert wanted["claim"] in item.inner_text()
    assert wanted["rebuttal"]["short_answer"] in item.inner_text()
    shoot(page, f"pocket-{language}-phone")
    page.goto("/rumours/they-take-our-jobs")
    assert page.locator("article.rebuttal").get_attribute("lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == wanted["rebuttal"]["short_answer"]
    assert page.locator(".notice-language").count() == 0  # no fallback: it is translated
    assert_fits(page, PHONE["width"])
    shoot(page, f"rebuttal-{language}-phone")


def log_a_conversation(page, language: str) -> None:
    page.goto("/encounters/new")
    assert page.locator("html").get_attribute("lang") == language
    page.locator(".pick").first.click()
    page.locator(".tile", has_text=t(language, "Market")).click()
    page.locator(".tile", has_text=t(language, "Doubt sown")).click()
    page.get_by_role("button", name=t(language, "Save"), exact=True).click()
    confirm = page.locator("#confirm")
    confirm.wait_for(state="visible")
    assert t(language, "It is on the server. Thank you!") in confirm.inner_text()
    assert_fits(page, PHONE["width"])
    shoot(page, f"encounter-saved-{language}-phone")


def test_a_catalan_phone_gets_catalan_then_the_switcher_gives_spanish(page_at, live_server):
    page = page_at(PHONE, locale="ca-ES")
    page.goto("/auth/login")
    assert page.locator("html").get_attribute("lang") == "ca"
    shoot(page, "login-ca-phone")
    page.get_by_label(t("ca", "E-mail")).fill("agent@example.org")
    page.get_by_label(t("ca", "Password")).fill("demo-password-2026")
    page.get_by_role("button", name=t("ca", "Log in")).click()
    page.wait_for_url(f"{live_server}/")
    shoot(page, "agent-home-ca-phone")
    read_pocket_and_rebuttal(page, "ca")
    log_a_conversation(page, "ca")

    page.locator(".langs a[hreflang=es]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    read_pocket_and_rebuttal(page, "es")
    log_a_conversation(page, "es")
    # The choice is now the account's: a new visit without ?lang stays Spanish.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert_same_origin(page, live_server)


def test_lang_switches_a_visitor_and_rumour_pages_list_their_languages(page_at):
    page = page_at(PHONE, locale="en-GB")
    page.goto("/rumours/?lang=ca")
    assert page.locator("html").get_attribute("lang") == "ca"
    assert page.get_by_role("button", name=t("ca", "Search")).is_visible()
    # The switcher's cookie keeps Catalan on the next page, with no ?lang.
    page.goto("/auth/login")
    assert page.locator("html").get_attribute("lang") == "ca"
    links = page.locator("head link[rel=alternate][hreflang]")
    assert links.count() == 0  # only rumour pages list alternates
    page.goto("/rumours/they-take-our-jobs")
    hreflangs = page.locator("head link[rel=alternate]").evaluate_all(
        "links => links.map(l => l.hreflang)"
    )
    assert {"en", "ca", "es", "x-default"} <= set(hreflangs)
    shoot(page, "rebuttal-ca-visitor-phone")
