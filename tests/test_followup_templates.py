"""Follow-up templates: real method lists and survey themes, and the demo builds from them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.demo.loader import load_demo
from kb.followups.models import FollowUp, FollowUpKind, FollowUpMethod
from kb.followups.templates_data import (
    TEMPLATES,
    TEMPLATES_BY_KEY,
    template_for,
    template_for_area,
)
from kb.markdown import render_markdown
from kb.privacy.guard import check_text
from kb.themes import Theme


def test_hvb_and_stodboende_templates_exist_and_survey_every_theme():
    names = {str(template.name) for template in TEMPLATES}
    assert {"Särskild uppföljning HVB", "Särskild uppföljning stödboende"} <= names
    for key in ("sarskild-hvb", "sarskild-stodboende"):
        template = TEMPLATES_BY_KEY[key]
        assert template.kind == FollowUpKind.SPECIAL
        assert set(template.questions) == set(Theme)
        assert all(q.endswith("?") for qs in template.questions.values() for q in qs)
        assert FollowUpMethod.SURVEY_CASEWORKERS in template.methods
        assert FollowUpMethod.SURVEY_SUPPLIER in template.methods
    hvb, stod = TEMPLATES_BY_KEY["sarskild-hvb"], TEMPLATES_BY_KEY["sarskild-stodboende"]
    assert hvb.questions != stod.questions


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_every_template_is_valid_markdown_with_known_methods_and_no_personal_data(template):
    assert len(TEMPLATES_BY_KEY) == len(TEMPLATES)
    assert all(FollowUpMethod(code) for code in template.method_codes)
    assert len(set(template.method_codes)) == len(template.method_codes)
    skeleton = template.summary_md()
    assert check_text(skeleton, "summary_md", "Sammanfattning").ok
    html = render_markdown(skeleton)
    for theme in template.questions:
        assert f"<h4>{theme.label}</h4>" in html
    assert "<h3>Enkätteman</h3>" in html


def test_observations_fill_the_skeleton():
    template = TEMPLATES_BY_KEY["sarskild-hvb"]
    filled = template.summary_md({Theme.LOKALER: "Brandskyddet var godkänt."})
    assert "**Iakttagelser:** Brandskyddet var godkänt." in filled
    assert template_for("finns-inte") is None and template_for(None) is None


@pytest.mark.parametrize(
    ("area", "key"),
    [
        ("HVB-hem, Behandling, för barn och unga upp till 20 år", "sarskild-hvb"),
        ("HVB för vuxna missbrukare", "sarskild-hvb"),
        ("Stödboende för ungdomar", "sarskild-stodboende"),
        ("Enstaka platser i bostad med särskild service, LSS", "sarskild-avtalsomrade"),
    ],
)
def test_an_area_gets_the_template_that_fits_it(area, key):
    assert template_for_area(area).key == key


def test_the_demo_builds_its_special_follow_ups_from_the_templates(db):
    assert load_demo() is True
    special = db.session.scalars(
        select(FollowUp).where(FollowUp.kind == FollowUpKind.SPECIAL)
    ).all()
    assert special
    used = set()
    for followup in special:
        area_name = followup.tender_round.agreement_area.name
        template = template_for_area(area_name)
        used.add(template.key)
        assert followup.title.startswith(template.title)
        assert followup.methods == template.method_codes
        for questions in template.questions.values():
            assert all(question in followup.summary_md for question in questions)
        assert "**Iakttagelser:** " in followup.summary_md
    assert {"sarskild-hvb", "sarskild-stodboende"} <= used
