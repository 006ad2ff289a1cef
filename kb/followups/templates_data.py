"""Follow-up templates: the method lists and survey themes of real särskilda uppföljningar.

A särskild uppföljning of HVB or stödboende surveys caseworkers and suppliers on the same
nine themes that experiences are rated on (kb.themes), so what a follow-up finds can be read
side by side with the experiences. A template gives a new follow-up its kind, methods and a
Markdown skeleton of the survey themes and questions; the demo data builds its särskilda
uppföljningar from the same templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from kb.followups.models import FollowUpKind, FollowUpMethod, FollowUpScope
from kb.themes import Theme

Questions = Mapping[Theme, tuple[str, ...]]

HVB_QUESTIONS: Questions = {
    Theme.GENOMFORANDEPLAN: (
        "Upprättades genomförandeplanen inom avtalad tid efter inskrivningen?",
        "Fick ni skriftlig rapport om den unges utveckling enligt avtalet?",
    ),
    Theme.BEMANNING: (
        "Hur stor del av personalen har utbildning som motsvarar avtalets krav?",
        "Har bemanningen nattetid varit den som avtalats?",
        "Hur ofta har den unge fått möta ny eller tillfällig personal?",
    ),
    Theme.KONTAKTPERSON: (
        "Fick den unge en namngiven kontaktperson vid inskrivningen?",
        "Har kontaktpersonen deltagit i samordnade möten och uppföljningar?",
    ),
    Theme.SAMVERKAN: (
        "Informerades socialtjänsten samma dag vid avvikelser och incidenter?",
        "Hur fungerade samverkan med vårdnadshavare och nätverk?",
    ),
    Theme.AVVIKELSEHANTERING: (
        "Finns rutiner för avvikelser och lex Sarah som personalen känner till?",
        "Återkopplade verksamheten vilka åtgärder som vidtogs efter en avvikelse?",
    ),
    Theme.HALSA: (
        "Fick den unge tillgång till hälso- och sjukvård, tandvård och BUP vid behov?",
        "Hur hanteras och dokumenteras läkemedel?",
    ),
    Theme.SKOLA: (
        "Har den unge fått skolgång från första veckan i placeringen?",
        "Hur stöttar verksamheten närvaro och studier?",
    ),
    Theme.LOKALER: (
        "Har den unge ett eget rum som går att låsa?",
        "Motsvarar lokalerna det som angavs i anbudet, och är brandskyddet godkänt?",
    ),
    Theme.DELAKTIGHET: (
        "Har den unge varit delaktig i att ta fram genomförandeplanen?",
        "Hur upplever den unge tryggheten och bemötandet på boendet?",
    ),
}

STODBOENDE_QUESTIONS: Questions = {
    Theme.GENOMFORANDEPLAN: (
        "Upprättades genomförandeplanen med mål för eget boende inom avtalad tid?",
        "Rapporterade verksamheten hur målen för självständighet uppnåddes?",
    ),
    Theme.BEMANNING: (
        "Har den unge kunnat nå personal dygnet runt enligt avtalet?",
        "Har stödet i den egna lägenheten getts med den omfattning som beställts?",
    ),
    Theme.KONTAKTPERSON: (
        "Har den unge haft samma kontaktperson under hela placeringen?",
        "Hur ofta har kontaktpersonen träffat den unge i boendet?",
    ),
    Theme.SAMVERKAN: (
        "Har verksamheten samverkat med skola, arbetsförmedling och vuxenpsykiatri vid behov?",
        "Fick socialtjänsten information i tid inför utflytt och eftervård?",
    ),
    Theme.AVVIKELSEHANTERING: (
        "Rapporterades avvikelser som avvikande från boendet eller missbruk till socialtjänsten?",
        "Fanns en plan för hur risker i den egna lägenheten hanteras?",
    ),
    Theme.HALSA: (
        "Har den unge fått stöd att själv boka och komma till vård och tandvård?",
        "Har verksamheten uppmärksammat psykisk ohälsa och missbruk?",
    ),
    Theme.SKOLA: (
        "Studerar eller arbetar den unge, och hur stöttar verksamheten det?",
        "Har den unge tränat på ekonomi, matlagning och kontakter med myndigheter?",
    ),
    Theme.LOKALER: (
        "Är lägenheten ändamålsenlig, trygg och i gott skick?",
        "Finns gemensamma utrymmen och personal i närheten enligt anbudet?",
    ),
    Theme.DELAKTIGHET: (
        "Har den unge varit med och bestämt vilket stöd som ges?",
        "Skulle den unge rekommendera boendet till någon i samma situation?",
    ),
}

AREA_QUESTIONS: Questions = {
    theme: (f"Hur har leverantörerna uppfyllt avtalets krav inom {theme.label.lower()}?",)
    for theme in Theme
}


@dataclass(frozen=True)
class FollowUpTemplate:
    """A starting point for a new follow-up."""

    key: str
    name: object  # a lazy Swedish string
    description: object
    title: str
    kind: FollowUpKind
    scope: FollowUpScope
    methods: tuple[FollowUpMethod, ...]
    intro: str
    questions: Questions

    @property
    def method_codes(self) -> list[str]:
        return [method.value for method in self.methods]

    def summary_md(
        self, observations: Mapping[Theme, str] | None = None, assessment: str = ""
    ) -> str:
        """Return the Markdown skeleton, filled with observations and an assessment if given."""
        lines = ["# Syfte och genomförande", "", self.intro, "", "# Enkätteman", ""]
        for theme, questions in self.questions.items():
            lines += [f"## {theme.label}", ""]
            lines += [f"- {question}" for question in questions]
            observation = (observations or {}).get(theme, "")
            lines += ["", f"**Iakttagelser:** {observation}".rstrip(), ""]
        lines += ["# Sammanfattande bedömning", "", assessment]
        return "\n".join(lines).rstrip() + "\n"


SURVEY_METHODS = (
    FollowUpMethod.SURVEY_CASEWORKERS,
    FollowUpMethod.SURVEY_SUPPLIER,
    FollowUpMethod.STAFF_INTERVIEW,
    FollowUpMethod.ANNOUNCED_VISIT,
    FollowUpMethod.IVO_CHECK,
    FollowUpMethod.CREDIT_CHECK,
    FollowUpMethod.CRIMINAL_RECORD,
    FollowUpMethod.INVOICE_SAMPLE,
)

TEMPLATES: tuple[FollowUpTemplate, ...] = (
    FollowUpTemplate(
        key="sarskild-hvb",
        name=_l("Särskild uppföljning HVB"),
        description=_l(
            "Enkäter till socialsekreterare och leverantörer, intervjuer, anmälda platsbesök "
            "och kontroller av HVB-hem inom ett avtalsområde."
        ),
        title="Särskild uppföljning HVB",
        kind=FollowUpKind.SPECIAL,
        scope=FollowUpScope.TENDER_ROUND,
        methods=SURVEY_METHODS,
        intro=(
            "Enkät till socialsekreterare och leverantörer, intervjuer med personal och anmälda "
            "platsbesök hos samtliga HVB-hem på ramavtalet. IVO-tillstånd, kreditupplysning, "
            "belastningsregister för företrädare och ett stickprov av fakturor kontrollerades."
        ),
        questions=HVB_QUESTIONS,
    ),
    FollowUpTemplate(
        key="sarskild-stodboende",
        name=_l("Särskild uppföljning stödboende"),
        description=_l(
            "Enkäter om stöd till eget boende, intervjuer, platsbesök i lägenheterna och "
            "kontroller av leverantörerna av stödboende."
        ),
        title="Särskild uppföljning stödboende",
        kind=FollowUpKind.SPECIAL,
        scope=FollowUpScope.TENDER_ROUND,
        methods=(*SURVEY_METHODS, FollowUpMethod.ROUTINE_REVIEW),
        intro=(
            "Enkät till socialsekreterare och leverantörer, intervjuer med personal och anmälda "
            "platsbesök i stödboendena. Rutiner för stöd i eget boende granskades, och "
            "IVO-tillstånd, kreditupplysning, belastningsregister och fakturor kontrollerades."
        ),
        questions=STODBOENDE_QUESTIONS,
    ),
    FollowUpTemplate(
        key="sarskild-avtalsomrade",
        name=_l("Särskild uppföljning av avtalsområde"),
        description=_l("Enkäter, platsbesök och kontroller för övriga avtalsområden."),
        title="Särskild uppföljning",
        kind=FollowUpKind.SPECIAL,
        scope=FollowUpScope.TENDER_ROUND,
        methods=(
            FollowUpMethod.SURVEY_CASEWORKERS,
            FollowUpMethod.SURVEY_SUPPLIER,
            FollowUpMethod.ANNOUNCED_VISIT,
            FollowUpMethod.CREDIT_CHECK,
            FollowUpMethod.INVOICE_SAMPLE,
            FollowUpMethod.QUALITY_REPORT,
        ),
        intro=(
            "Enkät till socialsekreterare och leverantörer, anmälda platsbesök och genomgång "
            "av leverantörernas kvalitetsberättelser, kreditupplysningar och fakturor."
        ),
        questions=AREA_QUESTIONS,
    ),
    FollowUpTemplate(
        key="handelsestyrd-platsbesok",
        name=_l("Händelsestyrd uppföljning med oanmält platsbesök"),
        description=_l("Efter en allvarlig avvikelse, en IVO-anmärkning eller uppgifter i media."),
        title="Händelsestyrd uppföljning",
        kind=FollowUpKind.EVENT_DRIVEN,
        scope=FollowUpScope.UNIT,
        methods=(
            FollowUpMethod.UNANNOUNCED_VISIT,
            FollowUpMethod.STAFF_INTERVIEW,
            FollowUpMethod.ROUTINE_REVIEW,
        ),
        intro=(
            "Oanmält platsbesök efter avvikelse. Bemanningsscheman, rutiner för "
            "avvikelsehantering och dokumentation granskades, och personal intervjuades."
        ),
        questions={
            theme: HVB_QUESTIONS[theme]
            for theme in (Theme.BEMANNING, Theme.AVVIKELSEHANTERING, Theme.LOKALER)
        },
    ),
)
TEMPLATES_BY_KEY = {template.key: template for template in TEMPLATES}


def template_for(key: str | None) -> FollowUpTemplate | None:
    return TEMPLATES_BY_KEY.get(key or "")


def template_for_area(area_name: str) -> FollowUpTemplate:
    """The särskild template that fits an agreement area: HVB, stödboende or any other."""
    lowered = area_name.lower()
    if lowered.startswith("hvb"):
        return TEMPLATES_BY_KEY["sarskild-hvb"]
    if "stödboende" in lowered:
        return TEMPLATES_BY_KEY["sarskild-stodboende"]
    return TEMPLATES_BY_KEY["sarskild-avtalsomrade"]
