"""Every page and export a browser reads, and what each viewer gets: the GET half of the matrix.

A Route names the URL rule it exercises (tests/test_access_matrix.py checks that every rule of
the app's URL map is named, and that each path really hits its rule), a concrete path with
{placeholders} from the world, and the status each viewer gets. An export also names a piece
of its content: the viewers allowed get it, and nobody else gets a byte of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kb.auth.models import Role
from tests.access_world import (
    EXPERIENCES,
    FAR_CURATOR,
    NETWORK,
    Viewer,
    may_read,
    may_see_finding,
)

Status = Callable[[Viewer], int]


@dataclass(frozen=True)
class Route:
    rule: str
    path: str
    status: Status
    public: bool = False
    anonymous: int = 302  # what a signed-out visitor gets unless the route is public
    content: str | None = None  # an export's text: only viewers answered 200 see it
    admins_read_all: bool = False  # the change log: admins read every organisation's records


def everyone(viewer: Viewer) -> int:
    return 200


def not_found(viewer: Viewer) -> int:
    return 404


def roles(*allowed: Role) -> Status:
    return lambda viewer: 200 if viewer.role in allowed else 403


def readers_of(key: str) -> Status:
    return lambda viewer: 200 if may_read(viewer, key) else 404


def author_of(key: str) -> Status:
    return lambda viewer: 200 if viewer == EXPERIENCES[key].author else 403


def caseworkers_get_404(viewer: Viewer) -> int:
    return 404 if viewer.role == Role.CASEWORKER else 403


def follow_up_writers(viewer: Viewer) -> int:
    """Coordinators and curators open the forms for follow-ups, deviations and checks."""
    return 200 if viewer.role in (Role.COORDINATOR, Role.CURATOR) else 403


def in_the_network(viewer: Viewer) -> int:
    """Follow-ups, deviations, checks and drafts are read by the whole network, unknown
    elsewhere."""
    return 200 if viewer.org in NETWORK else 404


def in_fjarranby(viewer: Viewer) -> int:
    """Fjärranby's own records: read by Fjärranby, unknown to everyone else."""
    return 200 if viewer.org == "standalone" else 404


def owner_writes(viewer: Viewer) -> int:
    """Only the owner's coordinators and curators edit; outside the network it is unknown."""
    if viewer.org == "owner" and viewer.role in (Role.COORDINATOR, Role.CURATOR):
        return 200
    if viewer.org not in NETWORK and viewer.role in (Role.COORDINATOR, Role.CURATOR):
        return 404
    return 403


def fjarranby_writes(viewer: Viewer) -> int:
    """Fjärranby's curator edits its follow-up; other writers do not know it."""
    if viewer.role not in (Role.COORDINATOR, Role.CURATOR):
        return 403
    return 200 if viewer == FAR_CURATOR else 404


def intermediary_only(role: Role) -> Status:
    """The intermediary's users in the role; that role elsewhere may look but not act."""

    def status(viewer: Viewer) -> int:
        if viewer.role != role:
            return 403
        if viewer.org == "intermediary":
            return 200
        return 403 if viewer.org in NETWORK else 404

    return status


def finding_readers(key: str) -> Status:
    """The finding's page: for whom may_see_finding says (tests/access_world.py)."""
    return lambda viewer: 200 if may_see_finding(viewer, key) else 404


def fjarranby_curator_edits(viewer: Viewer) -> int:
    """Fjärranby's finding: its curator edits it, other curators do not know it."""
    if viewer.role != Role.CURATOR:
        return 403
    return 200 if viewer == FAR_CURATOR else 404


def requirement_writers(network: tuple[str, ...]) -> Status:
    """Curators in the requirement owner's network edit it; other curators are refused."""
    return lambda viewer: 200 if viewer.role == Role.CURATOR and viewer.org in network else 403


def procurers_find_nothing(viewer: Viewer) -> int:
    return 404 if viewer.role == Role.PROCURER else 403


def importers_find_nothing(viewer: Viewer) -> int:
    return 404 if viewer.role in (Role.CURATOR, Role.ADMIN) else 403


def batch_readers(org: str) -> Status:
    """An import batch: admins, and the curators of the organisation it was made for (the
    intermediary's curator also reads its members' batches); other curators do not know it."""

    def status(viewer: Viewer) -> int:
        if viewer.role == Role.ADMIN or (viewer.role == Role.CURATOR and viewer.org == org):
            return 200
        return 404 if viewer.role == Role.CURATOR else 403

    return status


LEARNING_READERS = roles(Role.CURATOR, Role.PROCURER)
IMPORTERS = roles(Role.CURATOR, Role.ADMIN)
FOLLOWUP = "/uppfoljningar/<int:followup_id>"
FOLLOWUP_EDIT = "/uppfoljningar/<int:followup_id>/redigera"
DEVIATION = "/avvikelser/<int:deviation_id>"
CHECK = "/kontroller/<int:check_id>"
DETAIL = "/erfarenheter/<int:experience_id>"
EDIT = "/erfarenheter/<int:experience_id>/redigera"
FINDING = "/lardomar/<int:finding_id>"
REQUIREMENT = "/krav/<int:requirement_id>"
DRAFT = "/underlag/<int:draft_id>"
SUPPLIER, UNIT, AREA = (
    "/leverantorer/<int:supplier_id>",
    "/verksamheter/<int:unit_id>",
    "/avtalsomraden/<int:area_id>",
)
IMPORT_BATCH = "/import/<int:batch_id>"

REGISTER = (
    Route("/", "/", everyone),
    Route("/logga-in", "/logga-in", lambda viewer: 302, public=True),
    Route("/healthz", "/healthz", everyone, public=True),  # for load balancers: counts only
    Route("/readyz", "/readyz", everyone, public=True),
    Route("/leverantorer", "/leverantorer", everyone),
    Route("/sok", "/sok?q=placering OR bemanning", everyone),
    Route("/sok", "/sok?q=zebrakod&kind=experience", everyone),
    Route("/verksamheter", "/verksamheter", everyone),
    Route("/avtalsomraden", "/avtalsomraden", everyone),
    Route(AREA, "/avtalsomraden/{area}", everyone),
    Route("/upphandlingar/<int:round_id>", "/upphandlingar/{round}", everyone),
    Route("/upphandlingar/<int:round_id>", "/upphandlingar/{far_round}", everyone),
    Route("/upphandlingar/<int:round_id>", "/upphandlingar/{missing}", not_found),
    Route(SUPPLIER, "/leverantorer/{supplier}", everyone),
    Route(SUPPLIER, "/leverantorer/{far_supplier}", everyone),
    Route(UNIT, "/verksamheter/{unit}", everyone),
    Route(UNIT, "/verksamheter/{far_unit}", everyone),
    Route("/avtal/<int:contract_id>", "/avtal/{contract}", everyone),
    Route("/avtal/<int:contract_id>", "/avtal/{far_contract}", everyone),
    Route("/avtal/<int:contract_id>", "/avtal/{missing}", not_found),
    Route("/profil", "/profil", everyone),
    Route("/profil/losenord", "/profil/losenord", everyone),
)
ADMIN = (
    Route("/admin/organisationer", "/admin/organisationer", roles(Role.ADMIN)),
    Route("/admin/organisationer/ny", "/admin/organisationer/ny", roles(Role.ADMIN)),
    Route(
        "/admin/organisationer/<int:organisation_id>",
        "/admin/organisationer/{owner_org}",
        roles(Role.ADMIN),
    ),
    Route("/admin/anvandare", "/admin/anvandare", roles(Role.ADMIN)),
    Route("/admin/anvandare/ny", "/admin/anvandare/ny", roles(Role.ADMIN)),
    Route(
        "/admin/anvandare/<int:user_id>",
        "/admin/anvandare/{owner_caseworker}",
        roles(Role.ADMIN),
    ),
    Route("/logg/", "/logg/", roles(Role.ADMIN, Role.CURATOR), admins_read_all=True),
    Route(
        "/logg/",
        "/logg/?entity=Experience",
        roles(Role.ADMIN, Role.CURATOR),
        admins_read_all=True,
    ),
    Route("/admin/gallring", "/admin/gallring", roles(Role.ADMIN)),
)
FOLLOWING_UP = (
    Route("/uppfoljningar/", "/uppfoljningar/", everyone),
    Route("/uppfoljningar/", "/uppfoljningar/?verksamhet={unit}&ar=2024", everyone),
    Route("/uppfoljningar/ny", "/uppfoljningar/ny", follow_up_writers),
    Route("/uppfoljningar/ny", "/uppfoljningar/ny?scope=unit&id={unit}", follow_up_writers),
    Route(FOLLOWUP, "/uppfoljningar/{followup}", in_the_network),
    Route(FOLLOWUP, "/uppfoljningar/{far_followup}", in_fjarranby),
    Route(FOLLOWUP, "/uppfoljningar/{missing}", not_found),
    Route(FOLLOWUP_EDIT, "/uppfoljningar/{followup}/redigera", owner_writes),
    Route(FOLLOWUP_EDIT, "/uppfoljningar/{far_followup}/redigera", fjarranby_writes),
    Route("/avvikelser/", "/avvikelser/", everyone),
    Route("/avvikelser/", "/avvikelser/?leverantor={supplier}", everyone),
    Route("/avvikelser/ny", "/avvikelser/ny", follow_up_writers),
    Route(DEVIATION, "/avvikelser/{deviation}", in_the_network),
    Route(DEVIATION, "/avvikelser/{far_deviation}", in_fjarranby),
    Route(DEVIATION, "/avvikelser/{missing}", not_found),
    Route("/kontroller/", "/kontroller/", everyone),
    Route("/kontroller/ny", "/kontroller/ny?leverantor={supplier}", follow_up_writers),
    Route(CHECK, "/kontroller/{check}", in_the_network),
    Route(CHECK, "/kontroller/{far_check}", in_fjarranby),
    Route("/kontroller/omgang", "/kontroller/omgang", follow_up_writers),
    Route("/kontroller/omgang", "/kontroller/omgang?omgang={round}", follow_up_writers),
)
EXPERIENCE_PAGES = (
    Route("/erfarenheter/mina", "/erfarenheter/mina", roles(Role.CASEWORKER)),
    *(
        Route(DETAIL, f"/erfarenheter/{{{key}}}", readers_of(key))
        for key in ("owner_1", "draft", "neighbour", "far")
    ),
    Route(DETAIL, "/erfarenheter/{missing}", not_found),
    Route("/erfarenheter/ny", "/erfarenheter/ny", roles(Role.CASEWORKER)),
    Route("/erfarenheter/ny", "/erfarenheter/ny?unit={unit}", roles(Role.CASEWORKER)),
    *(
        Route(EDIT, f"/erfarenheter/{{{key}}}/redigera", author_of(key))
        for key in ("owner_1", "draft", "neighbour", "far")
    ),
    Route(EDIT, "/erfarenheter/{missing}/redigera", caseworkers_get_404),
    Route(
        "/erfarenheter/avtal",
        "/erfarenheter/avtal?unit_id={unit}&agreement_area_id={area}&start=2023-02",
        roles(Role.CASEWORKER),
    ),
)
LEARNING_LOOP = (
    Route("/lardomar/", "/lardomar/", everyone),
    Route("/lardomar/", "/lardomar/?status=accepterad", everyone),
    Route("/lardomar/ko", "/lardomar/ko", roles(Role.CURATOR)),
    Route("/lardomar/ny", "/lardomar/ny", roles(Role.CURATOR)),
    Route("/lardomar/ny", "/lardomar/ny?erfarenhet={owner_1}", roles(Role.CURATOR)),
    *(
        Route(FINDING, f"/lardomar/{{{key}}}", finding_readers(key))
        for key in ("finding", "finding_proposed", "finding_applied_unpublished", "far_finding")
    ),
    Route(FINDING, "/lardomar/{missing}", not_found),
    Route(f"{FINDING}/redigera", "/lardomar/{finding}/redigera", intermediary_only(Role.CURATOR)),
    Route(f"{FINDING}/redigera", "/lardomar/{far_finding}/redigera", fjarranby_curator_edits),
    Route("/krav/", "/krav/", everyone),
    Route("/krav/", "/krav/?q=rapport&typ=skall_krav", everyone),
    Route(REQUIREMENT, "/krav/{requirement}", everyone),
    Route(REQUIREMENT, "/krav/{far_requirement}", everyone),
    Route(REQUIREMENT, "/krav/{missing}", not_found),
    Route(f"{REQUIREMENT}/version/<int:number>", "/krav/{requirement}/version/2", everyone),
    Route("/krav/ny", "/krav/ny", roles(Role.CURATOR)),
    Route(f"{REQUIREMENT}/redigera", "/krav/{requirement}/redigera", requirement_writers(NETWORK)),
    Route(
        f"{REQUIREMENT}/redigera",
        "/krav/{far_requirement}/redigera",
        requirement_writers(("standalone",)),
    ),
    Route("/underlag/", "/underlag/", everyone),
    Route("/underlag/ny-omgang", "/underlag/ny-omgang?omrade={area}", roles(Role.PROCURER)),
    Route("/underlag/omgang/<int:round_id>", "/underlag/omgang/{unplanned_round}", in_the_network),
    Route("/underlag/omgang/<int:round_id>", "/underlag/omgang/{far_round}", in_fjarranby),
    Route(DRAFT, "/underlag/{tender_draft}", in_the_network),
    Route(DRAFT, "/underlag/{far_draft}", in_fjarranby),
    Route(DRAFT, "/underlag/{missing}", not_found),
    Route(f"{DRAFT}/andringar", "/underlag/{tender_draft}/andringar", in_the_network),
    Route(f"{DRAFT}/andringar", "/underlag/{far_draft}/andringar", in_fjarranby),
    Route(
        f"{DRAFT}/utanfor-avtal",
        "/underlag/{tender_draft}/utanfor-avtal?skal=kompetens",
        in_the_network,
    ),
    Route(f"{DRAFT}/utanfor-avtal", "/underlag/{far_draft}/utanfor-avtal", in_fjarranby),
    Route(
        f"{DRAFT}/krav/<int:item_id>/redigera",
        "/underlag/{tender_draft}/krav/{kept_item}/redigera",
        intermediary_only(Role.PROCURER),
    ),
    Route(
        f"{DRAFT}/krav/<int:item_id>/redigera",
        "/underlag/{far_draft}/krav/{far_item}/redigera",
        procurers_find_nothing,
    ),
)
EXPORTS = (
    Route(
        f"{DRAFT}/export.docx",
        "/underlag/{tender_draft}/export.docx",
        in_the_network,
        content="Matrisunderlag",
    ),
    Route(
        f"{DRAFT}/export.docx",
        "/underlag/{far_draft}/export.docx",
        in_fjarranby,
        content="Fjärrunderlag",
    ),
    Route(
        f"{DRAFT}/export.md",
        "/underlag/{tender_draft}/export.md",
        in_the_network,
        content="Matrisunderlag",
    ),
    Route(
        f"{DRAFT}/export.md", "/underlag/{far_draft}/export.md", in_fjarranby, content="FJARR-01"
    ),
    Route(
        f"{SUPPLIER}/diagram.json",
        "/leverantorer/{supplier}/diagram.json",
        everyone,
        content='"figures"',
    ),
    Route(
        f"{SUPPLIER}/tabell/<figure_id>.csv",
        "/leverantorer/{supplier}/tabell/sammanbrott.csv",
        everyone,
        content="Verksamhet;Andel sammanbrott",
    ),
    Route(f"{SUPPLIER}/diagram.json", "/leverantorer/{missing}/diagram.json", not_found),
    Route(
        f"{UNIT}/diagram.json",
        "/verksamheter/{unit}/diagram.json?tema=bemanning",
        everyone,
        content='"figures"',
    ),
    Route(
        f"{UNIT}/tabell/<figure_id>.csv",
        "/verksamheter/{unit}/tabell/tidslinje.csv",
        everyone,
        content="Datum;Typ;Händelse",
    ),
    Route(f"{UNIT}/tabell/<figure_id>.csv", "/verksamheter/{unit}/tabell/okand.csv", not_found),
    Route(f"{AREA}/oversikt", "/avtalsomraden/{area}/oversikt", everyone),
    Route(f"{AREA}/oversikt", "/avtalsomraden/{missing}/oversikt", not_found),
    Route(
        f"{AREA}/oversikt/diagram.json",
        "/avtalsomraden/{area}/oversikt/diagram.json",
        everyone,
        content='"figures"',
    ),
    Route(
        f"{AREA}/oversikt/tabell/<figure_id>.csv",
        "/avtalsomraden/{area}/oversikt/tabell/rangordning.csv",
        everyone,
        content="Plats;Verksamhet",
    ),
    Route("/larande/", "/larande/", LEARNING_READERS),
    Route("/larande/", "/larande/?omrade={area}", LEARNING_READERS),
    Route(
        "/larande/diagram.json",
        "/larande/diagram.json?omrade={area}",
        LEARNING_READERS,
        content='"figures"',
    ),
    Route(
        "/larande/tabell/<figure_id>.csv",
        "/larande/tabell/vantar-langst.csv",
        LEARNING_READERS,
        content="Lärdom;Rubrik",
    ),
)
IMPORTS = (
    Route("/import/", "/import/", IMPORTERS),
    Route(
        "/import/mall/<kind>.csv",
        "/import/mall/experiences.csv",
        IMPORTERS,
        content="forfattare_epost;leverantor_organisationsnummer",
    ),
    Route("/import/mall/<kind>.csv", "/import/mall/okand.csv", importers_find_nothing),
    Route(IMPORT_BATCH, "/import/{batch}", batch_readers("intermediary")),
    Route(IMPORT_BATCH, "/import/{far_batch}", batch_readers("standalone")),
    Route(IMPORT_BATCH, "/import/{missing}", importers_find_nothing),
    Route("/import/jobb/<token>", "/import/jobb/finnsinte", importers_find_nothing),
    Route("/import/jobb/<token>.json", "/import/jobb/finnsinte.json", importers_find_nothing),
)
WEB_GETS = REGISTER + ADMIN + FOLLOWING_UP + EXPERIENCE_PAGES + LEARNING_LOOP + EXPORTS + IMPORTS


# --- The API, with each viewer's token ------------------------------------------------------


def api_readers_of(key: str) -> Status:
    return lambda viewer: 200 if may_read(viewer, key) else 404


API = "/api/v1"
API_LISTS = (
    "agreement-areas",
    "suppliers",
    "units",
    "tender-rounds",
    "contracts",
    "findings",
    "requirements",
    "experiences",
    "search",
)
API_ITEMS = {  # name -> (the rule's argument, the world's keys of items everyone reads)
    "agreement-areas": ("area_id", ("area",)),
    "suppliers": ("supplier_id", ("supplier", "far_supplier")),
    "units": ("unit_id", ("unit", "far_unit")),
    "tender-rounds": ("round_id", ("round", "far_round")),
    "contracts": ("contract_id", ("contract", "far_contract")),
    "requirements": ("requirement_id", ("requirement", "far_requirement")),
}
API_GETS = (
    Route(f"{API}/openapi.json", f"{API}/openapi.json", everyone, public=True, anonymous=200),
    *(Route(f"{API}/{name}", f"{API}/{name}", everyone, anonymous=401) for name in API_LISTS),
    Route(f"{API}/search", f"{API}/search?q=zebrakod&kind=experience", everyone, anonymous=401),
    *(
        Route(f"{API}/{name}/<int:{arg}>", f"{API}/{name}/{{{key}}}", everyone, anonymous=401)
        for name, (arg, keys) in API_ITEMS.items()
        for key in keys
    ),
    *(
        Route(f"{API}/{name}/<int:{arg}>", f"{API}/{name}/{{missing}}", not_found, anonymous=401)
        for name, (arg, _keys) in API_ITEMS.items()
    ),
    *(
        Route(
            f"{API}/experiences/<int:experience_id>",
            f"{API}/experiences/{{{key}}}",
            api_readers_of(key),
            anonymous=401,
        )
        for key in EXPERIENCES
    ),
    *(
        Route(
            f"{API}/findings/<int:finding_id>",
            f"{API}/findings/{{{key}}}",
            finding_readers(key),
            anonymous=401,
        )
        for key in ("finding", "finding_proposed", "far_finding")
    ),
    Route(
        f"{API}/ocds/tender-rounds/<int:round_id>",
        f"{API}/ocds/tender-rounds/{{round}}",
        in_the_network,
        anonymous=401,
        content="MATRIS-A",
    ),
    Route(
        f"{API}/ocds/tender-rounds/<int:round_id>",
        f"{API}/ocds/tender-rounds/{{far_round}}",
        in_fjarranby,
        anonymous=401,
        content="FJÄRR-A",
    ),
    Route(
        f"{API}/ocds/extension/<name>",
        f"{API}/ocds/extension/extension.json",
        everyone,
        anonymous=401,
    ),
    Route(
        f"{API}/ocds/extension/<name>", f"{API}/ocds/extension/okand.json", not_found, anonymous=401
    ),
)
