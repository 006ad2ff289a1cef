"""The nine rating themes used by experiences, findings and scorecards."""

from flask_babel import lazy_gettext as _l

from kb.database import LabelledEnum


class Theme(LabelledEnum):
    GENOMFORANDEPLAN = "genomforandeplan", _l("Genomförandeplan och rapportering")
    BEMANNING = "bemanning", _l("Bemanning och kontinuitet")
    KONTAKTPERSON = "kontaktperson", _l("Kontaktperson")
    SAMVERKAN = "samverkan", _l("Samverkan och information")
    AVVIKELSEHANTERING = "avvikelsehantering", _l("Avvikelsehantering")
    HALSA = "halsa", _l("Hälsa och sjukvård")
    SKOLA = "skola", _l("Skola och sysselsättning")
    LOKALER = "lokaler", _l("Lokaler")
    DELAKTIGHET = "delaktighet", _l("Delaktighet och den placerades upplevelse")
