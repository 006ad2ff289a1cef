"""IDOR and tampering (issue 9, item 2): another organisation's ids in URLs and forms, replayed
forms, and hidden fields added to a post. Each is refused with 403 or 404 and changes nothing:
every table is compared before and after (tests/access_world.py: table_contents).

The world is tests/access_world.py: the Matris network (Ägarby, Grannby, Matrisförbundet) and
Fjärranby outside it, each with records of its own. A case names who tries, what, and the
status the rules give.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.api.models import ApiToken
from kb.auth.models import Role
from kb.experiences.models import Experience, ExperienceStatus
from kb.findings.models import Finding, FindingStatus
from kb.followups.models import Deviation, FollowUp
from kb.requirements.models import Requirement
from kb.tenders.models import TenderRound, TenderRoundStatus
from kb.themes import Theme
from tests.access_forms import experience_form, followup_form, version_form
from tests.access_world import (
    COLLEAGUE,
    FAR_CASEWORKER,
    FAR_CURATOR,
    INTERMEDIARY_CURATOR,
    INTERMEDIARY_PROCURER,
    NEIGHBOUR_CASEWORKER,
    OWNER_CASEWORKER,
    OWNER_COORDINATOR,
    Viewer,
    World,
    build_world,
    differences,
    signed_in,
    table_contents,
)
from tests.conftest import csrf_token_from

INTERMEDIARY_ADMIN = Viewer("intermediary", Role.ADMIN)
OWNER_CURATOR = Viewer("owner", Role.CURATOR)


@pytest.fixture
def world(app_db) -> World:
    with app_db() as session:
        return build_world(session)


@dataclass(frozen=True)
class Attempt:
    who: Viewer
    method: str
    path: str
    expected: int  # 403 or 404
    data: dict = field(default_factory=dict)  # may name world params as "{key}"
    api: bool = False

    def describe(self) -> str:
        return f"{self.who.key} {self.method} {self.path}"


class Session:
    """Signed-in clients per viewer in one world, and a way to send an attempt."""

    def __init__(self, app, world: World) -> None:
        self.app, self.world, self.clients = app, world, {}

    def client(self, viewer: Viewer) -> FlaskClient:
        if viewer not in self.clients:
            self.clients[viewer] = signed_in(self.app, viewer)
        return self.clients[viewer]

    def send(self, attempt: Attempt):
        client, params = self.client(attempt.who), self.world.params
        url = attempt.path.format(**params)
        data = {name: fill(value, params) for name, value in attempt.data.items()}
        if attempt.api:  # JSON ids are numbers
            data = {k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in data.items()}
            headers = self.world.headers(attempt.who)
            return client.open(url, method=attempt.method, json=data, headers=headers)
        if attempt.method == "GET":
            return client.get(url)
        data["csrf_token"] = csrf_token_from(client.get("/").get_data(as_text=True))
        return client.open(url, method=attempt.method, data=data)


def fill(value, params: dict):
    if isinstance(value, str):
        return value.format(**params)
    if isinstance(value, dict):
        return {name: fill(inner, params) for name, inner in value.items()}
    return value


def refused_without_change(app_db, session: Session, attempts: list[Attempt]) -> list[str]:
    """Send each attempt; report those not refused as expected or that changed anything."""
    wrong = []
    for attempt in attempts:
        with app_db() as db_session:
            before = table_contents(db_session)
        response = session.send(attempt)
        with app_db() as db_session:
            changed = differences(before, table_contents(db_session))
        if response.status_code != attempt.expected or changed:
            wrong.append(f"{attempt.describe()}: {response.status_code}, changed {changed}")
    return wrong


def assert_refused(app_db, session: Session, attempts: list[Attempt]) -> None:
    wrong = refused_without_change(app_db, session, attempts)
    assert wrong == [], "not refused as the rules say:\n" + "\n".join(wrong)


# --- Another organisation's ids in the URL --------------------------------------------------

PROCURER_DRAFT_ACTIONS = ("krav/{far_item}/uteslut", "krav/{far_item}/flytta", "faststall")
URL_IDS = [
    Attempt(OWNER_CASEWORKER, "GET", "/erfarenheter/{far}", 404),
    Attempt(OWNER_CASEWORKER, "POST", "/erfarenheter/{far}/redigera", 403),
    Attempt(NEIGHBOUR_CASEWORKER, "POST", "/erfarenheter/{owner_1}/redigera", 403),
    Attempt(FAR_CASEWORKER, "POST", "/erfarenheter/{draft}/redigera", 403),
    Attempt(OWNER_COORDINATOR, "GET", "/uppfoljningar/{far_followup}", 404),
    Attempt(OWNER_COORDINATOR, "POST", "/uppfoljningar/{far_followup}/redigera", 404),
    Attempt(FAR_CURATOR, "POST", "/uppfoljningar/{followup}/redigera", 404),
    Attempt(OWNER_COORDINATOR, "POST", "/avvikelser/{far_deviation}/atgarda", 404),
    Attempt(FAR_CURATOR, "POST", "/avvikelser/{deviation}/atgarda", 404),
    Attempt(OWNER_COORDINATOR, "GET", "/kontroller/{far_check}", 404),
    Attempt(FAR_CURATOR, "GET", "/kontroller/{check}", 404),
    Attempt(OWNER_COORDINATOR, "POST", "/avtal/{far_contract}/status", 403),
    Attempt(FAR_CURATOR, "POST", "/avtal/{contract}/status", 403),
    Attempt(INTERMEDIARY_CURATOR, "GET", "/lardomar/{far_finding}", 404),
    Attempt(INTERMEDIARY_CURATOR, "POST", "/lardomar/{far_finding}/redigera", 404),
    Attempt(INTERMEDIARY_CURATOR, "POST", "/lardomar/{far_finding}/beslut", 404),
    Attempt(INTERMEDIARY_CURATOR, "POST", "/lardomar/{far_finding}/ersatt", 404),
    Attempt(FAR_CURATOR, "POST", "/lardomar/{finding_proposed}/beslut", 404),
    Attempt(INTERMEDIARY_CURATOR, "POST", "/krav/{far_requirement}/redigera", 403),
    Attempt(INTERMEDIARY_CURATOR, "POST", "/krav/{far_requirement}/avveckla", 403),
    Attempt(FAR_CURATOR, "POST", "/krav/{requirement}/avveckla", 403),
    Attempt(FAR_CURATOR, "POST", "/krav/{requirement}/aterinfor", 403),
    Attempt(INTERMEDIARY_PROCURER, "GET", "/underlag/{far_draft}", 404),
    *(
        Attempt(INTERMEDIARY_PROCURER, "POST", f"/underlag/{{far_draft}}/{action}", 404)
        for action in PROCURER_DRAFT_ACTIONS
    ),
    Attempt(INTERMEDIARY_PROCURER, "POST", "/underlag/{far_draft}/krav/{far_item}/redigera", 404),
    Attempt(INTERMEDIARY_PROCURER, "POST", "/underlag/{far_draft}/lardomar", 404),
    Attempt(INTERMEDIARY_PROCURER, "POST", "/underlag/omgang/{far_round}/generera", 404),
    # An item of another draft under this draft's id.
    Attempt(INTERMEDIARY_PROCURER, "POST", "/underlag/{tender_draft}/krav/{far_item}/uteslut", 404),
    Attempt(OWNER_CURATOR, "GET", "/import/{batch}", 404),
    Attempt(FAR_CURATOR, "GET", "/import/{batch}", 404),
    Attempt(FAR_CURATOR, "POST", "/import/{batch}/angra", 403),
    Attempt(
        OWNER_CASEWORKER, "POST", "/profil/nycklar/{token_standalone-caseworker}/aterkalla", 404
    ),
    Attempt(FAR_CASEWORKER, "POST", "/profil/nycklar/{token_owner-caseworker}/aterkalla", 404),
    Attempt(OWNER_CASEWORKER, "GET", "/api/v1/experiences/{far}", 404, api=True),
    Attempt(OWNER_CASEWORKER, "PATCH", "/api/v1/experiences/{far}", 404, {"advice_md": "x"}, True),
    Attempt(FAR_CASEWORKER, "PUT", "/api/v1/experiences/{draft}", 404, {"advice_md": "x"}, True),
    Attempt(COLLEAGUE, "PATCH", "/api/v1/experiences/{owner_1}", 403, {"advice_md": "x"}, True),
    Attempt(INTERMEDIARY_CURATOR, "GET", "/api/v1/findings/{far_finding}", 404, api=True),
    Attempt(FAR_CURATOR, "GET", "/api/v1/ocds/tender-rounds/{round}", 404, api=True),
]


def test_another_organisations_records_cannot_be_reached_by_changing_the_id(app, world, app_db):
    assert_refused(app_db, Session(app, world), URL_IDS)


# --- Another organisation's ids in a form ---------------------------------------------------


def far_experience_form() -> dict:
    """The experience form with Fjärranby's unit and contract."""
    params = {"unit": "{far_unit}", "area": "{area}", "contract": "{far_contract}"}
    return experience_form("INTRÅNG", "unit", "contract")(params)


FOLLOW_UP_BY_OWNER = followup_form("unit")({"unit": "{unit}"})
FORM_IDS = [
    Attempt(OWNER_CASEWORKER, "POST", "/erfarenheter/ny", 404, far_experience_form()),
    Attempt(
        OWNER_CASEWORKER, "POST", "/erfarenheter/{owner_1}/redigera", 404, far_experience_form()
    ),
    Attempt(
        OWNER_CASEWORKER,
        "POST",
        "/api/v1/experiences",
        404,
        {
            "worked_md": "x",
            "unit_id": "{far_unit}",
            "agreement_area_id": "{area}",
            "contract_id": "{far_contract}",
            "start": "2023-02",
        },
        api=True,
    ),
    Attempt(
        OWNER_CASEWORKER,
        "PATCH",
        "/api/v1/experiences/{draft}",
        404,
        {"unit_id": "{far_unit}", "contract_id": "{far_contract}"},
        api=True,
    ),
    Attempt(
        INTERMEDIARY_PROCURER,
        "POST",
        "/underlag/{tender_draft}/lardomar",
        404,
        {"finding_id": "{far_finding}"},
    ),
    Attempt(
        INTERMEDIARY_PROCURER,
        "POST",
        "/underlag/ny-omgang",
        404,
        {
            "area_id": "{area}",
            "predecessor_id": "{far_round}",
            "reference": "MATRIS 2031/1",
            "title": "Intrång",
            "procurement_form": "lou_ramavtal",
        },
    ),
    Attempt(
        INTERMEDIARY_CURATOR,
        "POST",
        "/import/",
        404,
        {"kind": "suppliers", "organisation": "{standalone_org}"},
    ),
    Attempt(
        INTERMEDIARY_CURATOR,
        "POST",
        "/lardomar/ny",
        404,
        {
            "title": "Intrång",
            "agreement_area_id": "{area}",
            "importance": "medel",
            "statement_md": "x",
            "proposed_change": "marknadsfraga",
            "proposed_text_md": "x",
            "avvikelse": "{far_deviation}",
        },
    ),
    Attempt(
        INTERMEDIARY_CURATOR,
        "POST",
        "/lardomar/ny",
        404,
        {
            "title": "Intrång",
            "agreement_area_id": "{area}",
            "importance": "medel",
            "statement_md": "x",
            "proposed_change": "marknadsfraga",
            "proposed_text_md": "x",
            "erfarenhet": "{far}",
        },
    ),
    Attempt(
        INTERMEDIARY_CURATOR,
        "POST",
        "/lardomar/{finding_old}/ersatt",
        404,
        {"superseded_by_id": "{far_finding}"},
    ),
    Attempt(
        OWNER_COORDINATOR,
        "POST",
        "/uppfoljningar/ny",
        404,
        {**FOLLOW_UP_BY_OWNER, "unit_id": "{far_unit}"},
    ),
    Attempt(
        OWNER_COORDINATOR,
        "POST",
        "/uppfoljningar/ny",
        404,
        {**FOLLOW_UP_BY_OWNER, "experience_ids": "{far}"},
    ),
    Attempt(
        OWNER_COORDINATOR,
        "POST",
        "/uppfoljningar/ny",
        404,
        {**FOLLOW_UP_BY_OWNER, "deviation_ids": "{far_deviation}"},
    ),
    Attempt(
        OWNER_COORDINATOR,
        "POST",
        "/avvikelser/ny",
        404,
        {
            "unit_id": "{far_unit}",
            "contract_id": "{far_contract}",
            "category": "bemanning",
            "severity": "medel",
            "occurred_on": "2025-05-01",
            "description_md": "Intrång.",
        },
    ),
    Attempt(
        OWNER_COORDINATOR,
        "POST",
        "/kontroller/ny",
        404,
        {
            "supplier_id": "{far_supplier}",
            "unit_id": "",
            "kind": "kreditvardighet",
            "checked_on": "2025-05-01",
            "next_due": "2025-11-01",
            "result": "ok",
            "value": "75",
        },
    ),
    Attempt(
        OWNER_COORDINATOR,
        "POST",
        "/kontroller/omgang?omgang={far_round}",
        404,
        {
            "kind": "sanktionslistor",
            "checked_on": "2025-05-01",
            "next_due": "2025-11-01",
            "result_{far_supplier}": "ok",
        },
    ),
]


def test_another_organisations_ids_posted_in_a_form_are_refused(app, world, app_db):
    assert_refused(app_db, Session(app, world), FORM_IDS)


# --- Replaying a form after its object changed state or was deleted ------------------------


def accepted(session: Session, attempt: Attempt) -> None:
    response = session.send(attempt)
    assert response.status_code in (201, 302), f"{attempt.describe()}: {response.status_code}"


def test_a_revoked_token_cannot_be_revoked_again(app, world, app_db):
    session = Session(app, world)
    revoke = Attempt(
        OWNER_CASEWORKER, "POST", "/profil/nycklar/{token_owner-caseworker}/aterkalla", 404
    )
    accepted(session, revoke)
    assert_refused(app_db, session, [revoke])


def test_an_undone_import_cannot_be_undone_again(app, world, app_db):
    session = Session(app, world)
    undo = Attempt(INTERMEDIARY_ADMIN, "POST", "/import/{batch}/angra", 403)
    accepted(session, undo)
    assert_refused(app_db, session, [undo])


def test_a_finalised_draft_refuses_every_change(app, world, app_db):
    session = Session(app, world)
    draft = "/underlag/{tender_draft}"
    accepted(
        session, Attempt(INTERMEDIARY_PROCURER, "POST", f"{draft}/krav/{{chosen_item}}/valj", 0)
    )
    finalise = Attempt(INTERMEDIARY_PROCURER, "POST", f"{draft}/faststall", 403)
    accepted(session, finalise)
    with app_db() as db_session:
        assert db_session.get(Finding, world.params["finding_b"]).status == FindingStatus.APPLIED
    replays = [
        finalise,
        Attempt(
            INTERMEDIARY_PROCURER,
            "POST",
            f"{draft}/krav/{{kept_item}}/uteslut",
            403,
            {"reason": "Sent påkommet."},
        ),
        Attempt(
            INTERMEDIARY_PROCURER,
            "POST",
            f"{draft}/krav/{{kept_item}}/flytta",
            403,
            {"riktning": "ner"},
        ),
        Attempt(
            INTERMEDIARY_PROCURER, "POST", f"{draft}/lardomar", 403, {"finding_id": "{finding_add}"}
        ),
        Attempt(
            INTERMEDIARY_PROCURER,
            "POST",
            f"{draft}/krav/{{kept_item}}/redigera",
            403,
            {
                "based_on": "{kept_version}",
                "title": "Ny",
                "text_md": "Ny text.",
                "kind": "skall_krav",
                "level": "bas",
            },
        ),
    ]
    assert_refused(app_db, session, replays)


def test_a_deleted_experience_cannot_be_edited(app, world, app_db):
    with app_db() as db_session:
        db_session.delete(db_session.get(Experience, world.params["owner_2"]))
        db_session.commit()
    session = Session(app, world)
    edit = experience_form("EFTER BORTTAGNING")({**world.params})
    replays = [
        Attempt(OWNER_CASEWORKER, "GET", "/erfarenheter/{owner_2}/redigera", 404),
        Attempt(OWNER_CASEWORKER, "POST", "/erfarenheter/{owner_2}/redigera", 404, edit),
        Attempt(
            OWNER_CASEWORKER,
            "PATCH",
            "/api/v1/experiences/{owner_2}",
            404,
            {"advice_md": "x"},
            api=True,
        ),
    ]
    assert_refused(app_db, session, replays)


def test_a_contract_status_change_cannot_be_replayed(app, world, app_db):
    session = Session(app, world)
    pause = Attempt(
        OWNER_COORDINATOR,
        "POST",
        "/avtal/{contract}/status",
        403,
        {
            "to_status": "uteslutet",
            "changed_on": "2025-06-02",
            "reason": "Brister.",
            "decision_reference": "MATRIS-BESLUT-2",
        },
    )
    accepted(session, pause)
    rescind = Attempt(pause.who, pause.method, pause.path, 403, {**pause.data, "to_status": "havt"})
    accepted(session, rescind)
    assert_refused(app_db, session, [pause, rescind])


def test_retiring_and_restoring_cannot_be_replayed(app, world, app_db):
    session = Session(app, world)
    retire = Attempt(INTERMEDIARY_CURATOR, "POST", "/krav/{requirement}/avveckla", 403)
    restore = Attempt(INTERMEDIARY_CURATOR, "POST", "/krav/{requirement}/aterinfor", 403)
    accepted(session, retire)
    assert_refused(app_db, session, [retire])
    accepted(session, restore)
    assert_refused(app_db, session, [restore])


def test_a_decision_or_resolution_cannot_be_replayed(app, world, app_db):
    session = Session(app, world)
    decide = Attempt(
        INTERMEDIARY_CURATOR, "POST", "/lardomar/{finding_proposed}/beslut", 403,
        {"decision": "accepterad"},
    )  # fmt: skip
    resolve = Attempt(
        OWNER_COORDINATOR, "POST", "/avvikelser/{deviation}/atgarda", 403,
        {"resolution_note": "Åtgärdat."},
    )  # fmt: skip
    accepted(session, decide)
    accepted(session, resolve)
    assert_refused(app_db, session, [decide, resolve])


# --- Hidden fields: owner, organisation, author, status -------------------------------------

TAMPERING = {
    "organisation_id": "{standalone_org}",
    "owner": "{standalone_org}",
    "owner_organisation_id": "{standalone_org}",
    "lead_organisation_id": "{standalone_org}",
    "author_id": "{user_standalone-caseworker}",
    "user_id": "{user_standalone-caseworker}",
    "reported_by_id": "{user_standalone-caseworker}",
    "created_by_id": "{user_standalone-caseworker}",
}


def tampered(data: dict, **status) -> dict:
    return {**data, **TAMPERING, **status}


@dataclass(frozen=True)
class Tampering:
    """A permitted post with hidden owner, author and status fields added; what was saved."""

    attempt: Attempt
    model: type
    expected: dict  # attribute -> the value the rules give, or a world param's name
    row: str | None = None  # a world param naming the row; else the newest row


def saved_values(app_db, case: Tampering, params: dict) -> dict:
    with app_db() as db_session:
        if case.row is None:
            statement = select(case.model).order_by(case.model.id.desc())
            row = db_session.scalars(statement).first()
        else:
            row = db_session.get(case.model, params[case.row])
        return {name: getattr(row, name) for name in case.expected}


def expected_values(case: Tampering, params: dict) -> dict:
    return {
        name: params[value] if isinstance(value, str) and value in params else value
        for name, value in case.expected.items()
    }


DRAFT_EXPERIENCE = experience_form("MANIPULERAD")({"unit": "{unit}", "area": "{area}",
                                                   "contract": "{contract}"})  # fmt: skip
OWNED_BY_OWNER = {"organisation_id": "owner_org"}
HIDDEN_FIELDS = [
    Tampering(
        Attempt(OWNER_CASEWORKER, "POST", "/erfarenheter/ny", 0,
                tampered(DRAFT_EXPERIENCE, status="inskickad")),
        Experience,
        {**OWNED_BY_OWNER, "author_id": "user_owner-caseworker", "status": ExperienceStatus.DRAFT},
    ),
    Tampering(
        Attempt(OWNER_CASEWORKER, "POST", "/erfarenheter/{owner_1}/redigera", 0,
                tampered(DRAFT_EXPERIENCE, status="utkast")),
        Experience,
        {**OWNED_BY_OWNER, "author_id": "user_owner-caseworker",
         "status": ExperienceStatus.SUBMITTED},
        row="owner_1",
    ),
    Tampering(
        Attempt(OWNER_COORDINATOR, "POST", "/uppfoljningar/ny", 0, tampered(FOLLOW_UP_BY_OWNER)),
        FollowUp,
        {**OWNED_BY_OWNER, "author_id": "user_owner-coordinator"},
    ),
    Tampering(
        Attempt(OWNER_COORDINATOR, "POST", "/avvikelser/ny", 0,
                tampered({"unit_id": "{unit}", "category": "bemanning", "severity": "medel",
                          "occurred_on": "2025-05-01", "description_md": "Manipulerad."},
                         resolved="y", status="atgardad")),
        Deviation,
        {**OWNED_BY_OWNER, "reported_by_id": "user_owner-coordinator", "resolved": False},
    ),
    Tampering(
        Attempt(INTERMEDIARY_CURATOR, "POST", "/lardomar/ny", 0,
                tampered({"title": "Manipulerad lärdom", "agreement_area_id": "{area}",
                          "importance": "medel", "statement_md": "x",
                          "proposed_change": "marknadsfraga", "proposed_text_md": "x",
                          "avvikelse": "{deviation}"},
                         status="tillampad", published_at="2020-01-01")),
        Finding,
        {"organisation_id": "intermediary_org", "author_id": "user_intermediary-curator",
         "status": FindingStatus.PROPOSED},
    ),
    Tampering(
        Attempt(INTERMEDIARY_CURATOR, "POST", "/krav/ny", 0,
                tampered({**version_form({"area": "{area}"}), "code": "MATRIS-77"})),
        Requirement,
        {"owner_organisation_id": "intermediary_org"},
    ),
    Tampering(
        Attempt(INTERMEDIARY_PROCURER, "POST", "/underlag/ny-omgang", 0,
                tampered({"area_id": "{area}", "reference": "MATRIS 2032/1",
                          "title": "Manipulerad", "procurement_form": "lou_ramavtal"},
                         status="aktiv")),
        TenderRound,
        {"lead_organisation_id": "intermediary_org", "status": TenderRoundStatus.PLANNING},
    ),
    Tampering(
        Attempt(OWNER_CASEWORKER, "POST", "/profil/nycklar", 0,
                tampered({"name": "Manipulerad", "scope": "read", "expires_in_days": "30"})),
        ApiToken,
        {"user_id": "user_owner-caseworker", "revoked_at": None},
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", HIDDEN_FIELDS, ids=lambda case: case.attempt.path)
def test_hidden_owner_author_and_status_fields_are_ignored(app, world, app_db, case):
    session = Session(app, world)
    accepted(session, case.attempt)
    params = world.params
    assert saved_values(app_db, case, params) == expected_values(case, params)


def test_the_api_refuses_hidden_fields_and_saves_nothing(app, world, app_db):
    session = Session(app, world)
    body = {"submission_key": str(uuid.uuid4()), "worked_md": "API-manipulerad"}
    attempts = [
        Attempt(
            OWNER_CASEWORKER, "POST", "/api/v1/experiences", 422, {**body, name: value}, api=True
        )
        for name, value in (
            ("organisation_id", "{standalone_org}"),
            ("author_id", "{user_standalone-caseworker}"),
        )
    ]
    attempts.append(
        Attempt(
            OWNER_CASEWORKER,
            "PATCH",
            "/api/v1/experiences/{owner_1}",
            422,
            {"status": "utkast", "ratings": {t.value: 3 for t in Theme}},
            api=True,
        )
    )
    assert_refused(app_db, session, attempts)
