"""The API blueprint, /api/v1: token authentication, JSON errors, no CSRF (no cookie counts)."""

from flask import Blueprint

from kb.api import errors
from kb.api.auth import require_token
from kb.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(require_token)
errors.register(bp)
