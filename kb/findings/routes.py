from __future__ import annotations

from flask import Blueprint

bp = Blueprint("findings", __name__, url_prefix="/lardomar")
