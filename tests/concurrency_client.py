"""A small browser for the concurrency run: urllib with a cookie jar, forms read from the HTML.

Redirects are not followed automatically, so every request is counted once and a 302's
target can be checked. Every response and every failure is counted per kind in Stats.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar


@dataclass
class Response:
    status: int
    body: str
    location: str | None

    @property
    def redirect_path(self) -> str:
        """The path a 3xx sends to, without scheme and host."""
        return urllib.parse.urlsplit(self.location or "").path


@dataclass
class Stats:
    """Requests and errors per kind; an error is a 5xx, a timeout or a broken connection."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter = field(default_factory=Counter)
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    seconds: Counter = field(default_factory=Counter)

    def count(self, kind: str, status: int | None, seconds: float, detail: str = "") -> None:
        with self.lock:
            self.requests[kind] += 1
            self.seconds[kind] += seconds
            self.statuses[kind][str(status) if status is not None else "ingen"] += 1
            if status is None or status >= 500:
                self.errors[kind] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{kind}: {status} {detail[:300]}")

    def summary(self) -> dict:
        with self.lock:
            return {
                "requests": sum(self.requests.values()),
                "errors": sum(self.errors.values()),
                "per_kind": {
                    kind: {
                        "requests": self.requests[kind],
                        "errors": self.errors[kind],
                        "statuses": dict(sorted(self.statuses[kind].items())),
                        "mean_ms": round(1000 * self.seconds[kind] / self.requests[kind], 1),
                    }
                    for kind in sorted(self.requests)
                },
                "error_samples": list(self.error_samples),
            }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One signed-in person: its own cookie jar, so its own session."""

    def __init__(self, base_url: str, stats: Stats, timeout: float) -> None:
        self.base_url = base_url
        self.stats = stats
        self.timeout = timeout
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self, kind: str, path: str, data: list[tuple[str, str]] | None = None
    ) -> Response | None:
        """GET, or POST when data is given; None (counted as an error) when it failed."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base_url + path, body, timeout=self.timeout) as answer:
                response = Response(answer.status, answer.read().decode(), None)
        except urllib.error.HTTPError as answer:
            text = answer.read().decode(errors="replace")
            response = Response(answer.code, text, answer.headers.get("Location"))
        except (OSError, urllib.error.URLError) as failure:
            self.stats.count(kind, None, time.perf_counter() - started, f"{path}: {failure!r}")
            return None
        detail = f"{path}: {response.body[:300]}" if response.status >= 500 else ""
        self.stats.count(kind, response.status, time.perf_counter() - started, detail)
        return response

    def get(self, kind: str, path: str) -> Response | None:
        return self.request(kind, path)

    def post(self, kind: str, path: str, data: list[tuple[str, str]]) -> Response | None:
        return self.request(kind, path, data)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("inloggning", "/logga-in")
        assert page is not None and page.status == 200, "the sign-in page did not answer"
        form = forms_on(page.body)[0]
        answer = self.post(
            "inloggning", "/logga-in", form.filled({"email": email, "password": password})
        )
        assert answer is not None and answer.status == 302, f"sign-in failed for {email}"


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
