"""Deviations (avvikelser): record against a unit or contract, resolve with a note."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("deviations", __name__, url_prefix="/avvikelser")
