"""Small formatting helpers available in every template."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from flask_babel import gettext as _
from markupsafe import Markup

from kb.auth.models import Role
from kb.experiences.models import Experience
from kb.experiences.periods import from_columns
from kb.markdown import render_markdown


def period(experience: Experience) -> str:
    start = from_columns(experience.start_year, experience.start_month)
    end = from_columns(experience.end_year, experience.end_month)
    if start is None:
        return "–"
    return f"{start} – {end}" if end else _("%(start)s – pågår", start=start)


def money(amount: Decimal | float | None) -> str:
    if amount is None:
        return "–"
    whole = f"{round(Decimal(amount)):,}".replace(",", "\u00a0")
    return f"{whole}\u00a0kr"


def markdown_preview(text: str | None) -> Markup:
    return Markup(render_markdown(text))  # sanitised by nh3 in render_markdown


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        period=period, money=money, render_markdown=markdown_preview, Role=Role
    )
