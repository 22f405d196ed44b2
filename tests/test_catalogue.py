"""Curating the catalogue: from draft to published versions, with rules and access."""

import json
import re
from datetime import date, timedelta

import pytest

from rumours.extensions import db
from rumours.models import AuditEntry, Rebuttal, RebuttalStatus, Role, Rumour, RumourStatus
from rumours.rules.review import review_due
from rumours.services.catalogue import RebuttalInput, SourceInput

from .helpers import csrf_from, login

SOURCE = {
    "sources-0-title": "International Migration Outlook 2013",
    "sources-0-publisher": "OECD",
    "sources-0-url": "https://doi.org/10.1787/migr_outlook-2013-en",
    "sources-0-supports": "The fiscal impact of immigration is around zero on average.",
    "sources-0-published_on": "2013-06-13",
}
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def coordinator(app, create_user):
    client = app.test_client()
    login(client, create_user(Role.COORDINATOR, name="Carla Curator").email)
    return client


def post_form(client, url: str, data: dict):
    token = csrf_from(client.get(url))
    return client.post(url, data={"csrf_token": token, **data})


def add_rumour(client, claim="They live off benefits.", theme="welfare") -> int:
    response = post_form(client, "/catalogue/new", {"claim": claim, "theme": theme})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/catalogue/(\d+)/", response.headers["Location"]).group(1))


def publish(client, rumour_id: int, short: str, explanation: str, **extra):
    url = f"/catalogue/{rumour_id}/rebuttals/en"
    return post_form(
        client,
        url,
        {
            "short_answer": short,
            "explanation": explanation,
            "publish": "1",
            **SOURCE,
            **extra,
        },
    )


def test_a_rumour_goes_from_draft_to_two_published_versions(app, coordinator, client):
    rumour_id = add_rumour(coordinator)
    with app.app_context():
        rumour = db.session.get(Rumour, rumour_id)
        assert rumour.status is RumourStatus.DRAFT
        slug = rumour.slug
    assert client.get(f"/rumours/{slug}").status_code == 404  # drafts are not public

    # Save a draft first: still not public.
    draft = post_form(
        coordinator,
        f"/catalogue/{rumour_id}/rebuttals/en",
        {
            "short_answer": "Draft words",
            "explanation": "### The fact\n\nWork in progress.",
            "save": "1",
        },
    )
    assert draft.status_code == 302
    assert client.get(f"/rumours/{slug}").status_code == 404

    first = publish(
        coordinator,
        rumour_id,
        "Migrants pay about what they receive.",
        "### The fact\n\nThe fiscal impact is **around zero**.",
    )
    assert first.status_code == 302
    page = client.get(f"/rumours/{slug}").get_data(as_text=True)
    assert "Migrants pay about what they receive." in page and "Version 1" in page

    second = publish(
        coordinator,
        rumour_id,
        "On average migrants contribute as much as they take.",
        "### The fact\n\nA newer, clearer explanation.",
    )
    assert second.status_code == 302

    # The public page, the agent's pocket list, the API and the ClaimReview show version 2.
    page = client.get(f"/rumours/{slug}").get_data(as_text=True)
    assert "On average migrants contribute as much as they take." in page
    assert "Migrants pay about what they receive." not in page
    assert "Version 2" in page
    claim_review = json.loads(JSON_LD.search(page).group(1))
    assert claim_review["reviewBody"] == "On average migrants contribute as much as they take."
    assert claim_review["claimReviewed"] == "They live off benefits."
    pocket = coordinator.get("/rumours/pocket").get_data(as_text=True)
    assert "On average migrants contribute as much as they take." in pocket
    api = client.get("/api/v1/rumours").get_json()
    item = next(r for r in api["rumours"] if r["slug"] == slug)
    assert item["rebuttals"][0]["version"] == 2
    assert item["rebuttals"][0]["sources"][0]["publisher"] == "OECD"

    # Version 1 stays readable, publicly and for coordinators, with its author in the history.
    old = client.get(f"/rumours/{slug}/versions/1?lang=en").get_data(as_text=True)
    assert "Migrants pay about what they receive." in old and "earlier answer" in old
    with app.app_context():
        versions = db.session.scalars(
            db.select(Rebuttal).where(Rebuttal.rumour_id == rumour_id).order_by(Rebuttal.version)
        ).all()
        assert [(v.version, v.status) for v in versions] == [
            (1, RebuttalStatus.SUPERSEDED),
            (2, RebuttalStatus.PUBLISHED),
        ]
        actions = db.session.scalars(
            db.select(AuditEntry.action).where(AuditEntry.action == "publish rebuttal")
        ).all()
        assert len(actions) == 2
    history = coordinator.get(f"/catalogue/{rumour_id}").get_data(as_text=True)
    assert "publish rebuttal" in history and "Carla Curator" in history


def test_publishing_without_sources_says_what_is_missing_and_keeps_the_text(coordinator):
    rumour_id = add_rumour(coordinator)
    response = post_form(
        coordinator,
        f"/catalogue/{rumour_id}/rebuttals/en",
        {
            "short_answer": "A careful answer I typed",
            "explanation": "",
            "publish": "1",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write the full explanation." in page
    assert "Cite at least one source" in page
    assert "A careful answer I typed" in page


def test_source_addresses_must_be_web_addresses(coordinator):
    rumour_id = add_rumour(coordinator)
    response = publish(
        coordinator,
        rumour_id,
        "Short",
        "### The fact\n\nLong",
        **{"sources-0-url": "javascript:alert(1)"},
    )
    assert response.status_code == 422
    assert "http:// or https://" in response.get_data(as_text=True)


def test_an_incomplete_source_is_refused_by_name(coordinator):
    rumour_id = add_rumour(coordinator)
    response = publish(
        coordinator, rumour_id, "Short", "### The fact\n\nLong", **{"sources-0-publisher": ""}
    )
    assert response.status_code == 422
    assert "A source needs its title, publisher" in response.get_data(as_text=True)


def test_over_long_fields_get_a_message_not_a_500(coordinator):
    rumour_id = add_rumour(coordinator)
    response = publish(coordinator, rumour_id, "x" * 281, "### The fact\n\nLong")
    assert response.status_code == 422
    assert "280" in response.get_data(as_text=True)
    long_claim = post_form(coordinator, "/catalogue/new", {"claim": "y" * 301, "theme": "welfare"})
    assert long_claim.status_code == 422
    assert "300" in long_claim.get_data(as_text=True)


def test_adding_a_source_keeps_everything_typed(coordinator):
    rumour_id = add_rumour(coordinator)
    response = post_form(
        coordinator,
        f"/catalogue/{rumour_id}/rebuttals/en",
        {
            "short_answer": "Kept short answer",
            "explanation": "Kept explanation",
            "add_source": "1",
            **SOURCE,
        },
    )
    page = response.get_data(as_text=True)
    assert "Kept short answer" in page and "Kept explanation" in page
    assert 'name="sources-1-title"' in page and SOURCE["sources-0-url"] in page


def test_markdown_is_rendered_inert(coordinator, client):
    rumour_id = add_rumour(coordinator, claim="A rumour with tricky markdown")
    publish(
        coordinator,
        rumour_id,
        "Safe",
        (
            "### The fact\n\n<script>alert('x')</script> [click](javascript:alert(1)) "
            '<img src=x onerror="alert(1)"> **bold**'
        ),
    )
    page = client.get("/rumours/a-rumour-with-tricky-markdown").get_data(as_text=True)
    body = page.split('<div class="prose">')[1].split("</div>")[0]
    assert "<script>" not in body and "javascript:" not in body and "onerror" not in body
    assert "<strong>bold</strong>" in body


def test_a_rumour_cannot_be_marked_published_without_a_published_answer(coordinator):
    rumour_id = add_rumour(coordinator)
    response = post_form(
        coordinator,
        f"/catalogue/{rumour_id}/edit",
        {"claim": "They live off benefits.", "theme": "welfare", "status": "published"},
    )
    assert response.status_code == 422
    assert "no published rebuttal yet" in response.get_data(as_text=True)


def test_archiving_takes_a_rumour_out_of_public_view(app, coordinator, client):
    rumour_id = add_rumour(coordinator)
    publish(coordinator, rumour_id, "Fact", "### The fact\n\nText")
    with app.app_context():
        slug = db.session.get(Rumour, rumour_id).slug
    assert client.get(f"/rumours/{slug}").status_code == 200
    response = post_form(coordinator, f"/catalogue/{rumour_id}", {})
    token = csrf_from(coordinator.get(f"/catalogue/{rumour_id}"))
    response = coordinator.post(f"/catalogue/{rumour_id}/archive", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get(f"/rumours/{slug}").status_code == 404
    assert slug not in json.dumps(client.get("/api/v1/rumours").get_json())


@pytest.mark.parametrize("role", [Role.AGENT, Role.MEMBER])
def test_agents_and_members_cannot_curate(app, create_user, create_organisation, role):
    client = app.test_client()
    login(client, create_user(role, organisation=create_organisation()).email)
    assert client.get("/catalogue/").status_code == 403
    assert client.get("/catalogue/new").status_code == 403
    token = csrf_from(client.get("/"))
    response = client.post(
        "/catalogue/new", data={"csrf_token": token, "claim": "x", "theme": "welfare"}
    )
    assert response.status_code == 403


def test_unknown_slugs_and_languages_are_404(coordinator, client):
    assert client.get("/rumours/no-such-rumour").status_code == 404
    assert client.get("/rumours/no-such-rumour/card").status_code == 404
    rumour_id = add_rumour(coordinator)
    assert coordinator.get(f"/catalogue/{rumour_id}/rebuttals/xx").status_code == 404
    assert coordinator.get("/catalogue/999999").status_code == 404


def test_review_due_when_the_date_passed_or_sources_are_old(app):
    today = date(2026, 11, 28)
    fresh = SourceInput("T", "P", "https://e.org", today - timedelta(days=100), "s", None)
    old = SourceInput("T", "P", "https://e.org", today - timedelta(days=800), "s", None)

    def rebuttal(due, source):
        r = Rebuttal(
            rumour_id=1, language="en", short_answer="s", explanation="e", review_due_on=due
        )
        r.sources = []
        from rumours.models import Source

        r.sources.append(
            Source(
                title=source.title,
                publisher=source.publisher,
                url=source.url,
                published_on=source.published_on,
                supports="s",
            )
        )
        return r

    with app.app_context():
        assert not review_due(rebuttal(today + timedelta(days=10), fresh), today)
        assert review_due(rebuttal(today - timedelta(days=1), fresh), today)
        assert review_due(rebuttal(today + timedelta(days=10), old), today)


def test_review_due_shows_on_the_coordinators_list_and_rumour(app, coordinator):
    rumour_id = add_rumour(coordinator, claim="An old rumour")
    publish(
        coordinator,
        rumour_id,
        "Fact",
        "### The fact\n\nText",
        review_due_on=(date.today() - timedelta(days=3)).isoformat(),
    )
    listing = coordinator.get("/catalogue/?due=1").get_data(as_text=True)
    assert "An old rumour" in listing and "Review due" in listing
    assert "Review due" in coordinator.get(f"/catalogue/{rumour_id}").get_data(as_text=True)


def test_service_refuses_publication_without_sources(app, create_user):
    from rumours.rules.errors import DomainError
    from rumours.services.catalogue import create_rumour
    from rumours.services.catalogue import publish as publish_service

    user = create_user(Role.COORDINATOR)
    with app.app_context():
        user = db.session.merge(user)
        rumour = create_rumour(
            actor=user,
            claim="Claim",
            theme=next(iter(__import__("rumours.models", fromlist=["Theme"]).Theme)),
        )
        with pytest.raises(DomainError) as error:
            publish_service(rumour, "en", RebuttalInput("Short", "Long", None, []), actor=user)
        assert "sources" in error.value.fields
        db.session.rollback()


def test_the_coordinators_list_pages_past_twenty_five_rumours(app, coordinator):
    with app.app_context():
        db.session.add_all(
            Rumour(slug=f"claim-{n}", claim=f"Claim number {n}.", theme="welfare")
            for n in range(26)
        )
        db.session.commit()
    first = coordinator.get("/catalogue/?theme=welfare")
    assert first.status_code == 200
    assert "page=2" in first.get_data(as_text=True)
    second = coordinator.get("/catalogue/?theme=welfare&page=2")
    assert second.status_code == 200
    body = second.get_data(as_text=True)
    assert "Page 2 of 2" in body and "page=1" in body
