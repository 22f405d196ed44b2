"""Which language a reader gets, how a choice is remembered, and how content falls back
when a rebuttal is not written in the reader's language yet."""

from datetime import UTC, datetime

import pytest

from rumours.extensions import db
from rumours.models import Rebuttal, RebuttalStatus, Rumour, RumourClaim, RumourStatus, Theme, User

from .helpers import login


def page_language(response) -> str:
    text = response.get_data(as_text=True)
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


@pytest.fixture
def published_rumour(app):
    """A published rumour answered in English only, its claim also in Catalan."""
    with app.app_context():
        rumour = Rumour(
            slug="they-take-our-jobs",
            claim="They take our jobs.",
            theme=Theme.EMPLOYMENT,
            status=RumourStatus.PUBLISHED,
        )
        rumour.translations.append(RumourClaim(language="ca", claim="Ens prenen la feina."))
        rumour.rebuttals.append(
            Rebuttal(
                language="en",
                status=RebuttalStatus.PUBLISHED,
                short_answer="Jobs are not a fixed cake.",
                explanation="### The fact\nWorking people also create demand.",
                published_at=datetime.now(UTC),
            )
        )
        db.session.add(rumour)
        db.session.commit()
        return rumour.slug


def test_the_browser_language_applies_until_a_choice_is_made(client):
    assert page_language(client.get("/auth/login", headers={"Accept-Language": "ca-ES,ca"})) == "ca"
    assert page_language(client.get("/auth/login", headers={"Accept-Language": "es"})) == "es"
    # A control character in any parameter is refused by the input layer, not a 500.
    assert client.get("/auth/login?lang=xx%00").status_code == 400
    # Nothing offered matches: the city's default.
    assert page_language(client.get("/auth/login", headers={"Accept-Language": "de"})) == "en"


def test_lang_switches_any_page_and_the_cookie_remembers_it(client):
    response = client.get("/auth/login?lang=es", headers={"Accept-Language": "ca"})
    assert page_language(response) == "es"
    assert "rumours_lang=es" in response.headers["Set-Cookie"]
    # Later pages, without ?lang, keep the choice over the browser's language.
    assert page_language(client.get("/rumours/", headers={"Accept-Language": "ca"})) == "es"


def test_an_unknown_lang_is_ignored_without_an_error(client):
    response = client.get("/auth/login?lang=xx", headers={"Accept-Language": "ca"})
    assert response.status_code == 200
    assert page_language(response) == "ca"
    assert "rumours_lang" not in response.headers.get("Set-Cookie", "")
    client.set_cookie("rumours_lang", "klingon")
    assert page_language(client.get("/auth/login", headers={"Accept-Language": "es"})) == "es"


def test_a_logged_in_choice_becomes_the_accounts_preference(app, client, create_user):
    user = create_user(email="laia@example.org")
    with app.app_context():
        assert db.session.get(User, user.id).preferred_language is None
    login(client, "laia@example.org")
    client.get("/?lang=ca")
    with app.app_context():
        assert db.session.get(User, user.id).preferred_language == "ca"
    # On another device (no cookie), with a Spanish browser, the account's choice wins.
    other = app.test_client()
    login(other, "laia@example.org")
    assert page_language(other.get("/", headers={"Accept-Language": "es"})) == "ca"


def test_the_account_page_saves_or_clears_the_preference(app, client, create_user):
    user = create_user(email="pau@example.org")
    login(client, "pau@example.org")
    page = client.get("/account/language")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    token = token.split('"')[0]
    response = client.post("/account/language", data={"language": "es", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).preferred_language == "es"
    client.post("/account/language", data={"language": "", "csrf_token": token})
    with app.app_context():
        assert db.session.get(User, user.id).preferred_language is None
    refused = client.post("/account/language", data={"language": "xx", "csrf_token": token})
    assert refused.status_code == 422


def test_a_missing_translation_says_so_and_shows_the_english(client, published_rumour):
    response = client.get(f"/rumours/{published_rumour}?lang=ca")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page_language(response) == "ca"
    assert "Jobs are not a fixed cake." in text
    assert 'class="rebuttal" lang="en"' in text
    assert 'class="notice notice-language"' in text
    assert "anglès" in text  # the languages named in the reader's words, not as endonyms
    # The claim is shown as people say it in Catalan, where it has been translated.
    assert "Ens prenen la feina." in text
    assert '"inLanguage": "en"' in text
    assert 'hreflang="en"' in text and 'hreflang="x-default"' in text


def test_pages_in_english_show_no_fallback_notice(client, published_rumour):
    text = client.get(f"/rumours/{published_rumour}?lang=en").get_data(as_text=True)
    assert "notice-language" not in text
    assert "They take our jobs." in text


def test_the_manifest_and_offline_page_speak_the_readers_language(client):
    english = client.get("/manifest.webmanifest").get_json()
    catalan = client.get("/manifest.webmanifest", headers={"Accept-Language": "ca"}).get_json()
    assert catalan["lang"] == "ca" and english["lang"] == "en"
    assert catalan["name"] != english["name"] and catalan["description"] != english["description"]
    assert catalan["start_url"] == english["start_url"] == "/encounters/new"
    offline = client.get("/offline", headers={"Accept-Language": "es"})
    assert offline.status_code == 200
    assert offline.headers["Content-Language"] == "es"
    assert page_language(offline) == "es"


def test_the_about_sheet_dates_read_in_the_readers_language(app):
    from rumours.exports.tables import Report, about_lines

    report = Report(
        title="t", description="d", generated_at=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
        period_start=datetime(2026, 12, 1).date(), period_end=datetime(2026, 12, 31).date(),
        scope="s", threshold=10,
    )
    with app.test_request_context("/?lang=ca"):
        lines = dict(about_lines(report))
    period = next(v for k, v in lines.items() if "2026-12-01" in str(v))
    assert "1 de desembre del 2026" in period  # CLDR Catalan, then the ISO form
    assert "(2026-12-01 – 2026-12-31)" in period
    generated = next(v for v in lines.values() if "2026-12-02T09:30:00" in str(v))
    assert "10:30" in generated  # 09:30 UTC is 10:30 in the city (Europe/Madrid)


def test_a_templates_words_follow_the_locale_within_one_request(app):
    """Templates look their translations up once per locale (rumours.web.i18n): a
    language forced for part of a page (as a feed in the city's language is) and a
    refreshed choice are still followed, word by word."""
    from flask import render_template_string
    from flask_babel import force_locale, get_babel, refresh

    with app.test_request_context("/?lang=ca"):
        assert render_template_string("{{ _('Conversations') }}") == "Converses"
        with force_locale("es"):
            assert render_template_string("{{ _('Conversations') }}") == "Conversaciones"
        assert render_template_string("{{ _('Conversations') }}") == "Converses"
        with force_locale("en"):
            assert render_template_string("{{ _('Conversations') }}") == "Conversations"
        # The choice changes during the request (as when a reader saves a preference)
        # and flask_babel is told to choose again.
        babel = get_babel()
        choose = babel.locale_selector
        babel.locale_selector = lambda: "es"
        try:
            refresh()
            assert render_template_string("{{ _('Conversations') }}") == "Conversaciones"
        finally:
            babel.locale_selector = choose
        refresh()
        assert render_template_string("{{ _('Conversations') }}") == "Converses"
