"""Every form post and API write, who may make it, and what everyone else gets: the write half
of the matrix (run by tests/test_access_writes.py, covered by tests/test_access_matrix.py).

A write the viewer may make answers ``success`` and changes the database (unless it says it
changes nothing); any other signed-in viewer gets ``refused(viewer)`` and changes nothing; a
signed-out visitor gets ``anonymous`` and changes nothing. Paths and data take the world's
params plus ``own_token`` and ``own_org``, the viewer's own token id and organisation id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from kb.auth.models import Role
from kb.themes import Theme
from tests.access_world import (
    EXPERIENCES,
    FAR_CURATOR,
    NETWORK,
    STANDALONE,
    Viewer,
    may_read,
)
from tests.factories import Factory, fictional_org_number

Data = Callable[[dict], dict]


def forbidden(viewer: Viewer) -> int:
    return 403


def nothing(params: dict) -> dict:
    return {}


@dataclass(frozen=True)
class Write:
    rule: str
    path: str
    allowed: Callable[[Viewer], bool]
    data: Data = nothing
    refused: Callable[[Viewer], int] = forbidden
    method: str = "POST"
    success: int = 302
    anonymous: int = 302
    changes: bool = True
    api: bool = False  # JSON with the viewer's token instead of a form with a CSRF token
    upload: bool = False  # multipart, with an import file under "file"


def everyone_signed_in(viewer: Viewer) -> bool:
    return True


def has_role(role: Role) -> Callable[[Viewer], bool]:
    return lambda viewer: viewer.role == role


def is_author(key: str) -> Callable[[Viewer], bool]:
    return lambda viewer: viewer == EXPERIENCES[key].author


def in_network_with_role(*roles: Role) -> Callable[[Viewer], bool]:
    return lambda viewer: viewer.org in NETWORK and viewer.role in roles


def intermediary_may(role: Role) -> Callable[[Viewer], bool]:
    return lambda viewer: viewer.org == "intermediary" and viewer.role == role


def owner_follows_up(viewer: Viewer) -> bool:
    return viewer.org == "owner" and viewer.role in (Role.COORDINATOR, Role.CURATOR)


WRITERS = (Role.COORDINATOR, Role.CURATOR)
follows_up_the_network = in_network_with_role(*WRITERS)


def unknown_to_other_writers(viewer: Viewer) -> int:
    """Another network's record: its writers' role passes, but the record is unknown."""
    return 404 if viewer.role in WRITERS else 403


def unknown_outside(viewer: Viewer) -> int:
    """The network's record: unknown outside the network, forbidden inside it."""
    outside = viewer.org not in NETWORK and viewer.role in WRITERS
    return 404 if outside else 403


def not_theirs_to_use(viewer: Viewer) -> int:
    """A form naming the other network's unit, supplier, round or evidence: the role passes,
    the id is unknown to the viewer."""
    return 404 if viewer.role in WRITERS else 403


def caseworker_refusal(viewer: Viewer) -> int:
    """Another network's contract in the experience form: unknown to a caseworker."""
    return 404 if viewer.role == Role.CASEWORKER else 403


# --- Experiences ----------------------------------------------------------------------------


def experience_form(text: str, unit: str = "unit", contract: str = "contract") -> Data:
    """A valid draft save, as the browser posts it."""

    def data(params: dict) -> dict:
        form = {
            "submission_key": str(uuid.uuid4()),
            "unit_id": str(params[unit]),
            "agreement_area_id": str(params["area"]),
            "contract_id": str(params[contract]),
            "placement_kind": "behandling",
            "legal_basis": "sol",
            "age_band": "13-15",
            "start": "2023-02",
            "end": "2023-11",
            "end_reason": "planerat",
            "would_place_again": "ja",
            "worked_md": text,
            "save_draft": "Spara utkast",
        }
        form.update({f"rating_{theme.value}": "3" for theme in Theme})
        return form

    return data


EXPERIENCE_WRITES = (
    Write(
        "/erfarenheter/ny",
        "/erfarenheter/ny",
        lambda viewer: viewer.role == Role.CASEWORKER and viewer.org in NETWORK,
        experience_form("NY TEXT"),
        caseworker_refusal,
    ),
    *(
        Write(
            "/erfarenheter/<int:experience_id>/redigera",
            f"/erfarenheter/{{{key}}}/redigera",
            is_author(key),
            experience_form("ÖVERSKRIVEN", EXPERIENCES[key].unit, EXPERIENCES[key].contract),
        )
        for key in ("owner_1", "draft", "neighbour", "far")
    ),
)


# --- Admin, profile, sign-in ----------------------------------------------------------------


def organisation_form(name: str) -> Data:
    return lambda params: {"name": name, "kind": "kommun", "org_number": "", "member_of_id": "0"}


def user_form(name: str, email: str, password: str = "") -> Data:
    return lambda params: {
        "name": name,
        "email": email,
        "organisation_id": str(params["standalone_org"]),
        "roles": "caseworker",
        "active": "y",
        "password": password,
    }


ADMIN_WRITES = (
    Write(
        "/admin/organisationer/ny",
        "/admin/organisationer/ny",
        has_role(Role.ADMIN),
        organisation_form("Intrångsby"),
    ),
    Write(
        "/admin/organisationer/<int:organisation_id>",
        "/admin/organisationer/{standalone_org}",
        has_role(Role.ADMIN),
        organisation_form("Fjärranby omdöpt"),
    ),
    Write(
        "/admin/anvandare/ny",
        "/admin/anvandare/ny",
        has_role(Role.ADMIN),
        user_form("Smygare", "smygare@fjarranby.example", "ett-långt-lösenord-2026"),
    ),
    Write(
        "/admin/anvandare/<int:user_id>",
        "/admin/anvandare/{standalone_caseworker}",
        has_role(Role.ADMIN),
        user_form("Omdöpt handläggare", STANDALONE[0].email),
    ),
)
SUPPLIERS_CSV = (
    f"organisationsnummer;namn;bolagsform\r\n{fictional_org_number(9311)};Uppladdat AB;ab\r\n"
)
IMPORT_WRITES = (
    Write(
        "/import/",
        "/import/",
        lambda viewer: viewer.role in (Role.CURATOR, Role.ADMIN),
        lambda params: {"kind": "suppliers", "organisation": str(params["own_org"])},
        upload=True,
    ),
    Write("/import/<int:batch_id>/angra", "/import/{batch}/angra", has_role(Role.ADMIN)),
)
NEW_PASSWORD = "Ett-helt-nytt-lösenord-2031"
SESSION_WRITES = (  # last: revoking the token, changing the password and signing out
    Write(
        "/profil/nycklar",
        "/profil/nycklar",
        everyone_signed_in,
        lambda params: {"name": "Matrisskript", "scope": "read", "expires_in_days": "30"},
        success=201,
    ),
    Write(
        "/profil/nycklar/<int:token_id>/aterkalla",
        "/profil/nycklar/{own_token}/aterkalla",
        everyone_signed_in,
    ),
    Write(
        "/profil/losenord",
        "/profil/losenord",
        everyone_signed_in,
        lambda params: {
            "current_password": Factory.PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    ),
    Write(
        "/logga-in",
        "/logga-in",
        everyone_signed_in,  # a signed-in user is sent to the start page
        lambda params: {"email": STANDALONE[0].email, "password": "fel-lösenord"},
        changes=False,
        anonymous=401,
    ),
    Write("/logga-ut", "/logga-ut", everyone_signed_in, changes=False),
)


# --- Following up ---------------------------------------------------------------------------


def followup_form(unit: str) -> Data:
    return lambda params: {
        "title": "Oanmält besök",
        "kind": "handelsestyrd",
        "scope": "unit",
        "unit_id": str(params[unit]),
        "methods": "oanmalt_besok",
        "period_start": "2025-05-01",
        "summary_md": "Brister i nattbemanningen.",
        "result": "anmarkning",
    }


def batch_form(params: dict) -> dict:
    supplier = params["supplier"]
    return {
        "kind": "sanktionslistor",
        "checked_on": "2025-05-01",
        "next_due": "2025-11-01",
        f"result_{supplier}": "ok",
        f"value_{supplier}": "",
    }


def status_change(params: dict) -> dict:
    return {
        "to_status": "uteslutet",
        "changed_on": "2025-06-02",
        "reason": "Oanmält besök visade brister.",
        "decision_reference": "MATRIS-BESLUT-1",
    }


FOLLOW_UP_WRITES = (
    Write(
        "/uppfoljningar/ny",
        "/uppfoljningar/ny",
        follows_up_the_network,
        followup_form("unit"),
        not_theirs_to_use,
    ),
    Write(
        "/uppfoljningar/<int:followup_id>/redigera",
        "/uppfoljningar/{followup}/redigera",
        owner_follows_up,
        followup_form("unit"),
        unknown_outside,
    ),
    Write(
        "/uppfoljningar/<int:followup_id>/redigera",
        "/uppfoljningar/{far_followup}/redigera",
        lambda viewer: viewer == FAR_CURATOR,
        followup_form("far_unit"),
        unknown_to_other_writers,
    ),
    Write(
        "/avvikelser/ny",
        "/avvikelser/ny",
        follows_up_the_network,
        lambda params: {
            "unit_id": str(params["unit"]),
            "contract_id": "",
            "category": "bemanning",
            "severity": "medel",
            "occurred_on": "2025-05-01",
            "description_md": "En natt med en person i tjänst.",
        },
        not_theirs_to_use,
    ),
    Write(
        "/avvikelser/<int:deviation_id>/atgarda",
        "/avvikelser/{deviation}/atgarda",
        owner_follows_up,
        lambda params: {"resolution_note": "Bemanningen är förstärkt."},
        unknown_outside,
    ),
    Write(
        "/avvikelser/<int:deviation_id>/atgarda",
        "/avvikelser/{far_deviation}/atgarda",
        lambda viewer: viewer == FAR_CURATOR,
        lambda params: {"resolution_note": "Åtgärdat i Fjärranby."},
        unknown_to_other_writers,
    ),
    Write(
        "/kontroller/ny",
        "/kontroller/ny",
        follows_up_the_network,
        lambda params: {
            "supplier_id": str(params["supplier"]),
            "unit_id": "",
            "kind": "kreditvardighet",
            "checked_on": "2025-05-01",
            "next_due": "2025-11-01",
            "result": "ok",
            "value": "75",
        },
        not_theirs_to_use,
    ),
    Write(
        "/kontroller/omgang",
        "/kontroller/omgang?omgang={round}",
        follows_up_the_network,
        batch_form,
        not_theirs_to_use,
    ),
    Write(
        "/avtal/<int:contract_id>/status",
        "/avtal/{contract}/status",
        follows_up_the_network,
        status_change,
    ),
    Write(
        "/avtal/<int:contract_id>/status",
        "/avtal/{far_contract}/status",
        lambda viewer: viewer == FAR_CURATOR,
        status_change,
    ),
)


# --- The learning loop ----------------------------------------------------------------------


def finding_form(params: dict) -> dict:
    return {
        "title": "Matrislärdom om syskonplatser",
        "agreement_area_id": str(params["area"]),
        "importance": "medel",
        "statement_md": "Syskon placeras isär.",
        "proposed_change": "marknadsfraga",
        "proposed_text_md": "Hur många syskonplatser kan ni erbjuda?",
        "avvikelse": str(params["deviation"]),
    }


def version_form(params: dict) -> dict:
    return {
        "based_on": "3",
        "title": "Rapport",
        "text_md": "Rapport varje kvartal.",
        "kind": "skall_krav",
        "level": "bas",
        "area_ids": str(params["area"]),
    }


def network_curator(viewer: Viewer) -> bool:
    return viewer.org in NETWORK and viewer.role == Role.CURATOR


def refused_unless_visible(viewer: Viewer) -> int:
    """Curators outside the network never see the finding; everyone else is forbidden."""
    return 404 if viewer.org not in NETWORK and viewer.role == Role.CURATOR else 403


def draft_write(path: str, data: Data = nothing) -> Write:
    rule = path.split("?")[0]
    for name, argument in (
        ("{tender_draft}", "<int:draft_id>"),
        ("{kept_item}", "<int:item_id>"),
        ("{chosen_item}", "<int:item_id>"),
    ):
        rule = rule.replace(name, argument)
    return Write(rule, path, intermediary_may(Role.PROCURER), data)


REQUIREMENT_WRITES = (
    Write(
        "/krav/ny",
        "/krav/ny",
        has_role(Role.CURATOR),
        lambda params: {**version_form(params), "code": "MATRIS-09"},
    ),
    *(
        Write(f"/krav/<int:requirement_id>/{action}", f"/krav/{{requirement}}/{action}", *rest)
        for action, *rest in (
            ("redigera", network_curator, version_form),
            ("avveckla", network_curator),
            ("aterinfor", network_curator),
        )
    ),
    Write(
        "/krav/<int:requirement_id>/redigera",
        "/krav/{far_requirement}/redigera",
        lambda viewer: viewer == FAR_CURATOR,
        lambda params: {**version_form(params), "based_on": "1", "title": "Fjärrbemanning"},
    ),
)
# In order: each allowed post changes something, and finalising comes last.
LEARNING_WRITES = (
    Write(
        "/lardomar/ny",
        "/lardomar/ny",
        network_curator,
        finding_form,
        lambda viewer: 404 if viewer.role == Role.CURATOR else 403,  # evidence it may not read
    ),
    Write(
        "/lardomar/<int:finding_id>/redigera",
        "/lardomar/{finding_old}/redigera",
        intermediary_may(Role.CURATOR),
        finding_form,
        refused_unless_visible,
    ),
    Write(
        "/lardomar/<int:finding_id>/beslut",
        "/lardomar/{finding_proposed}/beslut",
        intermediary_may(Role.CURATOR),
        lambda params: {"decision": "accepterad"},
        lambda viewer: 403 if viewer.role != Role.CURATOR else 404,
    ),
    Write(
        "/lardomar/<int:finding_id>/ersatt",
        "/lardomar/{finding_old}/ersatt",
        intermediary_may(Role.CURATOR),
        lambda params: {"superseded_by_id": str(params["finding_add"])},
        refused_unless_visible,
    ),
    *REQUIREMENT_WRITES,
    Write(
        "/underlag/ny-omgang",
        "/underlag/ny-omgang",
        has_role(Role.PROCURER),
        lambda params: {
            "area_id": str(params["area"]),
            "predecessor_id": str(params["next_round"]),
            "reference": "MATRIS 2030/1",
            "title": "Omgången därefter",
            "procurement_form": "lou_ramavtal",
        },
    ),
    Write(
        "/underlag/omgang/<int:round_id>/generera",
        "/underlag/omgang/{unplanned_round}/generera",
        intermediary_may(Role.PROCURER),
    ),
    draft_write(
        "/underlag/{tender_draft}/krav/{chosen_item}/flytta", lambda params: {"riktning": "upp"}
    ),
    draft_write(
        "/underlag/{tender_draft}/krav/{kept_item}/uteslut",
        lambda params: {"reason": "Behövs inte."},
    ),
    draft_write("/underlag/{tender_draft}/krav/{kept_item}/ta-med"),
    draft_write(
        "/underlag/{tender_draft}/krav/{kept_item}/redigera",
        lambda params: {
            "based_on": str(params["kept_version"]),
            "title": "Bemanning",
            "text_md": "Bemanning ska redovisas varje månad.",
            "kind": "skall_krav",
            "level": "bas",
        },
    ),
    draft_write(
        "/underlag/{tender_draft}/lardomar",
        lambda params: {"finding_id": str(params["finding_add"])},
    ),
    draft_write("/underlag/{tender_draft}/krav/{chosen_item}/valj"),
    draft_write("/underlag/{tender_draft}/faststall"),
)


# --- The API --------------------------------------------------------------------------------


def api_refusal(key: str) -> Callable[[Viewer], int]:
    """Only caseworkers may write (403 forbidden_role); a caseworker who may not read the
    experience does not find it (404); one who reads it but did not write it gets 403."""

    def status(viewer: Viewer) -> int:
        if viewer.role != Role.CASEWORKER:
            return 403
        return 403 if may_read(viewer, key) else 404

    return status


API_EXPERIENCE = "/api/v1/experiences/<int:experience_id>"
API_WRITES = (
    Write(
        "/api/v1/experiences",
        "/api/v1/experiences",
        has_role(Role.CASEWORKER),
        lambda params: {"submission_key": str(uuid.uuid4()), "worked_md": "API-utkast"},
        success=201,
        anonymous=401,
        api=True,
    ),
    Write(
        API_EXPERIENCE,
        "/api/v1/experiences/{owner_1}",
        is_author("owner_1"),
        lambda params: {
            "advice_md": "Rådet ändrat genom API:t.",
            "ratings": {theme.value: 3 for theme in Theme},  # a submitted one rates every theme
        },
        api_refusal("owner_1"),
        method="PATCH",
        success=200,
        anonymous=401,
        api=True,
    ),
    Write(
        API_EXPERIENCE,
        "/api/v1/experiences/{draft}",
        is_author("draft"),
        lambda params: {"advice_md": "Utkastet ersatt genom API:t."},
        api_refusal("draft"),
        method="PUT",
        success=200,
        anonymous=401,
        api=True,
    ),
)
FORM_POSTS = (
    EXPERIENCE_WRITES
    + ADMIN_WRITES
    + FOLLOW_UP_WRITES
    + LEARNING_WRITES
    + IMPORT_WRITES
    + SESSION_WRITES
)
# (rule, method) -> (test file, test function) for what another test covers instead.
COVERED_ELSEWHERE: dict[tuple[str, str], tuple[str, str]] = {}
