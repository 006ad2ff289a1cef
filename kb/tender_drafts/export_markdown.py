"""The tender draft as Markdown, and the wording it shares with the DOCX export.

Pure functions of a DraftDocument: no database, no request. The document is Swedish, so the
fixed wording is Swedish literals.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import cmarkgfm
from cmarkgfm.cmark import Options

from kb.tender_drafts.document import (
    DocumentRequirement,
    DocumentSection,
    DraftDocument,
    ProvenanceEntry,
)

OFF_CONTRACT_TITLE = "Behov som tillgodosetts utanför avtal"
FOLLOWUP_PLAN_TITLE = "Uppföljningsplan"
APPENDIX_TITLE = "Bilaga: Ursprung för nya, ändrade och borttagna krav"
NO_CHANGES = "Inga krav är nya, ändrade eller borttagna jämfört med föregående omgång."
NO_FINDINGS = "Ingen lärdom är kopplad till ändringen."
OFF_CONTRACT_COLUMNS = ("Skäl", "Antal placeringar")
FOLLOWUP_PLAN_COLUMNS = ("Kod", "Krav", "Metod")
TOTAL = "Totalt"

_MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
# Characters XML 1.0 cannot hold (python-docx would raise on them), plus U+E000 which the
# DOCX export uses internally as a stand-in for "<".
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ue000\ufffe\uffff]")
# cmark writes U+FFFE and U+FFFF as bytes that are not UTF-8, and cmarkgfm then raises.
_BROKEN_REFERENCE = re.compile(r"&#(?:[xX]0*[fF]{3}[eEfF]|0*6553[45]);")
_HEADING_POSITION = re.compile(r'<h([1-6]) data-sourcepos="(\d+):(\d+)-(\d+):(\d+)"')
_ATX_OPENING = re.compile(r"#{1,6}(?=[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"^[ \t>]*(?:=+|-+)[ \t]*$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]<])")
_BLOCK_START = re.compile(r"^(?:([#>+=-])|(\d+)([.)]))")
_END_MARKER = "kb-export-slut-av-kravtext"
# What may close a block that Markdown text left open and that would swallow what follows.
_CLOSERS = (
    "`" * 12,
    "~" * 12,
    "</script>",
    "</pre>",
    "</style>",
    "</textarea>",
    "-->",
    "?>",
    "]]>",
)


def clean_text(text: str | None) -> str:
    """Drop the characters an XML document cannot hold."""
    return _NOT_XML.sub("", text or "")


def markdown_source(text: str | None) -> str:
    """Clean Markdown text, and drop the character references that make cmark fail."""
    return _BROKEN_REFERENCE.sub("", clean_text(text))


def one_line(text: str | None) -> str:
    """Clean text and fold its whitespace, for headings, labels and table cells."""
    return " ".join(clean_text(text).split())


def swedish_date(day: date) -> str:
    """Write a date the Swedish way, e.g. "23 november 2026"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_weight(weight: Decimal) -> str:
    """Write a weight without trailing zeros and with a decimal comma: 20, 12,5."""
    return format(weight.normalize(), "f").replace(".", ",")


def title_lines(document: DraftDocument) -> list[str]:
    """The lines under the title on the title page."""
    lines = [
        f"Upphandlingsomgång: {one_line(document.round_title)}",
        f"Diarienummer: {one_line(document.round_reference)}",
        f"Avtalsområde: {one_line(document.agreement_area)}",
        f"Organisation: {one_line(document.organisation)}",
        f"Status: {one_line(document.status)}",
        f"Datum: {swedish_date(document.produced_on)}",
    ]
    if document.base_round_reference:
        lines.append(f"Bygger på omgång {one_line(document.base_round_reference)}")
    return lines


def section_heading(section: DocumentSection) -> str:
    return f"{section.number} {one_line(section.title)}"


def requirement_heading(requirement: DocumentRequirement) -> str:
    return " ".join(
        part
        for part in (requirement.number, one_line(requirement.code), one_line(requirement.title))
        if part
    )


def requirement_meta(requirement: DocumentRequirement) -> str:
    """Kind, level, weight, version and provenance on one line, joined by middle dots."""
    parts = [one_line(requirement.kind), f"Nivå: {one_line(requirement.level)}"]
    if requirement.weight is not None:
        parts.append(f"Vikt: {format_weight(requirement.weight)} %")
    parts.append(f"Version {requirement.version}")
    if requirement.provenance:
        parts.append(one_line(requirement.provenance))
    return " · ".join(part for part in parts if part)


def followup_line(requirement: DocumentRequirement) -> str:
    return f"Uppföljning: {one_line(requirement.followup_method)}"


def off_contract_intro(document: DraftDocument) -> str:
    since = f" sedan {swedish_date(document.off_contract_since)}"
    since = since if document.off_contract_since else ""
    if not document.off_contract:
        return f"Inga placeringar utanför avtal har registrerats{since}."
    return f"Placeringar utanför avtal{since}, per skäl:"


def provenance_heading(entry: ProvenanceEntry) -> str:
    parts = (entry.number, one_line(entry.code), one_line(entry.title))
    return " ".join(part for part in parts if part)


def provenance_change(entry: ProvenanceEntry) -> str:
    """The change label and the versions, e.g. "Ändrad av lärdom · version 2 → 3"."""
    before, after = entry.previous_version, entry.new_version
    if before is not None and after is not None:
        versions = f"version {before} → {after}"
    elif after is not None:
        versions = f"ny i version {after}"
    elif before is not None:
        versions = f"version {before} tas bort"
    else:
        versions = ""
    return " · ".join(part for part in (one_line(entry.change), versions) if part)


def _sourcepos_html(text: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_SOURCEPOS)


def heading_levels(html: str) -> list[int]:
    """The distinct heading levels in rendered Markdown, highest rank first."""
    return sorted({int(level) for level in re.findall(r"<h([1-6])[ >]", html)})


def demote_headings(text: str, top: int = 4) -> str:
    """Move headings in Markdown text down so the highest becomes level `top`, keeping order.

    cmark says where each heading is (source positions), so "#" in code blocks is left alone
    and setext headings (underlined with === or ---) become ATX headings.
    """
    html = _sourcepos_html(text)
    found = [tuple(map(int, match)) for match in _HEADING_POSITION.findall(html)]
    if not found:
        return text
    new_level = {level: min(top + rank, 6) for rank, level in enumerate(heading_levels(html))}
    lines = re.split(r"\r\n|\r|\n", text)
    for level, start, column, end, end_column in reversed(found):
        underline = end - 1 if end_column == 0 else end
        _demote_heading(lines, start - 1, column - 1, underline - 1, new_level[level])
    return "\n".join(lines)


def _demote_heading(lines: list[str], first: int, column: int, underline: int, level: int) -> None:
    if not 0 <= first < len(lines):
        return
    raw = lines[first].encode()
    prefix, rest = raw[:column].decode(errors="ignore"), raw[column:].decode(errors="ignore")
    opening = _ATX_OPENING.match(rest)
    if opening and underline == first:
        lines[first] = prefix + "#" * level + rest[opening.end() :]
        return
    if underline <= first or underline >= len(lines):
        return
    if not _SETEXT_UNDERLINE.match(lines[underline]):
        return
    following = [re.sub(r"^[ \t>]*", "", line) for line in lines[first + 1 : underline]]
    content = " ".join(part.strip() for part in [rest, *following] if part.strip())
    closing = " " + "#" * level if content.endswith("#") else ""
    lines[first : underline + 1] = [f"{prefix}{'#' * level} {content}{closing}"]


def _inline(text: str | None) -> str:
    """One line of plain text, with the characters Markdown would act on escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def _line(text: str | None) -> str:
    """Like _inline, for text that starts a line: it must not start a heading or a list."""
    escaped = _inline(text)
    return _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)


def _is_closed(text: str) -> bool:
    html = cmarkgfm.github_flavored_markdown_to_html(f"{text}\n\n{_END_MARKER}")
    return f"<p>{_END_MARKER}</p>" in html


def seal(text: str) -> str:
    """Close a code fence, HTML block or comment the text leaves open, so it ends where it ends."""
    if _is_closed(text):
        return text
    for closer in _CLOSERS:
        if _is_closed(f"{text}\n{closer}"):
            return f"{text}\n{closer}"
    return "\n".join(f"    {line}" for line in text.split("\n"))


def _cell(text: str | None) -> str:
    return _inline(text).replace("|", "\\|")


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]], align: str) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join(align.split()) + " |"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return [*lines, ""]


def _body(text: str) -> list[str]:
    text = markdown_source(text).strip("\r\n")
    return [seal(demote_headings(text)), ""] if text.strip() else []


def _requirement(requirement: DocumentRequirement) -> list[str]:
    lines = [f"### {_inline(requirement_heading(requirement))}", ""]
    lines += [f"*{_inline(requirement_meta(requirement))}*", ""]
    lines += _body(requirement.text_md)
    if requirement.followup_method:
        lines += [_line(followup_line(requirement)), ""]
    return lines


def _section(section: DocumentSection) -> list[str]:
    lines = [f"## {_inline(section_heading(section))}", "", *_body(section.intro)]
    for requirement in section.requirements:
        lines += _requirement(requirement)
    return lines


def _off_contract(document: DraftDocument) -> list[str]:
    lines = [f"## {OFF_CONTRACT_TITLE}", "", _line(off_contract_intro(document)), ""]
    if document.off_contract:
        rows = [(need.reason, str(need.count)) for need in document.off_contract]
        rows.append((TOTAL, str(sum(need.count for need in document.off_contract))))
        lines += _table(OFF_CONTRACT_COLUMNS, rows, "--- ---:")
    return lines


def _followup_plan(document: DraftDocument) -> list[str]:
    if not document.followup_plan:
        return []
    rows = [(row.code, row.title, row.method) for row in document.followup_plan]
    return [f"## {FOLLOWUP_PLAN_TITLE}", "", *_table(FOLLOWUP_PLAN_COLUMNS, rows, "--- --- ---")]


def _appendix(document: DraftDocument) -> list[str]:
    lines = [f"## {APPENDIX_TITLE}", ""]
    if not document.provenance:
        return [*lines, NO_CHANGES, ""]
    for entry in document.provenance:
        lines += [f"**{_inline(provenance_heading(entry))}**  ", _line(provenance_change(entry))]
        findings = [f"- {_line(finding)}" for finding in entry.findings]
        lines += ["", *(findings or [NO_FINDINGS]), ""]
    return lines


def draft_to_markdown(document: DraftDocument) -> str:
    """Render the draft as one Markdown document with the same numbering as the DOCX."""
    lines = [f"# {_inline(document.title)}", ""]
    lines += [f"- {_line(line)}" for line in title_lines(document)]
    lines.append("")
    for section in document.sections:
        lines += _section(section)
    lines += _off_contract(document) + _followup_plan(document) + _appendix(document)
    return "\n".join(lines).rstrip("\n") + "\n"
