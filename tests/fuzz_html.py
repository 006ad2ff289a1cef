"""Read pages as a browser would: the forms on a page, and any active content an attacker put
there (a script, an event handler, a javascript: link, a frame, a CSS expression)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# --- Forms ------------------------------------------------------------------------------------


@dataclass
class HtmlField:
    """One named control, or all checkboxes or radio buttons sharing a name."""

    name: str
    kind: str  # the input type, or select, select-multiple, textarea, button
    options: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # what the browser sends untouched


@dataclass
class HtmlForm:
    action: str  # a path, resolved against the page
    method: str
    fields: dict[str, HtmlField] = field(default_factory=dict)

    def defaults(self) -> dict[str, list[str]]:
        """What submitting the form untouched sends (no button is pressed)."""
        return {
            name: list(f.values)
            for name, f in self.fields.items()
            if f.kind not in {"submit", "button", "file", "reset", "image"} and f.values
        }


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: HtmlField | None = None
        self._option: dict | None = None
        self._textarea: HtmlField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_url, a.get("action") or self.page_url))
            path = action.path + (f"?{action.query}" if action.query else "")
            self._form = HtmlForm(path, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            self._input(a)
        elif tag == "button" and a.get("name"):
            self._field(a["name"], "button").options.append(a.get("value", ""))
        elif tag == "select" and a.get("name"):
            kind = "select-multiple" if "multiple" in a else "select"
            self._select = self._field(a["name"], kind)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and a.get("name"):
            self._textarea = self._field(a["name"], "textarea")
            self._textarea.values = [""]

    def _input(self, a: dict[str, str]) -> None:
        kind = (a.get("type") or "text").lower()
        control = self._field(a["name"], kind)
        value = a.get("value", "on" if kind in {"checkbox", "radio"} else "")
        if kind in {"checkbox", "radio", "submit", "image"}:
            control.options.append(value)
            if "checked" in a:
                control.values.append(value)
        else:
            control.values = [value]

    def _field(self, name: str, kind: str) -> HtmlField:
        assert self._form is not None
        return self._form.fields.setdefault(name, HtmlField(name, kind))

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea.values = [self._textarea.values[0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            option = self._option
            value = option["value"] if option["value"] is not None else option["text"].strip()
            self._select.options.append(value)
            if option["selected"]:
                self._select.values.append(value)
            self._option = None
        elif tag == "select" and self._select is not None:
            if self._select.kind == "select" and not self._select.values and self._select.options:
                self._select.values = [self._select.options[0]]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            value = self._textarea.values[0]
            self._textarea.values = [value[1:] if value.startswith("\n") else value]
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_on(html: str, page_url: str) -> list[HtmlForm]:
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


def form_posting_to(html: str, page_url: str, action: str) -> HtmlForm | None:
    """The page's POST form whose action is ``action`` (query string ignored)."""
    for form in forms_on(html, page_url):
        if form.method == "post" and form.action.split("?")[0] == action.split("?")[0]:
            return form
    return None


# --- Active content ---------------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "background",
    "poster",
    "cite",
    "lowsrc",
    "dynsrc",
    "codebase",
    "longdesc",
    "ping",
    "manifest",
}
NEVER_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "isindex"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:image/svg", "livescript:")
BAD_STYLE = re.compile(r"expression\s*\(|javascript:|vbscript:|-moz-binding|behavior\s*:", re.I)
OWN_SCRIPTS = re.compile(r"^/static/[\w.-]+\.js$")


def _url_scheme_text(value: str) -> str:
    """A URL as a browser reads it: tabs and newlines removed, outer controls and spaces
    stripped, lower case."""
    value = re.sub(r"[\t\n\r]", "", value)
    return value.strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f "
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
    ).lower()


class _ActiveContentFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._raw_tag: str | None = None  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        described = f"<{tag} {' '.join(f'{n}={v!r}' for n, v in attrs)}>"[:200]
        if tag in NEVER_TAGS:
            self.found.append(f"element {described}")
        for name, value in attrs:
            self._check_attribute(tag, name, value or "", described)
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not OWN_SCRIPTS.match(src):
                self.found.append(f"script {described}")
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            content = _url_scheme_text(dict(attrs).get("content") or "")
            if any(scheme in content for scheme in DANGEROUS_SCHEMES):
                self.found.append(f"refresh {described}")
        if tag in ("script", "style"):
            self._raw_tag = tag

    def _check_attribute(self, tag: str, name: str, value: str, described: str) -> None:
        if name.startswith("on"):
            self.found.append(f"event handler {name} in {described}")
        elif name == "srcdoc":
            self.found.append(f"srcdoc in {described}")
        elif name in URL_ATTRIBUTES and _url_scheme_text(value).startswith(DANGEROUS_SCHEMES):
            self.found.append(f"{name} URL in {described}")
        elif name == "style" and BAD_STYLE.search(value):
            self.found.append(f"style in {described}")

    def handle_data(self, data: str) -> None:
        if self._raw_tag == "script" and data.strip():
            self.found.append(f"inline script {data[:100]!r}")
        elif self._raw_tag == "style" and BAD_STYLE.search(data):
            self.found.append(f"style element {data[:100]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw_tag:
            self._raw_tag = None


def active_content(html: str) -> list[str]:
    """Everything in the page that could run script; the app's own pages have none of it."""
    finder = _ActiveContentFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def has_message(html: str) -> bool:
    """True when the page tells the user something went wrong or needs checking."""
    return bool(
        re.search(
            r'class="(?:error-summary|warning-summary|error-message|flash flash-error)\b', html
        )
    )
