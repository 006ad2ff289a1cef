from __future__ import annotations

from flask import Blueprint

bp = Blueprint("drafts", __name__, url_prefix="/underlag")
