"""No duplicate from a double submit: every creating form carries a one-time key.

The key is made when the form is shown and saved in form_submissions in the transaction that
creates the object. A second post with the same key creates nothing and is sent to what the
first one created, with "Det här var redan sparat."; two posts racing each other create one.
Covered: follow-ups, deviations, supplier checks (one and a whole round), requirements, tender
rounds and findings.
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

import kb.tender_drafts.routes
from kb.auth.models import Role, User
from kb.findings.models import Finding
from kb.followups.models import Deviation, FollowUp, SupplierCheck
from kb.organisations.models import OrganisationKind
from kb.requirements.models import Requirement
from kb.submissions.models import FormSubmission
from kb.submissions.views import SubmitOnce
from kb.tender_drafts.models import TenderDraft
from kb.tenders.models import TenderRound
from tests import followup_world, test_checks, test_deviations
from tests.conftest import csrf_token_from
from tests.draft_world import build_draft_world
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
        "followups.new",
    ),
    CreatingForm(
        "avvikelse",
        test_deviations.build_followup_world,
        lambda world: world.coordinator,
        lambda world: "/avvikelser/ny",
        test_deviations.deviation_form,
        Deviation,
        "deviations.new",
    ),
    CreatingForm(
        "kontroll",
        test_deviations.build_followup_world,
        lambda world: world.coordinator,
        lambda world: "/kontroller/ny",
        test_checks.check_form,
        SupplierCheck,
        "checks.new",
    ),
    CreatingForm(
        "kontroll av en omgång",
        test_deviations.build_followup_world,
        lambda world: world.coordinator,
        lambda world: f"/kontroller/omgang?omgang={world.round_id}",
        test_checks.batch_form,
        SupplierCheck,
        "checks.batch",
        created=2,
    ),
    CreatingForm(
        "krav",
        lambda session, make: requirement_world(make),
        lambda world: world["curator"],
        lambda world: "/krav/ny",
        lambda world: {
            "code": "HVB-01",
            "title": "Bemanning kvällstid",
            "text_md": "Leverantören ska ha två personal i tjänst kvällstid.",
            "kind": "skall_krav",
            "level": "bas",
            "area_ids": [str(world["area"])],
        },
        Requirement,
        "requirements.new",
    ),
    CreatingForm(
        "upphandlingsomgång",
        build_draft_world,
        lambda world: world.procurer,
        lambda world: f"/underlag/ny-omgang?omrade={world.area_id}",
        lambda world: {
            "area_id": str(world.area_id),
            "predecessor_id": str(world.next_round_id),
            "reference": "LRN 2030/1",
            "title": "Nästa omgång",
            "procurement_form": "lou_ramavtal",
        },
        TenderRound,
        "drafts.new_round",
    ),
    CreatingForm(
        "lärdom",
        followup_world.build_followup_world,
        lambda world: world.curator,
        lambda world: "/lardomar/ny",
        finding_form,
        Finding,
        "findings.new",
    ),
]


def requirement_world(make: Factory) -> dict:
    intermediary = make.organisation("Kravförbundet", kind=OrganisationKind.INTERMEDIARY)
    curator = make.email_of(make.user(Role.CURATOR, organisation=intermediary))
    return {"curator": curator, "area": make.agreement_area("Stödboende för ungdomar")}


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
    """Injected: a barrier in front of SubmitOnce.claim, so that both requests have found the
    key unused before either of them stores it. The one that stores it second waits for the
    first one's transaction, fails on the key's primary key, rolls back and is sent to the
    first one's result, without having created anything."""
    world = build(case, app_db, make)
    email = case.signs_in(world)
    first = ShownForm(signed_in(app, email), case.url(world))
    second = ShownForm(signed_in(app, email), case.url(world))
    barrier = threading.Barrier(2, timeout=30)
    real_claim = SubmitOnce.claim

    def claim_together(self):
        barrier.wait()
        return real_claim(self)

    monkeypatch.setattr(SubmitOnce, "claim", claim_together)
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


def test_two_clicks_on_generate_make_one_draft(app, app_db, make, monkeypatch):
    """A round has one draft (a unique key). Injected: a barrier in front of generate_draft,
    so that both requests pass the route's checks together; the later one finds the draft
    made (DraftInvalid) or collides with it at the unique key (IntegrityError, rolled back)
    and is sent on to it, never to an error page."""
    with app_db() as session:
        world = build_draft_world(session, make)
    round_url = f"/underlag/omgang/{world.next_round_id}"
    clients = [signed_in(app, world.procurer) for _ in range(2)]
    tokens = [csrf_token_from(c.get(round_url).get_data(as_text=True)) for c in clients]
    barrier = threading.Barrier(2, timeout=30)
    real_generate = kb.tender_drafts.routes.generate_draft

    def generate_together(*args, **kwargs):
        barrier.wait()
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(kb.tender_drafts.routes, "generate_draft", generate_together)
    responses: list = [None, None]

    def click(index: int) -> None:
        data = {"csrf_token": tokens[index]}
        responses[index] = clients[index].post(f"{round_url}/generera", data=data)

    threads = [threading.Thread(target=click, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [response.status_code for response in responses] == [302, 302]
    with app_db() as session:
        drafts = session.scalars(
            select(TenderDraft.id).where(TenderDraft.tender_round_id == world.next_round_id)
        ).all()
    assert len(drafts) == 1
    for client, response in zip(clients, responses, strict=True):
        landing = client.get(response.headers["Location"], follow_redirects=True)
        assert landing.request.path == f"/underlag/{drafts[0]}"
