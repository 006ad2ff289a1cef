"""Sessions end everywhere on a password change and on deactivation: the session id carries
users.session_version, and only the current version of an active user signs anyone in.
Also the session and remember cookie flags, read from real Set-Cookie headers, in the test
configuration and in the production configuration."""

from __future__ import annotations

import importlib

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import select

import config
from kb import create_app
from kb.api.models import ApiToken
from kb.auth.models import Role, User
from kb.organisations.models import OrganisationKind
from tests.conftest import post_form
from tests.factories import Factory
from tests.test_api_tokens import bearer, error_code, make_token
from tests.test_security_headers import dispose

NEW_PASSWORD = "fem gröna ankor simmar"


def signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in {200, 302}
    return response.status_code == 200


def sign_in(client, email: str, password: str = Factory.PASSWORD) -> None:
    response = post_form(client, "/logga-in", {"email": email, "password": password})
    assert response.status_code == 302, response.text[:300]


def version_of(app_db, user_id: int) -> int:
    with app_db() as session:
        return session.get(User, user_id).session_version


def test_a_password_change_ends_every_other_session_but_not_this_one(app, make, app_db):
    user_id = make.user(Role.CASEWORKER)
    email = make.email_of(user_id)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, email)
    sign_in(phone, email)
    assert signed_in(laptop) and signed_in(phone)
    before = version_of(app_db, user_id)
    changed = post_form(
        laptop,
        "/profil/losenord",
        {
            "current_password": Factory.PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert version_of(app_db, user_id) == before + 1
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert phone.get("/erfarenheter/mina").headers["Location"].startswith("/logga-in")
    sign_in(phone, email, NEW_PASSWORD)
    assert signed_in(phone) and signed_in(laptop)


@pytest.fixture
def admin_client(app, make):
    intermediary = make.organisation("Sessionsförbundet", kind=OrganisationKind.INTERMEDIARY)
    client = app.test_client()
    sign_in(client, make.email_of(make.user(Role.ADMIN, organisation=intermediary)))
    return client


def admin_form(app_db, user_id: int, **changes) -> dict:
    with app_db() as session:
        user = session.get(User, user_id)
        form = {
            "name": user.name,
            "email": user.email,
            "organisation_id": str(user.organisation_id),
            "roles": sorted(role.value for role in user.roles),
            "active": "y",
            "password": "",
        }
    return {key: value for key, value in (form | changes).items() if value is not None}


def test_deactivation_by_the_admin_ends_sessions_and_api_tokens_at_once(
    app, admin_client, make, app_db
):
    user_id = make.user(Role.CASEWORKER)
    user_client, api_client = app.test_client(), app.test_client()
    sign_in(user_client, make.email_of(user_id))
    secret = make_token(app_db, user_id)
    assert api_client.get("/api/v1/units", headers=bearer(secret)).status_code == 200

    saved = post_form(
        admin_client, f"/admin/anvandare/{user_id}", admin_form(app_db, user_id, active=None)
    )
    assert saved.status_code == 302
    assert not signed_in(user_client)
    refused = api_client.get("/api/v1/units", headers=bearer(secret))
    assert refused.status_code == 401 and error_code(refused) == "user_inactive"

    # Reactivated, the account signs in again, but the old cookie stays dead.
    old_cookie = user_client.get_cookie("session")
    saved = post_form(admin_client, f"/admin/anvandare/{user_id}", admin_form(app_db, user_id))
    assert saved.status_code == 302
    revived = app.test_client()
    revived.set_cookie("session", old_cookie.value)
    assert not signed_in(revived)
    sign_in(revived, make.email_of(user_id))
    assert signed_in(revived)


def test_an_admin_set_password_ends_the_users_sessions(app, admin_client, make, app_db):
    user_id = make.user(Role.CASEWORKER)
    user_client = app.test_client()
    sign_in(user_client, make.email_of(user_id))
    form = admin_form(app_db, user_id, password=NEW_PASSWORD)
    assert post_form(admin_client, f"/admin/anvandare/{user_id}", form).status_code == 302
    assert not signed_in(user_client)
    assert signed_in(admin_client)


def test_an_edit_that_changes_neither_keeps_the_sessions(app, admin_client, make, app_db):
    user_id = make.user(Role.CASEWORKER)
    user_client = app.test_client()
    sign_in(user_client, make.email_of(user_id))
    before = version_of(app_db, user_id)
    form = admin_form(app_db, user_id, name="Nytt Namn", roles=["caseworker", "coordinator"])
    assert post_form(admin_client, f"/admin/anvandare/{user_id}", form).status_code == 302
    assert version_of(app_db, user_id) == before
    assert signed_in(user_client)


def test_session_ids_hold_the_version_and_other_forms_sign_no_one_in(app, client, make, app_db):
    user_id = make.user(Role.CASEWORKER)
    sign_in(client, make.email_of(user_id))
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{user_id}:1"
    for forged in (str(user_id), f"{user_id}:2", f"{user_id}:0", f"{user_id}:1:1", "x:1", ""):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert not signed_in(client), forged
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"
    assert signed_in(client)


def test_a_remember_cookie_of_an_older_version_signs_no_one_in(app, make, app_db):
    """No page sets a remember cookie; one made with the app's key still goes through the
    same loader, so after a password change an older one is refused."""
    user_id = make.user(Role.CASEWORKER)
    with app.app_context():
        current = encode_cookie(f"{user_id}:1")
    remembered = app.test_client()
    remembered.set_cookie("remember_token", current)
    assert signed_in(remembered)
    with app_db() as session:
        session.get(User, user_id).set_password(NEW_PASSWORD)
        session.commit()
    stale = app.test_client()
    stale.set_cookie("remember_token", current)
    assert not signed_in(stale)
    with app.app_context():
        renewed = encode_cookie(f"{user_id}:2")
    fresh = app.test_client()
    fresh.set_cookie("remember_token", renewed)
    assert signed_in(fresh)


def test_sign_in_sets_no_remember_cookie(client, make):
    response = post_form(
        client, "/logga-in", {"email": make.email_of(make.user()), "password": Factory.PASSWORD}
    )
    names = [header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")]
    assert names == ["session"]


def test_new_users_start_at_version_one_and_reactivation_does_not_raise_it(app_db, make):
    user_id = make.user(Role.CASEWORKER)
    assert version_of(app_db, user_id) == 1
    with app_db() as session:
        user = session.get(User, user_id)
        user.active = False
        session.commit()
        assert user.session_version == 2
        user.active = True
        user.active = True
        session.commit()
        assert user.session_version == 2
        assert session.scalar(select(ApiToken)) is None


# --- Cookie flags -----------------------------------------------------------------------------


def session_cookie(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def attributes(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_test_configuration_cookie_is_httponly_lax_and_not_secure(client, make):
    response = post_form(
        client, "/logga-in", {"email": make.email_of(make.user()), "password": Factory.PASSWORD}
    )
    cookie = session_cookie(response)
    assert "httponly" in attributes(cookie) and "SameSite=Lax" in cookie
    assert "secure" not in attributes(cookie)


@pytest.fixture
def production_config(monkeypatch):
    """The real Config as KB_ENV=production makes it (module reloaded, restored after)."""
    monkeypatch.setenv("KB_ENV", "production")
    monkeypatch.delenv("KB_SECURE_COOKIES", raising=False)
    module = importlib.reload(config)
    yield module.Config
    monkeypatch.undo()
    importlib.reload(config)


def test_production_cookies_are_secure_httponly_and_lax(
    production_config, database_url, tmp_path, make
):
    assert production_config.ENVIRONMENT == "production"
    assert production_config.REMEMBER_COOKIE_SECURE is True
    assert production_config.REMEMBER_COOKIE_HTTPONLY is True
    assert production_config.REMEMBER_COOKIE_SAMESITE == "Lax"
    app = create_app(
        production_config,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": tmp_path / "prod",
            "SECRET_KEY": "produktionsprov-" + "x" * 32,
            "SEARCH_SYNC": "off",
        },
    )
    try:
        check_production_sign_in(app, make)
    finally:
        dispose(app)


def check_production_sign_in(app, make) -> None:
    client = app.test_client()
    base = {"base_url": "https://kb.example"}
    page = client.get("/logga-in", **base)
    assert page.status_code == 200
    from tests.conftest import csrf_token_from

    response = client.post(
        "/logga-in",
        data={
            "email": make.email_of(make.user()),
            "password": Factory.PASSWORD,
            "csrf_token": csrf_token_from(page.text),
        },
        headers={"Referer": "https://kb.example/logga-in"},
        **base,
    )
    assert response.status_code == 302, response.text[:300]
    cookie = session_cookie(response)
    assert {"secure", "httponly"} <= attributes(cookie)
    assert "SameSite=Lax" in cookie
    assert client.get("/", **base).status_code == 200
