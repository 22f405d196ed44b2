"""Translatable, human labels for the vocabulary's enums."""

from flask_babel import lazy_gettext as _l

from ..models import (
    AgentStatus,
    EnrolmentStatus,
    Outcome,
    RebuttalStatus,
    Role,
    RumourStatus,
    Setting,
    Theme,
    TrainingKind,
    TrainingStatus,
)

# Keys are StrEnum members, which hash like their values: two enums sharing a value
# (Setting.SCHOOL and OrganisationType.SCHOOL) share one label.
LABELS = {
    Role.COORDINATOR: _l("Coordinator"),
    Role.AGENT: _l("Agent"),
    Role.MEMBER: _l("Organisation member"),
    AgentStatus.APPLICANT: _l("Applicant"),
    AgentStatus.IN_TRAINING: _l("In training"),
    AgentStatus.CERTIFIED: _l("Certified"),
    AgentStatus.INACTIVE: _l("Inactive"),
    Theme.EMPLOYMENT: _l("Employment"),
    Theme.WELFARE: _l("Welfare and benefits"),
    Theme.HEALTH: _l("Health and public services"),
    Theme.HOUSING: _l("Housing"),
    Theme.SECURITY: _l("Security"),
    Theme.ECONOMY: _l("Economy and taxes"),
    Theme.RELIGION_CULTURE: _l("Religion and culture"),
    Theme.EDUCATION: _l("Education"),
    Theme.COEXISTENCE: _l("Coexistence and public space"),
    Setting.STREET: _l("Street"),
    Setting.MARKET: _l("Market"),
    Setting.BAR: _l("Bar or café"),
    Setting.SCHOOL: _l("School"),
    Setting.WORKPLACE: _l("Workplace"),
    Setting.TRANSPORT: _l("Public transport"),
    Setting.FAMILY: _l("Family or friends"),
    Setting.ONLINE: _l("Online"),
    Setting.ASSOCIATION: _l("Association"),
    Setting.OTHER: _l("Other"),
    Outcome.OPEN: _l("Open to the facts"),
    Outcome.DOUBT_SOWN: _l("Doubt sown"),
    Outcome.UNCHANGED: _l("Unchanged"),
    Outcome.HOSTILE: _l("Hostile"),
    TrainingKind.BASIC: _l("Basic agent training"),
    TrainingKind.ADVANCED: _l("Advanced"),
    TrainingKind.REFRESHER: _l("Refresher"),
    TrainingKind.TRAIN_THE_TRAINER: _l("Train the trainer"),
    TrainingKind.THEMATIC: _l("Thematic"),
    TrainingStatus.SCHEDULED: _l("Scheduled"),
    TrainingStatus.CANCELLED: _l("Cancelled"),
    EnrolmentStatus.ENROLLED: _l("Enrolled"),
    EnrolmentStatus.WAITLISTED: _l("On the waiting list"),
    EnrolmentStatus.WITHDRAWN: _l("Left"),
    RumourStatus.DRAFT: _l("Draft"),
    RumourStatus.PUBLISHED: _l("Published"),
    RumourStatus.ARCHIVED: _l("Archived"),
    RebuttalStatus.SUPERSEDED: _l("Superseded"),
    # Campaign targets and statistics' measures.
    "encounters": _l("Conversations"),
    "people_reached": _l("People reached"),
    "agents_trained": _l("Agents certified"),
    "trainings_held": _l("Trainings held"),
}


# Security events, as the audit page names them (the stored kinds stay stable codes).
SECURITY_EVENT_LABELS = {
    "login.succeeded": _l("Signed in"),
    "login.failed": _l("Failed sign-in"),
    "login.throttled": _l("Sign-in slowed down"),
    "two_factor.failed": _l("Wrong second-factor code"),
    "two_factor.enabled": _l("Second factor turned on"),
    "two_factor.disabled": _l("Second factor turned off"),
    "two_factor.reset": _l("Second factor reset"),
    "recovery_code.used": _l("Recovery code used"),
    "password.changed": _l("Password changed"),
    "session.logout": _l("Logged out"),
    "session.expired": _l("Session timed out"),
    "access.denied": _l("Access refused (403)"),
    "host.refused": _l("Foreign host refused"),
    "export": _l("Download"),
    "account.deactivated": _l("Account deactivated"),
    "account.reactivated": _l("Account reactivated"),
    "account.role_changed": _l("Role changed"),
}


def label(value) -> str:
    """The label of an enum member or a security event kind, or the value itself."""
    found = LABELS.get(value)
    if found is None and isinstance(value, str):
        found = SECURITY_EVENT_LABELS.get(value)
    return str(found if found is not None else value)


# Languages an agent can hold a conversation in (BCP 47 primary tags).
AGENT_LANGUAGES = {
    "ca": _l("Catalan"),
    "es": _l("Spanish"),
    "en": _l("English"),
    "fr": _l("French"),
    "ar": _l("Arabic"),
    "ber": _l("Amazigh"),
    "ur": _l("Urdu"),
    "pa": _l("Punjabi"),
    "bn": _l("Bengali"),
    "zh": _l("Chinese"),
    "tl": _l("Tagalog"),
    "ro": _l("Romanian"),
    "ru": _l("Russian"),
    "uk": _l("Ukrainian"),
    "it": _l("Italian"),
    "pt": _l("Portuguese"),
    "wo": _l("Wolof"),
    "qu": _l("Quechua"),
}
