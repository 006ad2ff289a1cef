"""The tender draft's DOCX and Markdown exports, built from hand-made DraftDocuments."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import cmarkgfm
import docx
import pytest
from docx.oxml.ns import qn

from kb.tender_drafts.document import (
    DocumentRequirement,
    DocumentSection,
    DraftDocument,
    FollowUpPlanRow,
    OffContractNeed,
    ProvenanceEntry,
)
from kb.tender_drafts.export_docx import TOC_INSTRUCTION, TOC_PLACEHOLDER, draft_to_docx
from kb.tender_drafts.export_markdown import demote_headings, draft_to_markdown

APPENDIX = "Bilaga: Ursprung för nya, ändrade och borttagna krav"
OFF_CONTRACT = "Behov som tillgodosetts utanför avtal"

SCOPE_TEXT = """Leverantören **ska** bedriva HVB för barn och unga.

# Bakgrund

- dygnet runt-bemanning
- egen kontaktperson

1. första steget
2. andra steget
"""
EVENING_TEXT = """Bemanningen ska vara *minst* två personer kvällstid.

1. kväll
2. natt

Se [Socialstyrelsen](https://www.socialstyrelsen.se/hvb) och www.ivo.se.
"""
HOSTILE_TEXT = (
    "Text med styrtecken\x00\x01\x08\x0b\x0c\x1b och \ufffe slut.\n\n"
    "<script>alert('x')</script>\n\n"
    "Inline <b>fet?</b> och </w:t></w:r><w:r><w:t>INJICERAT\n\n"
    "| a | b |\n|---|---|\n| 1 | **2** |\n| 3 |\n\n"
    "- ett\n  - två\n    - tre\n      - fyra\n        - fem\n          > citat\n"
    "          > 1. i citat\n\n"
    "<!-- en kommentar\n\n"
    "![bild](https://example.org/b.png) - [ ] att göra\n\n"
    "```\nkod som aldrig stängs <i>\n"
)


def requirement(
    number: str, code: str, title: str, text: str = "", **changes
) -> DocumentRequirement:
    values = {
        "number": number,
        "code": code,
        "version": 1,
        "title": title,
        "text_md": text,
        "kind": "Skall-krav",
        "level": "Bas",
        "weight": None,
        "followup_method": "",
        "provenance": "Överförd från föregående omgång",
    }
    return DocumentRequirement(**(values | changes))


def draft(**changes) -> DraftDocument:
    sections = (
        DocumentSection(
            1,
            "Omfattning",
            (requirement("1.1", "HVB-01", "Målgrupp", SCOPE_TEXT),),
            intro="Upphandlingen avser HVB-hem.",
        ),
        DocumentSection(
            2,
            "Kvalificering",
            (
                requirement(
                    "2.1",
                    "HVB-04",
                    "Kvällsbemanning",
                    EVENING_TEXT,
                    version=3,
                    kind="Utvärderingskriterium",
                    level="Avancerad",
                    weight=Decimal("20.00"),
                    followup_method="Oanmält platsbesök",
                    provenance="Ändrad av lärdom",
                ),
                requirement("2.2", "HVB-07", "Rapportering", "Månadsvis rapport."),
            ),
        ),
        DocumentSection(3, "Avtalsvillkor", (requirement("3.1", "HVB-20", "Vite", ""),)),
    )
    values = {
        "title": "Förfrågningsunderlag HVB barn och unga",
        "round_reference": "KS 2026/123",
        "round_title": "HVB barn och unga 2027",
        "agreement_area": "HVB-hem, Behandling, för barn och unga upp till 20 år",
        "base_round_reference": "KS 2022/77",
        "status": "Utkast",
        "produced_on": date(2026, 11, 23),
        "organisation": "Storstadens kommun",
        "sections": sections,
        "off_contract": (OffContractNeed("Kompetens", 4), OffContractNeed("Geografi", 2)),
        "off_contract_since": date(2023, 3, 1),
        "followup_plan": (FollowUpPlanRow("HVB-04", "Kvällsbemanning", "Oanmält | besök"),),
        "provenance": (
            ProvenanceEntry(
                "2.1",
                "HVB-04",
                "Kvällsbemanning",
                "Ändrad av lärdom",
                2,
                3,
                (
                    "Lärdom 12: Kvällsbemanning saknas (7 underlag, 3 kommuner)",
                    "Lärdom 15: Byte av personal kvällstid (4 underlag, 2 kommuner)",
                ),
            ),
            ProvenanceEntry("", "HVB-09", "Lokaler", "Borttagen av lärdom", 4, None, ("Lärdom 3",)),
            ProvenanceEntry("2.2", "HVB-07", "Rapportering", "Tillagd av lärdom", None, 1),
        ),
    }
    return DraftDocument(**(values | changes))


def open_docx(document: DraftDocument) -> docx.document.Document:
    return docx.Document(io.BytesIO(draft_to_docx(document)))


def texts(word, style: str) -> list[str]:
    return [p.text for p in word.paragraphs if p.style.name == style]


def after(word, heading: str, count: int) -> list:
    """The `count` paragraphs that follow the paragraph whose text is `heading`."""
    paragraphs = word.paragraphs
    index = next(i for i, p in enumerate(paragraphs) if p.text == heading)
    return paragraphs[index + 1 : index + 1 + count]


def part_xml(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name).decode()


def markdown_headings(markdown: str) -> list[tuple[int, str]]:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown)
    return [(int(level), text) for level, text in re.findall(r"<h([1-6])>(.*?)</h\1>", html)]


# DOCX


def test_docx_heading_1_is_the_sections_then_off_contract_plan_and_appendix():
    word = open_docx(draft())

    assert texts(word, "Heading 1") == [
        "1 Omfattning",
        "2 Kvalificering",
        "3 Avtalsvillkor",
        OFF_CONTRACT,
        "Uppföljningsplan",
        APPENDIX,
    ]


def test_docx_heading_2_carries_numbers_and_codes_in_order():
    word = open_docx(draft())

    assert texts(word, "Heading 2") == [
        "1.1 HVB-01 Målgrupp",
        "2.1 HVB-04 Kvällsbemanning",
        "2.2 HVB-07 Rapportering",
        "3.1 HVB-20 Vite",
    ]


def test_docx_meta_line_has_kind_level_weight_and_version():
    word = open_docx(draft())

    weighted = after(word, "2.1 HVB-04 Kvällsbemanning", 1)[0].text
    plain = after(word, "2.2 HVB-07 Rapportering", 1)[0].text

    assert weighted == (
        "Utvärderingskriterium · Nivå: Avancerad · Vikt: 20 % · Version 3 · Ändrad av lärdom"
    )
    assert plain.startswith("Skall-krav · Nivå: Bas · Version 1")
    assert "Vikt" not in plain


def test_docx_follow_up_method_follows_the_requirement_text():
    word = open_docx(draft())
    paragraphs = [p.text for p in word.paragraphs]

    followup = paragraphs.index("Uppföljning: Oanmält platsbesök")
    assert paragraphs.index("2.1 HVB-04 Kvällsbemanning") < followup
    assert followup < paragraphs.index("2.2 HVB-07 Rapportering")
    assert paragraphs.count("Uppföljning: Oanmält platsbesök") == 1


def test_docx_markdown_becomes_word_lists_bold_runs_and_headings():
    word = open_docx(draft())

    assert texts(word, "List Bullet")[:2] == ["dygnet runt-bemanning", "egen kontaktperson"]
    assert texts(word, "List Number")[:4] == ["första steget", "andra steget", "kväll", "natt"]
    assert texts(word, "Heading 3") == ["Bakgrund"]
    body = after(word, "Skall-krav · Nivå: Bas · Version 1 · Överförd från föregående omgång", 1)
    bold = [run.text for run in body[0].runs if run.bold]
    assert body[0].text == "Leverantören ska bedriva HVB för barn och unga."
    assert bold == ["ska"]
    link = next(p.text for p in word.paragraphs if p.text.startswith("Se Socialstyrelsen"))
    assert link == "Se Socialstyrelsen (https://www.socialstyrelsen.se/hvb) och www.ivo.se."


def test_docx_each_numbered_list_starts_again_at_one():
    data = draft_to_docx(draft())
    word = docx.Document(io.BytesIO(data))
    numbered = [p for p in word.paragraphs if p.style.name == "List Number"]

    list_ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert list_ids[0] == list_ids[1]
    assert list_ids[2] == list_ids[3]
    assert list_ids[0] != list_ids[2]
    numbering = part_xml(data, "word/numbering.xml")
    for list_id in {list_ids[0], list_ids[2]}:
        instance = re.search(rf'<w:num w:numId="{list_id}">.*?</w:num>', numbering).group(0)
        assert '<w:startOverride w:val="1"/>' in instance


def test_docx_has_a_table_of_contents_field_updated_on_open():
    data = draft_to_docx(draft())
    word = docx.Document(io.BytesIO(data))

    toc = next(p for p in word.paragraphs if TOC_PLACEHOLDER in p.text)
    kinds = [e.get(qn("w:fldCharType")) for e in toc._p.iter(qn("w:fldChar"))]
    instructions = [e.text for e in toc._p.iter(qn("w:instrText"))]
    assert kinds == ["begin", "separate", "end"]
    assert instructions == [f" {TOC_INSTRUCTION} "]
    assert TOC_INSTRUCTION == 'TOC \\o "1-3" \\h \\z \\u'
    assert '<w:updateFields w:val="true"/>' in part_xml(data, "word/settings.xml")


def test_docx_title_page_then_page_break():
    word = open_docx(draft())
    paragraphs = word.paragraphs

    assert paragraphs[0].style.name == "Title"
    assert paragraphs[0].text == "Förfrågningsunderlag HVB barn och unga"
    title_page = [p.text for p in paragraphs[1:9]]
    assert "Upphandlingsomgång: HVB barn och unga 2027" in title_page
    assert "Diarienummer: KS 2026/123" in title_page
    assert "Avtalsområde: HVB-hem, Behandling, för barn och unga upp till 20 år" in title_page
    assert "Organisation: Storstadens kommun" in title_page
    assert "Status: Utkast" in title_page
    assert "Datum: 23 november 2026" in title_page
    assert "Bygger på omgång KS 2022/77" in title_page
    page_break = next(i for i, p in enumerate(paragraphs) if 'w:type="page"' in p._p.xml)
    assert page_break == 8


def test_docx_without_base_round_says_nothing_about_one():
    word = open_docx(draft(base_round_reference=None, status="Fastställd"))
    paragraphs = [p.text for p in word.paragraphs]

    assert not any("Bygger på" in text for text in paragraphs)
    assert "Status: Fastställd" in paragraphs


def test_docx_off_contract_table_and_follow_up_plan_table():
    word = open_docx(draft())

    intro = after(word, OFF_CONTRACT, 1)[0].text
    rows = [[cell.text for cell in row.cells] for table in word.tables for row in table.rows]
    assert intro == "Placeringar utanför avtal sedan 1 mars 2023, per skäl:"
    assert ["Skäl", "Antal placeringar"] in rows
    assert ["Kompetens", "4"] in rows
    assert ["Geografi", "2"] in rows
    assert ["Totalt", "6"] in rows
    assert ["Kod", "Krav", "Metod"] in rows
    assert ["HVB-04", "Kvällsbemanning", "Oanmält | besök"] in rows


def test_docx_without_off_contract_needs_or_plan_says_so():
    word = open_docx(draft(off_contract=(), followup_plan=(), provenance=()))

    assert texts(word, "Heading 1")[-2:] == [OFF_CONTRACT, APPENDIX]
    assert after(word, OFF_CONTRACT, 1)[0].text == (
        "Inga placeringar utanför avtal har registrerats sedan 1 mars 2023."
    )
    assert after(word, APPENDIX, 1)[0].text == (
        "Inga krav är nya, ändrade eller borttagna jämfört med föregående omgång."
    )
    assert len(word.tables) == 0


def test_docx_appendix_lists_every_provenance_entry_with_its_findings():
    word = open_docx(draft())
    appendix = [(p.style.name, p.text) for p in after(word, APPENDIX, 11)]

    assert appendix == [
        ("Normal", "2.1 HVB-04 Kvällsbemanning"),
        ("Normal", "Ändrad av lärdom · version 2 → 3"),
        ("List Bullet", "Lärdom 12: Kvällsbemanning saknas (7 underlag, 3 kommuner)"),
        ("List Bullet", "Lärdom 15: Byte av personal kvällstid (4 underlag, 2 kommuner)"),
        ("Normal", "HVB-09 Lokaler"),
        ("Normal", "Borttagen av lärdom · version 4 tas bort"),
        ("List Bullet", "Lärdom 3"),
        ("Normal", "2.2 HVB-07 Rapportering"),
        ("Normal", "Tillagd av lärdom · ny i version 1"),
        ("Normal", "Ingen lärdom är kopplad till ändringen."),
    ]
    assert all(run.bold for run in after(word, APPENDIX, 1)[0].runs)


def test_docx_hostile_requirement_text_is_shown_as_text_never_as_markup():
    hostile = requirement("1.1", "HVB-66", "Konstig text", HOSTILE_TEXT)
    document = draft(sections=(DocumentSection(1, "Omfattning", (hostile,)),))
    data = draft_to_docx(document)
    word = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in word.paragraphs]
    body = part_xml(data, "word/document.xml")

    assert "Text med styrtecken och  slut." in paragraphs
    assert "<script>alert('x')</script>" in paragraphs
    assert "Inline <b>fet?</b> och </w:t></w:r><w:r><w:t>INJICERAT" in paragraphs
    assert "<script" not in body
    assert "&lt;script&gt;" in body
    assert "<w:t>INJICERAT" not in body
    assert texts(word, "List Bullet 3")[-1] == "fem"
    assert any(p.text == "i citat" for p in word.paragraphs)
    assert ["1", "2"] in [[c.text for c in row.cells] for t in word.tables for row in t.rows]
    assert "kod som aldrig stängs <i>" in paragraphs
    assert texts(word, "Heading 1")[-1] == APPENDIX


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "#",
        "# \n===\n---",
        "* * *\n- \n1.\n>",
        "[a]: <>\n[a]",
        "\x00" * 10,
        "&#0; &#x1; &#xD800; &#65535; &#xFFFE; &#x0ffff; &bogus;",
        "[a](&#65535;) ![b](c '&#xFFFF;')",
        "`" * 50,
        "- " * 40 + "djup",
        "> " * 40 + "djup",
        "| a |\n|---|\n" + "| x |\n" * 5 + "|",
        "<div>\n<table><tr><td>rå html</td></tr></table>\n</div>",
        "<style>p{}</style><textarea>",
        "~~~\n\x07\n~~~",
        "**fet *kursiv `kod` ~~struken~~***",
        "[länk](javascript:alert(1)) ![](data:x) <mailto:a@b.se>",
        "\ud800 ensamt surrogat",
    ],
)
def test_odd_markdown_never_crashes_either_export(text):
    odd = requirement("1.1", "HVB-01", "Udda", text)
    after_it = requirement("1.2", "HVB-02", "Efter")
    document = draft(sections=(DocumentSection(1, "Omfattning", (odd, after_it)),))
    word = open_docx(document)
    markdown_outline = [h for h in markdown_headings(draft_to_markdown(document)) if h[0] <= 3]

    assert texts(word, "Heading 2") == ["1.1 HVB-01 Udda", "1.2 HVB-02 Efter"]
    assert texts(word, "Heading 1")[-1] == APPENDIX
    assert markdown_outline[2:4] == [(3, "1.1 HVB-01 Udda"), (3, "1.2 HVB-02 Efter")]
    assert markdown_outline[-1] == (2, APPENDIX)


def test_docx_properties_language_and_page_numbers():
    data = draft_to_docx(draft())
    word = docx.Document(io.BytesIO(data))
    properties = word.core_properties

    assert properties.title == "Förfrågningsunderlag HVB barn och unga"
    assert properties.subject == "KS 2026/123"
    assert properties.language == "sv-SE"
    assert properties.author == "Storstadens kommun"
    normal = word.styles["Normal"].element.rPr
    assert normal.find(qn("w:lang")).get(qn("w:val")) == "sv-SE"
    footer = word.sections[0].footer.paragraphs[0]
    assert [e.text for e in footer._p.iter(qn("w:instrText"))] == [" PAGE "]
    assert word.sections[0].different_first_page_header_footer


def test_docx_empty_requirement_text_is_marked():
    word = open_docx(draft())

    assert after(word, "3.1 HVB-20 Vite", 2)[1].text == "Kravtext saknas."


# Markdown


def test_markdown_has_the_same_structure_and_numbering():
    markdown = draft_to_markdown(draft())

    headings = markdown_headings(markdown)
    assert [h for h in headings if h[0] <= 3] == [
        (1, "Förfrågningsunderlag HVB barn och unga"),
        (2, "1 Omfattning"),
        (3, "1.1 HVB-01 Målgrupp"),
        (2, "2 Kvalificering"),
        (3, "2.1 HVB-04 Kvällsbemanning"),
        (3, "2.2 HVB-07 Rapportering"),
        (2, "3 Avtalsvillkor"),
        (3, "3.1 HVB-20 Vite"),
        (2, OFF_CONTRACT),
        (2, "Uppföljningsplan"),
        (2, APPENDIX),
    ]
    assert (4, "Bakgrund") in headings
    assert "\n#### Bakgrund\n" in markdown
    assert "- Bygger på omgång KS 2022/77" in markdown
    assert "- Datum: 23 november 2026" in markdown
    assert (
        "*Utvärderingskriterium · Nivå: Avancerad · Vikt: 20 % · Version 3 · Ändrad av lärdom*"
        in markdown
    )
    assert "Uppföljning: Oanmält platsbesök" in markdown
    assert "Leverantören **ska** bedriva HVB för barn och unga." in markdown


def test_markdown_tables_escape_pipes_and_appendix_lists_findings():
    markdown = draft_to_markdown(draft())

    assert "| Kompetens | 4 |" in markdown
    assert "| Totalt | 6 |" in markdown
    assert "| HVB-04 | Kvällsbemanning | Oanmält \\| besök |" in markdown
    appendix = markdown.split(f"## {APPENDIX}")[1]
    assert appendix.index("**2.1 HVB-04 Kvällsbemanning**") < appendix.index("**HVB-09 Lokaler**")
    assert "Ändrad av lärdom · version 2 → 3" in appendix
    assert "- Lärdom 12: Kvällsbemanning saknas (7 underlag, 3 kommuner)" in appendix
    assert "- Lärdom 15: Byte av personal kvällstid (4 underlag, 2 kommuner)" in appendix
    assert "Borttagen av lärdom · version 4 tas bort" in appendix
    assert "- Lärdom 3" in appendix


def test_markdown_hostile_text_cannot_swallow_the_rest_of_the_document():
    hostile = requirement("1.1", "HVB-66", "Konstig text", HOSTILE_TEXT)
    after_it = requirement("1.2", "HVB-67", "Efter", "# Rubrik i texten")
    document = draft(sections=(DocumentSection(1, "Omfattning", (hostile, after_it)),))
    markdown = draft_to_markdown(document)

    headings = markdown_headings(markdown)
    assert (3, "1.2 HVB-67 Efter") in headings
    assert (4, "Rubrik i texten") in headings
    assert (2, APPENDIX) in headings
    assert "\x00" not in markdown and "\x1b" not in markdown


def test_demote_headings_keeps_order_and_leaves_code_alone():
    text = (
        "# Ett\n\n## Två\n\nStycke\n===\n\n```\n# kod\n```\n\n> ### I citat ###\n\n- Lista\n  ---"
    )
    demoted = demote_headings(text)

    assert markdown_headings(demoted) == [
        (4, "Ett"),
        (5, "Två"),
        (4, "Stycke"),
        (6, "I citat"),
        (5, "Lista"),
    ]
    assert "```\n# kod\n```" in demoted
    assert demote_headings("Ingen rubrik här.\n# ändå\n") == "Ingen rubrik här.\n#### ändå\n"
    assert demote_headings("#### Redan låg") == "#### Redan låg"
