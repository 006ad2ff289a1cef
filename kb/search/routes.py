"""The search page: one box, facets with counts, snippets, ordering and pages in the URL."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from kb.extensions import db
from kb.search.backend import FACETS
from kb.search.labels import FACET_LABELS, KIND_LABELS, facet_value_labels
from kb.search.outbox import request_rebuild
from kb.search.query import describe
from kb.search.service import search_for
from kb.search.sync import wake_drainer

bp = Blueprint("search", __name__)


@bp.route("/sok")
def index() -> str:
    text = (request.args.get("q") or "")[:1000]
    filters = {name: request.args.get(name, "") for name in FACETS}
    order = request.args.get("ordning", "relevans")
    page = request.args.get("sida", 1, type=int) or 1
    wake_drainer(current_app._get_current_object())  # catch up on work queued elsewhere
    outcome = search_for(current_user, text, filters, "date" if order == "datum" else "", page)
    if outcome.damaged:  # whichever process drains rebuilds it from the database
        request_rebuild()
        db.session.commit()
        wake_drainer(current_app._get_current_object())
    labels = facet_value_labels(outcome.page.facets) if outcome.page else {}
    return render_template(
        "search/index.html",
        text=text,
        outcome=outcome,
        filters={k: v for k, v in filters.items() if v},
        order=order,
        described=describe(outcome.query),
        facet_labels=FACET_LABELS,
        value_labels=labels,
        kind_labels=KIND_LABELS,
    )
