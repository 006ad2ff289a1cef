"""The people of the load test, for locust (run by kb/benchmarks/load/run.py).

The world (ids, accounts, queries) comes from the JSON file named by KB_LOAD_WORLD, written
before the run from the database. Each simulated user signs in as a demo account of its role
and then, paced at KB_LOAD_TASKS_PER_SECOND tasks per second (default 2.8), does one task at a
time. Over all users the tasks are (issue 10):

- 60 % page views: the start page, a supplier, a unit, an agreement area, and for
  caseworkers their own experiences;
- 25 % searches with two facet filters;
- 10 % experience saves (the form, then the post; only caseworkers save);
- 5 % follow-up and finding actions (a coordinator records a deviation, the curator edits a
  finding; a 409 edit conflict with another curator is the app working, not an error).

Caseworkers are 80 % of the users and save in 1 task of 8; coordinators and curators are 20 %
and act in 1 task of 4. Both split the rest between page views and searches as 60 : 25.
A request counts as failed when its status is not the one a person would get.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from urllib.parse import urlencode

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

from kb.benchmarks.experience_form import submitted_experience
from kb.benchmarks.html_forms import post_forms_on

WORLD = json.loads(Path(os.environ["KB_LOAD_WORLD"]).read_text(encoding="utf-8"))
TASKS_PER_SECOND = float(os.environ.get("KB_LOAD_TASKS_PER_SECOND", "2.8"))
FORM_POST = {"Content-Type": "application/x-www-form-urlencoded"}
DETAIL = re.compile(r"/(erfarenheter|avvikelser)/\d+$")
CONFLICT = "Lärdomen har ändrats av någon annan"
# No e-mail addresses or long numbers in the texts: the privacy check refuses them.
NARRATIVES = (
    "Kontaktpersonen var närvarande och bemanningen stabil under hela placeringen.",
    "Nattbemanningen brast flera gånger, men skolgången fungerade väl.",
    "Samverkan med socialtjänsten var god och genomförandeplanen följdes upp.",
    "Avvikelser rapporterades sent; föreståndaren åtgärdade dem efter påpekande.",
)
_accounts = {role: itertools.cycle(emails) for role, emails in WORLD["accounts"].items()}


def _pick(name: str) -> object:
    return random.choice(WORLD[name])


class Person(FastHttpUser):
    abstract = True
    role = ""
    wait_time = constant_throughput(TASKS_PER_SECOND)

    def on_start(self) -> None:
        self.email = next(_accounts[self.role])
        page = self.client.get("/logga-in", name="inloggning: sida")
        form = post_forms_on(page.text)[0]
        data = form.filled({"email": self.email, "password": WORLD["password"]})
        with self.client.post(
            "/logga-in", data=urlencode(data), headers=FORM_POST, name="inloggning",
            allow_redirects=False, catch_response=True,
        ) as answer:  # fmt: skip
            if answer.status_code != 302:
                answer.failure(f"sign-in as {self.email}: {answer.status_code}")

    # --- 60 %: page views -------------------------------------------------------------

    def view_page(self) -> None:
        pages = [
            ("sida: start", "/"),
            ("sida: leverantör", f"/leverantorer/{_pick('supplier_ids')}"),
            ("sida: verksamhet", f"/verksamheter/{_pick('unit_ids')}"),
            ("sida: avtalsområde", f"/avtalsomraden/{_pick('area_ids')}"),
        ]
        if self.role == "caseworker":  # the page of one's own experiences
            pages.append(("sida: mina erfarenheter", "/erfarenheter/mina"))
        kind, path = random.choice(pages)
        self.client.get(path, name=kind)

    # --- 25 %: searches with two facet filters -------------------------------------------

    def search_with_facets(self) -> None:
        filters = random.choice(
            (
                {"kind": "experience", "theme": _pick("themes")},
                {"kind": "experience", "area": _pick("area_ids")},
                {"area": _pick("area_ids"), "year": _pick("years")},
            )
        )
        query = urlencode({"q": _pick("queries"), **filters})
        self.client.get(f"/sok?{query}", name="sök med facetter")

    # --- helpers ---------------------------------------------------------------------------

    def form_on(self, path: str, name: str):  # type: ignore[no-untyped-def]
        page = self.client.get(path, name=name)
        forms = post_forms_on(page.text) if page.status_code == 200 else []
        return forms[-1] if forms else None

    def post_form(self, path: str, data: list[tuple[str, str]], name: str, expect) -> None:  # type: ignore[no-untyped-def]
        with self.client.post(
            path, data=urlencode(data), headers=FORM_POST, name=name, allow_redirects=False,
            catch_response=True,
        ) as answer:  # fmt: skip
            problem = expect(answer)
            if problem:
                answer.failure(problem)
            else:
                answer.success()


def _saved(answer) -> str | None:  # type: ignore[no-untyped-def]
    location = answer.headers.get("Location", "") if answer.status_code == 302 else ""
    if DETAIL.search(location):
        return None
    return f"expected a redirect to the saved record, got {answer.status_code} {location}"


class Caseworker(Person):
    weight = 16  # 80 % of the users
    role = "caseworker"

    @task(494)
    def page(self) -> None:
        self.view_page()

    @task(206)
    def search(self) -> None:
        self.search_with_facets()

    @task(100)
    def save_experience(self) -> None:
        form = self.form_on("/erfarenheter/ny", "spara erfarenhet: formulär")
        if form is None:
            return
        unit_id, area_id, contract_id = _pick("placements")
        values = submitted_experience(unit_id, area_id, contract_id, random.choice(NARRATIVES))
        values |= {f"rating_{theme}": str(random.randint(2, 5)) for theme in WORLD["themes"]}
        data = form.filled(values)
        self.post_form("/erfarenheter/ny", data, "spara erfarenhet", _saved)


class Colleague(Person):
    """Coordinators and curators: page views and searches; each adds its action at 25."""

    abstract = True

    @task(53)
    def page(self) -> None:
        self.view_page()

    @task(22)
    def search(self) -> None:
        self.search_with_facets()


class Coordinator(Colleague):
    weight = 2
    role = "coordinator"

    @task(25)
    def record_deviation(self) -> None:
        form = self.form_on("/avvikelser/ny", "avvikelse: formulär")
        if form is None:
            return
        units = [value for value in form.options.get("unit_id", []) if value]
        data = form.filled(
            {
                "unit_id": random.choice(units),
                "contract_id": "",
                "occurred_on": "2025-05-01",
                "category": "bemanning",
                "severity": "medel",
                "description_md": random.choice(NARRATIVES),
            }
        )
        self.post_form("/avvikelser/ny", data, "avvikelse: spara", _saved)


class Curator(Colleague):
    weight = 2
    role = "curator"

    @task(25)
    def edit_finding(self) -> None:
        path = f"/lardomar/{_pick('finding_ids')}/redigera"
        form = self.form_on(path, "lärdom: formulär")
        if form is None:
            return
        data = form.filled({"statement_md": random.choice(NARRATIVES)})

        def stored_or_conflict(answer) -> str | None:  # type: ignore[no-untyped-def]
            if answer.status_code == 302 or (answer.status_code == 409 and CONFLICT in answer.text):
                return None
            return f"finding edit answered {answer.status_code}"

        self.post_form(path, data, "lärdom: spara", stored_or_conflict)
