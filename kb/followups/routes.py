"""Follow-ups (uppföljningar): create, edit, view and list; start from a template."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("followups", __name__, url_prefix="/uppfoljningar")
