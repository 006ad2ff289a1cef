"""Deterministic, fictional demo data. Every name here is invented."""
