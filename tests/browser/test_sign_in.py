"""Signing in and out in a real browser, with axe-core run on every page visited."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from kb.auth.models import Role
from tests.browser.conftest import Browse

pytestmark = pytest.mark.browser

# The role's heading and a sentence only that role's block on the start page shows.
START_PAGE_TEXT = {
    Role.CASEWORKER: ("Socialsekreterare / handläggare", "Berätta hur en placering gick"),
    Role.COORDINATOR: (
        "Placeringssamordnare / avtalsansvarig",
        "Följ upp leverantörerna: öppna avvikelser först",
    ),
    Role.CURATOR: ("Kunskapsansvarig", "Gå igenom nya erfarenheter och föreslagna lärdomar"),
    Role.PROCURER: ("Upphandlare", "Planera nästa upphandlingsomgång"),
    Role.ADMIN: ("Administratör", "Hantera organisationer, användare och roller."),
}

PHONE = {"width": 375, "height": 740}

ADMIN_PAGES = [
    ("/admin/anvandare", "Användare"),
    ("/admin/organisationer", "Organisationer"),
    ("/admin/organisationer/ny", "Ny organisation"),
    ("/admin/anvandare/ny", "Nytt konto"),
    ("/logg/", "Ändringslogg"),
]


def location(browse: Browse) -> tuple[str, dict[str, list[str]]]:
    """Return the current path and query parameters."""
    parts = urlsplit(browse.page.url)
    assert parts.netloc == urlsplit(browse.live.url).netloc, browse.page.url
    return parts.path, parse_qs(parts.query)


def heading(browse: Browse):
    return browse.page.get_by_role("heading", level=1)


def sign_out_button(browse: Browse):
    return browse.page.get_by_role("button", name="Logga ut")


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_each_role_signs_in_sees_its_start_page_and_signs_out(browse: Browse, role: Role):
    person = browse.sign_in(role)
    page = browse.page

    assert location(browse) == ("/", {})
    expect(heading(browse)).to_have_text(f"Välkommen, {person.name}")
    expect(page.get_by_role("banner")).to_contain_text(f"{person.name} · {person.organisation}")
    role_heading, role_text = START_PAGE_TEXT[role]
    blocks = page.locator("section.role-block")
    expect(blocks).to_have_count(1)
    expect(blocks.get_by_role("heading", level=2)).to_have_text(role_heading)
    expect(blocks).to_contain_text(role_text)
    for other, (_heading, other_text) in START_PAGE_TEXT.items():
        if other != role:
            expect(page.get_by_text(other_text)).to_have_count(0)

    browse.sign_out()
    assert location(browse) == ("/logga-in", {})
    expect(heading(browse)).to_have_text("Logga in")
    expect(page.get_by_role("status")).to_have_text("Du är utloggad.")
    expect(sign_out_button(browse)).to_have_count(0)

    browse.visit("/")
    assert location(browse) == ("/logga-in", {"next": ["/"]})
    expect(heading(browse)).to_have_text("Logga in")
    expect(page.get_by_label("E-postadress")).to_be_visible()
    expect(sign_out_button(browse)).to_have_count(0)
    expect(page.get_by_text(role_text)).to_have_count(0)


def test_sign_in_with_the_keyboard_only(browse: Browse):
    page = browse.page
    person = browse.live.people[Role.CURATOR]
    browse.visit("/logga-in")
    # The e-mail field has autofocus. Start where a keyboard user does when the browser hands
    # focus to the page: nothing focused and the focus navigation starting at the top.
    page.evaluate("() => { document.activeElement?.blur(); location.hash = 'top'; }")
    expect(page.locator(":focus")).to_have_count(0)

    skip_link = page.get_by_role("link", name="Hoppa till innehållet")
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_label("E-postadress")).to_be_focused()
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Lösenord")).to_be_focused()
    page.keyboard.type(browse.live.password)
    browse.follow(lambda: page.keyboard.press("Enter"))

    assert location(browse) == ("/", {})
    expect(heading(browse)).to_have_text(f"Välkommen, {person.name}")
    expect(sign_out_button(browse)).to_be_visible()


def test_failed_and_empty_sign_in_show_errors(browse: Browse):
    page = browse.page
    browse.visit("/logga-in")
    page.get_by_label("E-postadress").fill("ingen-sadan@test.invalid")
    page.get_by_label("Lösenord").fill("fel-lösenord-123")
    submit = page.get_by_role("button", name="Logga in")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        browse.follow(submit.click)

    assert posted.value.status == 401
    assert location(browse) == ("/logga-in", {})
    expect(page.get_by_role("alert")).to_have_text("Fel e-postadress eller lösenord.")
    expect(sign_out_button(browse)).to_have_count(0)

    page.get_by_label("E-postadress").fill("")
    page.get_by_label("Lösenord").fill("")
    browse.follow(submit.click)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Formuläret innehåller fel")
    expect(summary).to_contain_text("Fyll i din e-postadress.")
    expect(page.get_by_label("E-postadress")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("E-postadress")).to_have_accessible_description(
        "Fyll i din e-postadress."
    )


def test_admin_pages_and_not_found_page_are_accessible(browse: Browse):
    page = browse.page
    browse.visit("/admin/anvandare")
    assert location(browse) == ("/logga-in", {"next": ["/admin/anvandare"]})
    browse.sign_in(Role.ADMIN)
    assert location(browse) == ("/admin/anvandare", {})

    for path, title in ADMIN_PAGES:
        response = browse.visit(path)
        assert response.status == 200, path
        expect(heading(browse)).to_have_text(title)
        expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_visible()
        if path.endswith("/ny"):
            controls = page.locator("main form").locator("input:not([type=hidden]), select, button")
            expect(controls.last).to_have_accessible_name("Spara")

    browse.visit("/admin/anvandare")
    users = page.get_by_role("table", name="Alla användarkonton")
    for person in browse.live.people.values():
        expect(users).to_contain_text(person.email)
    browse.visit("/admin/organisationer")
    organisations = page.get_by_role("table", name="Alla organisationer")
    expect(organisations.get_by_role("row", name="Påhittköping")).to_contain_text("Testförbundet")
    browse.visit("/logg/?entity=User")
    expect(page.get_by_role("table", name="Loggposter")).to_contain_text("Användare")

    response = browse.visit("/finns-inte")
    assert response.status == 404
    expect(heading(browse)).to_have_text("Sidan finns inte")
    expect(page.get_by_role("link", name="Till startsidan")).to_be_visible()


def test_caseworker_is_refused_admin_pages(browse: Browse):
    page = browse.page
    browse.sign_in(Role.CASEWORKER)
    expect(page.get_by_role("navigation", name="Huvudmeny").get_by_role("link")).to_have_text(
        ["Start", "Sök", "Mina erfarenheter", "Leverantörer", "Avtalsområden"]
    )
    response = browse.visit("/admin/anvandare")
    assert response.status == 403
    expect(heading(browse)).to_have_text("Åtkomst nekad")


def assert_no_horizontal_overflow(browse: Browse) -> None:
    width, scroll_width = browse.page.evaluate(
        "() => [window.innerWidth, document.documentElement.scrollWidth]"
    )
    assert width == PHONE["width"]
    assert scroll_width <= width, f"{browse.page.url} is {scroll_width}px wide on {width}px"


def test_start_page_fits_a_phone_screen(open_page: Callable[..., Browse]):
    browse = open_page(viewport=PHONE)
    browse.sign_in(Role.ADMIN)
    expect(heading(browse)).to_contain_text("Välkommen")
    assert_no_horizontal_overflow(browse)
    expect(sign_out_button(browse)).to_be_in_viewport()

    # Wide tables scroll inside their own keyboard-reachable region, not the page.
    for path in ("/admin/anvandare", "/logg/"):
        browse.visit(path)
        assert_no_horizontal_overflow(browse)


def test_axe_check_fails_on_a_serious_violation(browse: Browse):
    browse.visit("/logga-in")
    browse.page.evaluate(
        "() => document.querySelector('main').append(document.createElement('img'))"
    )
    with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
        browse.assert_accessible()


def test_guard_notices_a_page_axe_did_not_check(browse: Browse):
    browse.page.goto(browse.live("/logga-in"))
    assert browse.unchecked_documents() == [browse.live("/logga-in")]
    browse.assert_accessible()
    assert browse.unchecked_documents() == []
