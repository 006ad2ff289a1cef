"""Registers the insight pages on the blueprint: each page lives in its own module."""

from kb.insight import area_pages, learning_pages, supplier_pages  # noqa: F401
from kb.insight.blueprint import bp

__all__ = ["bp"]
