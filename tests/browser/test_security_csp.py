"""The Content-Security-Policy in a real browser: every role's main pages load without a single
``securitypolicyviolation`` event or CSP console error, and the experience form's script
(typeahead, contract list fetched from the server) still works under the policy.

The listener is installed as an init script in every document and reports to Python through
an exposed binding, so violations from any page of the context are collected. The first test
proves that the listener sees a violation when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import ConsoleMessage, Route, expect

from kb.auth.models import Role
from kb.main.security import CONTENT_SECURITY_POLICY
from kb.themes import Theme
from tests.browser.conftest import Browse

pytestmark = pytest.mark.browser
# Search must see the experience saved during the test at once.
LIVE_SERVER_SETTINGS = {"SEARCH_SYNC": "sync"}

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__kbCspViolation({
    page: document.URL,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    sample: event.sample,
  });
});
"""
CSP_CONSOLE = re.compile(r"Content Security Policy|Content-Security-Policy", re.IGNORECASE)
NEXT_ROUND = "TEST 2028/960"


@dataclass
class CspWatch:
    """Violations and CSP console messages seen in one browser context."""

    violations: list[dict] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def note_console(self, message: ConsoleMessage) -> None:
        if CSP_CONSOLE.search(message.text) or message.type == "error":
            self.console.append(f"{message.type}: {message.text} ({message.location})")

    def assert_clean(self) -> None:
        assert not self.violations, f"CSP-överträdelser: {self.violations}"
        csp_errors = [text for text in self.console if CSP_CONSOLE.search(text)]
        assert not csp_errors, f"CSP-fel i konsolen: {csp_errors}"


@pytest.fixture
def watched(open_page: Callable[..., Browse]) -> tuple[Browse, CspWatch]:
    browse = open_page()
    watch = CspWatch()
    context = browse.page.context
    context.expose_binding("__kbCspViolation", lambda _source, info: watch.violations.append(info))
    context.add_init_script(LISTENER)
    browse.page.on("console", watch.note_console)
    browse.page.on("framenavigated", lambda frame: watch.visited.append(frame.url))
    return browse, watch


def test_the_listener_reports_a_violation(watched: tuple[Browse, CspWatch]):
    """A page with inline script and style under the app's policy must be caught."""
    browse, watch = watched
    address = browse.live("/prov-csp")

    def bad_page(route: Route) -> None:
        route.fulfill(
            status=200,
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
            content_type="text/html; charset=utf-8",
            body=(
                '<!doctype html><html lang="sv"><head><title>Prov</title></head><body><main>'
                '<h1 style="color: red">Prov</h1><script>document.title = "x";</script>'
                "</main></body></html>"
            ),
        )

    browse.page.route(address, bad_page)
    browse.visit("/prov-csp")
    browse.page.wait_for_function("() => document.readyState === 'complete'")
    browse.page.evaluate("() => new Promise((done) => setTimeout(done, 100))")
    directives = {violation["directive"] for violation in watch.violations}
    assert {"script-src-elem", "style-src-attr"} <= directives, watch.violations
    assert browse.page.title() == "Prov"  # the inline script did not run
    with pytest.raises(AssertionError):
        watch.assert_clean()


def _links(browse: Browse) -> dict[str, str]:
    """The supplier page and the area overview of the seeded world."""
    page, world = browse.page, browse.live.world
    browse.visit(f"/verksamheter/{browse.live.unit_ids[world.unit]}")
    supplier = page.get_by_role("link", name=world.supplier).first.get_attribute("href")
    browse.visit("/avtalsomraden")
    area = page.get_by_role("link", name=world.area, exact=True).first.get_attribute("href")
    return {"supplier": supplier, "area": area, "overview": f"{area}/oversikt"}


def _visit_all(browse: Browse, paths: list[str]) -> None:
    for path in paths:
        response = browse.visit(path)
        assert response.status == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def _log_an_experience_with_the_script(browse: Browse) -> None:
    """The form's script under the policy: the typeahead picks the unit, the area follows and
    the contract list is fetched from the server; then the experience is submitted."""
    page, world = browse.page, browse.live.world
    browse.visit("/erfarenheter/ny")
    page.get_by_label("Startmånad").fill("2025-02")
    page.get_by_label("Slutmånad").fill("2025-08")
    page.locator("#start").dispatch_event("change")
    with page.expect_response(re.compile(r"/erfarenheter/avtal\?")):
        page.get_by_label("Sök verksamhet eller leverantör").press_sequentially("ekb")
    expect(page.locator(".typeahead").get_by_role("status")).to_have_text("1 träff")
    expect(page.get_by_label("Verksamhet", exact=True)).to_have_value(
        str(browse.live.unit_ids[world.unit])
    )
    expect(page.get_by_label("Avtalsområde", exact=True).locator("option:checked")).to_have_text(
        world.area
    )
    contract = page.get_by_label("Avtal", exact=True)
    starts = re.compile("^" + re.escape(world.contract).replace("/", r"\/"))  # "/" escaped
    option = contract.get_by_role("option", name=starts)
    expect(option).to_have_count(1)
    contract.select_option(option.get_attribute("value"))
    for label, value in (
        ("Typ av placering", "Behandling"),
        ("Lagrum", "SoL"),
        ("Åldersgrupp", "13–15 år"),
        ("Hur slutade placeringen?", "Planerat, mål uppnått"),
        ("Skulle ni placera här igen?", "Ja"),
    ):
        page.get_by_label(label, exact=True).select_option(label=value)
    for theme in Theme:
        page.get_by_label(str(theme.label), exact=True).select_option("4")
    page.get_by_label("Vad fungerade", exact=True).fill("Tydlig kvällsbemanning och bra skolstöd.")
    browse.follow(page.get_by_role("button", name="Skicka in").click)
    expect(page.get_by_text("Erfarenheten är inskickad")).to_be_visible()


def _build_a_tender_draft(browse: Browse) -> None:
    page, world = browse.page, browse.live.world
    browse.visit("/underlag/ny-omgang")
    page.get_by_label("Byt avtalsområde").select_option(label=world.area)
    browse.follow(page.get_by_role("button", name="Visa föregående omgångar").click)
    page.get_by_label("Föregående omgång").select_option(
        label=f"{world.round_reference} {world.round_title}"
    )
    page.get_by_label("Diarienummer").fill(NEXT_ROUND)
    page.get_by_label("Rubrik").fill("Påhittade HVB-hem för unga – ramavtal 2029–2032")
    page.get_by_label("Upphandlingsform").select_option(label="LOU ramavtal")
    browse.follow(page.get_by_role("button", name="Skapa omgången").click)
    browse.follow(page.get_by_role("button", name="Generera utkast").click)
    expect(page.get_by_role("link", name="Vad har ändrats och varför")).to_be_visible()
    browse.follow(page.get_by_role("link", name="Vad har ändrats och varför").click)
    # The print button's handler comes from print_button.js; the print dialog itself is
    # replaced by a marker so that the test can see the click reached the handler.
    page.evaluate("() => { window.print = () => { window.__kbPrinted = true; }; }")
    page.locator("[data-print]").first.click()
    assert page.evaluate("() => window.__kbPrinted === true")


def _check_rating_bars(browse: Browse, path: str) -> None:
    """The scorecard's rating bars (SVG, once spans with style attributes) fill their width
    and take their colours from the style sheet."""
    browse.visit(path)
    bars = browse.page.locator("svg.bar")
    assert bars.count() > 0
    for bar in bars.all():
        widths = bar.locator("rect").evaluate_all("els => els.map(e => e.width.baseVal.value)")
        assert abs(sum(widths) - 100) < 0.1, widths
    fills = bars.locator("rect").evaluate_all("els => els.map(e => getComputedStyle(e).fill)")
    assert fills and "rgb(0, 0, 0)" not in fills, fills  # black is SVG's unstyled default


def test_every_roles_main_pages_run_under_the_policy(watched: tuple[Browse, CspWatch]):
    browse, watch = watched
    world = browse.live.world
    unit = f"/verksamheter/{browse.live.unit_ids[world.unit]}"

    browse.sign_in(Role.CASEWORKER)
    links = _links(browse)
    _log_an_experience_with_the_script(browse)
    _visit_all(
        browse,
        [
            "/",
            "/sok?q=kvällsbemanning",
            links["supplier"],
            unit,
            f"/erfarenheter/ny?unit={browse.live.unit_ids[world.unit]}",
            "/erfarenheter/mina",
            "/profil",
            "/profil/losenord",
        ],
    )
    browse.sign_out()

    browse.sign_in(Role.COORDINATOR)
    _visit_all(browse, ["/", "/avvikelser/", "/uppfoljningar/", "/kontroller/", links["supplier"]])
    browse.sign_out()

    browse.sign_in(Role.CURATOR)
    _visit_all(
        browse,
        [
            "/",
            "/sok?q=bemanning",
            links["supplier"],
            unit,
            links["area"],
            links["overview"],
            "/larande/",
            "/lardomar/",
            "/lardomar/ko",
            "/krav/",
            "/logg/",
            "/profil",
        ],
    )
    _check_rating_bars(browse, unit)
    charts = browse.page.locator("figure[data-figure] svg")
    browse.visit(links["overview"])
    assert charts.count() > 0
    browse.sign_out()

    browse.sign_in(Role.PROCURER)
    _visit_all(browse, ["/", "/larande/", "/underlag/"])
    _build_a_tender_draft(browse)
    browse.sign_out()

    browse.sign_in(Role.ADMIN)
    _visit_all(
        browse,
        ["/", "/admin/anvandare", "/admin/organisationer", "/admin/anvandare/ny", "/import/"],
    )
    not_found = browse.visit("/finns-inte")
    assert not_found.status == 404

    assert len(watch.visited) > 40
    watch.assert_clean()
