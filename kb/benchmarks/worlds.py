"""Apps and data worlds for the benchmarks: an emptied database, the demo, N experiences."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from config import Config
from kb import create_app
from kb.audit.context import Actor, acting_as
from kb.demo.loader import generate_scale, load_demo
from kb.experiences.models import Experience
from kb.extensions import db

BENCH_ACTOR = Actor(None, "bench", None)


def bench_app(url: str, folder: Path, search_backend: str | None = None) -> Flask:
    """An app on url with its instance in folder: no CSRF, no search thread, no request log."""
    overrides: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": folder,
        "SEARCH_SYNC": "off",
        "WTF_CSRF_ENABLED": False,
        "REQUEST_LOG": False,
    }
    if search_backend:
        overrides["SEARCH_BACKEND"] = search_backend
    return create_app(Config, overrides)


def fresh_demo(app: Flask) -> float:
    """Empty the database, migrate it and load the demo; return the demo's load time."""
    with app.app_context(), acting_as(BENCH_ACTOR):
        if db.engine.dialect.name == "postgresql":
            downgrade(revision="base")
        upgrade()
        started = time.perf_counter()
        load_demo()
        db.session.commit()
        return time.perf_counter() - started


def experience_count() -> int:
    return db.session.scalar(select(func.count(Experience.id))) or 0


def grow_to(app: Flask, size: int, seed: int) -> tuple[int, float]:
    """Generate experiences until there are ``size``; return (how many, seconds)."""
    with app.app_context(), acting_as(BENCH_ACTOR):
        missing = max(0, size - experience_count())
        started = time.perf_counter()
        if missing:
            generate_scale(missing, seed=seed)
            db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
    return missing, seconds


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
