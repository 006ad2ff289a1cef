"""Requirement and finding texts for the demo, written as a procurer would."""

from __future__ import annotations

from dataclasses import dataclass

from kb.requirements.models import RequirementKind, RequirementLevel


@dataclass(frozen=True)
class RequirementText:
    key: str
    kind: RequirementKind
    level: RequirementLevel
    title: str
    text: str
    rationale: str
    verification: str
    followup: str
    theme: str | None = None
    weight: int | None = None


REQUIREMENTS = (
    RequirementText(
        "ivo",
        RequirementKind.QUALIFICATION,
        RequirementLevel.BASIC,
        "Tillstånd från IVO",
        "Anbudsgivaren ska ha gällande tillstånd från Inspektionen för vård och omsorg för den verksamhet som offereras.",
        "Verksamheten är tillståndspliktig.",
        "Kopia av tillståndsbeslut.",
        "Kontroll av IVO:s register vid avtalsstart och årligen.",
    ),
    RequirementText(
        "ekonomi",
        RequirementKind.QUALIFICATION,
        RequirementLevel.BASIC,
        "Ekonomisk stabilitet",
        "Anbudsgivaren ska ha en riskklass som motsvarar lägst 3 hos ett etablerat kreditupplysningsföretag.",
        "Placeringar är långa och ett avbrott av ekonomiska skäl drabbar den placerade.",
        "Kreditupplysning inhämtas av upphandlande organisation.",
        "Kreditupplysning årligen.",
    ),
    RequirementText(
        "plan",
        RequirementKind.MANDATORY,
        RequirementLevel.BASIC,
        "Genomförandeplan",
        "En genomförandeplan ska upprättas i samråd med den placerade och socialsekreteraren senast fyra veckor efter inskrivning.",
        "Planen är grunden för att vården blir den som beslutats.",
        "Beskrivning av rutin.",
        "Stickprov i samband med uppföljning.",
        "genomforandeplan",
    ),
    RequirementText(
        "rapport",
        RequirementKind.MANDATORY,
        RequirementLevel.BASIC,
        "Skriftlig rapportering",
        "Leverantören ska lämna skriftlig rapport om hur placeringen fortskrider till socialsekreteraren varje månad.",
        "Socialsekreteraren behöver underlag för sin uppföljning.",
        "Mall för rapport bifogas anbudet.",
        "Enkät till socialsekreterare.",
        "genomforandeplan",
    ),
    RequirementText(
        "kontakt",
        RequirementKind.MANDATORY,
        RequirementLevel.BASIC,
        "Namngiven kontaktperson",
        "Varje placerad ska ha en namngiven kontaktperson bland personalen, som är känd för socialsekreteraren från första dagen.",
        "Kontinuitet i relationen är avgörande för utfallet.",
        "Beskrivning av rutin.",
        "Intervju med personal och placerade.",
        "kontaktperson",
    ),
    RequirementText(
        "bemanning",
        RequirementKind.MANDATORY,
        RequirementLevel.BASIC,
        "Bemanning dygnet runt",
        "Verksamheten ska vara bemannad dygnet runt med vaken personal nattetid och med den bemanning som anges i anbudet.",
        "Trygghet och tillsyn kräver närvarande personal.",
        "Bemanningsschema för en representativ månad.",
        "Oanmält platsbesök och granskning av scheman.",
        "bemanning",
    ),
    RequirementText(
        "kompetens",
        RequirementKind.MANDATORY,
        RequirementLevel.ADVANCED,
        "Personalens kompetens",
        "Minst hälften av den personal som arbetar med de placerade ska ha relevant eftergymnasial utbildning.",
        "Kompetens påverkar bemötande och behandlingsresultat.",
        "Förteckning över personal och utbildning.",
        "Stickprov av personalförteckning.",
        "bemanning",
    ),
    RequirementText(
        "avvikelse",
        RequirementKind.CONTRACT_TERM,
        RequirementLevel.BASIC,
        "Rapportering av avvikelser",
        "Allvarliga händelser, avvikningar och lex Sarah-rapporter ska meddelas socialsekreteraren senast inom 24 timmar.",
        "Socialtjänsten ansvarar för den placerade och måste kunna agera.",
        "Rutin för avvikelsehantering.",
        "Granskning av avvikelserapporter.",
        "avvikelsehantering",
    ),
    RequirementText(
        "halsa",
        RequirementKind.CONTRACT_TERM,
        RequirementLevel.BASIC,
        "Hälsa och läkemedel",
        "Leverantören ska säkerställa att den placerade får tillgång till hälso- och sjukvård och tandvård, och ha rutiner för läkemedelshantering.",
        "Placerade har ofta eftersatt hälsa.",
        "Rutin för läkemedelshantering.",
        "Rutingranskning.",
        "halsa",
    ),
    RequirementText(
        "skola",
        RequirementKind.MANDATORY,
        RequirementLevel.ADVANCED,
        "Skolgång och sysselsättning",
        "Leverantören ska verka för att den placerade går i skola eller har meningsfull sysselsättning från första veckan.",
        "Skolgång är den starkaste skyddsfaktorn för placerade barn och unga.",
        "Beskrivning av samverkan med skola.",
        "Enkät till socialsekreterare.",
        "skola",
    ),
    RequirementText(
        "metod",
        RequirementKind.AWARD_CRITERION,
        RequirementLevel.ADVANCED,
        "Kvalitet i arbetssätt och delaktighet",
        "Anbudsgivaren ska beskriva hur den placerade görs delaktig i planering och vardag. Beskrivningen poängsätts.",
        "Delaktighet ökar chansen att placeringen fullföljs.",
        "Beskrivning som poängsätts av bedömningsgrupp.",
        "Intervju med placerade.",
        "delaktighet",
        40,
    ),
    RequirementText(
        "pris",
        RequirementKind.AWARD_CRITERION,
        RequirementLevel.BASIC,
        "Pris per dygn",
        "Anbudsgivaren ska ange pris per dygn inklusive samtliga kostnader för den grundläggande insatsen.",
        "Jämförbart pris utan dolda tillägg.",
        "Prisbilaga.",
        "Fakturastickprov.",
        None,
        60,
    ),
    RequirementText(
        "enkat",
        RequirementKind.FOLLOWUP_QUESTION,
        RequirementLevel.BASIC,
        "Enkät efter avslutad placering",
        "Efter varje avslutad placering besvarar socialsekreteraren en enkät om samverkan och information från leverantören.",
        "Erfarenheterna ska tas tillvara till nästa upphandling.",
        "–",
        "Sammanställs inför varje ny upphandlingsomgång.",
        "samverkan",
    ),
)

# Per theme: (title, statement, recommendation, requirement title, requirement text)
FINDING_TEXTS = {
    "bemanning": (
        "Bemanningen brister kvällar och helger",
        "Flera erfarenheter beskriver att kvällsbemanningen och helgbemanningen var lägre än vad som angavs i anbudet, vilket ledde till incidenter och avbrott.",
        "Skärp kravet på bemanning till att avse varje pass och följ upp med oanmälda besök kvällstid.",
        "Bemanning per pass",
        "Verksamheten ska redovisa bemanning per pass, även kvällar och helger, och bemanningen får inte understiga den som anges i anbudet.",
    ),
    "kontaktperson": (
        "Byten av kontaktperson skapar otrygghet",
        "Placerade fick byta kontaktperson flera gånger under placeringen, och socialsekreterare fick inte veta det.",
        "Inför krav på att byte av kontaktperson meddelas socialsekreteraren i förväg.",
        "Kontinuitet för kontaktperson",
        "Byte av kontaktperson ska meddelas socialsekreteraren minst en vecka i förväg och motiveras skriftligt.",
    ),
    "genomforandeplan": (
        "Genomförandeplanen kommer för sent",
        "Genomförandeplaner upprättades ofta först efter två till tre månader, och rapporteringen var ojämn.",
        "Behåll fyraveckorskravet men följ upp det systematiskt och koppla till vite.",
        "Genomförandeplan med vite",
        "En genomförandeplan ska upprättas senast fyra veckor efter inskrivning. Vid försening utgår vite enligt avtalsvillkoren.",
    ),
    "samverkan": (
        "Informationen till socialtjänsten är bristfällig",
        "Socialsekreterare beskriver att de fick information om händelser i efterhand och att mötet inför utskrivning ofta saknades.",
        "Inför krav på avslutsmöte och ställ en marknadsfråga om hur leverantörerna arbetar med samverkan.",
        "Avslutsmöte",
        "Innan en placering avslutas ska leverantören kalla till ett avslutsmöte med den placerade och socialsekreteraren.",
    ),
    "avvikelsehantering": (
        "Avvikelser rapporteras inte i tid",
        "Avvikelser och lex Sarah-rapporter nådde socialsekreteraren flera dagar för sent.",
        "Tydliggör kravet på rapportering inom 24 timmar och följ upp i avvikelseregistret.",
        "Avvikelser inom 24 timmar",
        "Allvarliga händelser ska rapporteras till socialsekreteraren samma dag och senast inom 24 timmar, skriftligen.",
    ),
    "halsa": (
        "Tandvård och läkemedel hanteras olika",
        "Det varierade mycket mellan verksamheterna hur tandvård, läkarbesök och läkemedel hanterades.",
        "Lägg till krav på hälsoplan vid inskrivning.",
        "Hälsoplan vid inskrivning",
        "Leverantören ska upprätta en hälsoplan inom fyra veckor som omfattar hälso- och sjukvård, tandvård och läkemedel.",
    ),
    "skola": (
        "Skolgången kommer igång för sent",
        "Många unga saknade skolplacering under de första veckorna, särskilt vid placering utanför hemkommunen.",
        "Ställ krav på skolgång från första veckan och fråga marknaden om egen skolverksamhet.",
        "Skolgång från första veckan",
        "Leverantören ska säkerställa att den placerade har skolgång eller sysselsättning senast första veckan efter inskrivning.",
    ),
    "lokaler": (
        "Lokalerna motsvarar inte anbudet",
        "Vid platsbesök var lokalerna i sämre skick än beskrivningen i anbudet, och enskilda rum saknades.",
        "Inför krav på eget rum och besiktning av lokaler vid avtalsstart.",
        "Eget rum och godkända lokaler",
        "Varje placerad ska ha eget rum. Lokalerna ska besiktigas av beställaren innan avrop får ske.",
    ),
    "delaktighet": (
        "De placerade görs inte delaktiga",
        "Placerade beskriver att de inte fått vara med och planera sin vardag, och att deras synpunkter inte togs tillvara.",
        "Vikta upp delaktighet i utvärderingen och följ upp med intervjuer av placerade.",
        "Delaktighet i vardagen",
        "Leverantören ska beskriva och dokumentera hur den placerade görs delaktig i genomförandeplan och vardag.",
    ),
}

REJECTION_REASONS = (
    "Underlaget bygger på erfarenheter från en enda verksamhet; frågan hanteras i avtalsuppföljningen i stället.",
    "Kravet skulle begränsa konkurrensen för mindre leverantörer utan att förbättra kvaliteten nämnvärt.",
    "Redan täckt av befintligt skall-krav om genomförandeplan.",
    "Kostnaden för kravet bedöms inte stå i proportion till nyttan i detta avtalsområde.",
    "Frågan ligger utanför vad som kan regleras i upphandlingen; lyfts till samverkansgruppen.",
)
