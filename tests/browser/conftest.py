"""Browser fixtures: a live server with fictional data, headless Chromium and an axe guard.

The suite drives the Chromium at KB_CHROMIUM_PATH (default /usr/bin/chromium). Without it the
tests skip, unless KB_REQUIRE_BROWSER=1, in which case they fail.

Every page a test opens goes through ``Browse``: ``visit`` and ``follow`` run axe-core on the
new document and fail on any serious or critical violation. As a safety net, every document
the page loads is counted, and a test that passed still fails at teardown if a loaded document
was never checked.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright
from playwright.sync_api import Response as PageResponse
from sqlalchemy import create_engine
from stdnum.se import orgnr
from werkzeug.serving import BaseWSGIServer, make_server

from config import TestConfig
from kb import create_app
from kb.auth.models import Role, User
from kb.database import Base
from kb.experiences.models import (
    AgeBand,
    EndReason,
    Experience,
    ExperienceRating,
    ExperienceStatus,
    LegalBasis,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.extensions import db as kb_db
from kb.markdown import render_markdown
from kb.organisations.models import Organisation, OrganisationKind
from kb.suppliers.models import AgreementArea, AreaCategory, LegalForm, Supplier, Unit
from kb.tenders.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    ProcurementForm,
    TenderRound,
    TenderRoundStatus,
)
from kb.themes import Theme

CHROMIUM_PATH = os.environ.get("KB_CHROMIUM_PATH", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("KB_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}
TIMEOUT_MS = 15_000
PASSWORD = "Webbläsartest-lösen-42"


@dataclass(frozen=True)
class Person:
    role: Role
    name: str
    email: str
    organisation: str


PEOPLE = {
    Role.CASEWORKER: Person(
        Role.CASEWORKER, "Hedda Handläggare", "handlaggare@test.invalid", "Påhittköping"
    ),
    Role.COORDINATOR: Person(
        Role.COORDINATOR, "Sam Samordnare", "samordnare@test.invalid", "Påhittköping"
    ),
    Role.CURATOR: Person(
        Role.CURATOR, "Kim Kunskapsansvarig", "kunskap@test.invalid", "Testförbundet"
    ),
    Role.PROCURER: Person(
        Role.PROCURER, "Ulla Upphandlare", "upphandlare@test.invalid", "Testförbundet"
    ),
    Role.ADMIN: Person(Role.ADMIN, "Ada Administratör", "admin@test.invalid", "Testförbundet"),
}


@dataclass(frozen=True)
class World:
    """The fictional catalogue seeded beside the people (every name is invented).

    ``unit`` serves only ``area`` and is covered by the active ``contract``. Another member
    municipality (``other_municipality``) has submitted ``seeded_experiences`` experiences
    about it: exactly ``min_group_size``, so a caseworker of the seeded municipality, who may
    not read them, sees their count and figures, while a theme rated in fewer of them is
    suppressed. ``second_unit`` (same supplier and contract) serves ``area`` and
    ``second_area`` and has no experiences.
    """

    area: str = "Påhittade HVB-hem för unga"
    second_area: str = "Låtsade stödboenden"
    supplier: str = "Fantasivården AB"
    supplier_org_number: str = "559990-0098"
    unit: str = "Ekbackens HVB"
    second_unit: str = "Granbackens HVB"
    unit_municipality: str = "Hittepå"
    round_reference: str = "TEST 2023/901"
    round_title: str = "Påhittade HVB-hem för unga – ramavtal 2024–2027"
    contract: str = "TEST 2023/901-01"
    other_municipality: str = "Låtsasby"
    other_caseworker_email: str = "latsas@test.invalid"
    min_group_size: int = 3
    seeded_experiences: int = 3


WORLD = World()

# The other municipality's experiences about WORLD.unit: (start, end, end reason, would place
# again, daily price, ratings; a theme left out is rated 3, None means "ej aktuellt").
# Bemanning is rated 3, 2 and 4; Skola 4 and 5 (and "ej aktuellt"), so fewer than three times.
SEEDED_EXPERIENCES = (
    (
        (2024, 2),
        (2024, 9),
        EndReason.PLANNED,
        WouldPlaceAgain.YES,
        Decimal(4200),
        {Theme.BEMANNING: 3, Theme.SKOLA: 4},
    ),
    (
        (2024, 5),
        (2025, 1),
        EndReason.BREAKDOWN,
        WouldPlaceAgain.NO,
        Decimal(4800),
        {Theme.BEMANNING: 2, Theme.SKOLA: None},
    ),
    (
        (2024, 3),
        (2024, 11),
        EndReason.PLANNED,
        WouldPlaceAgain.YES,
        Decimal(4500),
        {Theme.BEMANNING: 4, Theme.SKOLA: 5},
    ),
)


# --- Chromium -------------------------------------------------------------------------------


def chromium_executable() -> str:
    """Return the Chromium to drive, or skip (fail under KB_REQUIRE_BROWSER=1) without it."""
    path = Path(CHROMIUM_PATH)
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    message = f"webbläsarsviten kräver Chromium på {CHROMIUM_PATH} (KB_CHROMIUM_PATH)"
    if REQUIRE_BROWSER:
        pytest.fail(message + " (KB_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    chromium_executable()
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    instance = playwright_driver.chromium.launch(
        executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
    )
    yield instance
    instance.close()


# --- Live server ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    url: str
    people: dict[Role, Person]
    password: str
    world: World = WORLD
    unit_ids: dict[str, int] = field(default_factory=dict)

    def __call__(self, path: str) -> str:
        return self.url + path


def _seed(app: Flask) -> dict[str, int]:
    """Seed people and the fictional catalogue; return the unit ids by name."""
    with app.app_context():
        federation = Organisation(name="Testförbundet", kind=OrganisationKind.INTERMEDIARY)
        municipality = Organisation(
            name="Påhittköping", kind=OrganisationKind.MUNICIPALITY, member_of=federation
        )
        organisations = {org.name: org for org in (federation, municipality)}
        kb_db.session.add_all(organisations.values())
        for person in PEOPLE.values():
            user = User(
                name=person.name,
                email=person.email,
                organisation=organisations[person.organisation],
                active=True,
            )
            user.set_password(PASSWORD)
            user.set_roles({person.role})
            kb_db.session.add(user)
        units = _seed_catalogue(federation, municipality)
        kb_db.session.commit()
        return {unit.name: unit.id for unit in units}


def _seed_catalogue(federation: Organisation, municipality: Organisation) -> list[Unit]:
    """One supplier with two units, an active contract, and another municipality's
    experiences; see ``World``."""
    assert orgnr.is_valid(WORLD.supplier_org_number)
    assert len(SEEDED_EXPERIENCES) == WORLD.seeded_experiences
    other = Organisation(
        name=WORLD.other_municipality, kind=OrganisationKind.MUNICIPALITY, member_of=federation
    )
    author = User(
        name="Lo Låtsas", email=WORLD.other_caseworker_email, organisation=other, active=True
    )
    author.set_password(PASSWORD)
    author.set_roles({Role.CASEWORKER})
    area = AgreementArea(name=WORLD.area, category=AreaCategory.IFO)
    second_area = AgreementArea(name=WORLD.second_area, category=AreaCategory.IFO)
    supplier = Supplier(
        name=WORLD.supplier, org_number=WORLD.supplier_org_number, legal_form=LegalForm.AKTIEBOLAG
    )
    units = [
        Unit(
            supplier=supplier,
            name=name,
            age_min=12,
            age_max=20,
            places=8,
            municipality=WORLD.unit_municipality,
            agreement_areas=areas,
        )
        for name, areas in (
            (WORLD.unit, [area]),
            (WORLD.second_unit, [area, second_area]),
        )
    ]
    tender_round = TenderRound(
        reference=WORLD.round_reference,
        title=WORLD.round_title,
        agreement_area=area,
        procurement_form=ProcurementForm.LOU_FRAMEWORK,
        lead_organisation=federation,
        status=TenderRoundStatus.ACTIVE,
        published_on=date(2023, 6, 1),
        contract_start=date(2024, 1, 1),
        contract_end=date(2027, 12, 31),
        participants=[municipality, other],
    )
    contract = Contract(
        tender_round=tender_round,
        supplier=supplier,
        reference=WORLD.contract,
        status=ContractStatus.ACTIVE,
        units=list(units),
    )
    contract.status_changes.append(
        ContractStatusChange(
            to_status=ContractStatus.ACTIVE,
            changed_on=date(2024, 1, 1),
            reason="Avtal tecknat efter tilldelning.",
        )
    )
    kb_db.session.add_all([other, author, area, second_area, supplier, tender_round, contract])
    for start, end, end_reason, again, price, ratings in SEEDED_EXPERIENCES:
        text = "Tydlig genomförandeplan och snabb återkoppling från kontaktpersonen."
        kb_db.session.add(
            Experience(
                organisation=other,
                author=author,
                unit=units[0],
                agreement_area=area,
                contract=contract,
                placement_kind=PlacementKind.TREATMENT,
                legal_basis=LegalBasis.SOL,
                age_band=AgeBand.AGE_13_15,
                start_year=start[0],
                start_month=start[1],
                end_year=end[0],
                end_month=end[1],
                end_reason=end_reason,
                would_place_again=again,
                daily_price=price,
                worked_md=text,
                worked_html=render_markdown(text),
                status=ExperienceStatus.SUBMITTED,
                submitted_at=datetime(end[0], end[1], 15, 12),
                ratings=[
                    ExperienceRating(theme=theme, rating=ratings.get(theme, 3)) for theme in Theme
                ],
            )
        )
    return units


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A freshly seeded server per test module, so one module's writes (experiences, audit
    records) never change what another module's tests see. A module may set
    LIVE_SERVER_SETTINGS, e.g. to index searches as they happen."""
    folder = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{folder / 'kb.sqlite'}"
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    engine.dispose()

    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": folder / "instance",
            "WHOOSH_INDEX_PATH": str(folder / "instance" / "whoosh-index"),
            "MIN_GROUP_SIZE": WORLD.min_group_size,
            **getattr(request.module, "LIVE_SERVER_SETTINGS", {}),
        },
    )
    unit_ids = _seed(app)

    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kb-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(
            f"http://127.0.0.1:{server.server_port}", PEOPLE, PASSWORD, WORLD, unit_ids
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            kb_db.session.remove()
            kb_db.engine.dispose()


# --- Accessibility guard --------------------------------------------------------------------


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


@dataclass
class Browse:
    """A page whose every visited document is checked with axe-core.

    axe-core needs timers, which never fire in a page with JavaScript turned off. For such a
    page pass ``checker``: a page with JavaScript on (and every script request refused) that
    loads a copy of the document at the same address, so that axe sees the same markup with
    the same style sheets.
    """

    page: Page
    live: LiveServer
    axe: Axe
    checker: Page | None = None
    loaded: list[str] = field(default_factory=list)
    checked: dict[str, str] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("load", self._on_load)
        self.page.on("response", self._on_response)

    def _on_load(self, page: Page) -> None:
        if not page.url.startswith("about:"):
            self.loaded.append(page.url)

    def _on_response(self, response: PageResponse) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    def assert_accessible(self) -> None:
        """Run axe on the current document; fail on serious or critical violations."""
        document = self.page.evaluate(
            "() => window.__kbDocument ??= `${Date.now()}-${Math.random()}`"
        )
        results = self.axe.run(self.page if self.checker is None else self._copy_for_axe())
        self.checked[document] = self.page.url
        blocking = [
            violation
            for violation in results.response["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
        ]
        assert not blocking, (
            f"axe: allvarliga tillgänglighetsfel på {self.page.url}\n{_describe(blocking)}"
        )

    def _copy_for_axe(self) -> Page:
        """Load the current document's markup into the checker page, at the same address."""
        assert self.checker is not None
        url, html = self.page.url, self.page.content()
        address = urldefrag(url).url

        def serve_copy(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        self.checker.route(lambda requested: urldefrag(requested).url == address, serve_copy)
        try:
            self.checker.goto(url)
        finally:
            self.checker.unroute_all()
            self.checker.route("**/*.js", lambda route: route.abort())
        return self.checker

    def visit(self, path: str) -> PageResponse:
        """Open a path on the live server and check the page."""
        response = self.page.goto(self.live(path))
        assert response is not None, f"no response for {path}"
        self.assert_accessible()
        return response

    def follow(self, action: Callable[[], object]) -> None:
        """Perform an action that loads a new document (submit, link), then check that page."""
        with self.page.expect_event("load"):
            action()
        self.assert_accessible()

    def sign_in(self, role: Role) -> Person:
        """Sign in through the form (opening the login page unless already on it)."""
        person = self.live.people[role]
        if not self.page.url.startswith(self.live("/logga-in")):
            self.visit("/logga-in")
        self.page.get_by_label("E-postadress").fill(person.email)
        self.page.get_by_label("Lösenord").fill(self.live.password)
        self.follow(self.page.get_by_role("button", name="Logga in").click)
        return person

    def sign_out(self) -> None:
        """Press the header's "Logga ut" button (a POST form)."""
        button = self.page.get_by_role("banner").get_by_role("button", name="Logga ut")
        self.follow(button.click)

    def unchecked_documents(self) -> list[str]:
        """Return the loaded documents axe never saw (by count, as events carry no identity)."""
        self.page.evaluate("() => document.readyState")  # let pending events arrive
        missing = len(self.loaded) - len(self.checked)
        return self.loaded[-missing:] if missing > 0 else []

    def verify(self) -> None:
        unchecked = self.unchecked_documents()
        assert not unchecked, (
            "sidor laddades utan axe-kontroll: "
            f"{unchecked} (laddade {self.loaded}, kontrollerade {list(self.checked.values())})"
        )
        assert not self.server_errors, f"serverfel: {self.server_errors}"


CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Remember whether the test body failed, so teardown does not pile on a second error."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, axe: Axe
) -> Iterator[Callable[..., Browse]]:
    """Open a fresh browser context (own cookies) as a guarded ``Browse``."""
    opened: list[tuple[BrowserContext, Browse]] = []
    checkers: list[BrowserContext] = []

    def open_one(**context_options: Any) -> Browse:
        context = browser.new_context(locale="sv-SE", **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        checker = None
        if context_options.get("java_script_enabled") is False:
            checker_context = browser.new_context(
                locale="sv-SE", **{**context_options, "java_script_enabled": True}
            )
            checker_context.set_default_timeout(TIMEOUT_MS)
            checkers.append(checker_context)
            checker = checker_context.new_page()
            checker.route("**/*.js", lambda route: route.abort())
        browse = Browse(context.new_page(), live_server, axe, checker)
        opened.append((context, browse))
        return browse

    yield open_one
    try:
        if not request.node.stash.get(CALL_FAILED, True):
            for _context, browse in opened:
                browse.verify()
    finally:
        for context in [*(context for context, _browse in opened), *checkers]:
            context.close()


@pytest.fixture
def browse(open_page: Callable[..., Browse]) -> Browse:
    return open_page()
