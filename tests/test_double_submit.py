"""No duplicate from a double submit: every creating form carries a one-time key.

The key is made when the form is shown and saved in form_submissions in the transaction that
creates the object. A second post with the same key creates nothing and is sent to what the
first one created, with "Det här var redan sparat."; two posts racing each other create one.
Covered: follow-ups, deviations, supplier checks (one and a whole round) and findings.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import kb.checks.routes
import kb.deviations.routes
import kb.findings.routes
import kb.followups.routes
from kb.auth.models import User
from kb.findings.models import Finding
from kb.followups.models import Deviation, FollowUp, SupplierCheck
from kb.submissions.models import FormSubmission
from tests import followup_world, test_checks, test_deviations
from tests.conftest import csrf_token_from
from tests.factories import Factory
from tests.test_findings import finding_form

ALREADY_SAVED = "Det här var redan sparat."
STALE_FORM = "Formuläret var inaktuellt och har inte sparats."
FORM_KEY = re.compile(
    r'<input[^>]*name="form_key"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="form_key"'
)


@dataclass(frozen=True)
class CreatingForm:
    name: str
    world: Callable[[Any, Factory], Any]  # (session, make) -> world
    signs_in: Callable[[Any], str]
    url: Callable[[Any], str]
    data: Callable[[Any], dict]
    model: type
    service: tuple[object, str]  # the route module and the service it calls
    endpoint: str
    created: int = 1


CASES = [
    CreatingForm(
        "uppföljning",
        followup_world.build_followup_world,
        lambda world: world.coordinator,
        lambda world: "/uppfoljningar/ny",
        followup_world.followup_form,
        FollowUp,
        (kb.followups.routes, "save_followup"),
        "followups.new",
    ),
    CreatingForm(
        "avvikelse",
        test_deviations.build_followup_world,
        lambda world: world.coordinator,
        lambda world: "/avvikelser/ny",
        test_deviations.deviation_form,
        Deviation,
        (kb.deviations.routes, "record_deviation"),
        "deviations.new",
    ),
    CreatingForm(
        "kontroll",
        test_deviations.build_followup_world,
        lambda world: world.coordinator,
        lambda world: "/kontroller/ny",
        test_checks.check_form,
        SupplierCheck,
        (kb.checks.routes, "record_check"),
        "checks.new",
    ),
    CreatingForm(
        "kontroll av en omgång",
        test_deviations.build_followup_world,
        lambda world: world.coordinator,
        lambda world: f"/kontroller/omgang?omgang={world.round_id}",
        test_checks.batch_form,
        SupplierCheck,
        (kb.checks.routes, "record_batch"),
        "checks.batch",
        created=2,
    ),
    CreatingForm(
        "lärdom",
        followup_world.build_followup_world,
        lambda world: world.curator,
        lambda world: "/lardomar/ny",
        finding_form,
        Finding,
        (kb.findings.routes, "save_finding"),
        "findings.new",
    ),
]
BY_NAME = pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token_from(client.get("/logga-in").get_data(as_text=True))
    response = client.post(
        "/logga-in", data={"email": email, "password": Factory.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


class ShownForm:
    """A creating form as the browser got it: CSRF token and one-time key."""

    def __init__(self, client: FlaskClient, url: str) -> None:
        html = client.get(url).get_data(as_text=True)
        self.client, self.url = client, url
        self.token = csrf_token_from(html)
        self.key = form_key_on(html)

    def post(self, data: dict, key: str | None = None):
        fields = {**data, "csrf_token": self.token, "form_key": self.key if key is None else key}
        return self.client.post(self.url, data=fields)


def form_key_on(html: str) -> str:
    found = [a or b for a, b in FORM_KEY.findall(html)]
    assert len(found) == 1, "expected one form_key field"
    return found[0]


def count(app_db, model: type) -> int:
    with app_db() as session:
        return session.scalar(select(func.count(model.id)))


def submissions(app_db) -> list[tuple]:
    with app_db() as session:
        return session.execute(
            select(
                FormSubmission.key,
                FormSubmission.user_id,
                FormSubmission.endpoint,
                FormSubmission.result_url,
            )
        ).all()


def user_id(app_db, email: str) -> int:
    with app_db() as session:
        return session.scalar(select(User.id).where(User.email == email))


def build(case: CreatingForm, app_db, make) -> Any:
    with app_db() as session:
        return case.world(session, make)


@BY_NAME
def test_a_second_submit_creates_nothing_and_shows_the_first(app, app_db, make, case):
    world = build(case, app_db, make)
    client = signed_in(app, case.signs_in(world))
    form = ShownForm(client, case.url(world))
    before = count(app_db, case.model)

    first = form.post(case.data(world))
    second = form.post(case.data(world))

    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert count(app_db, case.model) == before + case.created
    assert ALREADY_SAVED in client.get(second.headers["Location"]).get_data(as_text=True)
    assert submissions(app_db) == [
        (form.key, user_id(app_db, case.signs_in(world)), case.endpoint, first.headers["Location"])
    ]


@BY_NAME
def test_two_submits_racing_each_other_create_one(app, app_db, make, case, monkeypatch):
    """Injected: a barrier in front of the creating service, so that both requests have found
    the key unused before either of them saves; the second then fails on the key's primary
    key, rolls back and is sent to the first one's result."""
    world = build(case, app_db, make)
    email = case.signs_in(world)
    first = ShownForm(signed_in(app, email), case.url(world))
    second = ShownForm(signed_in(app, email), case.url(world))
    barrier = threading.Barrier(2, timeout=30)
    module, name = case.service
    real_service = getattr(module, name)

    def service_together(*args, **kwargs):
        barrier.wait()
        return real_service(*args, **kwargs)

    monkeypatch.setattr(module, name, service_together)
    before = count(app_db, case.model)
    responses: dict[str, Any] = {}

    def post(label: str, form: ShownForm) -> None:
        responses[label] = form.post(case.data(world), key=first.key)

    threads = [
        threading.Thread(target=post, args=("first", first)),
        threading.Thread(target=post, args=("second", second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [responses[label].status_code for label in ("first", "second")] == [302, 302]
    assert responses["first"].headers["Location"] == responses["second"].headers["Location"]
    assert count(app_db, case.model) == before + case.created
    assert [row.key for row in submissions(app_db)] == [first.key]


@BY_NAME
def test_a_form_shown_after_an_error_keeps_its_key_and_nothing_is_stored(app, app_db, make, case):
    world = build(case, app_db, make)
    client = signed_in(app, case.signs_in(world))
    form = ShownForm(client, case.url(world))
    empty = {name: "" for name in case.data(world)}

    refused = form.post(empty)

    assert refused.status_code == 200
    assert form_key_on(refused.get_data(as_text=True)) == form.key
    assert submissions(app_db) == []
    assert form.post(case.data(world)).status_code == 302
    assert form.post(case.data(world)).status_code == 302
    assert len(submissions(app_db)) == 1


def test_every_showing_of_a_form_has_its_own_key(app, app_db, make):
    case = CASES[1]
    world = build(case, app_db, make)
    client = signed_in(app, case.signs_in(world))
    keys = {ShownForm(client, case.url(world)).key for _ in range(3)}
    assert len(keys) == 3
    assert all(re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", key) for key in keys)


@pytest.mark.parametrize(
    "key", ["inte-en-nyckel", "x" * 5000, "{" + "0" * 32 + "}", str(uuid.uuid4()).upper()]
)
def test_a_key_that_is_not_one_we_hand_out_saves_nothing(app, app_db, make, key):
    case = CASES[1]
    world = build(case, app_db, make)
    client = signed_in(app, case.signs_in(world))
    before = count(app_db, case.model)

    response = ShownForm(client, case.url(world)).post(case.data(world), key=key)

    assert response.status_code == 302
    assert response.headers["Location"] == case.url(world)
    assert STALE_FORM in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(app_db, case.model) == before
    assert submissions(app_db) == []


def test_someone_elses_key_neither_saves_nor_shows_their_result(app, app_db, make):
    case = CASES[1]
    world = build(case, app_db, make)
    owner = signed_in(app, world.coordinator)
    used = ShownForm(owner, case.url(world))
    assert used.post(case.data(world)).status_code == 302
    other = signed_in(app, world.curator)  # may record deviations on the framework too
    before = count(app_db, case.model)

    response = ShownForm(other, case.url(world)).post(case.data(world), key=used.key)

    assert response.status_code == 302
    assert response.headers["Location"] == case.url(world)
    assert count(app_db, case.model) == before
    assert len(submissions(app_db)) == 1


def test_a_post_without_a_key_still_saves_once_per_post(app, app_db, make):
    """A script that posts no key gets no protection, but its posts are not refused."""
    case = CASES[1]
    world = build(case, app_db, make)
    client = signed_in(app, case.signs_in(world))
    form = ShownForm(client, case.url(world))
    before = count(app_db, case.model)
    assert form.post(case.data(world), key="").status_code == 302
    assert form.post(case.data(world), key="").status_code == 302
    assert count(app_db, case.model) == before + 2
    assert submissions(app_db) == []
