"""Supplier checks (kontroller): record one, or the same for every supplier on a framework."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("checks", __name__, url_prefix="/kontroller")
