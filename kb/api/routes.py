"""The JSON API, /api/v1: every route module registers on the one blueprint here.

Another package may add routes to ``bp`` and describe them with
:func:`kb.api.openapi.add_path`; the OCDS export does (kb.exchange.ocds_routes).
"""

from importlib import import_module

from kb.api import (  # noqa: F401  (each registers its routes on bp)
    catalogue_routes,
    experience_routes,
    knowledge_routes,
    openapi,
)
from kb.api.blueprint import bp

OPTIONAL_ROUTE_MODULES = ("kb.exchange.ocds_routes",)

for _name in OPTIONAL_ROUTE_MODULES:
    try:
        import_module(_name)
    except ModuleNotFoundError as missing:  # not built yet in this tree
        if missing.name != _name:
            raise

__all__ = ["bp"]
