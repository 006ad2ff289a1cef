"""The main menu: which pages each role sees."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kb.auth.models import Role

ALL_ROLES = tuple(Role)


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: object
    roles: tuple[Role, ...]
    also_current: tuple[str, ...] = ()


MENU = (
    MenuEntry("main.index", _l("Start"), ALL_ROLES),
    MenuEntry("search.index", _l("Sök"), ALL_ROLES),
    MenuEntry(
        "experiences.mine",
        _l("Mina erfarenheter"),
        (Role.CASEWORKER,),
        ("experiences.edit", "experiences.detail"),
    ),
    MenuEntry(
        "catalogue.suppliers",
        _l("Leverantörer"),
        ALL_ROLES,
        ("catalogue.units", "suppliers.supplier", "suppliers.unit"),
    ),
    MenuEntry(
        "catalogue.areas",
        _l("Avtalsområden"),
        ALL_ROLES,
        ("catalogue.area", "catalogue.tender_round", "contracts.contract"),
    ),
    MenuEntry(
        "followups.index",
        _l("Uppföljningar"),
        (Role.COORDINATOR, Role.CURATOR, Role.PROCURER),
        ("followups.new", "followups.detail", "followups.edit"),
    ),
    MenuEntry(
        "deviations.index",
        _l("Avvikelser"),
        (Role.COORDINATOR, Role.CURATOR),
        ("deviations.new", "deviations.detail"),
    ),
    MenuEntry(
        "checks.index",
        _l("Kontroller"),
        (Role.COORDINATOR, Role.CURATOR),
        ("checks.new", "checks.detail", "checks.batch"),
    ),
    MenuEntry(
        "findings.index",
        _l("Lärdomar"),
        (Role.CURATOR, Role.PROCURER, Role.COORDINATOR),
        ("findings.detail", "findings.new", "findings.edit", "findings.queue"),
    ),
    MenuEntry(
        "requirements.index",
        _l("Kravbibliotek"),
        (Role.CURATOR, Role.PROCURER),
        ("requirements.detail", "requirements.version", "requirements.new", "requirements.edit"),
    ),
    MenuEntry(
        "drafts.index",
        _l("Upphandlingar"),
        (Role.PROCURER, Role.CURATOR),
        (
            "drafts.new_round",
            "drafts.round_page",
            "drafts.detail",
            "drafts.edit_item",
            "drafts.changes",
            "drafts.off_contract",
        ),
    ),
    MenuEntry(
        "insight.learning",
        _l("Lärande"),
        (Role.CURATOR, Role.PROCURER),
    ),
    MenuEntry(
        "imports.index",
        _l("Import"),
        (Role.CURATOR, Role.ADMIN),
        ("imports.job", "imports.batch"),
    ),
    MenuEntry("audit.index", _l("Ändringslogg"), (Role.ADMIN, Role.CURATOR)),
    MenuEntry("admin.users", _l("Användare"), (Role.ADMIN,)),
    MenuEntry("admin.organisations", _l("Organisationer"), (Role.ADMIN,)),
    MenuEntry("retention.index", _l("Gallring"), (Role.ADMIN,)),
)


@dataclass(frozen=True)
class MenuItem:
    url: str
    label: str
    current: bool


def navigation() -> list[MenuItem]:
    if not current_user.is_authenticated:
        return []
    return [
        MenuItem(
            url_for(entry.endpoint),
            str(entry.label),
            request.endpoint in (entry.endpoint, *entry.also_current),
        )
        for entry in MENU
        if current_user.has_role(*entry.roles)
    ]


def init_app(app: Flask) -> None:
    app.context_processor(
        lambda: {"navigation": navigation, "current_locale": lambda: str(get_locale() or "sv")}
    )
