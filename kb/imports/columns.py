"""The columns each import kind accepts: the single source for parsing, templates and docs."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from kb.experiences.models import (
    AgeBand,
    EndReason,
    ExperienceStatus,
    LegalBasis,
    OffContractReason,
    PlacementKind,
    WouldPlaceAgain,
)
from kb.suppliers.models import LegalForm, PermitStatus
from kb.tenders.models import ContractStatus, ProcurementForm, TenderRoundStatus
from kb.themes import Theme

# Value types a column can hold; kb.imports.values parses each.
TEXT, LONG_TEXT, INTEGER, DECIMAL, DATE, MONTH, BOOLEAN, CHOICE, ORG_NUMBER, LIST, RATING = (
    "text",
    "long_text",
    "integer",
    "decimal",
    "date",
    "month",
    "boolean",
    "choice",
    "org_number",
    "list",
    "rating",
)
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class ImportColumn:
    """One column: its Swedish and English header, type, and what it means."""

    key: str
    swedish: str
    english: str
    kind: str
    description: object
    required: bool = False
    example: str = ""
    max_length: int | None = None
    choices: type[enum.Enum] | None = None

    @property
    def names(self) -> tuple[str, str]:
        return normalise_header(self.swedish), normalise_header(self.english)

    @property
    def is_text(self) -> bool:
        return self.kind in (TEXT, LONG_TEXT, LIST)


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: object
    match: object
    columns: tuple[ImportColumn, ...]

    def column_by_header(self) -> dict[str, ImportColumn]:
        return {name: column for column in self.columns for name in column.names}


def normalise_header(text: str) -> str:
    """Lower case, no diacritics, words joined by underscores: 'Ålder min' -> 'alder_min'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    for separator in (" ", "-", ".", "/"):
        plain = plain.replace(separator, "_")
    return "_".join(part for part in plain.split("_") if part)


def _c(key: str, sv: str, en: str, kind: str, text: object, **options: object) -> ImportColumn:
    return ImportColumn(key, sv, en, kind, text, **options)  # type: ignore[arg-type]


SUPPLIER_ORG = _c(
    "supplier_org_number",
    "leverantor_organisationsnummer",
    "supplier_org_number",
    ORG_NUMBER,
    _l("Leverantörens organisationsnummer; leverantören måste finnas."),
    required=True,
    example="556677-8899",
)

SUPPLIERS = ImportKind(
    "suppliers",
    _l("Leverantörer"),
    _l("Matchas på organisationsnummer."),
    (
        _c(
            "org_number",
            "organisationsnummer",
            "org_number",
            ORG_NUMBER,
            _l("Med giltig kontrollsiffra, med eller utan bindestreck."),
            required=True,
            example="556677-8899",
        ),
        _c(
            "name",
            "namn",
            "name",
            TEXT,
            _l("Leverantörens namn."),
            required=True,
            example="Påhittad Omsorg AB",
            max_length=200,
        ),
        _c(
            "legal_form",
            "bolagsform",
            "legal_form",
            CHOICE,
            _l("ab, ek_for, ideell, stiftelse, hb, ef eller kommunal (eller namnet)."),
            required=True,
            example="ab",
            choices=LegalForm,
        ),
        _c(
            "website_note",
            "webbnotering",
            "website_note",
            TEXT,
            _l("Fri anteckning."),
            max_length=300,
        ),
    ),
)

UNITS = ImportKind(
    "units",
    _l("Verksamheter"),
    _l("Matchas på leverantörens organisationsnummer och verksamhetens namn."),
    (
        SUPPLIER_ORG,
        _c(
            "name",
            "namn",
            "name",
            TEXT,
            _l("Verksamhetens namn."),
            required=True,
            example="Påhittade gården",
            max_length=200,
        ),
        _c("age_min", "alder_min", "age_min", INTEGER, _l("Lägsta ålder."), example="13"),
        _c("age_max", "alder_max", "age_max", INTEGER, _l("Högsta ålder."), example="20"),
        _c("target_profile", "malgrupp", "target_profile", LONG_TEXT, _l("Målgrupp och profil.")),
        _c("places", "platser", "places", INTEGER, _l("Antal platser."), example="8"),
        _c(
            "municipality",
            "kommun",
            "municipality",
            TEXT,
            _l("Kommun där verksamheten ligger."),
            max_length=100,
        ),
        _c("county", "lan", "county", TEXT, _l("Län."), max_length=100),
        _c(
            "address",
            "adress",
            "address",
            TEXT,
            _l("Adress (visas aldrig om skyddad)."),
            max_length=300,
        ),
        _c(
            "protected_address",
            "skyddad_adress",
            "protected_address",
            BOOLEAN,
            _l("ja eller nej."),
            example="nej",
        ),
        _c(
            "permit_status",
            "tillstand",
            "permit_status",
            CHOICE,
            _l("beviljat, ansokt, ej_krav, saknas eller aterkallat."),
            example="beviljat",
            choices=PermitStatus,
        ),
        _c(
            "permit_reference",
            "tillstandsreferens",
            "permit_reference",
            TEXT,
            _l("IVO:s diarienummer för tillståndet."),
            max_length=50,
        ),
        _c(
            "last_ivo_inspection",
            "senaste_ivo_inspektion",
            "last_ivo_inspection",
            DATE,
            _l("Datum, ÅÅÅÅ-MM-DD."),
            example="2024-03-01",
        ),
        _c(
            "agreement_areas",
            "avtalsomraden",
            "agreement_areas",
            LIST,
            _l("Avtalsområdenas namn, åtskilda med |."),
            example="Stödboende för ungdomar",
        ),
    ),
)

TENDER_ROUNDS = ImportKind(
    "tender_rounds",
    _l("Upphandlingsomgångar"),
    _l("Matchas på diarienummer."),
    (
        _c(
            "reference",
            "diarienummer",
            "reference",
            TEXT,
            _l("Omgångens diarienummer."),
            required=True,
            example="KF 2024/17",
            max_length=50,
        ),
        _c("title", "titel", "title", TEXT, _l("Omgångens titel."), required=True, max_length=300),
        _c(
            "agreement_area",
            "avtalsomrade",
            "agreement_area",
            TEXT,
            _l("Avtalsområdets namn; måste finnas."),
            required=True,
        ),
        _c(
            "procurement_form",
            "upphandlingsform",
            "procurement_form",
            CHOICE,
            _l("lou_ramavtal, lov, direktupphandling, dis eller iop."),
            required=True,
            example="lou_ramavtal",
            choices=ProcurementForm,
        ),
        _c(
            "lead_organisation",
            "ledande_organisation",
            "lead_organisation",
            TEXT,
            _l("Ledande organisation (namn); tom = importens organisation."),
        ),
        _c(
            "status",
            "status",
            "status",
            CHOICE,
            _l("planering, utkast, annonserad, utvardering, tilldelad, aktiv eller avslutad."),
            example="aktiv",
            choices=TenderRoundStatus,
        ),
        _c("published_on", "annonserad_datum", "published_on", DATE, _l("ÅÅÅÅ-MM-DD.")),
        _c(
            "contract_start",
            "avtalsstart",
            "contract_start",
            DATE,
            _l("ÅÅÅÅ-MM-DD."),
            example="2024-03-01",
        ),
        _c("contract_end", "avtalsslut", "contract_end", DATE, _l("ÅÅÅÅ-MM-DD.")),
        _c("extension_until", "forlangning_till", "extension_until", DATE, _l("ÅÅÅÅ-MM-DD.")),
        _c(
            "predecessor",
            "foregaende_diarienummer",
            "predecessor_reference",
            TEXT,
            _l("Föregående omgång i samma område (diarienummer), i databasen eller filen."),
        ),
        _c(
            "participants",
            "deltagande_organisationer",
            "participants",
            LIST,
            _l("Samverkande organisationers namn, åtskilda med |."),
        ),
    ),
)

CONTRACTS = ImportKind(
    "contracts",
    _l("Avtal"),
    _l("Matchas på avtalsreferens, annars på omgångens diarienummer och leverantör."),
    (
        _c(
            "reference",
            "avtalsreferens",
            "reference",
            TEXT,
            _l("Avtalets referens (valfri)."),
            max_length=50,
        ),
        _c(
            "tender_round",
            "upphandling_diarienummer",
            "tender_round_reference",
            TEXT,
            _l("Omgångens diarienummer; omgången måste finnas."),
            required=True,
            example="KF 2024/17",
        ),
        SUPPLIER_ORG,
        _c("lot", "anbudsomrade", "lot", TEXT, _l("Anbudsområde."), max_length=100),
        _c(
            "status",
            "status",
            "status",
            CHOICE,
            _l("aktivt, uteslutet, uppsagt, havt eller avslutat."),
            example="aktivt",
            choices=ContractStatus,
        ),
        _c(
            "units",
            "verksamheter",
            "units",
            LIST,
            _l("Leverantörens verksamheter (namn), åtskilda med |."),
        ),
    ),
)

_RATINGS = tuple(
    _c(
        f"rating_{theme.value}",
        f"betyg_{theme.value}",
        f"rating_{theme.value}",
        RATING,
        _l('Betyg 1–5, "ej aktuellt", eller tomt (ej besvarat): %(theme)s.', theme=theme.label),
        example="4",
    )
    for theme in Theme
)

EXPERIENCES = ImportKind(
    "experiences",
    _l("Placeringserfarenheter"),
    _l("Matchas på extern_id (lagras som erfarenhetens inskickningsnyckel)."),
    (
        _c(
            "external_id",
            "extern_id",
            "external_id",
            TEXT,
            _l("Unik nyckel från källsystemet, högst 36 tecken."),
            required=True,
            example="vs-2024-000123",
            max_length=36,
        ),
        _c(
            "author_email",
            "forfattare_epost",
            "author_email",
            TEXT,
            _l("Handläggarens e-post i organisationen; tom = den som importerar."),
        ),
        SUPPLIER_ORG,
        _c(
            "unit",
            "verksamhet",
            "unit",
            TEXT,
            _l("Verksamhetens namn hos leverantören."),
            required=True,
            example="Påhittade gården",
        ),
        _c(
            "agreement_area",
            "avtalsomrade",
            "agreement_area",
            TEXT,
            _l("Avtalsområdets namn."),
            required=True,
        ),
        _c(
            "contract",
            "avtalsreferens",
            "contract_reference",
            TEXT,
            _l("Avtalets referens; tom om utanför avtal."),
        ),
        _c("off_contract", "utanfor_avtal", "off_contract", BOOLEAN, _l("ja eller nej.")),
        _c(
            "off_contract_reason",
            "skal_utanfor_avtal",
            "off_contract_reason",
            CHOICE,
            _l("kompetens, geografi, lokaler, kapacitet, kvarboende, aldersgrans eller annat."),
            choices=OffContractReason,
        ),
        _c(
            "placement_kind",
            "placeringstyp",
            "placement_kind",
            CHOICE,
            _l("akut, utredning, behandling, utslussning eller stod."),
            example="behandling",
            choices=PlacementKind,
        ),
        _c(
            "legal_basis",
            "lagrum",
            "legal_basis",
            CHOICE,
            _l("sol, lvu, lvm eller lss."),
            example="lvu",
            choices=LegalBasis,
        ),
        _c(
            "age_band",
            "aldersgrupp",
            "age_band",
            CHOICE,
            _l("0-5, 6-12, 13-15, 16-17, 18-20, 21-29, 30-64 eller 65+."),
            example="13-15",
            choices=AgeBand,
        ),
        _c(
            "start",
            "start",
            "start",
            MONTH,
            _l("Startmånad ÅÅÅÅ-MM (eller ett datum)."),
            example="2024-03",
        ),
        _c("end", "slut", "end", MONTH, _l("Slutmånad ÅÅÅÅ-MM; tom om pågår.")),
        _c(
            "end_reason",
            "slutorsak",
            "end_reason",
            CHOICE,
            _l("planerat, sammanbrott, flytt eller pagar."),
            example="pagar",
            choices=EndReason,
        ),
        _c(
            "goal_attainment",
            "maluppfyllelse",
            "goal_attainment",
            INTEGER,
            _l("1–4, tom = ej bedömd."),
        ),
        _c(
            "daily_price",
            "dygnspris",
            "daily_price",
            DECIMAL,
            _l("Kronor, decimalkomma går bra."),
            example="3450,50",
        ),
        _c(
            "extra_cost_claims",
            "extra_kostnader",
            "extra_cost_claims",
            BOOLEAN,
            _l("ja eller nej."),
        ),
        _c(
            "invoicing_problems",
            "faktureringsproblem",
            "invoicing_problems",
            BOOLEAN,
            _l("ja eller nej."),
        ),
        _c(
            "would_place_again",
            "placera_igen",
            "would_place_again",
            CHOICE,
            _l("ja, nej eller osaker."),
            example="ja",
            choices=WouldPlaceAgain,
        ),
        _c(
            "worked_md",
            "vad_fungerade",
            "worked",
            LONG_TEXT,
            _l("Markdown."),
            example="Tydlig genomförandeplan.",
        ),
        _c("not_worked_md", "vad_fungerade_inte", "not_worked", LONG_TEXT, _l("Markdown.")),
        _c("advice_md", "rad", "advice", LONG_TEXT, _l("Markdown.")),
        _c(
            "status",
            "status",
            "status",
            CHOICE,
            _l("inskickad (standard) eller utkast."),
            example="inskickad",
            choices=ExperienceStatus,
        ),
        *_RATINGS,
    ),
)

KINDS = {kind.key: kind for kind in (SUPPLIERS, UNITS, TENDER_ROUNDS, CONTRACTS, EXPERIENCES)}


def kind_for(name: str) -> ImportKind | None:
    """Return the kind for 'tender-rounds', 'tender_rounds' and the like."""
    return KINDS.get(name.strip().lower().replace("-", "_"))
