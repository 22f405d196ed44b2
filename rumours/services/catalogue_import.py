"""Importing another network's catalogue feed as drafts (coordinators, or the CLI).

`plan_import` only reads: for each item it says what an import would do (add, update,
leave unchanged, skip and why), which is the preview. `apply_import` does it: new
rumours and their rebuttals become drafts here, never published; a draft made by an
earlier import is updated only while its content still has the digest it was imported
with (nobody edited it). The caller commits once: one import, one transaction.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..extensions import db
from ..models import (
    PendingImport,
    Rebuttal,
    RebuttalStatus,
    Rumour,
    RumourClaim,
    RumourStatus,
    Source,
    ThemeRow,
    User,
)
from ..rules import themes
from ..rules.city import catalogue_languages
from ..rules.feed import (
    MAX_FEED_BYTES,
    FeedDocument,
    FeedItem,
    FeedRefused,
    content_of,
    digest,
    parse_feed,
)
from . import free_slug, record_audit
from .catalogue import RESERVED_SLUGS, refresh_search_text

FETCH_TIMEOUT_SECONDS = 15
PENDING_KIND = "catalogue"
PENDING_LIFETIME = timedelta(days=1)

ADD, UPDATE, UNCHANGED, SKIP = "add", "update", "unchanged", "skip"


@dataclass
class Decision:
    action: str
    slug: str | None
    claim: str | None = None
    reason: str | None = None
    item: FeedItem | None = None
    rumour: Rumour | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    network: str
    source: str
    decisions: list[Decision]

    def of(self, action: str) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]

    def counts(self) -> dict[str, int]:
        return {a: len(self.of(a)) for a in (ADD, UPDATE, UNCHANGED, SKIP)}


def read_source(source: str, *, public_only: bool = False) -> bytes:
    """The feed's bytes from a file path or an http(s) address (with a timeout and the
    size cap); FeedRefused with a clear reason otherwise. `public_only` (the web page)
    refuses files and addresses inside this server's own networks."""
    if source.startswith(("http://", "https://")):
        return fetch(source, public_only=public_only)
    if public_only:
        raise FeedRefused(str(_l("Give an address starting with https:// or http://.")))
    if "://" in source:
        raise FeedRefused(str(_l("Give a file or an http(s) address.")))
    path = Path(source)
    if not path.is_file():
        raise FeedRefused(str(_l("No such file: %(path)s", path=source)))
    if path.stat().st_size > MAX_FEED_BYTES:
        raise FeedRefused(
            str(_l("The file is larger than %(size)d MB.", size=MAX_FEED_BYTES >> 20))
        )
    return path.read_bytes()


def _check_public(url: str) -> None:
    """Refuse an address whose host resolves to a loopback, private or link-local address,
    so the coordinator's page cannot be used to reach the server's own network."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        raise FeedRefused(
            str(_l("The feed could not be fetched: %(reason)s", reason=host))
        ) from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise FeedRefused(str(_l("This address is not on the public internet.")))


class _PublicRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        _check_public(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, public_only: bool = False) -> bytes:
    """Download a feed: at most MAX_FEED_BYTES, within FETCH_TIMEOUT_SECONDS a read."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    handlers = []
    if public_only:
        _check_public(url)
        handlers.append(_PublicRedirects())
    opener = urllib.request.build_opener(*handlers)
    too_big = FeedRefused(
        str(_l("The feed is larger than %(size)d MB.", size=MAX_FEED_BYTES >> 20))
    )
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_FEED_BYTES:
                raise too_big
            body = response.read(MAX_FEED_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise FeedRefused(
            str(_l("The feed could not be fetched: %(reason)s", reason=reason))
        ) from None
    if len(body) > MAX_FEED_BYTES:
        raise too_big
    return body


def read_feed(raw: bytes) -> FeedDocument:
    return parse_feed(raw, catalogue_languages())


def current_content(rumour: Rumour) -> dict:
    """The canonical content of a draft made by an import, as it is now in the database."""
    drafts = [r for r in rumour.rebuttals if r.status is RebuttalStatus.DRAFT]
    return content_of(
        claim=rumour.claim,
        also_heard_as=rumour.also_heard_as,
        theme=rumour.theme,
        claims={t.language: t.claim for t in rumour.translations},
        rebuttals=[(r.language, r.short_answer, r.explanation, r.sources) for r in drafts],
    )


def _imported_from(network: str, slug: str) -> Rumour | None:
    return db.session.scalars(
        db.select(Rumour).where(Rumour.origin_network == network, Rumour.origin_slug == slug)
    ).first()


def decide(item: FeedItem, network: str) -> Decision:
    """What importing one item would do here."""
    decision = Decision(ADD, item.slug, item.claim, item=item)
    if item.dropped_languages:
        decision.notes.append(
            str(
                _l(
                    "Left out (not offered here): %(languages)s",
                    languages=", ".join(item.dropped_languages),
                )
            )
        )
    existing = _imported_from(network, item.slug)
    if existing is None:
        return decision
    decision.rumour = existing
    if existing.status is not RumourStatus.DRAFT:
        decision.action, decision.reason = SKIP, str(_l("already published here"))
        if existing.status is RumourStatus.ARCHIVED:
            decision.reason = str(_l("archived here"))
    elif digest(current_content(existing)) != existing.origin_digest:
        decision.action, decision.reason = SKIP, str(_l("edited here since it was imported"))
    elif item.digest == existing.origin_digest:
        decision.action = UNCHANGED
    else:
        decision.action = UPDATE
    return decision


def plan_import(document: FeedDocument, source: str) -> ImportPlan:
    """The preview: what an import of `document` would add, update, leave or skip. Reads only."""
    decisions = [decide(item, document.network) for item in document.items]
    decisions += [
        Decision(
            SKIP, slug, reason=str(_l("item %(n)d is malformed: %(problem)s", n=n, problem=problem))
        )
        for n, slug, problem in document.malformed
    ]
    return ImportPlan(document.network, source, decisions)


def _ensure_theme(item: FeedItem) -> None:
    """An unknown theme is added (named as the feed names it) rather than refusing the item."""
    if db.session.get(ThemeRow, item.theme_slug) is not None:
        return
    last = db.session.scalar(db.select(func.max(ThemeRow.position))) or 0
    db.session.add(ThemeRow(slug=item.theme_slug, name=item.theme_name, position=last + 1))
    db.session.flush()
    themes.forget()


def _write(rumour: Rumour, item: FeedItem, *, actor: User | None) -> None:
    rumour.claim = item.claim
    rumour.also_heard_as = item.also_heard_as
    rumour.theme = item.theme_slug
    # In place: a replaced row with the same key could be inserted before the old one goes.
    claims = {t.language: t for t in rumour.translations}
    for language, text in item.claims.items():
        if language in claims:
            claims[language].claim = text
        else:
            rumour.translations.append(RumourClaim(language=language, claim=text))
    for language, stale in claims.items():
        if language not in item.claims:
            rumour.translations.remove(stale)
    drafts = {r.language: r for r in rumour.rebuttals if r.status is RebuttalStatus.DRAFT}
    wanted = {r.language for r in item.rebuttals}
    for language, stale in drafts.items():
        if language not in wanted:
            db.session.delete(stale)
    for data in item.rebuttals:
        draft = drafts.get(data.language)
        if draft is None:
            latest = max(
                (r.version for r in rumour.rebuttals if r.language == data.language), default=0
            )
            draft = Rebuttal(
                language=data.language, version=latest + 1, status=RebuttalStatus.DRAFT
            )
            rumour.rebuttals.append(draft)
        draft.author_id = getattr(actor, "id", None)
        draft.short_answer = data.short_answer
        draft.explanation = data.explanation
        draft.sources = [
            Source(
                title=s.title,
                publisher=s.publisher,
                url=s.url,
                published_on=s.published_on,
                supports=s.supports,
                checked_on=s.checked_on,
            )
            for s in data.sources
        ]
    rumour.origin_url = item.url
    rumour.origin_version = item.version
    rumour.origin_digest = item.digest
    rumour.imported_at = datetime.now(UTC)
    db.session.flush()
    db.session.refresh(rumour)
    refresh_search_text(rumour)


def apply_import(plan: ImportPlan, *, actor: User | None) -> ImportPlan:
    """Coordinators or the CLI: add and update the drafts the plan says; the caller commits."""
    for decision in plan.decisions:
        item = decision.item
        if decision.action == ADD:
            _ensure_theme(item)
            rumour = Rumour(
                slug=free_slug(
                    Rumour, item.slug, fallback="rumour", reserved=RESERVED_SLUGS, max_length=100
                ),
                claim=item.claim,
                theme=item.theme_slug,
                status=RumourStatus.DRAFT,
                origin_network=plan.network,
                origin_slug=item.slug,
            )
            db.session.add(rumour)
            db.session.flush()
            _write(rumour, item, actor=actor)
            decision.rumour = rumour
        elif decision.action == UPDATE:
            _ensure_theme(item)
            _write(decision.rumour, item, actor=actor)
        else:
            continue
        record_audit(
            "import rumour" if decision.action == ADD else "update imported rumour",
            "rumour",
            decision.rumour.id,
            actor=actor,
            details={
                "network": plan.network,
                "origin": item.slug,
                "version": item.version,
                "languages": [r.language for r in item.rebuttals],
            },
        )
    record_audit(
        "import catalogue",
        "catalogue",
        actor=actor,
        details={"network": plan.network, "source": plan.source, **plan.counts()},
    )
    return plan


def import_feed(raw: bytes, source: str, *, actor: User | None) -> ImportPlan:
    """Read, plan and apply in one go (the CLI); FeedRefused when the feed is unreadable."""
    return apply_import(plan_import(read_feed(raw), source), actor=actor)


def hold_for_confirmation(raw: bytes, source: str, *, actor: User) -> str:
    """Keep an uploaded feed until its preview is confirmed; returns the token to confirm with."""
    cutoff = datetime.now(UTC) - PENDING_LIFETIME
    db.session.execute(
        db.delete(PendingImport).where(
            PendingImport.kind == PENDING_KIND, PendingImport.created_at < cutoff
        )
    )
    token = secrets.token_urlsafe(32)
    payload = {"text": raw.decode("utf-8-sig"), "source": source}
    db.session.add(
        PendingImport(
            token=token, kind=PENDING_KIND, created_by_id=actor.id, payload=json.dumps(payload)
        )
    )
    return token


def held(token: str, actor: User) -> tuple[PendingImport, bytes, str] | None:
    """The feed `actor` uploaded under `token` (someone else's token finds nothing)."""
    pending = db.session.scalars(
        db.select(PendingImport).where(
            PendingImport.token == token,
            PendingImport.kind == PENDING_KIND,
            PendingImport.created_by_id == actor.id,
        )
    ).first()
    if pending is None:
        return None
    payload = json.loads(pending.payload)
    return pending, payload["text"].encode("utf-8"), payload["source"]
