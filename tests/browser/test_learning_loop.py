"""The whole learning loop in a real browser: an experience becomes a finding, the finding a
requirement in the next tender's draft, the draft a Word document, and the caseworker sees
that what they reported was applied."""

from __future__ import annotations

import re

import docx
import pytest
from playwright.sync_api import expect

from kb.auth.models import Role
from kb.themes import Theme
from tests.browser.conftest import Browse

pytestmark = pytest.mark.browser
# Search must see the experience as soon as it is saved.
LIVE_SERVER_SETTINGS = {"SEARCH_SYNC": "sync"}

WORD = "nattvandringsrutin"
WORKED = f"Personalen saknade en {WORD} och den placerade gick ut nattetid utan att någon märkte."
FINDING_TITLE = "Nattvandringsrutin saknas på HVB"
REQUIREMENT_TEXT = "Leverantören ska ha en skriftlig nattvandringsrutin som följs varje natt."
NEXT_ROUND = "TEST 2027/950"


def test_an_experience_becomes_a_requirement_in_the_next_tender(browse: Browse):
    page = browse.page
    world = browse.live.world

    # 1. A caseworker logs an experience.
    browse.sign_in(Role.CASEWORKER)
    browse.visit(f"/erfarenheter/ny?unit={browse.live.unit_ids[world.unit]}")
    page.get_by_label("Startmånad").fill("2025-01")
    page.get_by_label("Slutmånad").fill("2025-06")
    contract = page.get_by_label("Avtal", exact=True)
    # Playwright needs "/" escaped in a name pattern.
    starts = re.compile("^" + re.escape(world.contract).replace("/", r"\/"))
    option = contract.get_by_role("option", name=starts)
    contract.select_option(option.get_attribute("value"))
    for label, value in (
        ("Typ av placering", "Behandling"),
        ("Lagrum", "SoL"),
        ("Åldersgrupp", "13–15 år"),
        ("Hur slutade placeringen?", "Oplanerat avbrott/sammanbrott"),
        ("Skulle ni placera här igen?", "Nej"),
    ):
        page.get_by_label(label, exact=True).select_option(label=value)
    for theme in Theme:
        page.get_by_label(str(theme.label), exact=True).select_option("2")
    page.get_by_label("Vad fungerade inte", exact=True).fill(WORKED)
    browse.follow(page.get_by_role("button", name="Skicka in").click)
    expect(page.get_by_text("Erfarenheten är inskickad")).to_be_visible()
    browse.sign_out()

    # 2. A curator finds it by search, creates a finding from it and accepts it.
    browse.sign_in(Role.CURATOR)
    browse.visit(f"/sok?q={WORD}")
    results = page.locator(".result-list li")
    expect(results).to_have_count(1)
    results.first.get_by_role("checkbox").check()
    browse.follow(page.get_by_role("button", name="Skapa lärdom").click)
    page.get_by_label("Rubrik", exact=True).fill(FINDING_TITLE)
    page.get_by_label("Avtalsområde", exact=True).select_option(label=world.area)
    page.get_by_label("Iakttagelse", exact=True).fill("Placerade har lämnat boendet nattetid.")
    page.get_by_label("Rekommendation", exact=True).fill("Kräv en nattvandringsrutin.")
    page.get_by_label("Lägg till krav", exact=True).check()
    page.get_by_label("Föreslagen text", exact=True).fill(REQUIREMENT_TEXT)
    browse.follow(page.get_by_role("button", name="Spara lärdom").click)
    expect(page.get_by_role("heading", level=1)).to_have_text(FINDING_TITLE)
    finding_url = page.url
    page.get_by_label("Acceptera", exact=True).check()
    browse.follow(page.get_by_role("button", name="Spara beslut").click)
    expect(page.get_by_text("Accepterad").first).to_be_visible()
    browse.sign_out()

    # 3. A procurer creates the next round and generates the draft.
    browse.sign_in(Role.PROCURER)
    browse.visit("/underlag/ny-omgang")
    page.get_by_label("Byt avtalsområde").select_option(label=world.area)
    browse.follow(page.get_by_role("button", name="Visa föregående omgångar").click)
    page.get_by_label("Föregående omgång").select_option(
        label=f"{world.round_reference} {world.round_title}"
    )
    page.get_by_label("Diarienummer").fill(NEXT_ROUND)
    page.get_by_label("Rubrik").fill("Påhittade HVB-hem för unga – ramavtal 2028–2031")
    page.get_by_label("Upphandlingsform").select_option(label="LOU ramavtal")
    browse.follow(page.get_by_role("button", name="Skapa omgången").click)
    expect(page.get_by_text(FINDING_TITLE)).to_be_visible()
    browse.follow(page.get_by_role("button", name="Generera utkast").click)
    item = page.locator("article.draft-item").filter(has_text=REQUIREMENT_TEXT)
    expect(item).to_contain_text("Tillagd av lärdom")
    expect(item.get_by_role("link", name=re.compile(FINDING_TITLE))).to_be_visible()
    expect(item).to_contain_text("1 underlag från 1 kommuner")

    browse.follow(page.get_by_role("link", name="Vad har ändrats och varför").click)
    change = page.get_by_role("row").filter(has_text=FINDING_TITLE)
    expect(change).to_contain_text("Tillagd av lärdom")
    expect(change).to_contain_text("1 underlag från 1 kommuner")
    browse.follow(page.get_by_role("link", name=re.compile("Förfrågningsunderlag")).first.click)

    # 4. The procurer finalises and downloads the Word document.
    browse.follow(page.get_by_role("button", name="Fastställ underlaget").click)
    expect(page.get_by_text("Underlaget är fastställt.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner Word (.docx)").click()
    document = docx.Document(str(download.value.path()))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert any(FINDING_TITLE in heading for heading in headings), headings
    appendix = "\n".join(p.text for p in document.paragraphs)
    assert "Tillagd av lärdom" in appendix and FINDING_TITLE in appendix
    browse.sign_out()

    # 5. The caseworker sees the finding as applied.
    browse.sign_in(Role.CASEWORKER)
    browse.visit("/erfarenheter/mina")
    row = page.get_by_role("row").filter(has_text=FINDING_TITLE)
    expect(row).to_contain_text("Tillämpad")
    expect(row).to_contain_text(NEXT_ROUND)
    browse.follow(row.get_by_role("link", name=FINDING_TITLE).click)
    assert page.url == finding_url
    expect(page.get_by_text("Tillämpad").first).to_be_visible()
