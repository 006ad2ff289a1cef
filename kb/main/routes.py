from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user

from kb.auth.models import Role
from kb.main.services import recent_experiences, start_figures

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> str:
    blocks = start_figures(current_user, date.today())
    recent = recent_experiences(current_user) if current_user.has_role(Role.CASEWORKER) else []
    return render_template("main/index.html", blocks=blocks, recent=recent, Role=Role)
