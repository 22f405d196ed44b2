"""Who may do what: role checks for views and predicates for single objects."""

from collections.abc import Callable
from dataclasses import replace
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .models import Campaign, Encounter, Organisation, Role, User


def role_required(*roles: Role) -> Callable:
    """Let the view run only for logged-in users holding one of `roles`; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def organisation_ids(user: User) -> set[int]:
    return {m.organisation_id for m in user.memberships}


def can_view_agent(user: User, agent: User) -> bool:
    """Coordinators see every agent, agents themselves, members their organisation's agents."""
    if user.role is Role.COORDINATOR or user.id == agent.id:
        return True
    if user.role is Role.MEMBER:
        return bool(organisation_ids(user) & organisation_ids(agent))
    return False


def can_view_organisation(user: User, organisation: Organisation) -> bool:
    """Coordinators see every organisation; members and agents only their own."""
    if user.role is Role.COORDINATOR:
        return True
    return organisation.id in organisation_ids(user)


def can_view_encounter(user: User, encounter: Encounter) -> bool:
    """An agent sees only their own encounters; members their organisation's; coordinators all."""
    if user.role is Role.COORDINATOR:
        return True
    if user.role is Role.AGENT:
        return encounter.agent_id == user.id
    return encounter.organisation_id is not None and encounter.organisation_id in organisation_ids(
        user
    )


def sees_all_campaigns(user: User) -> bool:
    """Coordinators and agents see every campaign; members only some."""
    return user.role in (Role.COORDINATOR, Role.AGENT)


def can_view_campaign(user: User, campaign: Campaign) -> bool:
    """Coordinators and agents see every campaign; members those of their organisations."""
    if sees_all_campaigns(user):
        return True
    return bool(organisation_ids(user) & {o.id for o in campaign.organisations})


def can_view_statistics(user: User, organisation_id: int | None) -> bool:
    """Network statistics: coordinators see any view; members only a view limited to one
    of their organisations; agents have their own figures page instead."""
    if user.role is Role.COORDINATOR:
        return True
    if user.role is Role.MEMBER:
        return organisation_id is not None and organisation_id in organisation_ids(user)
    return False


def statistics_scope(user: User, parsed):
    """The view `user` may see for the filters asked (a `ParsedFilters`): a member who
    names no organisation gets their own; anything out of scope is a 403."""
    if user.role is Role.MEMBER and parsed.organisation is None:
        memberships = sorted(user.memberships, key=lambda m: m.organisation_id)
        if memberships:
            organisation = memberships[0].organisation
            parsed = replace(
                parsed,
                organisation=organisation,
                filters=replace(parsed.filters, organisation_id=organisation.id),
            )
    if not can_view_statistics(user, parsed.filters.organisation_id):
        abort(403)
    return parsed
