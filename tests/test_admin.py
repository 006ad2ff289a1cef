from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.auth.models import Role, User
from kb.organisations.models import Organisation, OrganisationKind
from tests.conftest import post_form
from tests.factories import Factory

NEW_PASSWORD = "ett-långt-lösenord-2026"


@pytest.fixture
def admin(make, login) -> int:
    intermediary = make.organisation("Adminförbundet", kind=OrganisationKind.INTERMEDIARY)
    admin_id = make.user(Role.ADMIN, organisation=intermediary)
    login(make.email_of(admin_id))
    return admin_id


def organisation_count(app_db) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(Organisation.id)))


def test_admin_creates_a_member_municipality(client, admin, app_db):
    with app_db() as session:
        parent_id = session.scalar(
            select(Organisation.id).where(Organisation.name == "Adminförbundet")
        )
    response = post_form(
        client,
        "/admin/organisationer/ny",
        {
            "name": "Nyköpingsdal",
            "kind": "kommun",
            "org_number": "2129900219",
            "member_of_id": str(parent_id),
        },
    )
    assert response.status_code == 302
    with app_db() as session:
        created = session.scalar(select(Organisation).where(Organisation.name == "Nyköpingsdal"))
        assert created.member_of_id == parent_id
        assert created.org_number == "212990-0219"
    assert "Nyköpingsdal" in client.get("/admin/organisationer").get_data(as_text=True)


def test_invalid_organisation_number_is_refused_in_swedish(client, admin, app_db):
    before = organisation_count(app_db)
    response = post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "Felby", "kind": "kommun", "org_number": "212990-0218", "member_of_id": "0"},
    )
    assert response.status_code == 200
    assert "Organisationsnumret är inte giltigt" in response.get_data(as_text=True)
    assert organisation_count(app_db) == before


def test_intermediary_cannot_be_member_of_an_intermediary(client, admin, app_db):
    with app_db() as session:
        parent_id = session.scalar(
            select(Organisation.id).where(Organisation.name == "Adminförbundet")
        )
    response = post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "Underförbund", "kind": "intermediar", "member_of_id": str(parent_id)},
    )
    assert "En intermediär kan inte vara medlem" in response.get_data(as_text=True)


def test_duplicate_organisation_name_is_refused(client, admin, app_db):
    before = organisation_count(app_db)
    response = post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "adminförbundet", "kind": "kommun", "member_of_id": "0"},
    )
    assert "Det finns redan en organisation med det namnet." in response.get_data(as_text=True)
    assert organisation_count(app_db) == before


def test_overlong_name_gets_a_message_and_nothing_is_saved(client, admin, app_db):
    before = organisation_count(app_db)
    response = post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "x" * 5000, "kind": "kommun", "member_of_id": "0"},
    )
    assert response.status_code == 200
    assert "Formuläret innehåller fel" in response.get_data(as_text=True)
    assert organisation_count(app_db) == before


def test_unknown_choice_values_are_form_errors_not_crashes(client, admin, app_db):
    before = organisation_count(app_db)
    response = post_form(
        client,
        "/admin/organisationer/ny",
        {"name": "Hackby", "kind": "ogiltig", "member_of_id": "999999"},
    )
    assert response.status_code == 200
    assert organisation_count(app_db) == before


def test_admin_creates_a_user_with_roles_who_can_then_sign_in(client, admin, make, app_db):
    organisation = make.organisation("Kontoby")
    response = post_form(
        client,
        "/admin/anvandare/ny",
        {
            "name": "Ny Handläggare",
            "email": "Ny.Handlaggare@kontoby.example",
            "organisation_id": str(organisation),
            "roles": ["caseworker", "coordinator"],
            "active": "y",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app_db() as session:
        user = session.scalar(select(User).where(User.email == "ny.handlaggare@kontoby.example"))
        assert user.roles == {Role.CASEWORKER, Role.COORDINATOR}
    post_form(client, "/logga-ut", {}, form_url="/")
    signed_in = post_form(
        client, "/logga-in", {"email": "ny.handlaggare@kontoby.example", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_short_password_and_missing_roles_are_explained(client, admin, make, app_db):
    organisation = make.organisation()
    response = post_form(
        client,
        "/admin/anvandare/ny",
        {
            "name": "Kort",
            "email": "kort@kontoby.example",
            "organisation_id": str(organisation),
            "password": "kort",
        },
    )
    page = response.get_data(as_text=True)
    assert "Välj minst en roll." in page
    assert "minst 12" in page.lower() or "12 tecken" in page
    with app_db() as session:
        assert session.scalar(select(User).where(User.email == "kort@kontoby.example")) is None


def test_duplicate_email_is_refused(client, admin, make, app_db):
    existing = make.email_of(make.user(Role.CASEWORKER, email="upptagen@kontoby.example"))
    organisation = make.organisation()
    response = post_form(
        client,
        "/admin/anvandare/ny",
        {
            "name": "Dubblett",
            "email": existing.upper(),
            "organisation_id": str(organisation),
            "roles": ["caseworker"],
            "password": NEW_PASSWORD,
        },
    )
    assert "E-postadressen används redan" in response.get_data(as_text=True)


def test_admin_deactivates_a_user_and_keeps_the_password_when_left_blank(
    client, admin, make, app_db
):
    user_id = make.user(Role.CASEWORKER, email="avsluta@kontoby.example")
    with app_db() as session:
        user = session.get(User, user_id)
        form = {
            "name": user.name,
            "email": user.email,
            "organisation_id": str(user.organisation_id),
            "roles": ["caseworker"],
            "password": "",
        }
    response = post_form(client, f"/admin/anvandare/{user_id}", form)
    assert response.status_code == 302
    post_form(client, "/logga-ut", {}, form_url="/")
    refused = post_form(
        client, "/logga-in", {"email": "avsluta@kontoby.example", "password": Factory.PASSWORD}
    )
    assert "Kontot är inaktiverat" in refused.get_data(as_text=True)


def test_admin_cannot_lock_themself_out(client, admin, app_db):
    with app_db() as session:
        me = session.get(User, admin)
        form = {
            "name": me.name,
            "email": me.email,
            "organisation_id": str(me.organisation_id),
            "roles": ["caseworker"],
            "active": "y",
        }
    response = post_form(client, f"/admin/anvandare/{admin}", form)
    assert "Du kan inte ta bort din egen administratörsroll." in response.get_data(as_text=True)
    with app_db() as session:
        assert Role.ADMIN in session.get(User, admin).roles


@pytest.mark.parametrize("path", ["/admin/anvandare/999999", "/admin/organisationer/999999"])
def test_unknown_ids_give_a_swedish_404(client, admin, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.CURATOR, Role.PROCURER])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/anvandare",
        "/admin/anvandare/ny",
        "/admin/organisationer",
        "/admin/organisationer/ny",
    ],
)
def test_non_admins_get_403_on_admin_pages(client, make, login, role, path):
    login(make.email_of(make.user(role)))
    assert client.get(path).status_code == 403


def test_non_admin_post_is_refused_and_changes_nothing(client, make, login, app_db):
    login(make.email_of(make.user(Role.CURATOR)))
    before = organisation_count(app_db)
    response = post_form(
        client, "/admin/organisationer/ny", {"name": "Smygby", "kind": "kommun"}, form_url="/"
    )
    assert response.status_code == 403
    assert organisation_count(app_db) == before


def test_cli_bootstraps_an_installation(app, app_db):
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["kb", "create-organisation", "Startförbundet", "--kind", "intermediar"]
    )
    assert made.exit_code == 0, made.output
    member = runner.invoke(
        args=["kb", "create-organisation", "Startby", "--member-of", "Startförbundet"]
    )
    assert member.exit_code == 0, member.output
    bad = runner.invoke(args=["kb", "create-organisation", "Felby", "--org-number", "123"])
    assert bad.exit_code != 0 and "inte giltigt" in bad.output
    user = runner.invoke(
        args=[
            "kb",
            "create-user",
            "forsta@startforbundet.example",
            "--name",
            "Första Admin",
            "--organisation",
            "Startförbundet",
            "--role",
            "admin",
        ],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert user.exit_code == 0, user.output
    common = runner.invoke(
        args=[
            *("kb", "create-user", "andra@startforbundet.example", "--name", "Andra Admin"),
            *("--organisation", "Startförbundet"),
        ],
        input="Sommar2024!!!\nSommar2024!!!\n",
    )
    assert common.exit_code != 0 and "Lösenordet" in common.output
    with app_db() as session:
        assert (
            session.scalar(select(User).where(User.email == "andra@startforbundet.example")) is None
        )
        admin = session.scalar(select(User).where(User.email == "forsta@startforbundet.example"))
        assert admin.roles == {Role.ADMIN}
        assert admin.check_password(NEW_PASSWORD)
        assert (
            session.scalar(
                select(Organisation).where(Organisation.name == "Startby")
            ).member_of.name
            == "Startförbundet"
        )
