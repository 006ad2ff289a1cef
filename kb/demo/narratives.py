"""Deterministic generator of fictional Swedish follow-up narratives for demo data.

Every sentence is composed from slots: an optional lead adverbial (which triggers Swedish
V2 inversion), a subject, a predicate (finite verb first), an optional time adverbial and an
optional trailing clause. Subjects and predicates live in *groups* whose members are
grammatically compatible with each other (gender, number, predicative adjectives).

Templates use ``{placeholders}`` that are filled from a per-narrative context:
``p`` person (``ungdomen``), ``pr``/``po``/``ps`` pronoun subject/object/possessive,
``u``/``ug``/``pu`` unit (``boendet``/``boendets``/``på boendet``), ``staff``, ``led``
(leadership), ``net`` (family/relatives), ``sk``/``skc`` school or occupation, ``target``
(target group), ``pl``/``plb`` placement noun (indefinite/definite).

A predicate ending in `` #`` already carries a time phrase and never gets another one.
All content is invented: no names, places, dates, numbers or contact details.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

THEMES: tuple[str, ...] = (
    "genomforandeplan",
    "bemanning",
    "kontaktperson",
    "samverkan",
    "avvikelsehantering",
    "halsa",
    "skola",
    "lokaler",
    "delaktighet",
)

# Every theme sentence contains at least one of its theme's keywords (lower case).
THEME_KEYWORDS: dict[str, tuple[str, ...]] = {
    "genomforandeplan": ("genomförandeplan", "rapporter", "dokumentation"),
    "bemanning": ("bemanning", "personalgrupp", "personalomsättning", "kontinuitet", "vikarie"),
    "kontaktperson": ("kontaktperson",),
    "samverkan": ("samverkan", "samarbet", "informationsflöde", "informationsöverföring"),
    "avvikelsehantering": ("avvikelse", "lex sarah"),
    "halsa": (
        "hälsa",
        "hälso",
        "sjukvård",
        "vårdkontakt",
        "vårdbesök",
        "medicin",
        "tandvård",
        "psykiatri",
        "läkemedel",
    ),
    "skola": ("skol", "sysselsättning", "dagliga verksamhet", "praktik"),
    "lokaler": ("lokal", "boendemiljö", "utemiljö", "fysiska miljö"),
    "delaktighet": ("delaktig", "inflytande", "upplevelse"),
}


@dataclass(frozen=True)
class Narrative:
    worked: str  # Markdown: "Vad fungerade"
    not_worked: str  # Markdown: "Vad fungerade inte"
    advice: str  # Markdown: "Råd till nästa placering"


Predicate = tuple[str, str, bool]  # finite verb, rest, time adverbial allowed
Group = tuple[tuple[str, ...], tuple[Predicate, ...]]


@dataclass(frozen=True)
class Pool:
    groups: tuple[Group, ...]
    details: tuple[str, ...]
    tails: tuple[str, ...] = ()  # extra time adverbials that only suit this pool


def _lines(block: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


_CLAUSE_WORDS = frozenset({"när", "som", "att", "innan", "förrän", "eftersom"})


def _predicate(text: str) -> Predicate:
    """Split off the finite verb; predicates ending in a clause or `` #`` get no time phrase."""
    verb, _, rest = text.rstrip(" #").partition(" ")
    allow_tail = not text.endswith("#") and _CLAUSE_WORDS.isdisjoint(rest.split())
    return verb, rest, allow_tail


# --------------------------------------------------------------------------- modifiers

_POS_LEADS = _lines("""
Överlag
Glädjande nog
Enligt vår bedömning
Genomgående
Sammantaget
Positivt nog
I det dagliga arbetet
Från vår sida sett
""")
_NEG_LEADS = _lines("""
Tyvärr
Dessvärre
Enligt vår bedömning
Sett i efterhand
Ur vårt perspektiv
Beklagligt nog
I praktiken
Trots påpekanden från oss
Trots upprepade påminnelser
""")
_MILD_POS_LEADS = _lines("""
I stort sett
För det mesta
Efter en trög start
Med vissa undantag
Till viss del
Till största delen
Efter en tid
""")
_MILD_NEG_LEADS = _lines("""
Periodvis
Ibland
Vid några tillfällen
I början
Emellanåt
Under vissa perioder
""")
_POS_TAILS = _lines("""
från första dagen
redan från inskrivningen
under inskrivningsperioden
under den första tiden
under de första månaderna
""")
_NEG_TAILS = _lines("""
under de första veckorna
under flera månader
redan från inskrivningen
under långa perioder
""")
_ENDED_POS_TAILS = (
    "under hela placeringen",
    "fram till utskrivningen",
    "genom hela placeringstiden",
)
_ENDED_NEG_TAILS = ("mot slutet av placeringen", "under den senare delen av placeringen")
_FALLBACK_LEADS = ("Trots allt", "Trots svårigheterna", "Samtidigt", "Ändå", "I vissa avseenden")
_NOTHING_LEADS = ("Sammantaget", "Överlag", "Sett till helheten", "I det stora hela")
_END_NEG_LEADS = ("Tyvärr", "Dessvärre", "Beklagligt nog")
_END_POS_LEADS = ("Glädjande nog", "Positivt nog")
_REC_LEADS = _lines("""
Sammantaget
Utifrån våra erfarenheter
Sammanfattningsvis
Med den kunskap vi har i dag
Efter denna placering
Mot bakgrund av placeringen
""")
_ADVICE_LEADS = (
    "Inför en ny {pl}",
    "Vid en ny placering",
    "Framöver",
    "Vid liknande placeringar",
)
_ADVICE_TAILS = _lines("""
inför nästa placering
redan vid inskrivningen
innan avtalet undertecknas
vid det första mötet
innan beslutet om placering fattas
under de första veckorna
i samband med den första uppföljningen
""")
_ADVICE_SUBJECTS = (
    "handläggaren",
    "nästa handläggare",
    "den som placerar här",
    "socialsekreteraren",
    "man",
)
_ADVICE_MODALS = (  # the first three also suit actions that carry their own time phrase
    ("bör", ""),
    ("behöver", ""),
    ("gör", "klokt i att"),
    ("bör", "redan från start"),
    ("bör", "i ett tidigt skede"),
)
_QUALIFIERS = _lines("""
enligt uppgifterna i akten
enligt våra anteckningar
såvitt vi kan bedöma
enligt vad som framkom vid uppföljningen
vilket också noterades i akten
enligt vad vi har erfarit
vilket vi har dokumenterat
såvitt vi känner till
""")

# --------------------------------------------------------------------------- pools
#
# Pool mini-language. ``=== name`` starts a pool. ``> a | b`` starts a group of
# interchangeable subjects (consecutive ``>`` lines continue it); the lines below it are
# predicates that fit every subject of the group, finite verb first so that a lead adverbial
# can invert the word order. ``+ text`` is a trailing clause, written without its leading
# comma. ``~ text`` is a time adverbial that only suits this pool. A predicate ending in `` #``
# (or containing a subordinate clause) never gets a time adverbial.
#
# "fh" pools replace the theme pools for family homes, which have no staff rota or premises.


def _parse_pools(text: str) -> dict[str, Pool]:
    """Parse the pool mini-language; see the comment above."""
    pools: dict[str, Pool] = {}
    for section in text.split("=== ")[1:]:
        name, *body = _lines(section)
        groups: list[tuple[tuple[str, ...], list[Predicate]]] = []
        details: list[str] = []
        tails: list[str] = []
        for line in body:
            if line.startswith(">"):
                subjects = tuple(s.strip() for s in line[1:].split("|"))
                if groups and not groups[-1][1]:  # continued subject line
                    subjects = groups.pop()[0] + subjects
                groups.append((subjects, []))
            elif line.startswith("+"):
                details.append(", " + line[1:].strip())
            elif line.startswith("~"):
                tails.append(line[1:].strip())
            else:
                groups[-1][1].append(_predicate(line))
        built = tuple((subjects, tuple(predicates)) for subjects, predicates in groups)
        pools[name] = Pool(built, tuple(details), tuple(tails))
    return pools


_POOLS = _parse_pools(
    (Path(__file__).with_name("narrative_phrases.txt")).read_text(encoding="utf-8")
)

# --------------------------------------------------------------------------- advice

_ADVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "genomforandeplan": _lines("""
        begära in genomförandeplanen inom den tid som avtalet anger #
        kräva månadsrapporter som kopplar till målen
        följa upp att genomförandeplanen faktiskt används i vardagen
        tydliggöra vilka krav som gäller för rapporteringen
    """),
    "bemanning": _lines("""
        fråga hur kvällsbemanningen och nattbemanningen faktiskt ser ut
        kontrollera personalomsättningen innan beslutet fattas #
        begära en redovisning av bemanningen under helger
        säkerställa att den utlovade bemanningen framgår av avtalet
    """),
    "kontaktperson": _lines("""
        be om att få träffa kontaktpersonen tidigt #
        säkerställa att kontaktpersonen utses redan vid inskrivningen #
        efterfråga en plan för hur kontaktpersonen ersätts vid frånvaro
        kräva att kontaktpersonen deltar på mötet vid varje uppföljning #
    """),
    "samverkan": _lines("""
        komma överens om rutiner för informationsöverföring redan vid det första mötet #
        tydliggöra vem som ansvarar för kontakten med handläggaren
        boka in täta avstämningar under den första tiden #
        dokumentera de överenskommelser som görs på mötet skriftligen #
    """),
    "avvikelsehantering": _lines("""
        fråga hur avvikelser och ärenden enligt lex Sarah hanteras
        kräva att avvikelserapporter skickas till handläggaren utan dröjsmål
        kontrollera om IVO har riktat kritik mot verksamheten
        följa upp avvikelsehanteringen vid varje möte #
    """),
    "halsa": _lines("""
        säkerställa att någon har ett samlat ansvar för hälso- och sjukvårdskontakterna
        begära en plan för läkemedelshanteringen
        följa upp att planerade vårdbesök faktiskt genomförs
    """),
    "skola": _lines("""
        säkerställa att {sk} är ordnad innan placeringen påbörjas #
        följa upp närvaron regelbundet #
        kräva en tydlig plan för {sk}
    """),
    "lokaler": _lines("""
        besöka {u} och se lokalerna innan beslutet fattas #
        kontrollera att lokalerna motsvarar det som avtalet beskriver
        göra ett eget studiebesök innan placeringen påbörjas #
    """),
    "delaktighet": _lines("""
        ha enskilda samtal med den placerade utan personal närvarande
        efterfråga den placerades egen upplevelse vid varje uppföljning #
        säkerställa att den placerade blir delaktig i genomförandeplanen
    """),
    "keep": _lines("""
        behålla samma tydliga upplägg för uppföljningen
        ha tät kontakt under den första tiden även om allt ser bra ut #
        ta tillvara {ug} erfarenhet av {target}
        boka ett tidigt möte med {led}
        tydliggöra förväntningarna i avtalet redan från början #
        be om samma kontaktperson vid en ny placering #
        utgå från en genomförandeplan med lika konkreta mål som här
        fråga efter kvällsbemanningen även om den fungerade väl här #
    """),
}
_FH_ADVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "bemanning": _lines("""
        säkerställa att konsulentstödet finns tillgängligt även kvällar och helger
        fråga hur konsulentverksamheten hanterar byten av konsulent
    """),
    "lokaler": _lines("""
        göra hembesök i familjehemmet tidigt #
        kontrollera att familjehemsutredningen beskriver boendet korrekt
    """),
}
_AREA_ADVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "hvb_barn": _lines("""
        begära in behandlingsplanen innan placeringen enligt LVU påbörjas #
        följa upp skolgången tätt från första dagen #
        fråga hur HVB-hemmet hanterar avvikningar
    """),
    "hvb_akut": _lines("""
        komma överens om vilket underlag utredningen behöver från enheten
        klargöra hur länge akutplaceringen väntas pågå #
    """),
    "stodboende": _lines("""
        stämma av hur ofta boendestödjarna faktiskt träffar den unge
        kräva en tydlig plan för utslussning
    """),
    "skyddat": _lines("""
        kontrollera rutinerna för skyddad adress
        fråga hur boendet arbetar med våldsutsatta barn
    """),
    "familjehem": _lines("""
        säkerställa att familjehemmet får handledning från start #
        stämma av hur konsulenten ska stötta familjehemsplaceringen
    """),
    "lss": _lines("""
        stämma av samordningen med den dagliga verksamheten
        säkerställa att boendet känner till beslutet enligt LSS
    """),
    "missbruk": _lines("""
        säkerställa en plan för eftervård innan utskrivning #
        fråga hur enheten hanterar återfall och abstinens
        klargöra hur placeringar enligt LVM tas emot
    """),
}

# --------------------------------------------------------------------------- context

Person = tuple[str, str, str, str]  # noun, subject pronoun, object pronoun, possessive
_YOUTH: tuple[Person, ...] = (
    ("ungdomen", "hen", "hen", "hens"),
    ("pojken", "han", "honom", "hans"),
    ("flickan", "hon", "henne", "hennes"),
)
_PLACED: Person = ("den placerade", "hen", "hen", "hens")
_PERSONS: dict[str, tuple[Person, ...]] = {
    "hvb_barn": _YOUTH,
    "hvb_akut": _YOUTH,
    "familjehem": _YOUTH,
    "stodboende": (*_YOUTH, _PLACED),
    "skyddat": (("kvinnan", "hon", "henne", "hennes"), ("klienten", "hen", "hen", "hens"), _PLACED),
    "lss": (("brukaren", "hen", "hen", "hens"), _PLACED),
    "missbruk": (
        ("klienten", "hen", "hen", "hens"),
        ("mannen", "han", "honom", "hans"),
        ("kvinnan", "hon", "henne", "hennes"),
        _PLACED,
    ),
}
_UNITS: dict[str, tuple[tuple[str, str], ...]] = {  # unit, preposition
    "hvb_barn": (("HVB-hemmet", "på"), ("boendet", "på"), ("enheten", "på"), ("verksamheten", "i")),
    "hvb_akut": (("HVB-hemmet", "på"), ("akutboendet", "på"), ("enheten", "på")),
    "stodboende": (("stödboendet", "på"), ("boendet", "på"), ("verksamheten", "i")),
    "skyddat": (("det skyddade boendet", "på"), ("boendet", "på"), ("verksamheten", "i")),
    "familjehem": (("familjehemmet", "i"),),
    "lss": (
        ("LSS-boendet", "på"),
        ("boendet", "på"),
        ("gruppbostaden", "i"),
        ("verksamheten", "i"),
    ),
    "missbruk": (("HVB-hemmet", "på"), ("behandlingshemmet", "på"), ("enheten", "på")),
}
_STAFF: dict[str, tuple[str, ...]] = {
    "hvb_barn": ("personalen", "behandlingspersonalen"),
    "hvb_akut": ("personalen",),
    "stodboende": ("boendestödjarna", "personalen"),
    "skyddat": ("personalen",),
    "familjehem": ("familjehemsföräldrarna",),
    "lss": ("personalen", "omsorgspersonalen"),
    "missbruk": ("behandlingspersonalen", "personalen"),
}
_LEADERS: dict[str, tuple[str, ...]] = {
    "hvb_barn": ("föreståndaren", "enhetschefen"),
    "hvb_akut": ("föreståndaren", "enhetschefen"),
    "stodboende": ("enhetschefen", "föreståndaren"),
    "skyddat": ("föreståndaren", "den verksamhetsansvariga"),
    "familjehem": ("konsulenten", "den ansvariga konsulenten"),
    "lss": ("enhetschefen", "verksamhetschefen"),
    "missbruk": ("föreståndaren", "den behandlingsansvariga"),
}
_CHILD_NET = ("vårdnadshavarna", "föräldrarna")
_ADULT_NET = ("de anhöriga", "de närstående")
_NETWORK: dict[str, tuple[str, ...]] = {
    "hvb_barn": _CHILD_NET,
    "hvb_akut": _CHILD_NET,
    "familjehem": _CHILD_NET,
    "stodboende": ("föräldrarna", "de närstående"),
    "skyddat": _ADULT_NET,
    "lss": _ADULT_NET,
    "missbruk": _ADULT_NET,
}
_CHILD_SCHOOL = (("skolgången", "skolan"), ("skolsituationen", "skolan"))
_SCHOOL: dict[str, tuple[tuple[str, str], ...]] = {
    "hvb_barn": _CHILD_SCHOOL,
    "hvb_akut": _CHILD_SCHOOL,
    "familjehem": _CHILD_SCHOOL,
    "stodboende": (("skolgången", "skolan"), ("sysselsättningen", "praktikplatsen")),
    "skyddat": (("sysselsättningen", "praktikplatsen"),),
    "lss": (("den dagliga verksamheten", "den dagliga verksamheten"),),
    "missbruk": (("sysselsättningen", "praktikplatsen"),),
}
_TARGETS: dict[str, tuple[str, ...]] = {
    "hvb_barn": (
        "ungdomar med behov av strukturerad behandling",
        "ungdomar med normbrytande beteende",
        "unga som behöver en tydlig vardag",
    ),
    "hvb_akut": ("akutplaceringar med kort varsel", "ungdomar som behöver en kortare utredning"),
    "stodboende": ("unga som behöver träna på eget boende", "ungdomar inför utslussning"),
    "skyddat": ("våldsutsatta med behov av hög skyddsnivå", "våldsutsatta kvinnor med barn"),
    "familjehem": ("barn som behöver en långsiktig familjehemsplacering", "yngre barn"),
    "lss": ("brukare med omfattande stödbehov", "brukare som behöver en tydlig struktur"),
    "missbruk": (
        "klienter med behov av abstinensbehandling",
        "klienter placerade enligt LVM",
        "klienter som behöver ett längre motivationsarbete",
    ),
}
_KIND_NOUNS: dict[str, tuple[str, str]] = {  # indefinite, definite
    "akut": ("akutplacering", "akutplaceringen"),
    "utredning": ("utredningsplacering", "utredningsplaceringen"),
    "behandling": ("behandlingsplacering", "behandlingsplaceringen"),
    "utslussning": ("placering", "placeringen"),
    "stod": ("placering", "placeringen"),
}

_AREAS = frozenset(_UNITS)
_END_REASONS = frozenset({"planerat", "sammanbrott", "flytt", "pagar"})
_VERDICTS = frozenset({"ja", "nej", "osaker"})
_MAX_ATTEMPTS = 12


def _context(rng: random.Random, area: str, kind: str) -> dict[str, str]:
    p, pr, po, ps = rng.choice(_PERSONS[area])
    sk, skc = rng.choice(_SCHOOL[area])
    pl, plb = _KIND_NOUNS.get(kind, ("placering", "placeringen"))
    if area == "familjehem":
        pl, plb = "familjehemsplacering", "familjehemsplaceringen"
    return {
        "p": p, "pr": pr, "po": po, "ps": ps, "sk": sk, "skc": skc, "pl": pl, "plb": plb,
        "staff": rng.choice(_STAFF[area]), "led": rng.choice(_LEADERS[area]),
        "net": rng.choice(_NETWORK[area]), "target": rng.choice(_TARGETS[area]),
        "area": area, "u": "", "ug": "", "pu": "", "ds": p,
    }  # fmt: skip


def _set_unit(rng: random.Random, ctx: dict[str, str]) -> None:
    unit, prep = rng.choice(_UNITS[ctx["area"]])
    ctx["u"], ctx["ug"], ctx["pu"] = unit, unit + "s", f"{prep} {unit}"


def _finish(parts: list[str], ctx: dict[str, str], suffix: str = "") -> str:
    text = (" ".join(part for part in parts if part) + suffix).format_map(ctx)
    return text[0].upper() + text[1:] + "."


@dataclass(frozen=True)
class _Style:
    leads: tuple[str, ...]
    tails: tuple[str, ...] = ()
    p_lead: float = 0.3
    p_tail: float = 0.0
    p_detail: float = 0.4


def _compose(rng: random.Random, pool: Pool, ctx: dict[str, str], style: _Style) -> str:
    subjects, predicates = rng.choice(pool.groups)
    subject = rng.choice(subjects)
    verb, rest, allow_tail = rng.choice(predicates)
    _set_unit(rng, ctx)
    mentioned = "{p}" in subject or "{p}" in rest
    ctx["ds"] = ctx["pr"] if mentioned else ctx["p"]
    if style.leads and rng.random() < style.p_lead:
        parts = [rng.choice(style.leads), verb, subject, rest]
    else:
        parts = [subject, verb, rest]
    tails = style.tails + pool.tails if style.tails else ()
    if allow_tail and tails and rng.random() < style.p_tail:
        parts.append(rng.choice(tails))
    detail = rng.choice(pool.details) if pool.details and rng.random() < style.p_detail else ""
    return _finish(parts, ctx, detail)


def _advice_sentence(rng: random.Random, actions: tuple[str, ...], ctx: dict[str, str]) -> str:
    """Recommendation to the next caseworker; actions ending in `` #`` carry their own time."""
    subject = rng.choice(_ADVICE_SUBJECTS)
    action = rng.choice(actions)
    timed = action.endswith("#")
    action = action.rstrip(" #")
    verb, adverb = rng.choice(_ADVICE_MODALS[:3] if timed else _ADVICE_MODALS)
    _set_unit(rng, ctx)
    if rng.random() < 0.35:
        return _finish([rng.choice(_ADVICE_LEADS), verb, subject, adverb, action], ctx)
    plain = not (timed or adverb)
    tail = rng.choice(_ADVICE_TAILS) if plain and rng.random() < 0.6 else ""
    return _finish([subject, verb, adverb, action, tail], ctx)


def _unique(rng: random.Random, make: Callable[[], str], used: set[str]) -> str | None:
    """Draw until the sentence is unused; then try qualifiers; give up with None."""
    sentence = ""
    for _ in range(_MAX_ATTEMPTS):
        sentence = make()
        if sentence not in used:
            used.add(sentence)
            return sentence
    for qualifier in rng.sample(_QUALIFIERS, len(_QUALIFIERS)):
        candidate = f"{sentence[:-1]}, {qualifier}."
        if candidate not in used:
            used.add(candidate)
            return candidate
    return None


def _tails(positive: bool, ongoing: bool) -> tuple[str, ...]:
    if positive:
        return _POS_TAILS if ongoing else _POS_TAILS + _ENDED_POS_TAILS
    return _NEG_TAILS if ongoing else _NEG_TAILS + _ENDED_NEG_TAILS


def _theme_style(positive: bool, mild: bool, ongoing: bool) -> _Style:
    if mild:
        return _Style(_MILD_POS_LEADS if positive else _MILD_NEG_LEADS, p_lead=1.0, p_detail=0.35)
    leads = _POS_LEADS if positive else _NEG_LEADS
    return _Style(leads, _tails(positive, ongoing), p_lead=0.3, p_tail=0.4, p_detail=0.45)


def _theme_pool(area: str, theme: str, polarity: str) -> Pool:
    family_home = _POOLS.get(f"fh {theme} {polarity}") if area == "familjehem" else None
    return family_home or _POOLS[f"theme {theme} {polarity}"]


class _Writer:
    """Draws unique sentences for one narrative."""

    def __init__(self, rng: random.Random, ctx: dict[str, str], used: set[str], ongoing: bool):
        self.rng, self.ctx, self.used, self.ongoing = rng, ctx, used, ongoing

    def pool(self, pool: Pool, style: _Style) -> str | None:
        return _unique(self.rng, lambda: _compose(self.rng, pool, self.ctx, style), self.used)

    def theme(self, theme: str, positive: bool, mild: bool) -> str | None:
        pool = _theme_pool(self.ctx["area"], theme, "pos" if positive else "neg")
        return self.pool(pool, _theme_style(positive, mild, self.ongoing))

    def area(self, positive: bool) -> str | None:
        pool = _POOLS[f"area {self.ctx['area']} {'pos' if positive else 'neg'}"]
        leads = _POS_LEADS if positive else _NEG_LEADS
        style = _Style(leads, _tails(positive, self.ongoing), 0.25, 0.3, 0.4)
        return self.pool(pool, style)

    def end(self, end_reason: str, positive: bool) -> str | None:
        if end_reason in ("flytt", "pagar"):
            pool = _POOLS[f"end {end_reason} {'pos' if positive else 'neg'}"]
        else:
            pool = _POOLS[f"end {end_reason}"]
        leads = _END_POS_LEADS if positive else _END_NEG_LEADS
        return self.pool(pool, _Style(leads, p_lead=0.3, p_detail=0.5))

    def advice(self, actions: tuple[str, ...]) -> str | None:
        return _unique(self.rng, lambda: _advice_sentence(self.rng, actions, self.ctx), self.used)


Ranked = list[tuple[str, bool]]  # (theme, mild) best first for "worked", worst first otherwise


def _rank_themes(rng: random.Random, ratings: dict[str, int | None]) -> tuple[Ranked, Ranked]:
    positive: list[tuple[float, str, bool]] = []
    negative: list[tuple[float, str, bool]] = []
    for theme in THEMES:
        rating = ratings.get(theme)
        if rating is None:
            continue
        key = rating + rng.random()
        if rating >= 4 or (rating == 3 and rng.random() < 0.5):
            positive.append((-key, theme, rating == 3))
        else:
            negative.append((key, theme, rating == 3))
    positive.sort()
    negative.sort()
    return [(t, m) for _, t, m in positive], [(t, m) for _, t, m in negative]


def _mood(ratings: dict[str, int | None]) -> float:
    values = [r for t, r in ratings.items() if r is not None and t in THEMES]
    return sum(values) / len(values) if values else 3.0


def _worked(w: _Writer, positive: Ranked, end_reason: str, mood: float) -> list[str | None]:
    rng = w.rng
    out = [w.theme(theme, True, mild) for theme, mild in positive[: rng.choice((1, 2, 2, 3))]]
    if positive and rng.random() < 0.4:
        out.append(w.area(True))
    if end_reason == "planerat" and rng.random() < 0.4:
        out.insert(rng.choice((0, len(out))), w.end(end_reason, True))
    elif end_reason in ("flytt", "pagar") and mood >= 3 and rng.random() < 0.7:
        out.insert(0 if end_reason == "pagar" else len(out), w.end(end_reason, True))
    return out


def _not_worked(
    w: _Writer, negative: Ranked, end_reason: str, mood: float, verdict: str
) -> list[str | None]:
    rng = w.rng
    out = [w.end(end_reason, False)] if end_reason == "sammanbrott" else []
    out += [w.theme(theme, False, mild) for theme, mild in negative[: rng.choice((1, 2, 2, 3))]]
    troubled = bool(negative) or end_reason == "sammanbrott" or verdict != "ja"
    if troubled and rng.random() < 0.4:
        out.append(w.area(False))
    if end_reason in ("flytt", "pagar") and mood < 3 and rng.random() < 0.7:
        out.insert(0 if end_reason == "pagar" else len(out), w.end(end_reason, False))
    return out


def _advice_actions(rng: random.Random, area: str, negative: Ranked) -> tuple[str, ...]:
    if negative:
        theme = negative[0][0]
        if area == "familjehem" and theme in _FH_ADVICE_ACTIONS:
            return _FH_ADVICE_ACTIONS[theme]
        return _ADVICE_ACTIONS[theme]
    return _AREA_ADVICE_ACTIONS[area] if rng.random() < 0.5 else _ADVICE_ACTIONS["keep"]


def _advice(w: _Writer, negative: Ranked, verdict: str) -> list[str | None]:
    rng = w.rng
    rec_style = _Style(_REC_LEADS, p_lead=0.4, p_detail=0.4)
    out = [w.pool(_POOLS[f"rec {verdict}"], rec_style)]
    if rng.random() < 0.75 or out[0] is None:
        out.append(w.advice(_advice_actions(rng, w.ctx["area"], negative)))
        if rng.random() < 0.25:
            out.reverse()
    return out


def _keep(sentences: list[str | None], used: set[str], limit: int = 4) -> list[str]:
    """Drop failed draws and anything past ``limit`` (which is then not counted as used)."""
    kept = [s for s in sentences if s]
    used.difference_update(kept[limit:])
    return kept[:limit]


def _render(rng: random.Random, kept: list[str], allow_list: bool = True) -> str:
    if allow_list and len(kept) >= 2 and rng.random() < 0.3:
        return "\n".join(f"- {s}" for s in kept)
    return " ".join(kept)


def compose_narrative(
    rng: random.Random,
    *,
    ratings: dict[str, int | None],
    end_reason: str,
    placement_kind: str,
    area_kind: str,
    would_place_again: str,
    used_sentences: set[str] | None,
) -> Narrative:
    """Compose one fictional follow-up narrative.

    When ``used_sentences`` is a set, no sentence already in it is emitted and every emitted
    sentence (exactly as :func:`split_sentences` returns it) is added to it.
    """
    if area_kind not in _AREAS:
        raise ValueError(f"unknown area_kind: {area_kind!r}")
    if end_reason not in _END_REASONS:
        raise ValueError(f"unknown end_reason: {end_reason!r}")
    if would_place_again not in _VERDICTS:
        raise ValueError(f"unknown would_place_again: {would_place_again!r}")
    used = used_sentences if used_sentences is not None else set()
    ctx = _context(rng, area_kind, placement_kind)
    w = _Writer(rng, ctx, used, ongoing=end_reason == "pagar")
    positive, negative = _rank_themes(rng, ratings)
    mood = _mood(ratings)
    worked = _worked(w, positive, end_reason, mood)
    if not any(worked):
        worked = [
            w.pool(_POOLS["fallback worked"], _Style(_FALLBACK_LEADS, p_lead=0.4, p_detail=0.3))
        ]
    not_worked = _not_worked(w, negative, end_reason, mood, would_place_again)
    if not any(not_worked):
        not_worked = [
            w.pool(_POOLS["fallback not_worked"], _Style(_NOTHING_LEADS, p_lead=0.4, p_detail=0.4))
        ]
    advice = _advice(w, negative, would_place_again)
    return Narrative(
        _render(rng, _keep(worked, used)),
        _render(rng, _keep(not_worked, used)),
        _render(rng, _keep(advice, used), allow_list=False),
    )


_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_sentences(text: str) -> list[str]:
    """Split Markdown prose or list items into sentences, without list markers."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = _LIST_MARKER.sub("", line).strip()
        if line:
            sentences.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return sentences
