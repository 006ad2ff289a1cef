"""Sign-in limits: per account (a lock after LOGIN_MAX_FAILURES for LOGIN_LOCKOUT_MINUTES) and
per client address (LOGIN_IP_MAX_FAILURES within LOGIN_IP_WINDOW_MINUTES refuse every further
attempt from it with 429, for any account, until the window has passed). The address count
is in the database, so two app instances on one database (two workers) share it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from config import TestConfig
from kb import create_app
from kb.auth.models import LoginFailure, Role, User
from kb.auth.rate_limit import AddressLimit, record_failure, refused_until
from kb.database import utcnow
from tests.conftest import csrf_token_from
from tests.factories import Factory
from tests.test_security_headers import dispose

ATTACKER = "198.51.100.9"
NEIGHBOUR = "198.51.100.10"


def attempt(client, email: str, password: str, address: str = ATTACKER, **headers):
    """One sign-in from the given client address (a fresh form and CSRF token each time)."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/logga-in", environ_base=environ, headers=headers)
    return client.post(
        "/logga-in",
        data={"email": email, "password": password, "csrf_token": csrf_token_from(page.text)},
        environ_base=environ,
        headers=headers,
    )


def failures(app_db, address: str | None = None) -> int:
    with app_db() as session:
        query = select(func.count(LoginFailure.id))
        if address is not None:
            query = query.where(LoginFailure.ip_address == address)
        return session.scalar(query)


@pytest.fixture
def limited(app):
    app.config.update(LOGIN_IP_MAX_FAILURES=4, LOGIN_IP_WINDOW_MINUTES=10)
    return app


def test_the_account_lock_follows_its_settings(app, client, make, app_db):
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=7, LOGIN_IP_MAX_FAILURES=0)
    user_id = make.user(Role.CASEWORKER)
    email = make.email_of(user_id)
    for _ in range(2):
        assert "Fel e-postadress eller lösenord." in attempt(client, email, "fel").text
    third = attempt(client, email, "fel")
    assert third.status_code == 401 and "Kontot är spärrat till" in third.text
    with app_db() as session:
        locked_until = session.get(User, user_id).locked_until
    assert abs(locked_until - (utcnow() + timedelta(minutes=7))) < timedelta(seconds=30)
    right = attempt(client, email, Factory.PASSWORD)
    assert right.status_code == 401 and "Kontot är spärrat" in right.text
    assert client.get("/").status_code == 302
    with app_db() as session:
        session.get(User, user_id).locked_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert attempt(client, email, Factory.PASSWORD).status_code == 302


def test_failures_from_one_address_refuse_it_for_every_account(limited, client, make, app_db):
    emails = [make.email_of(make.user(Role.CASEWORKER)) for _ in range(3)]
    for email in (emails[0], emails[1], "finns.inte@test.invalid", emails[0]):
        assert attempt(client, email, "fel").status_code == 401
    assert failures(app_db, ATTACKER) == 4

    refused = attempt(client, emails[2], Factory.PASSWORD)  # another account, right password
    assert refused.status_code == 429
    assert "För många misslyckade inloggningar från din adress" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert client.get("/", environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 302
    assert failures(app_db, ATTACKER) == 4  # refused attempts are not counted
    with app_db() as session:  # nor does the refused attempt touch the account
        assert all(
            u.failed_login_count == 0 for u in session.scalars(select(User)) if u.email == emails[2]
        )

    other = attempt(client.application.test_client(), emails[2], Factory.PASSWORD, NEIGHBOUR)
    assert other.status_code == 302


def test_the_address_may_try_again_when_the_window_has_passed(limited, client, make, app_db):
    email = make.email_of(make.user(Role.CASEWORKER))
    for _ in range(4):
        attempt(client, "finns.inte@test.invalid", "fel")
    assert attempt(client, email, Factory.PASSWORD).status_code == 429
    with app_db() as session:  # the oldest failure leaves the window; three remain
        oldest = session.scalar(select(func.min(LoginFailure.id)))
        session.execute(
            update(LoginFailure)
            .where(LoginFailure.id == oldest)
            .values(occurred_at=utcnow() - timedelta(minutes=10, seconds=1))
        )
        session.commit()
    assert attempt(client, email, Factory.PASSWORD).status_code == 302


@pytest.fixture
def more_apps(database_url, tmp_path):
    """Make further apps on the test database, as further gunicorn workers would be."""
    made = []

    def make_app(**settings):
        app = create_app(
            TestConfig,
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": tmp_path / f"worker{len(made)}",
                "LOGIN_IP_MAX_FAILURES": 4,
                "LOGIN_IP_WINDOW_MINUTES": 10,
                **settings,
            },
        )
        made.append(app)
        return app

    yield make_app
    for app in made:
        dispose(app)


def test_two_workers_on_one_database_share_the_count(limited, more_apps, make):
    workers = [more_apps(), more_apps()]
    email = make.email_of(make.user(Role.CASEWORKER))
    for number in range(4):
        worker = workers[number % 2]
        assert attempt(worker.test_client(), email + "x", "fel").status_code == 401
    assert attempt(workers[0].test_client(), email, Factory.PASSWORD).status_code == 429
    assert attempt(workers[1].test_client(), email, Factory.PASSWORD).status_code == 429
    assert attempt(limited.test_client(), email, Factory.PASSWORD).status_code == 429


def test_behind_a_proxy_the_forwarded_address_counts(more_apps, make, app_db):
    proxied = more_apps(PROXY_FIX_HOPS=1)
    email = make.email_of(make.user(Role.CASEWORKER))
    proxy = "10.0.0.2"

    def through_proxy(client_address: str, email: str, password: str):
        forwarded = {"X-Forwarded-For": client_address}
        return attempt(proxied.test_client(), email, password, proxy, **forwarded)

    for _ in range(4):
        assert through_proxy("203.0.113.5", "finns.inte@test.invalid", "fel").status_code == 401
    assert failures(app_db, "203.0.113.5") == 4 and failures(app_db, proxy) == 0
    assert through_proxy("203.0.113.5", email, Factory.PASSWORD).status_code == 429
    assert through_proxy("203.0.113.6", email, Factory.PASSWORD).status_code == 302


def test_old_rows_are_pruned_when_a_failure_is_recorded(db):
    limit = AddressLimit(max_failures=3, window=timedelta(minutes=15))
    now = utcnow()
    for minutes in (16, 30, 60 * 24):
        db.session.add(
            LoginFailure(ip_address=NEIGHBOUR, occurred_at=now - timedelta(minutes=minutes))
        )
    db.session.add(LoginFailure(ip_address=NEIGHBOUR, occurred_at=now - timedelta(minutes=14)))
    db.session.flush()
    record_failure(ATTACKER, now, limit)
    rows = db.session.execute(select(LoginFailure.ip_address, LoginFailure.occurred_at)).all()
    assert sorted(address for address, _ in rows) == sorted([ATTACKER, NEIGHBOUR])
    assert all(now - occurred < limit.window for _, occurred in rows)


def test_refused_until_is_when_the_oldest_counted_failure_leaves_the_window(db):
    limit = AddressLimit(max_failures=3, window=timedelta(minutes=15))
    now = utcnow()
    ages = (1, 5, 9, 20)  # minutes ago; the one 20 minutes ago is outside the window
    for minutes in ages:
        db.session.add(
            LoginFailure(ip_address=ATTACKER, occurred_at=now - timedelta(minutes=minutes))
        )
    db.session.flush()
    assert refused_until(ATTACKER, now, limit) == now - timedelta(minutes=9) + limit.window
    assert refused_until(NEIGHBOUR, now, limit) is None
    assert refused_until(ATTACKER, now, AddressLimit(4, limit.window)) is None
    assert refused_until(ATTACKER, now, AddressLimit(0, limit.window)) is None
