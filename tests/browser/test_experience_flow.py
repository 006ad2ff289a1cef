"""A caseworker logs a placement experience in a real browser, with axe-core on every page.

The main test uses the keyboard only: Tab and Shift+Tab to move, typing to fill text fields
and to choose in selects, arrow keys, Space for a checkbox and Enter to follow links and
submit. The seed (see ``World`` in conftest) gives the unit three submitted experiences from
another municipality, as many as the suppression threshold, so the caseworker sees their
figures, except for a theme rated in only two of them; the caseworker's experience raises
the count and every figure, and lifts the suppression of that theme.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from kb.auth.models import Role
from tests.browser.conftest import Browse

pytestmark = pytest.mark.browser

NO_EXPERIENCES = "Inga inskickade erfarenheter ännu."
SUBMITTED_FLASH = "Erfarenheten är inskickad"
PERSONNUMMER = "811218-9876"  # checksum-valid (stdnum.se.personnummer.is_valid)
THEME_TABLE = "Betyg per tema (1–5), alla erfarenheter"

# Theme label -> (what the keyboard types or presses, value it should choose). The seeded
# experiences rate "Bemanning och kontinuitet" 3, 2 and 4, "Skola och sysselsättning" 4, 5
# and "ej aktuellt", and "Lokaler" 3, 3 and 3.
RATINGS = {
    "Genomförandeplan och rapportering": ("4", "4"),
    "Bemanning och kontinuitet": ("5", "5"),
    "Kontaktperson": ("ArrowDown×3", "3"),
    "Samverkan och information": ("4", "4"),
    "Avvikelsehantering": ("3", "3"),
    "Hälsa och sjukvård": ("4", "4"),
    "Skola och sysselsättning": ("3", "3"),
    "Lokaler": ("Ej", "ej"),
    "Delaktighet och den placerades upplevelse": ("5", "5"),
}
HIDDEN = "–"  # what a suppressed count shows


# --- Keyboard helpers -----------------------------------------------------------------------


def starts_with(text: str) -> re.Pattern[str]:
    """A pattern for Playwright's role names (which needs "/" escaped in a pattern)."""
    return re.compile("^" + re.escape(text).replace("/", r"\/"))


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until the target has focus (fail if it takes more than ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if is_focused(target):
            return
    pytest.fail(f"Tab nådde inte {target} på {limit} tryck")


def tab_next(page: Page, label: str) -> Locator:
    """Press Tab once; the control labelled ``label`` must be the one that gets focus."""
    control = page.get_by_label(label, exact=True)
    page.keyboard.press("Tab")
    expect(control).to_be_focused()
    return control


def choose(page: Page, label: str, typed: str, value: str) -> None:
    """Tab to the next select and choose by typing the start of an option's text."""
    select = tab_next(page, label)
    if typed.startswith("ArrowDown×"):
        for _ in range(int(typed.removeprefix("ArrowDown×"))):
            page.keyboard.press("ArrowDown")
    else:
        page.keyboard.type(typed)
    expect(select).to_have_value(value)


def write(page: Page, label: str, text: str) -> None:
    """Tab to the next text field and type into it."""
    field = tab_next(page, label)
    page.keyboard.type(text)
    expect(field).to_have_value(text)


def start_at_top(browse: Browse) -> None:
    """Like a keyboard user on a fresh page: skip link, then into the main content."""
    page = browse.page
    page.evaluate("() => { document.activeElement?.blur(); location.hash = 'top'; }")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def follow_link(browse: Browse, link: Locator) -> None:
    """Tab to a link and open it with Enter."""
    tab_to(browse.page, link)
    browse.follow(lambda: browse.page.keyboard.press("Enter"))


def sign_in_with_keyboard(browse: Browse, role: Role) -> None:
    page = browse.page
    person = browse.live.people[role]
    browse.visit("/logga-in")
    expect(page.get_by_label("E-postadress")).to_be_focused()  # autofocus
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Lösenord")).to_be_focused()
    page.keyboard.type(browse.live.password)
    browse.follow(lambda: page.keyboard.press("Enter"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Välkommen, {person.name}")


def menu_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name=name)


# --- Reading pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scorecard:
    """The "Totalt" row of a unit's "Sammanfattning" table, as the viewer sees it."""

    count: str  # as shown: a number, or HIDDEN when suppressed
    cells: tuple[str, ...]  # the cells after "Antal"


def scorecard(browse: Browse, unit_name: str) -> Scorecard:
    page = browse.page
    expect(page.get_by_role("heading", level=1)).to_have_text(unit_name)
    section = page.get_by_role("region", name="Erfarenheter från placeringar")
    expect(section).to_be_visible()
    if section.get_by_text(NO_EXPERIENCES, exact=True).count():
        expect(section.get_by_role("table")).to_have_count(0)
        return Scorecard("0", ())
    table = section.get_by_role("table", name="Sammanfattning")
    count, *cells = row_cells(table, "Totalt")
    return Scorecard(count, tuple(cells))


def row_cells(table: Locator, header: str) -> tuple[str, ...]:
    """The data cells of the table row headed ``header``, whitespace (also no-break spaces)
    collapsed to single spaces."""
    rows = table.get_by_role("row").filter(
        has=table.page.get_by_role("rowheader", name=header, exact=True)
    )
    expect(rows).to_have_count(1)
    return tuple(" ".join(text.split()) for text in rows.get_by_role("cell").all_inner_texts())


THEMES_CHECKED = ("Bemanning och kontinuitet", "Skola och sysselsättning", "Lokaler")


def theme_cells(page: Page) -> dict[str, tuple[str, ...]]:
    """Per checked theme: count, mean and distribution (or the suppression note)."""
    table = page.get_by_role("table", name=THEME_TABLE)
    return {theme: row_cells(table, theme) for theme in THEMES_CHECKED}


def my_experience_rows(page: Page) -> Locator:
    """Rows of the "Mina erfarenheter" table (none when the caseworker has logged none)."""
    return page.get_by_role("table", name="Mina erfarenheter").locator("tbody tr")


def unit_path(browse: Browse, name: str) -> str:
    return f"/verksamheter/{browse.live.unit_ids[name]}"


def path_of(browse: Browse) -> str:
    return urlsplit(browse.page.url).path


# --- Tests ----------------------------------------------------------------------------------


def test_caseworker_logs_an_experience_with_the_keyboard_only(browse: Browse):
    page = browse.page
    world = browse.live.world
    sign_in_with_keyboard(browse, Role.CASEWORKER)

    # The unit's scorecard before: only the other municipality's experiences, as many as the
    # threshold. Prices 4 200, 4 800, 4 500 kr; 1 breakdown of 3; 2 of 3 would place again.
    browse.visit(unit_path(browse, world.unit))
    before = scorecard(browse, world.unit)
    assert before == Scorecard(
        str(world.seeded_experiences),
        ("33 %", "67 %", "4 200 kr – 4 500 kr – 4 800 kr"),
    )
    assert theme_cells(page) == {
        "Bemanning och kontinuitet": ("3", "3.0", "0/1/1/1/0"),
        "Skola och sysselsättning": (HIDDEN, "För få svar"),  # rated twice
        "Lokaler": ("3", "3.0", "0/0/3/0/0"),
    }

    follow_link(browse, menu_link(page, "Mina erfarenheter"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina erfarenheter")
    mine_before = my_experience_rows(page).count()
    follow_link(browse, page.get_by_role("link", name="Ny erfarenhet"))
    assert path_of(browse) == "/erfarenheter/ny"
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny erfarenhet")

    # Type-ahead: the supplier's name matches both its units, so nothing is chosen yet.
    start_at_top(browse)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="← Mina erfarenheter")).to_be_focused()
    search = tab_next(page, "Sök verksamhet eller leverantör")
    unit = page.get_by_label("Verksamhet", exact=True)
    area = page.get_by_label("Avtalsområde", exact=True)
    contract = page.get_by_label("Avtal", exact=True)
    search_status = page.locator(".typeahead").get_by_role("status")
    page.keyboard.type("fantasi")
    expect(search_status).to_have_text("2 träffar")
    expect(unit).to_have_value("0")
    # Enter in the search box must not submit the form.
    posts: list[str] = []

    def record_post(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url)

    page.on("request", record_post)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # time for a submission to start, had Enter caused one
    page.remove_listener("request", record_post)
    assert posts == []
    expect(search).to_be_focused()
    assert path_of(browse) == "/erfarenheter/ny"

    # One more word leaves one unit: the script chooses it, its only area, and loads the
    # contracts valid for the unit in that area.
    with page.expect_response(re.compile(r"/erfarenheter/avtal\?.*agreement_area_id=[1-9]")):
        page.keyboard.type(" ekb")
    expect(search_status).to_have_text("1 träff")
    expect(unit.locator("option:checked")).to_have_text(re.compile(f"^{world.unit} – "))
    expect(area.locator("option:checked")).to_have_text(world.area)
    contract_option = contract.get_by_role("option", name=starts_with(f"{world.contract} · "))
    expect(contract_option).to_have_count(1)
    browse.assert_accessible()  # the form with the type-ahead and its results in it

    expect(tab_next(page, "Verksamhet")).to_have_value(str(browse.live.unit_ids[world.unit]))
    tab_next(page, "Avtalsområde")
    write(page, "Startmånad", "2024-10")
    # Leaving the end month reloads the contract list for the period.
    with page.expect_response(re.compile(r"/erfarenheter/avtal\?.*end=2025-04")):
        write(page, "Slutmånad", "2025-04")
        page.keyboard.press("Tab")
    expect(contract).to_be_focused()
    expect(contract_option).to_have_count(1)
    page.keyboard.type("TEST")
    expect(contract_option).to_have_js_property("selected", True)
    tab_next(page, "Skäl till placering utanför avtal")  # left blank: on contract
    choose(page, "Typ av placering", "Beh", "behandling")
    choose(page, "Lagrum", "So", "sol")
    choose(page, "Åldersgrupp", "13", "13-15")
    choose(page, "Hur slutade placeringen?", "Plan", "planerat")
    choose(page, "Måluppfyllelse", "3", "3")
    choose(page, "Skulle ni placera här igen?", "Ja", "ja")
    for label, (typed, value) in RATINGS.items():
        choose(page, label, typed, value)
    write(page, "Dygnspris (kr)", "5 100")
    extra_costs = tab_next(page, "Leverantören begärde tilläggskostnader")
    page.keyboard.press("Space")
    expect(extra_costs).to_be_checked()
    expect(tab_next(page, "Det fanns problem med faktureringen")).not_to_be_checked()
    write(page, "Vad fungerade", "**Tydliga veckoplaner** och en kontaktperson som svarade.")
    write(page, "Vad fungerade inte", "Skolgången kom i gång sent.")
    # Shift+Tab goes back, Tab forward again.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Vad fungerade", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    write(page, "Råd till nästa placering", "Be om skolplanen redan vid inskrivningen.")
    page.keyboard.press("Tab")
    submit = page.get_by_role("button", name="Skicka in")
    expect(submit).to_be_focused()
    browse.assert_accessible()  # the filled form

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        browse.follow(lambda: page.keyboard.press("Enter"))
    assert posted.value.status == 302
    detail_path = path_of(browse)
    assert re.fullmatch(r"/erfarenheter/\d+", detail_path), detail_path
    expect(page.get_by_role("status")).to_contain_text(SUBMITTED_FLASH)
    expect(page.get_by_role("heading", level=1)).to_have_text(world.unit)
    expect(page.locator(".lead .status")).to_have_text("Inskickad")
    facts = page.locator("dl.facts")
    for fact in (world.area, world.contract, "2024-10 – 2025-04", "Behandling", "SoL"):
        expect(facts).to_contain_text(fact)
    expect(facts).to_contain_text("5\u00a0100\u00a0kr")
    expect(facts).to_contain_text("Leverantören begärde tilläggskostnader")
    expect(facts).not_to_contain_text("Det fanns problem med faktureringen")
    ratings = page.locator("ul.ratings li")
    expect(ratings).to_have_count(len(RATINGS))
    expect(ratings.filter(has_text="Kontaktperson")).to_have_text(re.compile(r"Kontaktperson\s+3"))
    expect(ratings.filter(has_text="Lokaler")).to_have_text(re.compile(r"Lokaler\s+Ej aktuellt$"))
    worked = page.get_by_role("heading", name="Vad fungerade", exact=True).locator(
        "xpath=following-sibling::div[1]"
    )
    expect(worked.locator("strong")).to_have_text("Tydliga veckoplaner")
    expect(worked).not_to_contain_text("**")

    follow_link(browse, menu_link(page, "Mina erfarenheter"))
    rows = my_experience_rows(page)
    expect(rows).to_have_count(mine_before + 1)
    row = rows.filter(has=page.locator(f'a[href="{detail_path}"]'))
    expect(row).to_have_count(1)
    expect(row.get_by_role("link")).to_have_text(world.unit)
    expect(row).to_contain_text("2024-10 – 2025-04")
    expect(row.locator(".status")).to_have_text("Inskickad")

    # Back on the unit page (through the detail page's link to it) the count is up by one,
    # every figure moved, and the theme rated too few times before is now shown.
    follow_link(browse, row.get_by_role("link"))
    follow_link(browse, page.locator(".lead").get_by_role("link", name=world.unit))
    assert path_of(browse) == unit_path(browse, world.unit)
    after = scorecard(browse, world.unit)
    assert int(after.count) == int(before.count) + 1
    # 1 breakdown of 4 ended, 3 of 4 would place again, and 5 100 kr is the new maximum.
    assert after.cells == (
        "25 %",
        "75 %",
        "4 200 kr – 4 650 kr – 5 100 kr",
    )
    assert theme_cells(page) == {
        "Bemanning och kontinuitet": ("4", "3.5", "0/1/1/1/1"),
        "Skola och sysselsättning": ("3", "4.0", "0/0/1/1/1"),  # now rated three times
        "Lokaler": ("3", "3.0", "0/0/3/0/0"),  # "ej aktuellt" is not a rating
    }
    bemanning = page.get_by_role("table", name=THEME_TABLE).get_by_role(
        "row", name="Bemanning och kontinuitet"
    )
    expect(bemanning.get_by_role("img")).to_have_accessible_name("1: 0, 2: 1, 3: 1, 4: 1, 5: 1")
    recent = page.get_by_role("region", name="Erfarenheter från placeringar")
    expect(recent.locator(f'a[href="{detail_path}"]')).to_have_text(
        f"{world.unit}, 2024-10 – 2025-04"
    )


def test_experience_form_works_without_javascript(open_page: Callable[..., Browse]):
    browse = open_page(java_script_enabled=False)
    page = browse.page
    world = browse.live.world
    browse.sign_in(Role.CASEWORKER)
    browse.visit(unit_path(browse, world.second_unit))
    before = scorecard(browse, world.second_unit)

    browse.visit("/erfarenheter/ny")
    expect(page.get_by_label("Sök verksamhet eller leverantör")).to_have_count(0)
    contract = page.get_by_label("Avtal", exact=True)
    contract_option = contract.get_by_role("option", name=starts_with(f"{world.contract} · "))
    expect(contract_option).to_have_count(0)  # no unit or area chosen yet

    start_at_top(browse)
    unit = page.get_by_label("Verksamhet", exact=True)
    tab_to(page, unit)
    page.keyboard.type("Gran")
    expect(unit).to_have_value(str(browse.live.unit_ids[world.second_unit]))
    # This unit serves two areas, so nothing chooses the area for the caseworker.
    area = tab_next(page, "Avtalsområde")
    expect(area).to_have_value("0")
    page.keyboard.type("Påh")
    expect(area.locator("option:checked")).to_have_text(world.area)
    write(page, "Startmånad", "2024-06")
    write(page, "Slutmånad", "2024-12")
    expect(contract_option).to_have_count(0)  # nothing refreshes the list without a script

    tab_to(page, page.get_by_role("button", name="Förhandsgranska"))
    browse.follow(lambda: page.keyboard.press("Enter"))
    assert path_of(browse) == "/erfarenheter/ny"
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(unit).to_have_value(str(browse.live.unit_ids[world.second_unit]))
    expect(page.get_by_label("Slutmånad", exact=True)).to_have_value("2024-12")
    expect(contract_option).to_have_count(1)

    start_at_top(browse)
    tab_to(page, contract)
    page.keyboard.type("TEST")
    expect(contract_option).to_have_js_property("selected", True)
    tab_next(page, "Skäl till placering utanför avtal")
    choose(page, "Typ av placering", "Utr", "utredning")
    choose(page, "Lagrum", "LVU", "lvu")
    choose(page, "Åldersgrupp", "16", "16-17")
    choose(page, "Hur slutade placeringen?", "Flytt", "flytt")
    choose(page, "Måluppfyllelse", "4", "4")
    choose(page, "Skulle ni placera här igen?", "Os", "osaker")
    for label in RATINGS:
        choose(page, label, "Ej", "ej")
    tab_next(page, "Dygnspris (kr)")
    tab_next(page, "Leverantören begärde tilläggskostnader")
    tab_next(page, "Det fanns problem med faktureringen")
    write(page, "Vad fungerade", "Snabb inskrivning trots kort varsel.")
    tab_to(page, page.get_by_role("button", name="Skicka in"))
    browse.follow(lambda: page.keyboard.press("Enter"))

    assert re.fullmatch(r"/erfarenheter/\d+", path_of(browse)), page.url
    expect(page.get_by_role("status")).to_contain_text(SUBMITTED_FLASH)
    expect(page.get_by_role("heading", level=1)).to_have_text(world.second_unit)
    expect(page.locator("dl.facts")).to_contain_text(world.contract)
    expect(page.locator(".narrative")).to_have_text("Snabb inskrivning trots kort varsel.")

    browse.visit(unit_path(browse, world.second_unit))
    assert int(scorecard(browse, world.second_unit).count) == int(before.count) + 1


def test_personnummer_in_the_narrative_is_refused_and_nothing_is_saved(browse: Browse):
    page = browse.page
    world = browse.live.world
    browse.sign_in(Role.CASEWORKER)
    browse.visit(unit_path(browse, world.unit))
    before = scorecard(browse, world.unit)
    browse.visit("/erfarenheter/mina")
    mine_before = my_experience_rows(page).count()

    # From the unit page's link the unit and its only area come chosen.
    browse.visit(f"/erfarenheter/ny?unit={browse.live.unit_ids[world.unit]}")
    expect(page.get_by_label("Avtalsområde", exact=True).locator("option:checked")).to_have_text(
        world.area
    )
    page.get_by_label("Startmånad").fill("2024-08")
    page.get_by_label("Slutmånad").fill("2025-02")
    contract = page.get_by_label("Avtal", exact=True)
    contract_option = contract.get_by_role("option", name=starts_with(f"{world.contract} · "))
    expect(contract_option).to_have_count(1)
    contract.select_option(contract_option.get_attribute("value"))
    for label, value in (
        ("Typ av placering", "Akut"),
        ("Lagrum", "SoL"),
        ("Åldersgrupp", "13–15 år"),
        ("Hur slutade placeringen?", "Planerat, mål uppnått"),
        ("Skulle ni placera här igen?", "Ja"),
    ):
        page.get_by_label(label, exact=True).select_option(label=value)
    for label in RATINGS:
        page.get_by_label(label, exact=True).select_option("4")
    text = f"Eleven med personnummer {PERSONNUMMER} fick snabbt en kontaktperson."
    worked = page.get_by_label("Vad fungerade", exact=True)
    worked.fill(text)

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        browse.follow(page.get_by_role("button", name="Skicka in").click)
    assert posted.value.status == 200  # the form again, not a redirect to a saved experience
    assert path_of(browse) == "/erfarenheter/ny"
    # The message says where the number is, without repeating its last four digits.
    masked = re.escape(PERSONNUMMER[:7] + "****")
    message = re.compile(
        rf"Vad fungerade innehåller något som ser ut som ett personnummer \(rad 1, tecken 25: "
        rf"{masked}\)\. Ta bort det"
    )
    summary = page.get_by_role("alert")
    expect(summary).not_to_contain_text(PERSONNUMMER)
    expect(summary).to_contain_text("Formuläret innehåller fel")
    expect(summary.get_by_role("listitem")).to_have_count(1)  # the only thing wrong
    expect(summary.get_by_role("link")).to_have_attribute("href", "#worked_md")
    expect(summary).to_contain_text(message)
    expect(worked).to_have_value(text)
    expect(worked).to_have_attribute("aria-invalid", "true")
    expect(worked).to_have_accessible_description(message)
    # The message sits in the field's own box, right under the textarea.
    field_box = page.locator(".field").filter(has=worked)
    expect(field_box).to_have_class(re.compile(r"\bhas-error\b"))
    expect(field_box.locator(".error-message")).to_have_text(message)
    expect(page.locator(".flashes")).to_have_count(0)  # no "saved" message

    browse.visit("/erfarenheter/mina")
    expect(my_experience_rows(page)).to_have_count(mine_before)
    browse.visit(unit_path(browse, world.unit))
    assert scorecard(browse, world.unit) == before


def test_axe_check_of_a_page_without_javascript_sees_its_markup(
    open_page: Callable[..., Browse],
):
    # axe runs on a copy of the document in a page with JavaScript on; it must be a copy of
    # the document as it is now.
    browse = open_page(java_script_enabled=False)
    browse.visit("/logga-in")
    browse.page.evaluate(
        "() => document.querySelector('main').append(document.createElement('img'))"
    )
    with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
        browse.assert_accessible()


def test_unit_search_keeps_unit_and_area_consistent(browse: Browse):
    page = browse.page
    world = browse.live.world
    browse.sign_in(Role.CASEWORKER)
    browse.visit("/erfarenheter/ny")
    search = page.get_by_label("Sök verksamhet eller leverantör")
    search_status = page.locator(".typeahead").get_by_role("status")
    unit = page.get_by_label("Verksamhet", exact=True)
    area = page.get_by_label("Avtalsområde", exact=True)
    contract_option = page.get_by_label("Avtal", exact=True).get_by_role(
        "option", name=starts_with(f"{world.contract} · ")
    )
    first_unit = str(browse.live.unit_ids[world.unit])

    # The second unit serves two areas: the script leaves the choice to the caseworker, who
    # picks the one without a contract.
    with page.expect_response(re.compile(r"/erfarenheter/avtal\?")):
        unit.select_option(str(browse.live.unit_ids[world.second_unit]))
    expect(area).to_have_value("0")
    area.select_option(label=world.second_area)
    expect(contract_option).to_have_count(0)

    # Searching chooses the first unit, which serves only the contract's area: that area
    # replaces the earlier choice.
    search.press_sequentially("ekb")
    expect(unit).to_have_value(first_unit)
    expect(area.locator("option:checked")).to_have_text(world.area)
    expect(contract_option).to_have_count(1)

    # Searching on for something that matches nothing must not drop the chosen unit from
    # what the form sends.
    search.press_sequentially(" zzz")
    expect(search_status).to_have_text("0 träffar")
    expect(unit).to_have_value(first_unit)
    sent = page.evaluate(
        "() => new FormData(document.querySelector('form.experience-form')).get('unit_id')"
    )
    assert sent == first_unit
    browse.assert_accessible()
