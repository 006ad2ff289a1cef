"""The tender draft as a Word document, built with python-docx from a DraftDocument.

Word's built-in heading styles carry the structure, so the navigation pane and the table of
contents work. Requirement text is Markdown: cmark renders it to HTML, which is walked tag by
tag into Word paragraphs and runs. HTML typed into the text is shown as typed, never obeyed.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

import cmarkgfm
from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph
from lxml.etree import SubElement

from kb.tender_drafts.document import DocumentRequirement, DocumentSection, DraftDocument
from kb.tender_drafts.export_markdown import (
    APPENDIX_TITLE,
    FOLLOWUP_PLAN_COLUMNS,
    FOLLOWUP_PLAN_TITLE,
    NO_CHANGES,
    NO_FINDINGS,
    OFF_CONTRACT_COLUMNS,
    OFF_CONTRACT_TITLE,
    TOTAL,
    clean_text,
    followup_line,
    heading_levels,
    markdown_source,
    off_contract_intro,
    one_line,
    provenance_change,
    provenance_heading,
    requirement_heading,
    requirement_meta,
    section_heading,
    title_lines,
)

TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'
TOC_PLACEHOLDER = "Högerklicka och välj Uppdatera fält för att visa innehållsförteckningen."
LANGUAGE = "sv-SE"
MONOSPACE = "Courier New"
_LESS_THAN = "\ue000"  # stands in for "<" while cmark reads the text, so HTML stays text
_LINE_BREAK_OR_TAB = re.compile(r"(\n|\t)")
_META_COLOUR = RGBColor(0x59, 0x59, 0x59)
# Children of w:settings that must come after w:updateFields (ECMA-376 order).
_AFTER_UPDATE_FIELDS = (
    *("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars"),
    *("w:rsids", "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping"),
    *("w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade"),
    *("w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary"),
    *("w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator"),
)
_Format = tuple[bool, bool, bool, bool]  # bold, italic, code, struck through


class _Writer:
    """The Word document being written, with its styles looked up once."""

    def __init__(self, word: WordDocument) -> None:
        self.word = word
        self._styles: dict[str, ParagraphStyle] = {}

    def style(self, name: str) -> ParagraphStyle:
        if name not in self._styles:
            self._styles[name] = self.word.styles[name]
        return self._styles[name]

    def paragraph(self, text: str = "", style: str = "Normal") -> Paragraph:
        paragraph = self.word.add_paragraph(clean_text(text))
        if style != "Normal":
            # Set the style id directly: python-docx's style setter looks up the default
            # style on every call, which took most of the export's time.
            paragraph._p.style = self.style(style).style_id
        return paragraph

    def note(self, text: str, size: float | None = None) -> Paragraph:
        """A paragraph in small grey italics, e.g. a requirement's meta line."""
        paragraph = self.paragraph()
        run = paragraph.add_run(clean_text(text))
        run.italic = True
        run.font.color.rgb = _META_COLOUR
        if size:
            run.font.size = Pt(size)
        return paragraph

    def new_list_numbering(self, style: str, start: int) -> int:
        """A numbering instance for `style` that starts again at `start`; return its numId."""
        numbering = self.word.part.numbering_part.element
        style_num_id = self.style(style).element.pPr.numPr.numId.val
        abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
        num = numbering.add_num(abstract_id)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return num.numId


def _add_run(paragraph: Paragraph, text: str, form: _Format, bold: bool = False) -> Any:
    """Append a formatted run and return its last w:t element, if any.

    Built with lxml directly: python-docx's add_run and font setters cost several times more,
    and requirement text is thousands of runs.
    """
    run = SubElement(paragraph._p, qn("w:r"))
    is_bold, italic, code, struck = form
    if is_bold or bold or italic or code or struck:
        properties = SubElement(run, qn("w:rPr"))  # children in the schema's order
        if code:
            fonts = SubElement(properties, qn("w:rFonts"))
            fonts.set(qn("w:ascii"), MONOSPACE)
            fonts.set(qn("w:hAnsi"), MONOSPACE)
        for flag, tag in ((is_bold or bold, "w:b"), (italic, "w:i"), (struck, "w:strike")):
            if flag:
                SubElement(properties, qn(tag))
    last_text = None
    for piece in _LINE_BREAK_OR_TAB.split(text):
        if piece in ("\n", "\t"):
            SubElement(run, qn("w:br" if piece == "\n" else "w:tab"))
        elif piece:
            last_text = SubElement(run, qn("w:t"))
            last_text.text = piece
            last_text.set(qn("xml:space"), "preserve")
    return last_text


class _ListLevel:
    def __init__(self, ordered: bool, depth: int, num_id: int | None) -> None:
        self.ordered, self.depth, self.num_id = ordered, depth, num_id
        self.fresh = False  # the current item has no paragraph yet

    def style(self, kind: str) -> str:
        return kind if self.depth == 1 else f"{kind} {self.depth}"


class _MarkdownToWord(HTMLParser):
    """Walk cmark's HTML for one Markdown text and add Word paragraphs for it."""

    _MARKS = {"strong": 0, "b": 0, "em": 1, "i": 1, "code": 2, "del": 3, "s": 3}

    def __init__(self, writer: _Writer, heading_styles: dict[int, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.writer, self.heading_styles = writer, heading_styles
        self.current: Paragraph | None = None
        self.last_text: Any = None  # the current paragraph's last w:t, to trim at its end
        self.heading: str | None = None
        self.marks = [0, 0, 0, 0]
        self.lists: list[_ListLevel] = []
        self.quotes = self.pre = 0
        self.links: list[tuple[str, list[str]]] = []
        self.rows: list[list[tuple[bool, list[tuple[str, _Format]]]]] | None = None
        self.cell: list[tuple[str, _Format]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: (value or "").replace(_LESS_THAN, "<") for name, value in attrs}
        if tag in self._MARKS:
            self.marks[self._MARKS[tag]] += 1
        elif tag == "a":
            self.links.append((attributes.get("href", ""), []))
        elif tag == "br":
            self._write("\n")
        elif tag == "img":
            self._write(attributes.get("alt", ""))
            self._write(f" ({unquote(attributes['src'])})" if attributes.get("src") else "")
        elif tag == "input" and attributes.get("type") == "checkbox":
            self._write("☒ " if "checked" in attributes else "☐ ")
        else:
            self._start_block(tag, attributes)

    def _start_block(self, tag: str, attributes: dict[str, str]) -> None:
        self._close_paragraph()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = self.heading_styles.get(int(tag[1]), "Heading 5")
        elif tag in ("ul", "ol"):
            self._start_list(tag == "ol", attributes.get("start", "1"))
        elif tag == "li" and self.lists:
            self.lists[-1].fresh = True
        elif tag == "blockquote":
            self.quotes += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "table":
            self.rows = []
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("th", "td") and self.rows:
            self.cell = []
            self.rows[-1].append((tag == "th", self.cell))

    def _start_list(self, ordered: bool, start: str) -> None:
        level = _ListLevel(ordered, min(len(self.lists) + 1, 3), None)
        if ordered:
            first = int(start) if start.isdigit() and len(start) < 10 else 1
            level.num_id = self.writer.new_list_numbering(level.style("List Number"), first)
        self.lists.append(level)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._MARKS:
            self.marks[self._MARKS[tag]] = max(0, self.marks[self._MARKS[tag]] - 1)
        elif tag == "a" and self.links:
            href, text = self.links.pop()
            if href and not _shows_address("".join(text).strip(), href):
                self._write(f" ({unquote(href)})")
        elif tag in ("th", "td"):
            self.cell = None
        elif tag == "table":
            self._add_table()
        elif tag not in ("tr", "thead", "tbody", "img", "input", "br"):
            self._end_block(tag)

    def _end_block(self, tag: str) -> None:
        self._close_paragraph()
        if tag.startswith("h") and tag[1:].isdigit():
            self.heading = None
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "blockquote":
            self.quotes = max(0, self.quotes - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)

    def _close_paragraph(self) -> None:
        """End the current paragraph without the space a line break before a block left."""
        if self.last_text is not None and self.last_text.text.endswith(" "):
            self.last_text.text = self.last_text.text.rstrip(" ")
        self.current = self.last_text = None

    def handle_data(self, data: str) -> None:
        text = data.replace(_LESS_THAN, "<")
        self._write(text.rstrip("\n") if self.pre else text.replace("\n", " "))

    def _write(self, text: str) -> None:
        text = clean_text(text)  # again: cmark and the parser decode &#1; and the like
        if not text:
            return
        for _href, link_text in self.links:
            link_text.append(text)
        bold, italic, code, struck = (count > 0 for count in self.marks)
        form: _Format = (bold, italic, code or self.pre > 0, struck)
        if self.rows is not None:
            if self.cell is not None:
                self.cell.append((text, form))
            return
        if self.current is None:
            if not text.strip():
                return
            self.current = self._open_paragraph()
            text = text.lstrip(" ")
        last_text = _add_run(self.current, text, form)
        if last_text is not None:
            self.last_text = last_text

    def _open_paragraph(self) -> Paragraph:
        level = self.lists[-1] if self.lists else None
        if self.heading:
            return self.writer.paragraph(style=self.heading)
        if level is not None and level.fresh:
            level.fresh = False
            paragraph = self.writer.paragraph(
                style=level.style("List Number" if level.ordered else "List Bullet")
            )
            if level.num_id is not None:
                paragraph._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = (
                    level.num_id
                )
            return paragraph
        if level is not None:
            return self.writer.paragraph(style=level.style("List Continue"))
        if self.pre:
            return self.writer.paragraph(style="No Spacing")
        return self.writer.paragraph(style="Quote" if self.quotes else "Normal")

    def _add_table(self) -> None:
        rows, self.rows, self.cell = self.rows or [], None, None
        width = max((len(row) for row in rows), default=0)
        if not width:
            return
        table = self.writer.word.add_table(rows=0, cols=width)
        table.style = self.writer.word.styles["Table Grid"]
        for row in rows:
            for word_cell, (header, segments) in zip(table.add_row().cells, row, strict=False):
                for text, form in segments:
                    _add_run(word_cell.paragraphs[0], text, form, bold=header)


def _shows_address(text: str, href: str) -> bool:
    """Whether a link's text already is its address, as with autolinks."""
    return unquote(href) in (text, f"http://{text}", f"https://{text}", f"mailto:{text}")


def _write_markdown(writer: _Writer, text: str) -> None:
    """Add Word paragraphs for Markdown text; headings in it start at Heading 3."""
    source = markdown_source(text).replace("<", _LESS_THAN)
    html = cmarkgfm.github_flavored_markdown_to_html(source)
    levels = heading_levels(html)
    styles = {level: f"Heading {min(3 + rank, 5)}" for rank, level in enumerate(levels)}
    parser = _MarkdownToWord(writer, styles)
    parser.feed(html)
    parser.close()


def _add_field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """Add a Word field (e.g. TOC or PAGE) with the text shown until Word updates it."""

    def field_char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    field_char("begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    field_char("separate")
    paragraph.add_run(placeholder)
    field_char("end")


def _prepare(word: WordDocument, document: DraftDocument) -> None:
    """Set language, properties, field updating on open and page numbers."""
    _set_language(word)
    update_fields = OxmlElement("w:updateFields")
    update_fields.set(qn("w:val"), "true")
    word.settings.element.insert_element_before(update_fields, *_AFTER_UPDATE_FIELDS)
    properties = word.core_properties
    properties.title = one_line(document.title)[:255]
    properties.subject = one_line(document.round_reference)[:255]
    properties.author = properties.last_modified_by = one_line(document.organisation)[:255]
    properties.keywords = one_line(document.agreement_area)[:255]
    properties.category = "Förfrågningsunderlag"
    properties.content_status = one_line(document.status)[:255]
    properties.comments = ""
    properties.language = LANGUAGE
    properties.created = properties.modified = datetime.combine(
        document.produced_on, time(), tzinfo=UTC
    )
    page = word.sections[0]
    page.different_first_page_header_footer = True  # no page number on the title page
    footer = page.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Sida ")
    _add_field(footer, "PAGE", "1")


def _set_language(word: WordDocument) -> None:
    """Make Swedish the language of the text, for spelling and hyphenation."""
    defaults = word.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for lang in defaults.iter(qn("w:lang")):
            lang.set(qn("w:val"), LANGUAGE)
    normal = word.styles["Normal"].element.get_or_add_rPr()
    if normal.find(qn("w:lang")) is None:
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), LANGUAGE)
        normal.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    for theme_lang in word.settings.element.iter(qn("w:themeFontLang")):
        theme_lang.set(qn("w:val"), LANGUAGE)


def _write_title_page(writer: _Writer, document: DraftDocument) -> None:
    writer.paragraph(one_line(document.title), "Title")
    for line in title_lines(document):
        writer.paragraph(line)
    writer.word.add_page_break()
    writer.paragraph("Innehåll", "TOC Heading")
    _add_field(writer.paragraph(), TOC_INSTRUCTION, TOC_PLACEHOLDER)
    writer.word.add_page_break()


def _write_requirement(writer: _Writer, requirement: DocumentRequirement) -> None:
    writer.paragraph(requirement_heading(requirement), "Heading 2")
    writer.note(requirement_meta(requirement), size=9).paragraph_format.keep_with_next = True
    if requirement.text_md.strip():
        _write_markdown(writer, requirement.text_md)
    else:
        writer.note("Kravtext saknas.")
    if requirement.followup_method:
        writer.paragraph(followup_line(requirement))


def _write_section(writer: _Writer, section: DocumentSection) -> None:
    writer.paragraph(section_heading(section), "Heading 1")
    if section.intro.strip():
        _write_markdown(writer, section.intro)
    elif not section.requirements:
        writer.note("Avsnittet innehåller inga krav.")
    for requirement in section.requirements:
        _write_requirement(writer, requirement)


def _add_table(writer: _Writer, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A grid table with a bold heading row; the last column is right-aligned if numeric."""
    table = writer.word.add_table(rows=1, cols=len(columns))
    table.style = writer.word.styles["Table Grid"]
    for cell, column in zip(table.rows[0].cells, columns, strict=True):
        cell.paragraphs[0].add_run(column).bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.paragraphs[0].add_run(one_line(value))
            if value.isdigit():
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    writer.paragraph()


def _write_off_contract(writer: _Writer, document: DraftDocument) -> None:
    writer.paragraph(OFF_CONTRACT_TITLE, "Heading 1")
    writer.paragraph(off_contract_intro(document))
    if document.off_contract:
        rows = [(need.reason, str(need.count)) for need in document.off_contract]
        rows.append((TOTAL, str(sum(need.count for need in document.off_contract))))
        _add_table(writer, OFF_CONTRACT_COLUMNS, rows)


def _write_followup_plan(writer: _Writer, document: DraftDocument) -> None:
    if document.followup_plan:
        writer.paragraph(FOLLOWUP_PLAN_TITLE, "Heading 1")
        rows = [(row.code, row.title, row.method) for row in document.followup_plan]
        _add_table(writer, FOLLOWUP_PLAN_COLUMNS, rows)


def _write_appendix(writer: _Writer, document: DraftDocument) -> None:
    writer.paragraph(APPENDIX_TITLE, "Heading 1")
    if not document.provenance:
        writer.paragraph(NO_CHANGES)
    for entry in document.provenance:
        heading = writer.paragraph()
        heading.add_run(provenance_heading(entry)).bold = True
        heading.paragraph_format.keep_with_next = True
        change = writer.paragraph(provenance_change(entry))
        change.paragraph_format.keep_with_next = bool(entry.findings)
        for finding in entry.findings:
            writer.paragraph(one_line(finding), "List Bullet")
        if not entry.findings:
            writer.note(NO_FINDINGS)


def draft_to_docx(document: DraftDocument) -> bytes:
    """Render the draft as a Word document (DOCX) and return its bytes."""
    writer = _Writer(Document())
    _prepare(writer.word, document)
    _write_title_page(writer, document)
    for section in document.sections:
        _write_section(writer, section)
    _write_off_contract(writer, document)
    _write_followup_plan(writer, document)
    _write_appendix(writer, document)
    output = io.BytesIO()
    writer.word.save(output)
    return output.getvalue()
