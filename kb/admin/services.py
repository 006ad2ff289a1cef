"""Organisation and user administration. Services flush; the view commits."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from stdnum.se import orgnr

from kb.auth.models import Role, User
from kb.auth.passwords import password_problems
from kb.extensions import db
from kb.organisations.models import Organisation, OrganisationKind


class AdminError(ValueError):
    """A rule was broken; the message is shown to the administrator."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OrganisationData:
    name: str
    kind: OrganisationKind
    org_number: str | None
    member_of_id: int | None


@dataclass(frozen=True)
class UserData:
    name: str
    email: str
    organisation_id: int
    roles: set[Role]
    active: bool
    password: str | None


def normalise_org_number(value: str | None) -> str | None:
    return orgnr.format(value) if value else None


def _check_organisation(data: OrganisationData, organisation: Organisation | None) -> None:
    own_id = organisation.id if organisation else None
    duplicate = db.session.scalar(
        select(Organisation.id).where(
            func.lower(Organisation.name) == data.name.strip().lower(), Organisation.id != own_id
        )
    )
    if duplicate:
        raise AdminError(_("Det finns redan en organisation med det namnet."), "name")
    number = normalise_org_number(data.org_number)
    if number and db.session.scalar(
        select(Organisation.id).where(Organisation.org_number == number, Organisation.id != own_id)
    ):
        raise AdminError(_("Organisationsnumret används redan."), "org_number")
    if data.member_of_id is None:
        return
    parent = db.session.get(Organisation, data.member_of_id)
    if parent is None or parent.kind != OrganisationKind.INTERMEDIARY or parent.id == own_id:
        raise AdminError(
            _("En organisation kan bara vara medlem i en intermediär."), "member_of_id"
        )
    if data.kind == OrganisationKind.INTERMEDIARY:
        raise AdminError(
            _("En intermediär kan inte vara medlem i en annan intermediär."), "member_of_id"
        )


def save_organisation(
    data: OrganisationData, organisation: Organisation | None = None
) -> Organisation:
    _check_organisation(data, organisation)
    organisation = organisation or Organisation()
    organisation.name = data.name.strip()
    organisation.kind = data.kind
    organisation.org_number = normalise_org_number(data.org_number)
    organisation.member_of_id = data.member_of_id
    db.session.add(organisation)
    db.session.flush()
    return organisation


def save_user(data: UserData, user: User | None = None, acting_user_id: int | None = None) -> User:
    if user is not None and user.id == acting_user_id:
        if not data.active:
            raise AdminError(_("Du kan inte inaktivera ditt eget konto."), "active")
        if Role.ADMIN in user.roles and Role.ADMIN not in data.roles:
            raise AdminError(_("Du kan inte ta bort din egen administratörsroll."), "roles")
    email = data.email.strip().lower()
    own_id = user.id if user else None
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email, User.id != own_id)):
        raise AdminError(_("E-postadressen används redan av ett annat konto."), "email")
    if db.session.get(Organisation, data.organisation_id) is None:
        raise AdminError(_("Välj en organisation."), "organisation_id")
    if user is None and not data.password:
        raise AdminError(_("Ett nytt konto behöver ett lösenord."), "password")
    if data.password:
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        problems = password_problems(data.password, minimum, email=email, name=data.name)
        if problems:
            raise AdminError(" ".join(problems), "password")
    user = user or User()
    user.name = data.name.strip()
    user.email = email
    user.organisation_id = data.organisation_id
    user.active = data.active
    user.set_roles(data.roles)
    if data.password:
        user.set_password(data.password)
        user.failed_login_count = 0
        user.locked_until = None
    db.session.add(user)
    db.session.flush()
    return user


def organisations_for_select() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def intermediaries() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.INTERMEDIARY)
            .order_by(Organisation.name)
        )
    )
