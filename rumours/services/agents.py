"""Agent writes: sign-up with consents, invitations, status changes, manual certification,
erasure. Callers own the transaction (these add and flush; the view commits once)."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, update

from ..extensions import db
from ..models import (
    AgentLanguage,
    AgentProfile,
    AgentStatus,
    AgentStatusChange,
    Consent,
    ConsentPurpose,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
)
from ..rules.accounts import new_session_token, normalise_email
from ..rules.errors import DomainError
from ..rules.passwords import hash_password
from . import record_audit

NOTICE_VERSION = "1"


# ---------------------------------------------------------------------------
# Sign-up and invitations
# ---------------------------------------------------------------------------


def email_taken(email: str) -> bool:
    return (
        db.session.execute(db.select(User.id).where(User.email == normalise_email(email))).first()
        is not None
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(email: str, *, actor: User, now: datetime | None = None) -> str:
    """Coordinators: store a single-use invitation and return its secret token (shown once)."""
    now = now or datetime.now(UTC)
    email = normalise_email(email)
    if email_taken(email):
        raise DomainError(_("Someone has already signed up with this e-mail."), "email")
    token = secrets.token_urlsafe(32)
    days = current_app.config["INVITATION_VALID_DAYS"]
    invitation = Invitation(
        email=email,
        token_hash=hash_token(token),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    record_audit("invitation.create", "invitation", invitation.id, actor=actor)
    return token


def find_invitation(token: str, now: datetime | None = None) -> Invitation | None:
    """The unused, unexpired invitation with this token, or None."""
    now = now or datetime.now(UTC)
    invitation = db.session.execute(
        db.select(Invitation).where(Invitation.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return None
    return invitation


def register_agent(
    *,
    name: str,
    email: str,
    password: str,
    languages: list[str],
    district_id: int,
    organisation_ids: list[int],
    consent_contact: bool,
    invitation: Invitation | None = None,
    now: datetime | None = None,
) -> User:
    """Anyone: create an agent (an applicant, or approved at once when invited) with consents."""
    now = now or datetime.now(UTC)
    email = normalise_email(email)
    if invitation is not None and email != invitation.email:
        raise DomainError(_("This invitation is for %(email)s.", email=invitation.email), "email")
    if email_taken(email):
        raise DomainError(_("Someone has already signed up with this e-mail."), "email")
    if invitation is not None:
        # Single use even under concurrency: only one UPDATE can claim the row.
        claimed = db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            raise DomainError(_("This invitation has already been used."))
    user = User(
        email=email,
        name=name.strip(),
        role=Role.AGENT,
        password_hash=hash_password(password),
        session_token=new_session_token(),
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    status = AgentStatus.IN_TRAINING if invitation is not None else AgentStatus.APPLICANT
    profile = AgentProfile(
        user_id=user.id,
        status=status,
        district_id=district_id,
        pseudonym=secrets.token_hex(6),
        applied_at=now,
        approved_at=now if invitation is not None else None,
    )
    db.session.add(profile)
    profile.languages = [AgentLanguage(language=code) for code in dict.fromkeys(languages)]
    profile.status_changes.append(
        AgentStatusChange(
            from_status=None,
            to_status=AgentStatus.APPLICANT,
            changed_at=now,
            actor_id=user.id,
            reason="Signed up",
        )
    )
    if invitation is not None:
        profile.status_changes.append(
            AgentStatusChange(
                from_status=AgentStatus.APPLICANT,
                to_status=status,
                changed_at=now,
                actor_id=invitation.created_by_id,
                reason="Invited by a coordinator",
            )
        )
    valid_organisations = set(
        db.session.scalars(
            db.select(Organisation.id).where(
                Organisation.id.in_(organisation_ids or [0]), Organisation.active
            )
        )
    )
    for organisation_id in sorted(valid_organisations):
        db.session.add(Membership(user_id=user.id, organisation_id=organisation_id))
    db.session.add(
        Consent(
            user_id=user.id,
            purpose=ConsentPurpose.PROCESSING,
            granted=True,
            recorded_at=now,
            notice_version=NOTICE_VERSION,
        )
    )
    db.session.add(
        Consent(
            user_id=user.id,
            purpose=ConsentPurpose.CONTACT,
            granted=bool(consent_contact),
            recorded_at=now,
            notice_version=NOTICE_VERSION,
        )
    )
    db.session.flush()
    record_audit(
        "agent.register", "agent", user.id, actor=user, details={"invited": invitation is not None}
    )
    return user


def set_contact_consent(agent: User, granted: bool, now: datetime | None = None) -> Consent:
    """The agent themselves: record a new contact consent (the history is kept)."""
    consent = Consent(
        user_id=agent.id,
        purpose=ConsentPurpose.CONTACT,
        granted=granted,
        recorded_at=now or datetime.now(UTC),
        notice_version=NOTICE_VERSION,
    )
    db.session.add(consent)
    record_audit(
        "agent.consent",
        "agent",
        agent.id,
        actor=agent,
        details={"purpose": "contact", "granted": granted},
    )
    return consent


# ---------------------------------------------------------------------------
# Status and certification
# ---------------------------------------------------------------------------


def change_status(
    profile: AgentProfile,
    to_status: AgentStatus,
    *,
    actor: User | None,
    reason: str,
    action: str,
    now: datetime | None = None,
) -> None:
    """Move an agent to another status, with a history row and an audit entry."""
    now = now or datetime.now(UTC)
    from_status = profile.status
    profile.status = to_status
    profile.status_changes.append(
        AgentStatusChange(
            from_status=from_status,
            to_status=to_status,
            changed_at=now,
            actor_id=getattr(actor, "id", None),
            reason=reason[:500],
        )
    )
    record_audit(
        action,
        "agent",
        profile.user_id,
        actor=actor,
        details={"from": from_status.value, "to": to_status.value, "reason": reason},
    )
    db.session.flush()


def apply_action(
    profile: AgentProfile, action: str, *, actor: User, reason: str, now: datetime | None = None
) -> None:
    """Coordinators: approve, pause, reactivate, certify or revoke, with a reason."""
    now = now or datetime.now(UTC)
    status = profile.status
    if action == "approve":
        if status is not AgentStatus.APPLICANT:
            raise DomainError(_("Only applicants can be approved."), "action")
        profile.approved_at = now
        change_status(
            profile,
            AgentStatus.IN_TRAINING,
            actor=actor,
            reason=reason,
            action="agent.approve",
            now=now,
        )
    elif action == "pause":
        if status is AgentStatus.INACTIVE:
            raise DomainError(_("This agent is already paused."), "action")
        change_status(
            profile, AgentStatus.INACTIVE, actor=actor, reason=reason, action="agent.pause", now=now
        )
    elif action == "reactivate":
        if status is not AgentStatus.INACTIVE:
            raise DomainError(_("Only paused agents can be reactivated."), "action")
        if profile.approved_at is None:
            target = AgentStatus.APPLICANT
        elif profile.certified_at is not None:
            target = AgentStatus.CERTIFIED
        else:
            target = AgentStatus.IN_TRAINING
        change_status(
            profile, target, actor=actor, reason=reason, action="agent.reactivate", now=now
        )
    elif action == "certify":
        if status is AgentStatus.CERTIFIED:
            raise DomainError(_("This agent is already certified."), "action")
        profile.certified_at = now
        profile.approved_at = profile.approved_at or now
        profile.certification_override_reason = reason[:500]
        change_status(
            profile,
            AgentStatus.CERTIFIED,
            actor=actor,
            reason=reason,
            action="agent.certify",
            now=now,
        )
    elif action == "revoke":
        if status is not AgentStatus.CERTIFIED:
            raise DomainError(
                _("Only certified agents can have their certification revoked."), "action"
            )
        profile.certified_at = None
        profile.certification_override_reason = reason[:500]
        change_status(
            profile,
            AgentStatus.IN_TRAINING,
            actor=actor,
            reason=reason,
            action="agent.revoke",
            now=now,
        )
    else:
        raise DomainError(_("Unknown action."), "action")


# ---------------------------------------------------------------------------
# Erasure
# ---------------------------------------------------------------------------


def erase_agent(agent: User, *, actor: User) -> None:
    """The agent themselves or a coordinator on request: delete the person.

    The user row goes, and with it (ON DELETE CASCADE) the profile, languages, status
    history, consents, memberships and enrolments; encounters keep their figures with
    agent_id set to NULL (ON DELETE SET NULL), so statistics stay but point at no one.
    """
    agent_id = agent.id
    email = agent.email
    by_self = actor.id == agent_id
    db.session.flush()
    db.session.execute(delete(Invitation).where(Invitation.email == email))
    db.session.expunge(agent)
    db.session.execute(delete(User).where(User.id == agent_id))
    # The entry names no one: only that an erasure happened and who carried it out.
    record_audit(
        "agent.erase",
        "agent",
        agent_id,
        actor=None if by_self else actor,
        details={"by": "self" if by_self else "coordinator"},
    )
    db.session.flush()
    db.session.expire_all()
