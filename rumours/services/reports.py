"""Report writes: a public report (with its per-address limit) and the coordinators'
triage (link to a rumour, promote to a draft, dismiss). Callers commit."""

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import (
    DismissReason,
    District,
    EncounterRumour,
    Report,
    ReportLimit,
    ReportSource,
    ReportStatus,
    Role,
    Rumour,
    Setting,
    User,
)
from ..rules.errors import DomainError, FieldErrors, NotAllowed
from ..rules.privacy import identifying_reasons
from . import record_audit
from .catalogue import create_rumour, refresh_search_text

MAX_CLAIM = 280
# Public reports one address may send in an hour.
REPORTS_PER_HOUR = 20


class TooManyReports(DomainError):
    """The address sent its hourly share of reports (429)."""

    status = 429


def address_hash(address: str) -> str:
    """A keyed hash of the address: the limit can count it, nobody can read it back."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (address or "").encode(), hashlib.sha256).hexdigest()


def _take_from_limit(address: str, now: datetime) -> None:
    """Count one report against the address's hour; forget every earlier hour."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    db.session.execute(db.delete(ReportLimit).where(ReportLimit.hour_start < hour))
    key = address_hash(address)
    row = db.session.get(ReportLimit, (key, hour))
    if row is None:
        row = ReportLimit(address_hash=key, hour_start=hour, count=0)
        db.session.add(row)
    if row.count >= REPORTS_PER_HOUR:
        raise TooManyReports(
            _("Thank you, but we have had many reports from here this hour. Try again later.")
        )
    row.count += 1


def check_claim(claim: str | None, district: str | None, setting: str | None) -> District | None:
    """Refuse an empty, long or identifying claim, an unknown district or setting."""
    errors = FieldErrors()
    text = (claim or "").strip()
    if not text:
        errors.add("claim", _("Write what you heard."))
    elif len(text) > MAX_CLAIM:
        errors.add("claim", _("Keep it under %(n)d characters.", n=MAX_CLAIM))
    for reason in identifying_reasons(text):
        errors.add("claim", reason)
    found = None
    if district:
        found = db.session.execute(
            db.select(District).where(District.slug == district, District.retired.is_(False))
        ).scalar_one_or_none()
        if found is None:
            errors.add("district", _("Unknown district."))
    if setting and setting not in {s.value for s in Setting}:
        errors.add("setting", _("Unknown setting: choose one of the listed ones."))
    errors.raise_if_any()
    return found


def submit_public_report(
    *,
    claim: str,
    district: str | None,
    setting: str | None,
    language: str | None,
    address: str,
    now: datetime | None = None,
) -> Report:
    """Anyone: report a rumour heard. Nothing about the person is stored; the address
    only as a keyed hash, for the hour the limit needs."""
    now = now or datetime.now(UTC)
    found = check_claim(claim, district, setting)
    _take_from_limit(address, now)
    report = Report(
        source=ReportSource.PUBLIC,
        claim=claim.strip(),
        language=language,
        district=found,
        setting=Setting(setting) if setting else None,
        created_at=now,
    )
    db.session.add(report)
    db.session.flush()
    return report


def _triaged(report: Report, actor: User, status: ReportStatus) -> None:
    if report.status is not ReportStatus.UNTRIAGED:
        raise DomainError(_("This report was already triaged."))
    report.status = status
    report.triaged_at = datetime.now(UTC)
    report.triaged_by_id = actor.id


def _coordinator(actor: User) -> None:
    if actor.role is not Role.COORDINATOR:
        raise NotAllowed(_("Only coordinators triage reports."))


def count_as_heard(report: Report, rumour: Rumour) -> None:
    """An agent's report, once triaged into `rumour`, makes its encounter one in which
    that rumour came up: the link row every statistic reads (no rebuttal: the agent had
    none on screen). Added through the ORM, so the summary tables follow on the same
    flush. A public report has no encounter: it is counted apart (reports.rumour_reports)."""
    encounter = report.encounter
    if encounter is None:
        return
    if any(link.rumour_id == rumour.id for link in encounter.rumour_links if rumour.id):
        return  # the agent also ticked it in the list
    encounter.rumour_links.append(EncounterRumour(rumour=rumour, rebuttal_id=None))


def link_report(report: Report, rumour: Rumour, *, actor: User, add_wording: bool) -> None:
    """Coordinators: the report is this rumour heard (an agent's encounter then counts
    it as heard everywhere); optionally keep its wording in the rumour's "also heard as"
    (when it fits)."""
    _coordinator(actor)
    _triaged(report, actor, ReportStatus.LINKED)
    report.rumour = rumour
    count_as_heard(report, rumour)
    if add_wording:
        known = [w.strip() for w in (rumour.also_heard_as or "").split("/") if w.strip()]
        if report.claim not in known:
            joined = " / ".join([*known, report.claim])
            if len(joined) <= 500:
                rumour.also_heard_as = joined
                refresh_search_text(rumour)
    record_audit(
        "link report",
        "report",
        report.id,
        actor=actor,
        details={"rumour": rumour.slug, "added_wording": add_wording},
    )


def promote_report(report: Report, *, actor: User, theme: str) -> Rumour:
    """Coordinators: the report becomes a new draft rumour, its wording the claim (an
    agent's encounter then counts that rumour as heard)."""
    _coordinator(actor)
    _triaged(report, actor, ReportStatus.PROMOTED)
    rumour = create_rumour(actor=actor, claim=report.claim, theme=theme)
    report.rumour = rumour
    count_as_heard(report, rumour)
    record_audit(
        "promote report", "report", report.id, actor=actor, details={"rumour": rumour.slug}
    )
    return rumour


def dismiss_report(report: Report, *, actor: User, reason: DismissReason) -> None:
    """Coordinators: the report is off topic, abusive or unclear."""
    _coordinator(actor)
    _triaged(report, actor, ReportStatus.DISMISSED)
    report.dismiss_reason = reason
    record_audit(
        "dismiss report", "report", report.id, actor=actor, details={"reason": reason.value}
    )


def triage_reports(
    reports: list[Report],
    action: str,
    *,
    actor: User,
    rumour: Rumour | None = None,
    add_wording: bool = False,
    theme: str | None = None,
    reason: str | None = None,
) -> Rumour | None:
    """Coordinators: one triage decision for one or several similar reports. Promoting
    several makes one draft from the first and links the others to it."""
    _coordinator(actor)
    if not reports:
        raise DomainError(_("Choose at least one report."))
    if action == "link":
        if rumour is None:
            raise DomainError(_("Choose the rumour it is."), "rumour")
        for report in reports:
            link_report(report, rumour, actor=actor, add_wording=add_wording)
        return rumour
    if action == "promote":
        if not theme:
            raise DomainError(_("Choose a theme for the new rumour."), "theme")
        draft = promote_report(reports[0], actor=actor, theme=theme)
        for report in reports[1:]:
            link_report(report, draft, actor=actor, add_wording=False)
        return draft
    if action == "dismiss":
        try:
            why = DismissReason(reason or "")
        except ValueError:
            raise DomainError(_("Choose why it is dismissed."), "reason") from None
        for report in reports:
            dismiss_report(report, actor=actor, reason=why)
        return None
    raise DomainError(_("Unknown action."))
