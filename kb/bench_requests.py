"""Request-level timing for the benches: saving an experience and rendering a supplier page."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.benchmarks.experience_form import submitted_experience
from kb.benchmarks.report import Figure
from kb.demo.loader import DEMO_PASSWORD
from kb.experiences.models import Experience, ExperienceStatus
from kb.extensions import db
from kb.suppliers.models import Unit
from kb.tenders.models import Contract

SAVES = 200
PAGE_RENDERS = 60


def latency_text(median: Figure, p95: Figure) -> str:
    """The line the benches have always printed, from the recorded figures."""
    return f"median {median.value:6.1f} ms  p95 {p95.value:6.1f} ms  (n={p95.samples})"


def timed_requests(action: Callable[[int], object], count: int) -> list[float]:
    samples = []
    for number in range(count):
        started = time.perf_counter()
        action(number)
        samples.append(time.perf_counter() - started)
    return samples


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/logga-in", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "bench sign-in failed"
    return client


def _form_for_a_contracted_unit(app: Flask) -> dict[str, str]:
    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.status == "aktivt").limit(1))
        unit = contract.units[0]
        return submitted_experience(
            unit.id,
            contract.tender_round.agreement_area_id,
            contract.id,
            "Kontaktpersonen var **närvarande** och bemanningen stabil.",
        )


def saving_samples(app: Flask, count: int = SAVES) -> list[float]:
    client = signed_in(app, "handlaggare@alvsjohamn.example")
    form = _form_for_a_contracted_unit(app)

    def save(_number: int) -> None:
        response = client.post(
            "/erfarenheter/ny", data={**form, "submission_key": str(uuid.uuid4())}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]

    return timed_requests(save, count)


def busiest_supplier(app: Flask, busiest: bool = False) -> tuple[int, int]:
    """(supplier id, experiences): the one nearest 500 experiences, or the one with the most."""
    count = func.count(Experience.id)
    order = count.desc() if busiest else func.abs(count - 500)
    with app.app_context():
        row = db.session.execute(
            select(Unit.supplier_id, func.count(Experience.id))
            .join(Experience, Experience.unit_id == Unit.id)
            .where(Experience.status == ExperienceStatus.SUBMITTED)
            .group_by(Unit.supplier_id)
            .order_by(order)
            .limit(1)
        ).one()
    return row[0], row[1]


def supplier_page_samples(
    app: Flask, email: str, supplier_id: int, count: int = PAGE_RENDERS
) -> list[float]:
    client = signed_in(app, email)

    def render(_number: int) -> None:
        assert client.get(f"/leverantorer/{supplier_id}").status_code == 200

    render(0)
    return timed_requests(render, count)
