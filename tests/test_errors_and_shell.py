"""Error pages, the layout shell and role-dependent navigation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.auth.models import Role
from kb.extensions import db as kb_db
from kb.organisations.models import Organisation, OrganisationKind


def test_404_page_is_in_swedish(client, make, login):
    login(make.email_of(make.user(Role.CASEWORKER)))
    response = client.get("/finns-inte")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Sidan finns inte" in page and 'lang="sv"' in page


def test_unexpected_error_gives_a_swedish_500_page_and_rolls_back(app, client, make, login, app_db):
    @app.route("/krasch-test")
    def crash() -> str:
        kb_db.session.add(Organisation(name="Kraschby", kind=OrganisationKind.MUNICIPALITY))
        kb_db.session.flush()
        raise RuntimeError("oväntat")

    app.config["PROPAGATE_EXCEPTIONS"] = False

    login(make.email_of(make.user(Role.CASEWORKER)))
    response = client.get("/krasch-test")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Något gick fel" in page
    assert "Ingenting av det du sparat tidigare har gått förlorat" in page
    assert "RuntimeError" not in page
    with app_db() as session:
        assert session.scalar(select(Organisation).where(Organisation.name == "Kraschby")) is None


def test_oversized_request_gets_413_in_swedish(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/logga-in", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "För stor begäran" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (Role.CASEWORKER, ["Start"], ["Ändringslogg", "Användare", "Organisationer"]),
        (Role.CURATOR, ["Start", "Ändringslogg"], ["Användare", "Organisationer"]),
        (Role.ADMIN, ["Start", "Ändringslogg", "Användare", "Organisationer"], []),
    ],
)
def test_navigation_depends_on_role(client, make, login, role, visible, hidden):
    login(make.email_of(make.user(role)))
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Huvudmeny"') : page.index("</nav>")]
    for label in visible:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


def test_layout_has_landmarks_skip_link_and_viewport(client, make, login):
    login(make.email_of(make.user(Role.CASEWORKER)))
    page = client.get("/").get_data(as_text=True)
    for fragment in (
        "<header",
        '<main id="innehall"',
        "<footer",
        'href="#innehall"',
        'name="viewport"',
        'aria-current="page"',
    ):
        assert fragment in page


def test_flash_message_is_shown_after_sign_out(client, make, login):
    from tests.conftest import post_form

    login(make.email_of(make.user(Role.CASEWORKER)))
    post_form(client, "/logga-ut", {}, form_url="/")
    assert "Du är utloggad." in client.get("/logga-in").get_data(as_text=True)


def test_start_page_shows_a_user_with_several_roles_every_block(client, make, login):
    login(make.email_of(make.user(Role.CASEWORKER, Role.CURATOR)))
    page = client.get("/").get_data(as_text=True)
    assert "Berätta hur en placering gick" in page
    assert "föreslagna lärdomar att pröva" in page
