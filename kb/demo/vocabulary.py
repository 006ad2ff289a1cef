"""Invented names for the demo: municipalities, suppliers, units, people and places.

Organisation numbers are checksum-valid but drawn from series not yet allocated by
Bolagsverket (5599xx for companies, 2129xx for municipalities, 8029xx for foundations and
associations, 7699xx for economic associations), so no demo record points to a real body.
"""

from __future__ import annotations

from stdnum import luhn

INTERMEDIARY = "Kommunförbundet Vidala"
MUNICIPALITIES = (
    "Alvsjöhamns kommun",
    "Björkvika kommun",
    "Dalmyra kommun",
    "Ekelunda kommun",
    "Granbacka kommun",
    "Hedvalla kommun",
)
COUNTY = "Vidala län"

# Invented place-like stems for supplier and unit names.
SUPPLIER_STEMS = (
    "Ankarvreten",
    "Björnlyckan",
    "Dimmeråsen",
    "Ekbladet",
    "Fjärilsgläntan",
    "Granhyddan",
    "Hägerviken",
    "Ismyren",
    "Järnsjöbacken",
    "Kvarnsnåret",
    "Lärkmossen",
    "Mjölnartorpet",
    "Norrgläntan",
    "Ormbunkslid",
    "Pilträsket",
    "Rönnebrink",
    "Sälgvreten",
    "Tranmyra",
    "Uvberget",
    "Vallmoängen",
    "Ylvalund",
    "Åkervinden",
    "Ängsmyra",
    "Örnhällan",
    "Blåklintsgården",
    "Dovhjorten",
    "Enbacka",
    "Fågelsången",
    "Gullrisbo",
    "Hasselsnåret",
    "Ljungtuvan",
    "Mossbrinken",
    "Nypongläntan",
    "Odonmyren",
    "Sjöfallsudden",
    "Tjäderleken",
    "Videbäcken",
    "Vitsippsbacken",
    "Älgstigen",
    "Östervreten",
)
SUPPLIER_SUFFIXES = (
    ("Behandlingshem AB", "ab"),
    ("Omsorg AB", "ab"),
    ("Ungdomsvård AB", "ab"),
    ("Familjevård AB", "ab"),
    ("Stödboende AB", "ab"),
    ("Vård och Behandling AB", "ab"),
    ("Stiftelsen {stem}", "stiftelse"),
    ("Föreningen {stem}", "ideell"),
    ("Kooperativet {stem} ek. för.", "ek_for"),
)
UNIT_KINDS = {
    "hvb_barn": ("Ungdomshem", "Behandlingshem", "HVB"),
    "hvb_akut": ("Akut- och utredningshem", "Utredningshem"),
    "stodboende": ("Stödboende", "Träningsboende"),
    "skyddat": ("Skyddat boende",),
    "familjehem": ("Familjehemsverksamhet", "Konsulentverksamhet"),
    "lss": ("LSS-boende", "Korttidshem"),
    "missbruk": ("Behandlingsgård", "HVB för vuxna"),
}
STREETS = (
    "Björkvägen",
    "Skogsstigen",
    "Kvarnbacken",
    "Sjövägen",
    "Åsvägen",
    "Lindallén",
    "Hagvägen",
    "Bruksgatan",
    "Mossvägen",
    "Lärkstigen",
)
FIRST_NAMES = (
    "Anna",
    "Elin",
    "Sara",
    "Maria",
    "Johanna",
    "Karin",
    "Linnea",
    "Emma",
    "Amira",
    "Fatima",
    "Johan",
    "Erik",
    "Mikael",
    "Ahmed",
    "Jonas",
    "Daniel",
    "Oskar",
    "Henrik",
    "Ali",
    "Peter",
)
LAST_NAMES = (
    "Lind",
    "Berg",
    "Ek",
    "Holm",
    "Strand",
    "Sjöberg",
    "Nyström",
    "Dahl",
    "Lund",
    "Åberg",
    "Falk",
    "Hedlund",
    "Vik",
    "Ström",
    "Björk",
    "Hassan",
    "Karlsson",
    "Nilsson",
    "Öberg",
)


def fictional_org_number(series: str, sequence: int) -> str:
    """Return a valid organisation number in an unallocated series, formatted NNNNNN-NNNN."""
    base = f"{series}{sequence:0{9 - len(series)}d}"
    digits = base + luhn.calc_check_digit(base)
    return f"{digits[:6]}-{digits[6:]}"


def slug(name: str) -> str:
    table = str.maketrans("åäöé ", "aaoe-")
    return name.lower().removesuffix(" kommun").removesuffix("s").translate(table)
