"""Choices and defaults for the experience form, which depend on what is already chosen."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from kb.experiences.forms import OFF_CONTRACT, ExperienceForm
from kb.experiences.models import Experience, ExperienceStatus
from kb.experiences.periods import YearMonth
from kb.experiences.validation import usable_units, valid_contracts
from kb.extensions import db
from kb.organisations.models import Organisation
from kb.suppliers.models import AgreementArea, Unit
from kb.tenders.models import Contract, ContractStatus, contract_units


def _units_with_paused_contracts() -> set[int]:
    statement = (
        select(contract_units.c.unit_id)
        .join(Contract, Contract.id == contract_units.c.contract_id)
        .where(Contract.status == ContractStatus.PAUSED)
    )
    return set(db.session.scalars(statement))


def unit_choices() -> list[SelectChoice]:
    choices = [SelectChoice(0, _("– Välj verksamhet –"))]
    paused = _units_with_paused_contracts()
    for unit in usable_units():
        label = f"{unit.name} – {unit.supplier.name}"
        if unit.municipality:
            label += f" ({unit.municipality})"
        if unit.id in paused:
            label += " · " + _("⚠ Avtal pausat – tillfälligt uteslutet från avrop")
        choices.append(SelectChoice(unit.id, label, optgroup=unit.supplier.name))
    choices[1:] = sorted(choices[1:], key=lambda c: (c.optgroup or "", c.label))
    return choices


def area_choices() -> list[SelectChoice]:
    areas = db.session.scalars(select(AgreementArea).order_by(AgreementArea.name))
    return [SelectChoice(0, _("– Välj avtalsområde –"))] + [
        SelectChoice(a.id, a.name) for a in areas
    ]


def contract_label(contract: Contract) -> str:
    tender_round = contract.tender_round
    ends = tender_round.extension_until or tender_round.contract_end
    period = f"{tender_round.contract_start or '?'}–{ends or '?'}"
    reference = contract.reference or tender_round.reference
    label = f"{reference} · {tender_round.title} ({period}) · {contract.status.label}"
    if contract.status == ContractStatus.PAUSED:
        return _("⚠ PAUSAT: %(label)s", label=label)
    return label


def _period(text: str | None) -> YearMonth | None:
    try:
        return YearMonth.parse(text)
    except ValueError:
        return None


def contract_choices(
    unit_id: int | None,
    area_id: int | None,
    start: str | None,
    end: str | None,
    organisation: Organisation,
) -> list[SelectChoice]:
    contracts = valid_contracts(unit_id, area_id, _period(start), _period(end), organisation)
    return [
        SelectChoice("", _("– Välj avtal –")),
        *(SelectChoice(str(c.id), contract_label(c)) for c in contracts),
        SelectChoice(OFF_CONTRACT, _("Utanför avtal")),
    ]


def prepared_form(
    experience: Experience | None, preselected_unit: int | None = None
) -> ExperienceForm:
    form = ExperienceForm()
    form.unit_id.choices = unit_choices()
    form.agreement_area_id.choices = area_choices()
    if experience is not None and not form.is_submitted():
        form.fill_from(experience)
    if experience is None and not form.is_submitted() and preselected_unit:
        _preselect(form, preselected_unit)
    if experience is None and not form.submission_key.data:
        form.submission_key.data = str(uuid.uuid4())
    if experience is not None and experience.status == ExperienceStatus.SUBMITTED:
        form.submit_experience.label.text = _("Spara ändringar")
    return form


def with_choices(form: ExperienceForm, organisation: Organisation) -> ExperienceForm:
    """Fill the selects' options, needed only when the form is shown (saving validates itself)."""
    form.unit_id.choices = unit_choices()
    form.agreement_area_id.choices = area_choices()
    form.contract_id.choices = contract_choices(
        form.unit_id.data,
        form.agreement_area_id.data,
        form.start.data,
        form.end.data,
        organisation,
    )
    return form


def _preselect(form: ExperienceForm, unit_id: int) -> None:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return
    form.unit_id.data = unit.id
    if len(unit.agreement_areas) == 1:
        form.agreement_area_id.data = unit.agreement_areas[0].id


def saved_message(experience: Experience) -> str:
    if experience.status == ExperienceStatus.SUBMITTED:
        return _("Erfarenheten är inskickad. Tack – den hjälper nästa kollega som ska placera.")
    return _("Utkastet är sparat. Du hittar det under Mina erfarenheter.")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def contract_options_json(args: Mapping[str, str], organisation: Organisation) -> dict:
    unit_id = _int(args.get("unit_id"))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    choices = contract_choices(
        unit_id,
        _int(args.get("agreement_area_id")),
        args.get("start"),
        args.get("end"),
        organisation,
    )
    return {
        "areas": [area.id for area in unit.agreement_areas] if unit else [],
        "contracts": [{"value": c.value, "label": str(c.label)} for c in choices],
    }
