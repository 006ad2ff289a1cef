"""Swedish names for the audited entities, as shown in the change log."""

from flask_babel import lazy_gettext as _l

ENTITY_LABELS = {
    "AgreementArea": _l("Avtalsområde"),
    "ApiToken": _l("API-nyckel"),
    "Contract": _l("Avtal"),
    "ContractStatusChange": _l("Statusändring för avtal"),
    "Deviation": _l("Avvikelse"),
    "Experience": _l("Erfarenhet"),
    "ExperienceRating": _l("Betyg i erfarenhet"),
    "Finding": _l("Lärdom"),
    "FindingEvidence": _l("Evidens för lärdom"),
    "FollowUp": _l("Uppföljning"),
    "Organisation": _l("Organisation"),
    "Requirement": _l("Krav"),
    "RequirementVersion": _l("Kravversion"),
    "Supplier": _l("Leverantör"),
    "SupplierCheck": _l("Kontroll"),
    "TenderDraft": _l("Förfrågningsunderlag"),
    "TenderDraftItem": _l("Post i förfrågningsunderlag"),
    "TenderRound": _l("Upphandlingsomgång"),
    "Unit": _l("Verksamhet"),
    "User": _l("Användare"),
    "UserRole": _l("Roll"),
}


def entity_label(entity: str) -> str:
    return str(ENTITY_LABELS.get(entity, entity))
