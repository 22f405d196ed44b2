"""Catalogue search: accents, case, filters and ranking, on SQLite and PostgreSQL alike."""

import pytest

from rumours.extensions import db
from rumours.models import Role, Theme
from rumours.reports.catalogue import Filters, search_rumours
from rumours.services.catalogue import RebuttalInput, SourceInput, create_rumour, publish

SOURCE = SourceInput("Report", "Office", "https://example.org/r", None, "A figure", None)


@pytest.fixture
def catalogue(app, create_user):
    """Four published rumours and one draft, written the way people write them."""
    user = create_user(Role.COORDINATOR)
    rows = [
        (
            "La inmigración nos quita el trabajo",
            Theme.EMPLOYMENT,
            "Los datos muestran lo contrario.",
            "### The fact\n\nEl empleo crece.",
        ),
        (
            "They take our jobs",
            Theme.EMPLOYMENT,
            "Migrants fill gaps in the labour market.",
            "### The fact\n\nThe OECD found so.",
        ),
        (
            "They get all the benefits",
            Theme.WELFARE,
            "Benefits depend on need, not origin.",
            "### The fact\n\nOn jobs and benefits, the OECD says the fiscal effect is small.",
        ),
        (
            "Schools are full of them",
            Theme.EDUCATION,
            "Pupils of every origin learn together.",
            "### The fact\n\nPISA results.",
        ),
    ]
    with app.app_context():
        user = db.session.merge(user)
        for claim, theme, short, explanation in rows:
            rumour = create_rumour(actor=user, claim=claim, theme=theme)
            publish(rumour, "en", RebuttalInput(short, explanation, None, [SOURCE]), actor=user)
        create_rumour(
            actor=user, claim="A draft about jobs nobody has checked", theme=Theme.EMPLOYMENT
        )
        db.session.commit()
    return app


def claims(page) -> list[str]:
    return [r.claim for r in page.items]


def test_accents_are_ignored_both_ways(catalogue):
    with catalogue.app_context():
        assert claims(search_rumours(Filters(query="inmigracion"), public=True)) == [
            "La inmigración nos quita el trabajo"
        ]
        assert claims(search_rumours(Filters(query="INMIGRACIÓN"), public=True)) == [
            "La inmigración nos quita el trabajo"
        ]


def test_case_is_ignored(catalogue):
    with catalogue.app_context():
        upper = claims(search_rumours(Filters(query="OECD"), public=True))
        lower = claims(search_rumours(Filters(query="oecd"), public=True))
        assert upper == lower and len(upper) == 2


def test_a_word_in_the_claim_ranks_above_a_word_in_the_explanation(catalogue):
    with catalogue.app_context():
        results = claims(search_rumours(Filters(query="jobs"), public=True))
        assert results == ["They take our jobs", "They get all the benefits"]


def test_every_word_must_match(catalogue):
    with catalogue.app_context():
        assert claims(search_rumours(Filters(query="jobs oecd fiscal"), public=True)) == [
            "They get all the benefits"
        ]
        assert claims(search_rumours(Filters(query="jobs zebra"), public=True)) == []


def test_theme_filter(catalogue):
    with catalogue.app_context():
        employment = claims(search_rumours(Filters(theme=Theme.EMPLOYMENT), public=True))
        assert sorted(employment) == ["La inmigración nos quita el trabajo", "They take our jobs"]
        assert claims(search_rumours(Filters(query="jobs", theme=Theme.WELFARE), public=True)) == [
            "They get all the benefits"
        ]


def test_language_filter(catalogue):
    with catalogue.app_context():
        assert search_rumours(Filters(language="en"), public=True).total == 4
        assert search_rumours(Filters(language="ca"), public=True).total == 0


def test_drafts_only_for_coordinators(catalogue):
    with catalogue.app_context():
        assert "A draft about jobs nobody has checked" not in claims(
            search_rumours(Filters(query="jobs"), public=True)
        )
        assert "A draft about jobs nobody has checked" in claims(
            search_rumours(Filters(query="jobs"), public=False)
        )


def test_pagination(catalogue):
    with catalogue.app_context():
        first = search_rumours(Filters(), public=True, page=1, per_page=3)
        second = search_rumours(Filters(), public=True, page=2, per_page=3)
        assert first.total == 4 and first.pages == 2 and first.has_next
        assert len(first.items) == 3 and len(second.items) == 1
        assert not set(claims(first)) & set(claims(second))


def test_punctuation_splits_words_and_is_never_a_wildcard(catalogue):
    with catalogue.app_context():
        assert search_rumours(Filters(query="%_%"), public=True).total == 4  # no word: all
        assert (
            claims(search_rumours(Filters(query="jobs!"), public=True))[0] == "They take our jobs"
        )


def test_public_search_page(catalogue):
    client = catalogue.test_client()
    page = client.get("/rumours/?q=inmigracion").get_data(as_text=True)
    assert "La inmigración nos quita el trabajo" in page and "1 rumour" in page
    assert "They take our jobs" not in page
    assert client.get("/rumours/?theme=nonsense&page=abc").status_code == 200
