"""Every state-changing web route, with who posts it, where its form is shown, the WTForms class
its view reads, and the values that make an untouched form acceptable.

tests/test_fuzz_coverage.py compares this list with ``app.url_map``: a new POST, PUT, PATCH or
DELETE rule without an entry here fails that test. The API writes are in tests/test_fuzz_api.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_wtf import FlaskForm

from kb.admin.forms import NewUserForm, OrganisationForm, UserForm
from kb.api.forms import RevokeForm, TokenForm
from kb.auth.forms import ChangePasswordForm, LoginForm
from kb.checks.forms import BatchForm, CheckForm
from kb.deviations.forms import DeviationForm, ResolveForm
from kb.experiences.forms import ExperienceForm
from kb.findings.forms import DecisionForm, FindingForm, SupersedeForm
from kb.followups.forms import FollowUpForm
from kb.imports.forms import ImportForm
from kb.requirements.forms import ConfirmForm, EditRequirementForm, NewRequirementForm
from kb.tender_drafts.forms import (
    ActionForm,
    ExcludeForm,
    IncludeFindingForm,
    ItemTextForm,
    NextRoundForm,
)
from kb.tenders.forms import ContractStatusForm
from kb.themes import Theme
from tests.factories import Factory, fictional_org_number
from tests.fuzz_forms import declared_fields, kind_of
from tests.fuzz_world import FuzzWorld

Urls = Callable[[FuzzWorld], str]
Values = Callable[[FuzzWorld], dict[str, list]]
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).isoformat()
A_YEAR_AGO = (date.today() - timedelta(days=365)).isoformat()
SAFE_TEXT = "Leverantören rättade bemanningen."
CONFLICT = frozenset({409})
# A refused sign-in counts the failure, for the account and for the address.
LOGIN_BOOKKEEPING = frozenset(
    {"login_failures", "users.failed_login_count", "users.locked_until", "users.updated_at"}
)  # a finding changed since the form was read (its version)


@dataclass(frozen=True)
class FormTarget:
    rule: str  # as in app.url_map
    user: str  # a key of FuzzWorld.users, or "anonymous"
    url: Urls
    form: type[FlaskForm] | None  # the class the view reads; None: only the CSRF token
    valid: Values = lambda world: {}
    page: Urls | None = None  # where the form is shown; default: url
    shows: Callable[[FuzzWorld], list[str]] = lambda world: []
    statuses: frozenset[int] = frozenset()  # answers allowed besides the usual
    tolerated: frozenset[str] = frozenset()  # "table" or "table.column" a refusal may change
    markdown: tuple[str, ...] = ()  # fields shown as Markdown
    silent: bool = False  # a 200 without a message is fine (a preview)
    accepts: bool = True  # False: the world makes even the acceptable form a refusal
    writes: bool = True  # False: accepting it changes no table (signing out)

    @property
    def takes_text(self) -> bool:
        """Has a text field, or an upload whose cells are text."""
        fields = declared_fields(self.form) if self.form else {}
        return any(kind_of(cls) in ("text", "file") for cls in fields.values())


def _experience(world: FuzzWorld) -> dict[str, list]:
    data = {
        "unit_id": world["unit"],
        "agreement_area_id": world["area"],
        "contract_id": world["contract"],
        "placement_kind": "behandling",
        "legal_basis": "lvu",
        "age_band": "13-15",
        "start": "2024-02",
        "end": "2024-11",
        "end_reason": "planerat",
        "goal_attainment": "3",
        "daily_price": "4 850",
        "would_place_again": "ja",
        "worked_md": "Kontaktpersonen var **tillgänglig** varje vecka.",
        "not_worked_md": "Skolgången kom igång sent.",
        "advice_md": "Fråga om kvällsbemanningen.",
        "submit_experience": "Skicka in",
    }
    data.update({f"rating_{theme.value}": "4" for theme in Theme})
    return {name: [str(value)] for name, value in data.items()}


def _v(**values: object) -> Values:
    """Values given as name=value or name=world-key via a callable."""

    def build(world: FuzzWorld) -> dict[str, list]:
        out = {}
        for name, value in values.items():
            value = value(world) if callable(value) else value
            out[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return out

    return build


def _id(key: str) -> Callable[[FuzzWorld], int]:
    return lambda world: world[key]


def _draft(suffix: str = "") -> Urls:
    return lambda world: f"/underlag/{world['draft']}{suffix}"


def _item(action: str, key: str = "draft_item") -> Urls:
    return lambda world: f"/underlag/{world['draft']}/krav/{world[key]}/{action}"


DRAFT_PAGES = [_draft(), _draft("/andringar")]
IMPORT_CSV = (
    f"organisationsnummer;namn;bolagsform\r\n{fictional_org_number(9402)};Fuzzgården AB;ab\r\n"
)

TARGETS: list[FormTarget] = [
    FormTarget(
        "/admin/anvandare/<int:user_id>",
        "admin",
        lambda w: f"/admin/anvandare/{w['edited_user']}",
        UserForm,
        _v(name="Redigerad Person"),
        shows=lambda w: ["/admin/anvandare"],
    ),
    FormTarget(
        "/admin/anvandare/ny",
        "admin",
        lambda w: "/admin/anvandare/ny",
        NewUserForm,
        _v(
            name="Nya Personen",
            email="ny.person@larforbundet.example",
            roles=["caseworker"],
            password="Ett-långt-lösenord-77",
        ),
        shows=lambda w: ["/admin/anvandare"],
    ),
    FormTarget(
        "/admin/organisationer/<int:organisation_id>",
        "admin",
        lambda w: f"/admin/organisationer/{w['organisation']}",
        OrganisationForm,
        _v(name="Grannby kommun"),
        shows=lambda w: ["/admin/organisationer"],
    ),
    FormTarget(
        "/admin/organisationer/ny",
        "admin",
        lambda w: "/admin/organisationer/ny",
        OrganisationForm,
        _v(name="Nyby kommun", org_number=fictional_org_number(9403)),
        shows=lambda w: ["/admin/organisationer"],
    ),
    FormTarget(
        "/logga-in",
        "anonymous",
        lambda w: "/logga-in",
        LoginForm,
        _v(email=lambda w: w.users["caseworker"], password=Factory.PASSWORD),
        statuses=frozenset({401, 429}),
        tolerated=LOGIN_BOOKKEEPING,
    ),
    FormTarget(
        "/logga-ut", "caseworker", lambda w: "/logga-ut", None, page=lambda w: "/", writes=False
    ),
    FormTarget(
        "/avtal/<int:contract_id>/status",
        "coordinator",
        lambda w: f"/avtal/{w['contract']}/status",
        ContractStatusForm,
        _v(
            to_status="uteslutet",
            changed_on=LAST_MONTH,
            decision_reference="KS 2026/12",
            reason=SAFE_TEXT,
        ),
        page=lambda w: f"/avtal/{w['contract']}",
        shows=lambda w: [f"/avtal/{w['contract']}"],
    ),
    FormTarget(
        "/avvikelser/<int:deviation_id>/atgarda",
        "coordinator",
        lambda w: f"/avvikelser/{w['deviation']}/atgarda",
        ResolveForm,
        _v(resolution_note=SAFE_TEXT),
        page=lambda w: f"/avvikelser/{w['deviation']}",
    ),
    FormTarget(
        "/avvikelser/ny",
        "coordinator",
        lambda w: "/avvikelser/ny",
        DeviationForm,
        _v(
            unit_id=_id("unit"),
            category="bemanning",
            severity="hog",
            occurred_on=LAST_MONTH,
            description_md="Nattbemanningen var **en** person.",
        ),
        shows=lambda w: ["/avvikelser/"],
        markdown=("description_md",),
    ),
    FormTarget(
        "/erfarenheter/<int:experience_id>/redigera",
        "caseworker",
        lambda w: f"/erfarenheter/{w['home_draft']}/redigera",
        ExperienceForm,
        _v(save_draft="Spara utkast"),
        shows=lambda w: ["/erfarenheter/mina"],
        markdown=("worked_md", "not_worked_md", "advice_md"),
        silent=True,
    ),
    FormTarget(
        "/erfarenheter/ny",
        "caseworker",
        lambda w: "/erfarenheter/ny",
        ExperienceForm,
        _experience,
        shows=lambda w: ["/erfarenheter/mina", f"/verksamheter/{w['unit']}"],
        markdown=("worked_md", "not_worked_md", "advice_md"),
        silent=True,
    ),
    FormTarget(
        "/import/",
        "admin",
        lambda w: "/import/",
        ImportForm,
        _v(kind="suppliers"),
        shows=lambda w: ["/leverantorer", "/verksamheter"],
        statuses=frozenset({413}),
    ),
    FormTarget(
        "/import/<int:batch_id>/angra",
        "admin",
        lambda w: f"/import/{w['import_batch']}/angra",
        None,
        page=lambda w: f"/import/{w['import_batch']}",
    ),
    FormTarget(
        "/kontroller/ny",
        "coordinator",
        lambda w: "/kontroller/ny",
        CheckForm,
        _v(
            supplier_id=_id("supplier"),
            kind="kreditvardighet",
            checked_on=LAST_MONTH,
            next_due=(date.today() + timedelta(days=180)).isoformat(),
            result="ok",
            value="75",
            note=SAFE_TEXT,
        ),
        shows=lambda w: ["/kontroller/"],
    ),
    FormTarget(
        "/kontroller/omgang",
        "coordinator",
        lambda w: f"/kontroller/omgang?omgang={w['round']}",
        BatchForm,
        _v(kind="skatter_avgifter", note=SAFE_TEXT),
        shows=lambda w: ["/kontroller/"],
    ),
    FormTarget(
        "/krav/<int:requirement_id>/aterinfor",
        "curator",
        lambda w: f"/krav/{w['retired_requirement']}/aterinfor",
        ConfirmForm,
        page=lambda w: f"/krav/{w['retired_requirement']}",
    ),
    FormTarget(
        "/krav/<int:requirement_id>/avveckla",
        "curator",
        lambda w: f"/krav/{w['requirement']}/avveckla",
        ConfirmForm,
        page=lambda w: f"/krav/{w['requirement']}",
    ),
    FormTarget(
        "/krav/<int:requirement_id>/redigera",
        "curator",
        lambda w: f"/krav/{w['requirement']}/redigera",
        EditRequirementForm,
        _v(text_md="Kontinuiteten ska **redovisas** varje kvartal."),
        shows=lambda w: ["/krav/", f"/krav/{w['requirement']}/version/2"],
        markdown=("text_md",),
    ),
    FormTarget(
        "/krav/ny",
        "curator",
        lambda w: "/krav/ny",
        NewRequirementForm,
        _v(
            title="Skolgång från första veckan",
            text_md="Leverantören ska säkra **skolgång**.",
            kind="skall_krav",
            area_ids=lambda w: [w["finding_area"]],
            rationale=SAFE_TEXT,
        ),
        shows=lambda w: ["/krav/"],
        markdown=("text_md",),
    ),
    FormTarget(
        "/lardomar/<int:finding_id>/beslut",
        "curator",
        lambda w: f"/lardomar/{w['proposed_finding']}/beslut",
        DecisionForm,
        _v(decision="accepterad"),
        statuses=CONFLICT,
        page=lambda w: f"/lardomar/{w['proposed_finding']}",
    ),
    FormTarget(
        "/lardomar/<int:finding_id>/ersatt",
        "curator",
        lambda w: f"/lardomar/{w['proposed_finding']}/ersatt",
        SupersedeForm,
        _v(superseded_by_id=_id("replacement_finding")),
        statuses=CONFLICT,
        page=lambda w: f"/lardomar/{w['proposed_finding']}",
    ),
    FormTarget(
        "/lardomar/<int:finding_id>/redigera",
        "curator",
        lambda w: f"/lardomar/{w['proposed_finding']}/redigera",
        FindingForm,
        _v(erfarenhet=lambda w: [w["evidence"]]),
        statuses=CONFLICT,
        shows=lambda w: ["/lardomar/"],
        markdown=("statement_md", "recommendation_md", "proposed_text_md"),
    ),
    FormTarget(
        "/lardomar/ny",
        "curator",
        lambda w: "/lardomar/ny",
        FindingForm,
        _v(
            title="Syskon placeras isär",
            agreement_area_id=_id("finding_area"),
            statement_md="Tre placeringar visar **samma** sak.",
            recommendation_md="Fråga marknaden.",
            proposed_change="marknadsfraga",
            proposed_text_md="Hur många platser har ni för syskon?",
            erfarenhet=lambda w: [w["evidence"]],
        ),
        shows=lambda w: ["/lardomar/", "/lardomar/ko"],
        markdown=("statement_md", "recommendation_md", "proposed_text_md"),
    ),
    FormTarget(
        "/profil/losenord",
        "caseworker",
        lambda w: "/profil/losenord",
        ChangePasswordForm,
        _v(
            current_password=Factory.PASSWORD,
            new_password="Vinterns-nya-lösenord-2026",
            repeat_password="Vinterns-nya-lösenord-2026",
        ),
        shows=lambda w: ["/profil"],
    ),
    FormTarget(
        "/profil/nycklar",
        "caseworker",
        lambda w: "/profil/nycklar",
        TokenForm,
        _v(name="Verksamhetssystemet", scope="read"),
        page=lambda w: "/profil",
        shows=lambda w: ["/profil"],
        statuses=frozenset({201}),
    ),
    FormTarget(
        "/profil/nycklar/<int:token_id>/aterkalla",
        "caseworker",
        lambda w: f"/profil/nycklar/{w['caseworker_token']}/aterkalla",
        RevokeForm,
        page=lambda w: "/profil",
    ),
    FormTarget(  # refused in this world: the draft has a conflict to resolve first
        "/underlag/<int:draft_id>/faststall",
        "procurer",
        _draft("/faststall"),
        ActionForm,
        page=_draft(),
        accepts=False,
    ),
    FormTarget(
        "/underlag/<int:draft_id>/krav/<int:item_id>/flytta",
        "procurer",
        _item("flytta"),
        ActionForm,
        _v(riktning="ner"),
        page=_draft(),
    ),
    FormTarget(
        "/underlag/<int:draft_id>/krav/<int:item_id>/redigera",
        "procurer",
        _item("redigera"),
        ItemTextForm,
        _v(text_md="Minst **två** vuxna ska arbeta kvällstid."),
        shows=lambda w: [f(w) for f in DRAFT_PAGES],
        markdown=("text_md",),
    ),
    FormTarget(
        "/underlag/<int:draft_id>/krav/<int:item_id>/ta-med",
        "procurer",
        _item("ta-med", "excluded_item"),
        ActionForm,
        page=_draft(),
    ),
    FormTarget(
        "/underlag/<int:draft_id>/krav/<int:item_id>/uteslut",
        "procurer",
        _item("uteslut"),
        ExcludeForm,
        _v(reason="Kravet behövs inte längre."),
        page=_draft(),
    ),
    FormTarget(
        "/underlag/<int:draft_id>/krav/<int:item_id>/valj",
        "procurer",
        _item("valj", "conflict_item"),
        ActionForm,
        page=_draft(),
    ),
    FormTarget(
        "/underlag/<int:draft_id>/lardomar",
        "procurer",
        _draft("/lardomar"),
        IncludeFindingForm,
        _v(finding_id=_id("offered_finding")),
        page=_draft(),
    ),
    FormTarget(
        "/underlag/ny-omgang",
        "procurer",
        lambda w: "/underlag/ny-omgang",
        NextRoundForm,
        _v(
            area_id=_id("finding_area"),
            reference="LRN 2027/1",
            title="Ramavtal Lärområde HVB 2027",
            contract_start="2027-01-01",
        ),
    ),
    FormTarget(
        "/underlag/omgang/<int:round_id>/generera",
        "procurer",
        lambda w: f"/underlag/omgang/{w['spare_round']}/generera",
        ActionForm,
        page=lambda w: f"/underlag/omgang/{w['spare_round']}",
    ),
    FormTarget(
        "/uppfoljningar/<int:followup_id>/redigera",
        "coordinator",
        lambda w: f"/uppfoljningar/{w['followup']}/redigera",
        FollowUpForm,
        shows=lambda w: ["/uppfoljningar/"],
        markdown=("summary_md",),
    ),
    FormTarget(
        "/uppfoljningar/ny",
        "coordinator",
        lambda w: "/uppfoljningar/ny",
        FollowUpForm,
        _v(
            title="Oanmält platsbesök på Solgården",
            kind="handelsestyrd",
            scope="unit",
            unit_id=_id("unit"),
            methods=["oanmalt_besok"],
            period_start=A_YEAR_AGO,
            summary_md="Besöket visade **brister**.",
            result="anmarkning",
            actions_taken=SAFE_TEXT,
        ),
        shows=lambda w: ["/uppfoljningar/"],
        markdown=("summary_md",),
    ),
]
BY_RULE = {target.rule: target for target in TARGETS}


def import_known(world: FuzzWorld) -> dict[str, str]:
    """Import cells that must match the world: a new supplier, the unit's existing supplier."""
    return {"org_number": fictional_org_number(9404), "supplier_org_number": world.org_number}


def file_fields(target: FormTarget) -> dict[str, tuple[bytes, str]]:
    """A valid upload for the target's file fields."""
    if target.form is ImportForm:
        return {"file": (IMPORT_CSV.encode(), "leverantorer.csv")}
    return {}
