"""The coordinator's side in a real browser: a site visit finds deficiencies, the contract is
paused, and a caseworker logging an experience sees the pause."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from kb.auth.models import Role
from tests.browser.conftest import Browse

VISIT_TITLE = "Oanmält platsbesök på Ekbackens HVB"
VISIT_SUMMARY = (
    "Vid det oanmälda besöket var nattbemanningen en person i stället för avtalade två, "
    "och genomförandeplanerna var inte uppdaterade."
)
PAUSE_REASON = "Allvarliga brister i bemanningen vid oanmält platsbesök."


def test_a_site_visit_pauses_the_contract_and_the_caseworker_sees_it(browse: Browse):
    page = browse.page
    world = browse.live.world
    browse.sign_in(Role.COORDINATOR)

    # 1. Record an unannounced site visit that found serious deficiencies.
    browse.visit("/uppfoljningar/ny")
    page.get_by_label("Rubrik").fill(VISIT_TITLE)
    page.get_by_label("Typ av uppföljning").select_option(label="Händelsestyrd")
    page.get_by_label("Uppföljningen gäller").select_option(label="Verksamhet")
    page.get_by_label("Verksamhet", exact=True).select_option(label=world.unit)
    page.get_by_label("Oanmält platsbesök").check()
    page.get_by_label("Periodens början").fill(date.today().isoformat())
    page.get_by_label("Sammanfattning").fill(VISIT_SUMMARY)
    page.get_by_label("Resultat", exact=True).select_option(label="Allvarliga brister")
    browse.follow(page.get_by_role("button", name="Spara uppföljning").click)
    expect(page.get_by_role("heading", level=1)).to_have_text(VISIT_TITLE)
    expect(page.get_by_text("Allvarliga brister").first).to_be_visible()
    expect(page.get_by_text("Oanmält platsbesök").first).to_be_visible()

    # 2. Pause the contract from the tender round's list of contracts.
    browse.visit("/avtalsomraden")
    browse.follow(page.get_by_role("link", name=world.area).first.click)
    browse.follow(page.get_by_role("link", name=world.round_reference).first.click)
    browse.follow(page.get_by_role("link", name=world.contract).click)
    page.get_by_label("Ändring").select_option(label="Uteslut tillfälligt från avrop (pausa)")
    page.get_by_label("Beslutsdatum").fill(date.today().isoformat())
    page.get_by_label("Beslutsreferens").fill("SN 2026/77")
    page.get_by_label("Skäl").fill(PAUSE_REASON)
    browse.follow(page.get_by_role("button", name="Spara statusändring").click)
    expect(page.get_by_text("Status: Tillfälligt uteslutet från avrop")).to_be_visible()
    expect(page.get_by_text(PAUSE_REASON)).to_be_visible()

    # The coordinator's start page lists the pause with its reason.
    browse.visit("/")
    paused = page.locator("#paused-contracts + ul")
    expect(paused).to_contain_text(world.supplier)
    expect(paused).to_contain_text(PAUSE_REASON)
    browse.sign_out()

    # 3. A caseworker logging an experience sees the unit and its contract marked as paused.
    browse.sign_in(Role.CASEWORKER)
    browse.visit("/erfarenheter/ny")
    unit_option = page.locator("#unit_id option", has_text=world.unit)
    expect(unit_option).to_contain_text("Avtal pausat")
    page.locator("#unit_id").select_option(label=unit_option.inner_text())
    page.get_by_label("Avtalsområde", exact=True).select_option(label=world.area)
    page.get_by_label("Startmånad").fill("2025-02")
    page.get_by_label("Startmånad").press("Tab")
    contract = page.locator("#contract_id option", has_text=world.contract)
    expect(contract).to_contain_text("⚠ PAUSAT")
