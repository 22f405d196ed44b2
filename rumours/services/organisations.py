"""Organisation writes: create, edit, add and remove members. Callers own the transaction."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from ..extensions import db
from ..models import Membership, Organisation, OrganisationType, User
from ..rules.accounts import normalise_email
from ..rules.errors import DomainError
from ..rules.inputs import check_dates
from . import free_slug, record_audit


@dataclass
class OrganisationData:
    name: str
    type: OrganisationType
    district_id: int | None
    contact_name: str | None
    contact_email: str | None
    joined_on: date | None
    active: bool


def create_organisation(data: OrganisationData, *, actor: User) -> Organisation:
    """Coordinators: add an organisation to the network."""
    check_dates(joined_on=data.joined_on)
    organisation = Organisation(
        slug=free_slug(Organisation, data.name, fallback="organisation"), **vars(data)
    )
    db.session.add(organisation)
    db.session.flush()
    record_audit("organisation.create", "organisation", organisation.id, actor=actor)
    return organisation


def update_organisation(organisation: Organisation, data: OrganisationData, *, actor: User) -> None:
    """Coordinators: change an organisation's details."""
    check_dates(joined_on=data.joined_on)
    for key, value in vars(data).items():
        setattr(organisation, key, value)
    record_audit("organisation.update", "organisation", organisation.id, actor=actor)
    db.session.flush()


def add_member(organisation: Organisation, email: str, *, actor: User) -> User:
    """Coordinators: link an existing account (agent or member) to the organisation."""
    user = db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
    if user is None:
        raise DomainError(_("No account uses this e-mail. Invite the person first."), "email")
    if db.session.get(Membership, (user.id, organisation.id)) is not None:
        raise DomainError(_("This person already belongs to the organisation."), "email")
    db.session.add(Membership(user_id=user.id, organisation_id=organisation.id))
    record_audit(
        "organisation.add_member",
        "organisation",
        organisation.id,
        actor=actor,
        details={"user_id": user.id},
    )
    db.session.flush()
    return user


def remove_member(organisation: Organisation, user_id: int, *, actor: User) -> None:
    """Coordinators: unlink a person from the organisation."""
    membership = db.session.get(Membership, (user_id, organisation.id))
    if membership is None:
        raise DomainError(_("This person does not belong to the organisation."))
    db.session.delete(membership)
    record_audit(
        "organisation.remove_member",
        "organisation",
        organisation.id,
        actor=actor,
        details={"user_id": user_id},
    )
    db.session.flush()
