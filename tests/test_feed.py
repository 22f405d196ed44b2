"""The catalogue feed between two networks: one app publishes `/rumours/feed.json`, another
imports it as drafts (CLI and coordinator page), re-imports update only unedited drafts,
and bad feeds are reported."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from rumours import create_app
from rumours.extensions import db
from rumours.models import (
    AuditEntry,
    Rebuttal,
    RebuttalStatus,
    Role,
    Rumour,
    RumourClaim,
    RumourStatus,
    ThemeRow,
    User,
)
from rumours.rules.accounts import new_session_token
from rumours.rules.feed import MAX_FEED_BYTES
from rumours.services import catalogue as curating
from rumours.services.catalogue import RebuttalInput, SourceInput

from .helpers import config_for, csrf_from, login

PUBLISHER = "Xarxa Antirumors de Sabadell"
# Test data only: a fictional statistics office at example.org, never demo content.
SOURCE = SourceInput(
    title="Labour force survey, test edition",
    publisher="Example Statistics Office",
    url="https://stats.example.org/lfs",
    published_on=None,
    supports="Test figure: 1 in 10 workers",
    checked_on=None,
)
ANSWERS = {
    "en": ("Migrants mostly fill jobs nobody else applies for.", "### The fact\n\nIn English."),
    "ca": ("Les persones migrades ocupen feines que ningú més demana.", "### El fet\n\nEn català."),
    "es": (
        "Las personas migrantes ocupan empleos que nadie más pide.",
        "### El hecho\n\nEn castellano.",
    ),
}


def answer(language: str, suffix: str = "") -> RebuttalInput:
    short, explanation = ANSWERS[language]
    source = SourceInput(**{**SOURCE.__dict__, "supports": f"{SOURCE.supports} ({language})"})
    return RebuttalInput(short + suffix, explanation, None, [source])


def seed_publisher(app) -> None:
    """Three published rumours (ca/es/en, en/ca, and one in a theme of its own) and a draft."""
    with app.app_context():
        db.create_all()
        actor = User(
            email="publisher@example.org",
            name="Publisher Person",
            role=Role.COORDINATOR,
            password_hash="not-a-login",
            session_token=new_session_token(),
        )
        db.session.add(actor)
        db.session.add(ThemeRow(slug="accent", name="Language and accent", position=20))
        db.session.flush()
        jobs = curating.create_rumour(
            actor=actor,
            claim="They take our jobs",
            theme="employment",
            also_heard_as="Nos quitan el trabajo",
        )
        jobs.translations = [
            RumourClaim(language="ca", claim="Ens prenen la feina"),
            RumourClaim(language="es", claim="Nos quitan el trabajo"),
        ]
        for language in ("ca", "es", "en"):
            curating.publish(jobs, language, answer(language), actor=actor)
        benefits = curating.create_rumour(
            actor=actor, claim="They get all the benefits", theme="welfare"
        )
        benefits.translations = [RumourClaim(language="ca", claim="S'ho emporten tot")]
        for language in ("en", "ca"):
            curating.publish(benefits, language, answer(language, " (benefits)"), actor=actor)
        accent = curating.create_rumour(
            actor=actor, claim="They refuse to learn the language", theme="accent"
        )
        curating.publish(accent, "en", answer("en", " (language)"), actor=actor)
        curating.create_rumour(actor=actor, claim="A draft nobody may see", theme="housing")
        db.session.commit()


def publish_again(app) -> None:
    """The publisher writes new versions of two rumours."""
    with app.app_context():
        actor = db.session.scalars(db.select(User)).first()
        for slug in ("they-take-our-jobs", "they-get-all-the-benefits"):
            rumour = db.session.scalars(db.select(Rumour).where(Rumour.slug == slug)).one()
            curating.publish(rumour, "en", answer("en", " Second version."), actor=actor)
        benefits = db.session.scalars(
            db.select(Rumour).where(Rumour.slug == "they-get-all-the-benefits")
        ).one()
        benefits.translations[0].claim = "S'ho emporten tot, diuen"
        benefits.translations.append(RumourClaim(language="es", claim="Se lo llevan todo"))
        db.session.commit()


@pytest.fixture
def published(request, tmp_path):
    """The publishing network on its own database (same kind as `app`'s): its feed now and
    after a second round of publications, fetched with its test client."""
    server = None
    if request.node.callspec.params["app"] == "sqlite":
        url = f"sqlite:///{tmp_path / 'publisher.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create("rumours_feed")
    publisher = create_app(config_for(url, NETWORK_NAME=PUBLISHER))
    seed_publisher(publisher)
    client = publisher.test_client()
    first = client.get("/rumours/feed.json")
    publish_again(publisher)
    second = client.get("/rumours/feed.json")
    with publisher.app_context():
        db.session.remove()
        db.engine.dispose()
    if server is not None:
        server.drop(url)
    return {"response": first, "v1": first.data, "v2": second.data}


def upload(client, data: dict):
    """POST a multipart form built in memory (the test client's own encoder spools a large
    body to a temporary file it does not close)."""
    fields = {
        k: FileStorage(BytesIO(v[0]), filename=v[1], content_type="application/json")
        if isinstance(v, tuple)
        else v
        for k, v in data.items()
    }
    stream, _, boundary = stream_encode_multipart(fields, use_tempfile=False)
    return client.post(
        "/catalogue/import/",
        data=stream.getvalue(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def item(feed: bytes, slug: str) -> dict:
    return next(i for i in json.loads(feed)["items"] if i["slug"] == slug)


def imported(slug: str) -> Rumour:
    return db.session.scalars(db.select(Rumour).where(Rumour.origin_slug == slug)).one()


def write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(path)


def import_file(runner, tmp_path, data):
    """`flask catalogue import FILE` on `data` written to a file."""
    return runner.invoke(args=["catalogue", "import", write(tmp_path, "feed.json", data)])


def test_feed_holds_published_rumours_in_every_language(published, app):
    # `app` runs this on both databases: the publisher uses the same kind.
    response = published["response"]
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    feed = response.get_json()
    assert (feed["format"], feed["version"], feed["network"]) == ("rumours-catalogue", 1, PUBLISHER)
    assert feed["url"].endswith("/rumours/feed.json")
    assert sorted(i["slug"] for i in feed["items"]) == [
        "they-get-all-the-benefits",
        "they-refuse-to-learn-the-language",
        "they-take-our-jobs",
    ]
    jobs = item(published["v1"], "they-take-our-jobs")
    assert jobs["claims"] == {"ca": "Ens prenen la feina", "es": "Nos quitan el trabajo"}
    assert jobs["also_heard_as"] == "Nos quitan el trabajo"
    assert jobs["theme"] == {"slug": "employment", "name": "Employment"}
    assert jobs["version"] == 3
    assert [(r["language"], r["version"]) for r in jobs["rebuttals"]] == [
        ("ca", 1),
        ("en", 1),
        ("es", 1),
    ]
    assert jobs["rebuttals"][0]["short_answer"] == ANSWERS["ca"][0]
    assert jobs["rebuttals"][0]["sources"][0]["url"] == SOURCE.url
    reviews = jobs["claim_reviews"]
    assert [(r["@type"], r["inLanguage"]) for r in reviews] == [
        ("ClaimReview", "ca"),
        ("ClaimReview", "en"),
        ("ClaimReview", "es"),
    ]
    assert reviews[0]["claimReviewed"] == "Ens prenen la feina"
    assert reviews[0]["url"].endswith("/rumours/they-take-our-jobs?lang=ca")
    assert item(published["v1"], "they-refuse-to-learn-the-language")["theme"]["name"] == (
        "Language and accent"
    )
    text = published["v1"].decode()
    assert "A draft nobody may see" not in text
    assert "publisher@example.org" not in text and "Publisher Person" not in text
    assert item(published["v2"], "they-take-our-jobs")["version"] == 4


def test_import_arrives_intact_as_drafts_and_reimport_respects_local_edits(
    published, app, runner, create_user, tmp_path
):
    result = runner.invoke(
        args=["catalogue", "import", write(tmp_path, "v1.json", published["v1"])]
    )
    assert result.exit_code == 0, result.output
    assert "3 added, 0 updated, 0 unchanged, 0 skipped." in result.output
    expected = item(published["v1"], "they-take-our-jobs")
    with app.app_context():
        jobs = imported("they-take-our-jobs")
        assert (jobs.status, jobs.slug, jobs.claim) == (
            RumourStatus.DRAFT,
            "they-take-our-jobs",
            "They take our jobs",
        )
        assert (jobs.origin_network, jobs.origin_version) == (PUBLISHER, 3)
        assert jobs.origin_url == expected["url"]
        assert {t.language: t.claim for t in jobs.translations} == expected["claims"]
        assert jobs.also_heard_as == "Nos quitan el trabajo"
        assert [(r.language, r.status, r.short_answer, r.explanation) for r in jobs.rebuttals] == [
            (r["language"], RebuttalStatus.DRAFT, r["short_answer"], r["explanation"])
            for r in expected["rebuttals"]
        ]
        for local, remote in zip(jobs.rebuttals, expected["rebuttals"], strict=True):
            assert [(s.title, s.publisher, s.url, s.supports) for s in local.sources] == [
                (s["title"], s["publisher"], s["url"], s["supports"]) for s in remote["sources"]
            ]
        assert db.session.get(ThemeRow, "accent").name == "Language and accent"
        assert imported("they-refuse-to-learn-the-language").theme == "accent"
        assert (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(Rebuttal)
                .where(Rebuttal.status != RebuttalStatus.DRAFT)
            )
            == 0
        )

    coordinator = create_user(Role.COORDINATOR)
    with app.app_context():
        jobs = imported("they-take-our-jobs")
        curating.update_rumour(
            jobs,
            actor=coordinator,
            claim="Ens prenen la feina, diuen",
            theme=jobs.theme,
            status=RumourStatus.DRAFT,
        )
        accent = imported("they-refuse-to-learn-the-language")
        curating.publish(accent, "en", answer("en", " Adapted here."), actor=coordinator)
        db.session.commit()

    again = import_file(runner, tmp_path, published["v2"])
    assert again.exit_code == 0, again.output
    assert "skipped: they-take-our-jobs (edited here since it was imported)" in again.output
    assert "skipped: they-refuse-to-learn-the-language (already published here)" in again.output
    assert "updated: they-get-all-the-benefits -> they-get-all-the-benefits (draft)" in again.output
    assert "0 added, 1 updated, 0 unchanged, 2 skipped." in again.output
    with app.app_context():
        assert imported("they-take-our-jobs").claim == "Ens prenen la feina, diuen"
        benefits = imported("they-get-all-the-benefits")
        english = next(r for r in benefits.rebuttals if r.language == "en")
        assert english.short_answer.endswith("Second version.")
        assert (benefits.status, benefits.origin_version) == (RumourStatus.DRAFT, 3)
        assert {t.language: t.claim for t in benefits.translations} == {
            "ca": "S'ho emporten tot, diuen",
            "es": "Se lo llevan todo",
        }
        assert (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(Rumour)
                .where(Rumour.origin_slug.is_not(None))
            )
            == 3
        )

    third = import_file(runner, tmp_path, published["v2"])
    assert "unchanged: they-get-all-the-benefits" in third.output


def test_slug_taken_here_gets_a_free_one(published, app, runner, create_user, tmp_path):
    coordinator = create_user(Role.COORDINATOR)
    with app.app_context():
        curating.create_rumour(actor=coordinator, claim="They take our jobs", theme="employment")
        db.session.commit()
    result = runner.invoke(
        args=["catalogue", "import", write(tmp_path, "v1.json", published["v1"])]
    )
    assert "added: they-take-our-jobs -> they-take-our-jobs-2 (draft)" in result.output


def test_the_coordinator_page_previews_then_imports(published, app, client, create_user):
    coordinator = create_user(Role.COORDINATOR, email="coord@example.org")
    agent = create_user(Role.AGENT, email="agent@example.org")
    agent_client = app.test_client()
    login(agent_client, agent.email)
    assert agent_client.get("/catalogue/import/").status_code == 403
    login(client, coordinator.email)
    index = client.get("/catalogue/")
    assert 'href="/catalogue/import/"' in index.get_data(as_text=True)
    page = client.get("/catalogue/import/")
    assert page.status_code == 200

    sent = client.post(
        "/catalogue/import/",
        data={"csrf_token": csrf_from(page), "file": (BytesIO(published["v1"]), "feed.json")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    preview = client.get(sent.headers["Location"])
    html = preview.get_data(as_text=True)
    assert "Will be added as drafts (3)" in html and "They take our jobs" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Rumour)) == 0
    done = client.post(sent.headers["Location"], data={"csrf_token": csrf_from(preview)})
    assert done.status_code == 302
    with app.app_context():
        assert {r.status for r in db.session.scalars(db.select(Rumour))} == {RumourStatus.DRAFT}
        actions = db.session.scalars(
            db.select(AuditEntry.action).where(AuditEntry.actor_id == coordinator.id)
        ).all()
        assert actions.count("import rumour") == 3 and "import catalogue" in actions
    assert client.get(sent.headers["Location"]).status_code == 404  # used once
    with app.app_context():
        jobs_id = imported("they-take-our-jobs").id
    shown = client.get(f"/catalogue/{jobs_id}").get_data(as_text=True)
    assert f"Imported from the catalogue of {PUBLISHER} (version 3)." in shown


def test_the_page_needs_csrf_and_names_a_bad_file(published, app, client, create_user):
    coordinator = create_user(Role.COORDINATOR)
    login(client, coordinator.email)
    refused = client.post(
        "/catalogue/import/",
        data={"file": (BytesIO(published["v1"]), "feed.json")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    token = csrf_from(client.get("/catalogue/import/"))
    bad = client.post(
        "/catalogue/import/",
        data={"csrf_token": token, "file": (BytesIO(b"<html>"), "page.html")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "This is not a JSON file." in bad.get_data(as_text=True)
    big = upload(client, {"csrf_token": token, "file": (b" " * (MAX_FEED_BYTES + 1), "big.json")})
    assert big.status_code == 422
    assert "The file is larger than 5 MB." in big.get_data(as_text=True)
    huge = upload(client, {"csrf_token": token, "file": (b" " * (MAX_FEED_BYTES * 2), "huge.json")})
    assert huge.status_code == 413
    inside = client.post(
        "/catalogue/import/", data={"csrf_token": token, "url": "http://127.0.0.1:9/feed.json"}
    )
    assert inside.status_code == 422
    assert "This address is not on the public internet." in inside.get_data(as_text=True)


def test_bad_feeds_are_refused_whole_or_item_by_item(published, app, runner, tmp_path):
    for data, message in (
        (b"not json {", "This is not a JSON file."),
        (b" " * (MAX_FEED_BYTES + 1), "The file is larger than 5 MB."),
        ({"format": "something-else"}, "not a Rumours catalogue feed"),
        ({**json.loads(published["v1"]), "version": 2}, "format version (2) is not one"),
    ):
        result = import_file(runner, tmp_path, data)
        assert result.exit_code == 1 and message in result.output
    feed = json.loads(published["v1"])
    jobs, benefits, accent = sorted(feed["items"], key=lambda i: i["slug"])[::-1]
    del benefits["claim"]
    accent["format_version"] = 9
    result = import_file(runner, tmp_path, feed)
    assert result.exit_code == 0, result.output
    assert (
        "item " in result.output and "is malformed: “claim” is missing or not text" in result.output
    )
    assert "its format version is not one this install can read" in result.output
    assert "1 added, 0 updated, 0 unchanged, 2 skipped." in result.output
    with app.app_context():
        assert [r.origin_slug for r in db.session.scalars(db.select(Rumour))] == [jobs["slug"]]


class FeedHandler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_import_from_an_address(published, app, runner):
    handler = type("Handler", (FeedHandler,), {"body": published["v1"]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        address = f"http://127.0.0.1:{server.server_port}/rumours/feed.json"
        result = runner.invoke(args=["catalogue", "import", "--dry-run", address])
        assert "would add: they-take-our-jobs" in result.output
        assert "(dry run: nothing written)" in result.output
        result = runner.invoke(args=["catalogue", "import", address])
        assert "3 added" in result.output
    finally:
        server.shutdown()
        server.server_close()
    closed = runner.invoke(args=["catalogue", "import", address])
    assert closed.exit_code == 1 and "The feed could not be fetched" in closed.output
