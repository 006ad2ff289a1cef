from __future__ import annotations

from flask import Blueprint

bp = Blueprint("requirements", __name__, url_prefix="/krav")
