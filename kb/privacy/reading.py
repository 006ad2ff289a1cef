"""Text as a reader sees it, so the guard finds a number however it was typed or pasted.

A number can be written so that it looks like one on screen while its characters say
otherwise: a look-alike dash (en dash, minus sign, non-breaking hyphen), a thin or
ideographic space, full-width or other script digits, invisible characters (zero-width
spaces, soft hyphens, direction marks, control characters) or combining marks between the
digits, or Markdown that renders away (``&#45;``, ``\\-``, ``8112**18**``). :func:`as_read`
turns each into what the reader sees (a digit, "-", "+", " ", or nothing), and remembers
where every character came from, so positions shown to the writer are those of the text as
typed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

# Characters that may read differently: HTML character references, Markdown backslash
# escapes, emphasis and code markers, and anything outside ASCII.
_SPECIAL = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
    r"|\\[!-/:-@\[-`{-~]|[*_~`]|[^\x00-\x7f]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
_PLUSES = {"\uff0b", "\ufe62", "\u207a", "\u208a"}
_DROPPED_CATEGORIES = {"Cf", "Mn", "Me", "Cc"}


def read_char(char: str) -> str:
    """What one character reads as: a digit, "-", "+", " ", nothing, or itself."""
    category = unicodedata.category(char)
    if char in "\t\n\r":
        return " " if char == "\t" else char
    if category in _DROPPED_CATEGORIES:
        return ""
    if category == "Nd":
        return str(unicodedata.digit(char))
    if category == "Pd" or char == "\u2212":
        return "-"
    if char in _PLUSES:
        return "+"
    return " " if category == "Zs" else char


def _read_match(match: re.Match[str]) -> str:
    written = match.group()
    if written.startswith("&"):
        decoded = html.unescape(written)
        return read_char(decoded) if len(decoded) == 1 else written
    if written.startswith("\\") and len(written) == 2:
        return read_char(written[1])
    if written in "*_~`":
        return ""
    return read_char(written)


@dataclass(frozen=True)
class ReadText:
    """The text as read, and for each piece where in the written text it came from."""

    text: str
    # Pieces in order: (start in text, start in written, end in written, one_to_one)
    pieces: tuple[tuple[int, int, int, bool], ...] = ()
    starts: tuple[int, ...] = ()  # each piece's start in text, for bisect

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The written span of the read characters start..end (end exclusive, end > start)."""
        if not self.pieces:
            return start, end
        return self._written_start(start), self._written_end(end - 1)

    def _piece(self, index: int) -> tuple[int, int, int, bool]:
        return self.pieces[bisect_right(self.starts, index) - 1]

    def _written_start(self, index: int) -> int:
        read_start, written_start, _end, one_to_one = self._piece(index)
        return written_start + (index - read_start if one_to_one else 0)

    def _written_end(self, index: int) -> int:
        read_start, written_start, written_end, one_to_one = self._piece(index)
        return written_start + index - read_start + 1 if one_to_one else written_end


def as_read(written: str) -> ReadText:
    """Read the text; plain ASCII text without Markdown or references reads as written."""
    pieces: list[tuple[int, int, int, bool]] = []
    parts: list[str] = []
    length = 0
    position = 0
    for match in _SPECIAL.finditer(written):
        if match.start() > position:
            pieces.append((length, position, match.start(), True))
            parts.append(written[position : match.start()])
            length += match.start() - position
        read = _read_match(match)
        if read:
            same_length = len(read) == match.end() - match.start()
            pieces.append((length, match.start(), match.end(), same_length))
            parts.append(read)
            length += len(read)
        position = match.end()
    text = "".join(parts) + written[position:]
    if text == written:
        return ReadText(written)
    if position < len(written):
        pieces.append((length, position, len(written), True))
    return ReadText(text, tuple(pieces), tuple(piece[0] for piece in pieces))


def mask_last_digits(excerpt: str, count: int = 4) -> str:
    """Replace the last ``count`` characters that read as digits with "*"."""
    chars = list(excerpt)
    for index in range(len(chars) - 1, -1, -1):
        if count and read_char(chars[index]).isdigit():
            chars[index] = "*"
            count -= 1
    return "".join(chars)
