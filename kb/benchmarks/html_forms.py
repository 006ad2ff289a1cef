"""Forms read from a page's HTML, as a browser would post them.

Used by the load test (kb/benchmarks/load/) and by the concurrency and two-server tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)  # per select: every value

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)

    def filled(self, changes: dict[str, str | list[str]]) -> list[tuple[str, str]]:
        """The fields as a browser would post them, with the named ones replaced."""
        kept = [(key, value) for key, value in self.fields if key not in changes]
        for key, value in changes.items():
            values = value if isinstance(value, list) else [value]
            kept += [(key, item) for item in values]
        return kept


class _FormReader(HTMLParser):
    """Collects each form's successful controls: inputs, checked boxes, selected options,
    textareas. Submit buttons are left out; the caller names the one it presses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._select: str | None = None
        self._select_first: tuple[str, str] | None = None
        self._select_chosen = False
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(HtmlForm(a.get("action", ""), a.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and "name" in a and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[-1].fields.append((a["name"], a.get("value", "on")))
        elif tag == "select" and "name" in a:
            self._select, self._select_first, self._select_chosen = a["name"], None, False
        elif tag == "option" and self._select is not None:
            self._option = a
            self._text = []
        elif tag == "textarea" and "name" in a:
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._option is not None or self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option.get("value", "".join(self._text).strip())
            self.forms[-1].options.setdefault(self._select, []).append(value)
            if self._select_first is None:
                self._select_first = (self._select, value)
            if "selected" in self._option:
                self.forms[-1].fields.append((self._select, value))
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self.forms[-1].fields.append(self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.forms[-1].fields.append((self._textarea, text.removeprefix("\n")))
            self._textarea = None


def forms_on(html: str) -> list[HtmlForm]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def post_forms_on(html: str) -> list[HtmlForm]:
    return [form for form in forms_on(html) if form.method == "post"]
