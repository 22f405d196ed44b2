"""The navigation each role sees: one list, filtered per user on the server side.

Hiding a link is only a convenience: every view still checks the role itself.
"""

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_login import current_user

from ..models import Role

ANONYMOUS = "anonymous"
EVERYONE = (ANONYMOUS, Role.COORDINATOR, Role.AGENT, Role.MEMBER)
LOGGED_IN = (Role.COORDINATOR, Role.AGENT, Role.MEMBER)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    audience: tuple


# Add an area's entry here when its blueprint lands.
NAV_ITEMS = [
    NavItem("main.home", _l("Home"), LOGGED_IN),
    NavItem("dashboard.index", _l("Dashboard"), (Role.COORDINATOR, Role.MEMBER)),
    NavItem("rumours.index", _l("Rumours"), (ANONYMOUS,)),
    NavItem("register.register", _l("Become an agent"), (ANONYMOUS,)),
    NavItem("rumours.pocket", _l("Answers"), (Role.AGENT, Role.MEMBER)),
    NavItem("catalogue.index", _l("Catalogue"), (Role.COORDINATOR,)),
    NavItem("agents.index", _l("Agents"), (Role.COORDINATOR, Role.MEMBER)),
    NavItem("trainings.index", _l("Trainings"), LOGGED_IN),
    NavItem("campaigns.index", _l("Campaigns"), LOGGED_IN),
    NavItem("organisations.index", _l("Organisations"), (Role.COORDINATOR, Role.MEMBER)),
    NavItem("encounters.new", _l("Log a conversation"), (Role.AGENT,)),
    NavItem("dashboard.index", _l("My figures"), (Role.AGENT,)),
    NavItem("encounters.review", _l("Encounters"), (Role.COORDINATOR,)),
    NavItem("geography.index", _l("Districts"), (Role.COORDINATOR,)),
    NavItem("exports.index", _l("Exports"), (Role.COORDINATOR, Role.MEMBER)),
    NavItem("accounts.index", _l("Accounts"), (Role.COORDINATOR,)),
    NavItem("audit.index", _l("Audit log"), (Role.COORDINATOR,)),
    NavItem("settings.index", _lp("the coordinators' page", "Settings"), (Role.COORDINATOR,)),
]


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: object
    current: bool


def nav_links() -> list[NavLink]:
    """The entries for the current user whose views exist in this app."""
    who = current_user.role if current_user.is_authenticated else ANONYMOUS
    blueprint = (request.endpoint or "").split(".")[0]
    return [
        NavLink(
            item.endpoint,
            item.label,
            request.endpoint == item.endpoint
            or (blueprint == item.endpoint.split(".")[0] and blueprint != "main"),
        )
        for item in NAV_ITEMS
        if who in item.audience and item.endpoint in current_app.view_functions
    ]
