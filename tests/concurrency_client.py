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
from http.cookiejar import CookieJar

from kb.benchmarks.html_forms import HtmlForm, forms_on, post_forms_on


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


__all__ = ["Browser", "HtmlForm", "Response", "Stats", "forms_on", "post_forms_on"]
