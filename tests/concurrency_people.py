"""What the people in the concurrency run do, each in its own thread with its own session.

Caseworkers save new experiences (some double-submitted: the same key posted twice at once),
edit their own, search and read. Curators edit the same few findings; two of them duel: they
open the same finding and post at the same moment. Coordinators record deviations (some
double-submitted). Procurers search and read. Every outcome that the end of the run checks
against the database is written down in Records.
"""

from __future__ import annotations

import html
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from kb.benchmarks.experience_form import submitted_experience
from tests.concurrency_client import Browser, Response, post_forms_on

CONFLICT = "Lärdomen har ändrats av någon annan sedan du öppnade den"
QUERIES = (
    "bemanning",
    "HVB",
    "familjehemsplacering",
    "skolgång",
    "kontaktperson",
    "LSS",
    "avvikelse nattbemanning",
    '"stabil bemanning"',
    "placering -akut",
    "handläggare OR socialsekreterare",
)
FACET_LINK = re.compile(r'href="(/sok\?[^"]*(?:kind|area|theme|year|status|supplier)=[^"]*)"')
DETAIL = re.compile(r"^/(erfarenheter|avvikelser)/(\d+)$")


@dataclass(frozen=True)
class Placement:
    unit_id: int
    area_id: int
    contract_id: int


@dataclass(frozen=True)
class World:
    """What the run needs to know of the demo data, read before it starts."""

    placements: list[Placement]
    contended_findings: list[int]
    supplier_ids: list[int]
    unit_ids: list[int]
    password: str


@dataclass
class Records:
    lock: threading.Lock = field(default_factory=threading.Lock)
    experiences: dict[str, int] = field(default_factory=dict)  # submission key -> id
    experience_texts: dict[int, str] = field(default_factory=dict)  # id -> last saved marker
    finding_wins: list[tuple[int, int, str]] = field(default_factory=list)  # id, read, marker
    finding_conflicts: list[tuple[int, int]] = field(default_factory=list)
    deviations: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> id, marker
    surprises: list[str] = field(default_factory=list)  # outcomes that should not happen

    def note(self, attribute: str, key: object, value: object) -> None:
        with self.lock:
            getattr(self, attribute)[key] = value

    def add(self, attribute: str, value: object) -> None:
        with self.lock:
            getattr(self, attribute).append(value)


@dataclass
class Person:
    browser: Browser
    world: World
    records: Records
    deadline: float
    number: int
    rng: random.Random
    duel: threading.Barrier | None = None
    sequence: int = 0

    def marker(self) -> str:
        self.sequence += 1
        return f"kod-{self.number}-{self.sequence}"

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def surprise(self, what: str, response: Response | None) -> None:
        status = response.status if response is not None else None
        self.records.add("surprises", f"{what}: {status}")

    # --- Reading -----------------------------------------------------------------------

    def search(self) -> None:
        query = self.rng.choice(QUERIES)
        page = self.browser.get("sök", "/sok?" + urlencode({"q": query}))
        links = FACET_LINK.findall(page.body) if page is not None and page.status == 200 else []
        if links:
            self.browser.get("sök med facett", html.unescape(self.rng.choice(links)))

    def read(self, pages: tuple[str, ...]) -> None:
        choices = [
            *pages,
            "/",
            "/lardomar/",
            f"/leverantorer/{self.rng.choice(self.world.supplier_ids)}",
            f"/verksamheter/{self.rng.choice(self.world.unit_ids)}",
        ]
        path = self.rng.choice(choices)
        response = self.browser.get("sida", path)
        if response is not None and response.status != 200:
            self.surprise(f"sida {path}", response)

    # --- Experiences ---------------------------------------------------------------------

    def _experience_form(self) -> tuple[str, list[tuple[str, str]]] | None:
        page = self.browser.get("formulär", "/erfarenheter/ny")
        if page is None or page.status != 200:
            self.surprise("formulär erfarenhet", page)
            return None
        form = post_forms_on(page.body)[-1]
        placement = self.rng.choice(self.world.placements)
        marker = self.marker()
        worked = f"Samtidigt sparad {marker}. Kontaktpersonen var närvarande."
        data = form.filled(
            submitted_experience(
                placement.unit_id, placement.area_id, placement.contract_id, worked
            )
        )
        return marker, data

    def new_experience(self, twice: bool) -> int | None:
        prepared = self._experience_form()
        if prepared is None:
            return None
        marker, data = prepared
        key = dict(data)["submission_key"]
        kind = "ny erfarenhet, dubbelklick" if twice else "ny erfarenhet"
        answers = self._post_at_once(kind, "/erfarenheter/ny", data, 2 if twice else 1)
        ids = {self._detail_id(answer, "erfarenheter") for answer in answers}
        if len(ids) != 1 or None in ids:
            self.surprise(f"{kind} gav {sorted(map(str, ids))}", answers[0])
            return None
        experience_id = ids.pop()
        self.records.note("experiences", key, experience_id)
        self.records.note("experience_texts", experience_id, marker)
        return experience_id

    def edit_experience(self, own: list[int]) -> None:
        if not own:
            return
        experience_id = self.rng.choice(own)
        page = self.browser.get("formulär", f"/erfarenheter/{experience_id}/redigera")
        if page is None or page.status != 200:
            self.surprise("formulär redigera erfarenhet", page)
            return
        marker = self.marker()
        form = post_forms_on(page.body)[-1]
        data = form.filled(
            {"worked_md": f"Ändrad {marker}.", "submit_experience": "Spara ändringar"}
        )
        answer = self.browser.post(
            "redigera erfarenhet", f"/erfarenheter/{experience_id}/redigera", data
        )
        if self._detail_id(answer, "erfarenheter") != experience_id:
            self.surprise("redigera erfarenhet", answer)
            return
        self.records.note("experience_texts", experience_id, marker)

    # --- Findings ------------------------------------------------------------------------

    def edit_finding(self, finding_id: int) -> None:
        url = f"/lardomar/{finding_id}/redigera"
        page = self.browser.get("formulär", url)
        if page is None or page.status != 200:
            self.surprise("formulär lärdom", page)
            return
        form = post_forms_on(page.body)[-1]
        read = int(form.value("version") or 0)
        marker = self.marker()
        data = form.filled({"statement_md": f"Samtidig ändring {marker}."})
        if self.duel is not None:
            try:
                self.duel.wait(timeout=max(0.1, self.deadline - time.monotonic()))
            except threading.BrokenBarrierError:
                return
        answer = self.browser.post("redigera lärdom", url, data)
        if answer is not None and answer.status == 302:
            self.records.add("finding_wins", (finding_id, read, marker))
        elif answer is not None and answer.status == 409 and CONFLICT in answer.body:
            self.records.add("finding_conflicts", (finding_id, read))
        else:
            self.surprise("redigera lärdom", answer)

    # --- Deviations ----------------------------------------------------------------------

    def new_deviation(self, twice: bool) -> None:
        page = self.browser.get("formulär", "/avvikelser/ny")
        if page is None or page.status != 200:
            self.surprise("formulär avvikelse", page)
            return
        form = post_forms_on(page.body)[-1]
        units = [value for value in form.options.get("unit_id", []) if value]
        marker = self.marker()
        data = form.filled(
            {
                "unit_id": self.rng.choice(units),
                "contract_id": "",
                "occurred_on": "2025-05-01",
                "category": "bemanning",
                "severity": "medel",
                "description_md": f"Nattbemanningen brast, {marker}.",
            }
        )
        kind = "ny avvikelse, dubbelklick" if twice else "ny avvikelse"
        answers = self._post_at_once(kind, "/avvikelser/ny", data, 2 if twice else 1)
        ids = {self._detail_id(answer, "avvikelser") for answer in answers}
        if len(ids) != 1 or None in ids:
            self.surprise(f"{kind} gav {sorted(map(str, ids))}", answers[0])
            return
        self.records.note("deviations", dict(data)["form_key"], (ids.pop(), marker))

    # --- Helpers -------------------------------------------------------------------------

    def _post_at_once(
        self, kind: str, path: str, data: list[tuple[str, str]], times: int
    ) -> list[Response | None]:
        """Post the same data `times` times at the same moment, as a double click does."""
        answers: list[Response | None] = [None] * times
        start = threading.Barrier(times)

        def post(index: int) -> None:
            start.wait()
            answers[index] = self.browser.post(kind, path, data)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return answers

    @staticmethod
    def _detail_id(answer: Response | None, section: str) -> int | None:
        if answer is None or answer.status != 302:
            return None
        match = DETAIL.match(answer.redirect_path)
        return int(match.group(2)) if match and match.group(1) == section else None
