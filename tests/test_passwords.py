"""Password rules, scrypt hashing with rehash at sign-in, and where a password is set: the
admin's user form and the user's own "Byt lösenord" page."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from config import TestConfig
from kb import create_app
from kb.auth.models import Role, User
from kb.auth.passwords import (
    HASH_METHOD,
    MAX_LENGTH,
    common_passwords,
    hash_password,
    needs_rehash,
    password_problems,
)
from kb.organisations.models import OrganisationKind
from tests.conftest import post_form
from tests.factories import Factory

GOOD = "fyra hästar dricker kaffe"
EMAIL = "anna.berglund@kommun.example"
NAME = "Anna Berglund"


@pytest.fixture(scope="module")
def request_context(tmp_path_factory):
    app = create_app(TestConfig, {"INSTANCE_PATH": tmp_path_factory.mktemp("losen")})
    with app.test_request_context():
        yield


def problems(password: str, min_length: int = 12) -> list[str]:
    return password_problems(password, min_length, email=EMAIL, name=NAME)


def test_a_good_passphrase_has_no_problems(request_context):
    assert problems(GOOD) == []
    assert problems("Blåbärssylt9") == []  # exactly 12 characters


@pytest.mark.parametrize(
    ("password", "min_length", "message"),
    [
        ("Kort-lösen1", 12, "Lösenordet måste ha minst 12 tecken."),
        ("Blåbärssylt9", 16, "Lösenordet måste ha minst 16 tecken."),
        ("a" * (MAX_LENGTH + 1), 12, f"Lösenordet får ha högst {MAX_LENGTH} tecken."),
        ("aaaaaaaaaaaa", 12, "upprepar för få olika tecken"),
        ("abababababab", 12, "upprepar för få olika tecken"),
        ("121212121212", 12, "upprepar för få olika tecken"),
        ("197001011234", 12, "får inte bara vara siffror"),
        ("0701234567890", 12, "får inte bara vara siffror"),
        ("sommar2024!!", 12, "för vanligt"),
        ("Sommar2024-!", 12, "för vanligt"),
        ("lösenord1234", 12, "för vanligt"),
        ("LÖSENORD123!", 12, "för vanligt"),
        ("Välkommen2026", 12, "för vanligt"),
        ("!!Qwertyuiop1", 12, "för vanligt"),
        ("Kunskapsbanken1", 12, "för vanligt"),
        ("Berglund-i-skogen", 12, "ditt namn eller din e-postadress"),
        ("mitt anna-lösen 77", 12, "ditt namn eller din e-postadress"),
        ("anna.berglund99", 12, "ditt namn eller din e-postadress"),
    ],
)
def test_each_rule_refuses_with_a_swedish_message(request_context, password, min_length, message):
    found = problems(password, min_length)
    assert found, password
    assert any(message in text for text in found), found


def test_the_exact_maximum_is_allowed(request_context):
    longest = ("Tre små grisar " * 20)[:MAX_LENGTH]
    assert len(longest) == MAX_LENGTH
    assert problems(longest) == []
    assert problems(longest + "x")


def test_the_bundled_list_holds_swedish_favourites():
    listed = common_passwords()
    assert {"sommar2024", "lösenord123", "välkommen", "password", "qwerty"} <= listed
    assert all(entry == entry.strip().casefold() for entry in listed)


def test_hashes_are_scrypt_and_older_methods_need_a_rehash():
    stored = hash_password(GOOD)
    assert stored.startswith("scrypt:") and stored.startswith(HASH_METHOD + "$")
    assert not needs_rehash(stored)
    assert needs_rehash(generate_password_hash(GOOD, method="pbkdf2:sha256:600000"))
    assert needs_rehash(generate_password_hash(GOOD, method="scrypt:16384:8:1"))


def test_an_older_hash_is_replaced_at_sign_in_without_ending_sessions(client, make, app_db, login):
    user_id = make.user(Role.CASEWORKER)
    with app_db() as session:
        user = session.get(User, user_id)
        user.password_hash = generate_password_hash(Factory.PASSWORD, method="pbkdf2:sha256:1000")
        session.commit()
        version = user.session_version
    wrong = post_form(client, "/logga-in", {"email": make.email_of(user_id), "password": "fel"})
    assert wrong.status_code == 401
    with app_db() as session:
        assert session.get(User, user_id).password_hash.startswith("pbkdf2:")
    login(make.email_of(user_id))
    with app_db() as session:
        user = session.get(User, user_id)
        assert user.password_hash.startswith(HASH_METHOD + "$")
        assert user.check_password(Factory.PASSWORD)
        assert user.session_version == version
    assert client.get("/").status_code == 200


# --- The admin's user form -----------------------------------------------------------------


@pytest.fixture
def admin(make, login) -> int:
    intermediary = make.organisation("Lösenförbundet", kind=OrganisationKind.INTERMEDIARY)
    admin_id = make.user(Role.ADMIN, organisation=intermediary)
    login(make.email_of(admin_id))
    return admin_id


def new_user_form(organisation: int, password: str) -> dict:
    return {
        "name": NAME,
        "email": EMAIL,
        "organisation_id": str(organisation),
        "roles": ["caseworker"],
        "active": "y",
        "password": password,
    }


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kort", "minst 12 tecken"),
        ("Sommar2024!!", "för vanligt"),
        ("Berglund-i-skogen", "ditt namn eller din e-postadress"),
        ("111111111111", "för få olika tecken"),
    ],
)
def test_admin_cannot_create_a_user_with_a_weak_password(
    client, admin, make, app_db, password, message
):
    response = post_form(
        client, "/admin/anvandare/ny", new_user_form(make.organisation(), password)
    )
    assert response.status_code == 200
    assert message in response.text
    with app_db() as session:
        assert session.scalar(select(User).where(User.email == EMAIL)) is None


def test_admin_sets_a_good_password_stored_as_scrypt(client, admin, make, app_db):
    response = post_form(client, "/admin/anvandare/ny", new_user_form(make.organisation(), GOOD))
    assert response.status_code == 302, response.text
    with app_db() as session:
        stored = session.scalar(select(User.password_hash).where(User.email == EMAIL))
    assert stored.startswith("scrypt:")


def test_admin_edit_with_a_weak_password_keeps_the_old_one(client, admin, make, app_db):
    user_id = make.user(Role.CASEWORKER, email=EMAIL)
    with app_db() as session:
        user = session.get(User, user_id)
        before = user.password_hash
        form = new_user_form(user.organisation_id, "lösenord123!")
    form["name"] = "Anna Berglund"
    response = post_form(client, f"/admin/anvandare/{user_id}", form)
    assert "för vanligt" in response.text
    with app_db() as session:
        assert session.get(User, user_id).password_hash == before


def test_admin_changing_their_own_password_stays_signed_in(client, admin, app_db):
    with app_db() as session:
        me = session.get(User, admin)
        form = {
            "name": me.name,
            "email": me.email,
            "organisation_id": str(me.organisation_id),
            "roles": ["admin"],
            "active": "y",
            "password": GOOD,
        }
        version = me.session_version
    assert post_form(client, f"/admin/anvandare/{admin}", form).status_code == 302
    assert client.get("/admin/anvandare").status_code == 200
    with app_db() as session:
        assert session.get(User, admin).session_version == version + 1


# --- Byt lösenord ---------------------------------------------------------------------------


def change(client, current: str, new: str, repeat: str | None = None):
    return post_form(
        client,
        "/profil/losenord",
        {
            "current_password": current,
            "new_password": new,
            "repeat_password": new if repeat is None else repeat,
        },
    )


def test_the_page_needs_sign_in_and_is_linked_from_the_profile(client, make, login):
    assert client.get("/profil/losenord").status_code == 302
    login(make.email_of(make.user(Role.CASEWORKER)))
    assert 'href="/profil/losenord"' in client.get("/profil").text
    page = client.get("/profil/losenord")
    assert page.status_code == 200
    assert "Nuvarande lösenord" in page.text and "minst 12 tecken" in page.text


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        ("fel-lösenord", GOOD, None, "Det nuvarande lösenordet stämmer inte."),
        (Factory.PASSWORD, GOOD, GOOD + "!", "Lösenorden är inte likadana."),
        (Factory.PASSWORD, "sommar2024!!", None, "för vanligt"),
        (Factory.PASSWORD, "kort", None, "minst 12 tecken"),
        (Factory.PASSWORD, Factory.PASSWORD, None, "måste skilja sig från det nuvarande"),
        (Factory.PASSWORD, "", None, "Fyll i ett nytt lösenord."),
    ],
)
def test_a_refused_change_explains_itself_and_changes_nothing(
    client, make, login, app_db, current, new, repeat, message
):
    user_id = make.user(Role.CASEWORKER)
    login(make.email_of(user_id))
    with app_db() as session:
        before = session.get(User, user_id)
        before_hash, before_version = before.password_hash, before.session_version
    response = change(client, current, new, repeat)
    assert response.status_code == 400
    assert message in response.text
    with app_db() as session:
        after = session.get(User, user_id)
        assert (after.password_hash, after.session_version) == (before_hash, before_version)
    assert client.get("/").status_code == 200


def test_a_changed_password_works_and_the_old_one_does_not(client, make, login, app_db):
    user_id = make.user(Role.CASEWORKER)
    email = make.email_of(user_id)
    login(email)
    response = change(client, Factory.PASSWORD, GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/profil"
    page = client.get("/profil")
    assert page.status_code == 200
    assert "Ditt lösenord är bytt" in page.text
    with app_db() as session:
        assert session.get(User, user_id).password_hash.startswith("scrypt:")
    post_form(client, "/logga-ut", {}, form_url="/")
    old = post_form(client, "/logga-in", {"email": email, "password": Factory.PASSWORD})
    assert old.status_code == 401
    assert post_form(client, "/logga-in", {"email": email, "password": GOOD}).status_code == 302
