"""Small builders for fictional test data; each call commits in its own session."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache
from typing import Any

from stdnum import luhn
from werkzeug.security import generate_password_hash

from kb.auth.models import Role, User
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit

_counter = itertools.count(1)


@cache
def _default_hash() -> str:
    return generate_password_hash(Factory.PASSWORD)


def fictional_org_number(number: int) -> str:
    """Return a checksum-valid organisation number in a range no test relies on being real."""
    base = f"55990{number % 10000:04d}"
    digits = base + luhn.calc_check_digit(base)
    return f"{digits[:6]}-{digits[6:]}"


class Factory:
    PASSWORD = "Testlösenord-123"

    def __init__(self, app_db: Callable) -> None:
        self._app_db = app_db

    def _save(self, obj: Any) -> int:
        with self._app_db() as session:
            session.add(obj)
            session.commit()
            return obj.id

    def organisation(
        self,
        name: str | None = None,
        kind: OrganisationKind = OrganisationKind.MUNICIPALITY,
        member_of: int | None = None,
    ) -> int:
        number = next(_counter)
        return self._save(
            Organisation(name=name or f"Testkommun {number}", kind=kind, member_of_id=member_of)
        )

    def user(
        self,
        *roles: Role,
        organisation: int | None = None,
        email: str | None = None,
        active: bool = True,
        password: str | None = None,
    ) -> int:
        organisation = organisation or self.organisation()
        number = next(_counter)
        user = User(
            name=f"Testperson {number}",
            email=email or f"person{number}@kommun.example",
            organisation_id=organisation,
            active=active,
        )
        user.password_hash = generate_password_hash(password) if password else _default_hash()
        user.set_roles(set(roles) or {Role.CASEWORKER})
        return self._save(user)

    def email_of(self, user_id: int) -> str:
        with self._app_db() as session:
            return session.get(User, user_id).email

    def agreement_area(self, name: str | None = None) -> int:
        number = next(_counter)
        return self._save(
            AgreementArea(name=name or f"Testområde {number}", category=AreaCategory.IFO)
        )

    def supplier(self, name: str | None = None) -> int:
        number = next(_counter)
        return self._save(
            Supplier(
                name=name or f"Påhittad Omsorg {number} AB",
                org_number=fictional_org_number(number),
                legal_form=LegalForm.AKTIEBOLAG,
            )
        )

    def unit(self, supplier: int | None = None, **fields: Any) -> int:
        supplier = supplier or self.supplier()
        number = next(_counter)
        return self._save(
            Unit(supplier_id=supplier, name=fields.pop("name", f"Testgården {number}"), **fields)
        )
